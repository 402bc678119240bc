// s8_s8_dwconv_tflite_1x8_simd: int8 depthwise convolution, NHWC, depth multiplier 1, per-channel weights,
// TFLite semantics (reference: tflite-micro kernels/internal/reference/integer_ops/depthwise_conv.h,
// DepthwiseConvPerChannel).
//
// The input arrives padded (Hp x Wp x C, the border filled with the input zero point), so every tap is inside
// and the zero point folds into the bias: acc = bias'[c] + sum_taps x * w with bias' = bias - zp * sum_taps w.
// Channels ride in the vector lanes, eight at a time, the outer loop. Taps go in pairs: the two taps' 8 bytes
// are interleaved, widened, and one `i32x4.dot_i16x8_s` per four channels adds both products (weights are
// packed interleaved the same way, widened, a zero weight pairing an odd last tap). Requantization is TFLite's
// double rounding with a multiplier and shift per lane (requant_tflite_lanes), then the clamp.
//
// Packed weights per block of 8 channels: P = ceil(KH*KW / 2) pairs x 2 vectors (channels 0-3, 4-7) of
// (w_t, w_t+1) int16 pairs = 32 * P bytes. Lane parameters per block: 5 x 8 int32 (see requant_tflite_lanes).
// Channels past C in the last block have zero weights and are not stored.
//
// At most 64 taps (KH * KW); the op checks. Params (int32 at p): 0 Hp 1 Wp 2 C 3 KH 4 KW 5 strideH 6 strideW 7 dilationH 8 dilationW 9 OH 10 OW
//   11 outZp 12 qmin 13 qmax (all three in the int8 domain) 14 xor (0x80: uint8 output, stored as y ^ 0x80)

import { requant_tflite_lanes, output_stage_x4, MODE_TFLITE, MODE_FP32 } from "../requant";

/** Byte offsets of each tap pair's two taps from the window's corner (at most MAX_TAPS taps). */
const MAX_TAPS = 64;
// @ts-ignore: decorator
@lazy const tapOffsets: usize = memory.data(MAX_TAPS * 4, 16);

/** Eight channels of two taps, interleaved byte by byte: (t0 c0, t1 c0, t0 c1, t1 c1, ...). */
// @ts-ignore: decorator
@inline function interleave(t0: usize, t1: usize): v128 {
  return i8x16.shuffle(v128.load64_zero(t0), v128.load64_zero(t1), 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

/** Per-lane requantization: TFLite double rounding, or ONNX's float scale per lane (first 32 bytes at lp). */
// @ts-ignore: decorator
@inline function requant_lanes(mode: i32, acc: v128, lp: usize): v128 {
  if (mode == MODE_TFLITE) return requant_tflite_lanes(acc, lp);
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(f32x4.convert_i32x4_s(acc), v128.load(lp))));
}

/** Requantizes, clamps and stores the 8 (or `nc`) channels of one output pixel (xor 0x80 for uint8). */
// @ts-ignore: decorator
@inline function store_pixel(mode: i32, dst: usize, acc0: v128, acc1: v128, lp: usize, zp: i32, lo: i32, hi: i32, xor: v128, nc: i32): void {
  const r0 = output_stage_x4(requant_lanes(mode, acc0, lp), zp, lo, hi);
  const r1 = output_stage_x4(requant_lanes(mode, acc1, lp + 16), zp, lo, hi);
  const bytes = v128.xor(i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(r0, r1), i16x8.splat(0)), xor);
  if (nc == 8) v128.store64_lane(dst, bytes, 0);
  else for (let l = 0; l < nc; l++) store<i8>(dst + l, i8x16.extract_lane_s(i8x16.swizzle(bytes, i8x16.splat(<i8>l)), 0));
}

export function dwconv_packed_bytes(c: i32, kh: i32, kw: i32): usize {
  return <usize>((c + 7) >> 3) * 32 * <usize>((kh * kw + 1) >> 1);
}

// @ts-ignore: decorator
@inline function dwconv(mode: i32, input: usize, filter: usize, bias: usize, lanes: usize, out: usize, p: usize): void {
  const Wp = load<i32>(p, 4), C = load<i32>(p, 8), KH = load<i32>(p, 12), KW = load<i32>(p, 16);
  const sH = load<i32>(p, 20), sW = load<i32>(p, 24), dH = load<i32>(p, 28), dW = load<i32>(p, 32);
  const OH = load<i32>(p, 36), OW = load<i32>(p, 40);
  const zp = load<i32>(p, 44), lo = load<i32>(p, 48) - zp, hi = load<i32>(p, 52) - zp;
  const xor = i8x16.splat(<i8>load<i32>(p, 56));
  const taps = KH * KW;
  const pairs = (taps + 1) >> 1;
  const rowBytes = <usize>Wp * C;
  // Tap offsets once per call: divisions inside the pixel loop would cost more than the arithmetic.
  for (let t = 0; t < pairs * 2; t++) {
    const tt = t < taps ? t : taps - 1;
    store<i32>(tapOffsets + (<usize>t << 2), <i32>(<usize>((tt / KW) * dH) * rowBytes + <usize>((tt % KW) * dW) * C));
  }
  for (let c0 = 0; c0 < C; c0 += 8) {
    const w = filter + <usize>(c0 >> 3) * 32 * pairs;
    const lp = lanes + <usize>(c0 >> 3) * 160;
    const b0 = v128.load(bias + (<usize>c0 << 2)), b1 = v128.load(bias + (<usize>c0 << 2), 16);
    const nc = min(8, C - c0);
    for (let oy = 0; oy < OH; oy++) {
      let ox = 0;
      // Two output pixels at a time share the weight loads (about 20% faster than one).
      for (; ox + 1 < OW; ox += 2) {
        const base = input + <usize>(oy * sH) * rowBytes + <usize>(ox * sW) * C + c0;
        const step = <usize>sW * C;
        let a0 = b0, a1 = b1, e0 = b0, e1 = b1;
        for (let q = 0; q < pairs; q++) {
          const o0 = <usize>load<i32>(tapOffsets + (<usize>q << 3)), o1 = <usize>load<i32>(tapOffsets + (<usize>q << 3), 4);
          const wq = w + (<usize>q << 5);
          const wl = v128.load(wq), wh = v128.load(wq, 16);
          const x = interleave(base + o0, base + o1);
          const z = interleave(base + step + o0, base + step + o1);
          a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(x), wl));
          a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(x), wh));
          e0 = i32x4.add(e0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(z), wl));
          e1 = i32x4.add(e1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(z), wh));
        }
        store_pixel(mode, out + <usize>(oy * OW + ox) * C + c0, a0, a1, lp, zp, lo, hi, xor, nc);
        store_pixel(mode, out + <usize>(oy * OW + ox + 1) * C + c0, e0, e1, lp, zp, lo, hi, xor, nc);
      }
      if (ox < OW) {
        const base = input + <usize>(oy * sH) * rowBytes + <usize>(ox * sW) * C + c0;
        let a0 = b0, a1 = b1;
        for (let q = 0; q < pairs; q++) {
          const x = interleave(base + <usize>load<i32>(tapOffsets + (<usize>q << 3)), base + <usize>load<i32>(tapOffsets + (<usize>q << 3), 4));
          const wq = w + (<usize>q << 5);
          a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(x), v128.load(wq)));
          a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(x), v128.load(wq, 16)));
        }
        store_pixel(mode, out + <usize>(oy * OW + ox) * C + c0, a0, a1, lp, zp, lo, hi, xor, nc);
      }
    }
  }
}

export function s8_s8_dwconv_tflite_1x8_simd(input: usize, filter: usize, bias: usize, lanes: usize, out: usize, p: usize): void {
  dwconv(MODE_TFLITE, input, filter, bias, lanes, out, p);
}

/** ONNX QLinearConv semantics: lanes hold one float32 scale per channel (s_in * s_w / s_out). */
export function s8_s8_dwconv_fp32_1x8_simd(input: usize, filter: usize, bias: usize, lanes: usize, out: usize, p: usize): void {
  dwconv(MODE_FP32, input, filter, bias, lanes, out, p);
}
