// s8_s8_dwconv_tflite_1x8_simd: int8 depthwise convolution, NHWC, depth multiplier 1, per-channel weights,
// TFLite semantics (reference: tflite-micro kernels/internal/reference/integer_ops/depthwise_conv.h,
// DepthwiseConvPerChannel): acc = bias[c] + sum over in-image taps of w * (x - inZp); taps outside the image
// contribute nothing. Eight channels ride in the vector lanes (x - zp and w widened to int16, extmul to int32);
// a channel tail goes lane by lane. Requantization: TFLite double rounding, per channel, then the clamp.
//
// The params block (int32 at `p`):
//   0 H  1 W  2 C  3 KH  4 KW  5 strideH  6 strideW  7 dilationH  8 dilationW  9 padTop  10 padLeft
//   11 OH  12 OW  13 inZp  14 outZp  15 qmin  16 qmax
// Filter: int8 [KH][KW][C]; bias: int32 [C]; rq: (multiplier, shift) per channel, [C] pairs.

import { requant_tflite, output_stage } from "../requant";

// @ts-ignore: decorator
@lazy const lanes: usize = memory.data(32, 16);

export function s8_s8_dwconv_tflite_1x8_simd(input: usize, filter: usize, bias: usize, rq: usize, out: usize, p: usize): void {
  const H = load<i32>(p), W = load<i32>(p, 4), C = load<i32>(p, 8);
  const KH = load<i32>(p, 12), KW = load<i32>(p, 16);
  const sH = load<i32>(p, 20), sW = load<i32>(p, 24), dH = load<i32>(p, 28), dW = load<i32>(p, 32);
  const padT = load<i32>(p, 36), padL = load<i32>(p, 40), OH = load<i32>(p, 44), OW = load<i32>(p, 48);
  const inZp = load<i32>(p, 52), outZp = load<i32>(p, 56), qmin = load<i32>(p, 60), qmax = load<i32>(p, 64);
  const lo = qmin - outZp, hi = qmax - outZp;
  const vzp = i16x8.splat(<i16>inZp);
  const c8 = C & ~7;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      const y0 = oy * sH - padT, x0 = ox * sW - padL;
      const dst = out + (<usize>(oy * OW + ox) * C);
      let c = 0;
      for (; c < c8; c += 8) {
        let acc0 = v128.load(bias + (<usize>c << 2)), acc1 = v128.load(bias + (<usize>c << 2), 16);
        for (let ky = 0; ky < KH; ky++) {
          const iy = y0 + ky * dH;
          if (<u32>iy >= <u32>H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = x0 + kx * dW;
            if (<u32>ix >= <u32>W) continue;
            const x = i16x8.sub(v128.load8x8_s(input + <usize>(iy * W + ix) * C + c), vzp);
            const w = v128.load8x8_s(filter + <usize>(ky * KW + kx) * C + c);
            acc0 = i32x4.add(acc0, i32x4.extmul_low_i16x8_s(x, w));
            acc1 = i32x4.add(acc1, i32x4.extmul_high_i16x8_s(x, w));
          }
        }
        v128.store(lanes, acc0);
        v128.store(lanes, acc1, 16);
        for (let l = 0; l < 8; l++) {
          const q = rq + (<usize>(c + l) << 3);
          const r = requant_tflite(load<i32>(lanes + (<usize>l << 2)), load<i32>(q), load<i32>(q, 4));
          store<i8>(dst + c + l, <i8>output_stage(r, outZp, lo, hi));
        }
      }
      for (; c < C; c++) {
        let acc = load<i32>(bias + (<usize>c << 2));
        for (let ky = 0; ky < KH; ky++) {
          const iy = y0 + ky * dH;
          if (<u32>iy >= <u32>H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = x0 + kx * dW;
            if (<u32>ix >= <u32>W) continue;
            acc += (<i32>load<i8>(input + <usize>(iy * W + ix) * C + c) - inZp) * <i32>load<i8>(filter + <usize>(ky * KW + kx) * C + c);
          }
        }
        const q = rq + (<usize>c << 3);
        store<i8>(dst + c, <i8>output_stage(requant_tflite(acc, load<i32>(q), load<i32>(q, 4)), outZp, lo, hi));
      }
    }
  }
}
