// s16_s8_conv_tflite_1x1_scalar: the TFLite 16x8 convolution, NHWC: int16 activations (zero point 0),
// int8 per-channel weights, int64 bias and accumulator, TFLite's int64 requantization (requant_tflite_i64).
// Reference: tflite-micro kernels/internal/reference/integer_ops/conv.h, ConvPerChannel with int64 accumulation.
// Direct convolution, one output at a time; taps outside the image contribute nothing.
//
// Params (int32 at p): 0 H 1 W 2 Cin 3 Cout 4 KH 5 KW 6 strideH 7 strideW 8 dilationH 9 dilationW
//   10 padTop 11 padLeft 12 OH 13 OW 14 outZp 15 qmin 16 qmax
// Filter int8 [Cout][KH][KW][Cin]; bias int64 [Cout]; rq (multiplier, shift) per output channel.

import { requant_tflite_i64 } from "../requant";

export function s16_s8_conv_tflite_1x1_scalar(input: usize, filter: usize, bias: usize, rq: usize, out: usize, p: usize): void {
  const H = load<i32>(p), W = load<i32>(p, 4), Cin = load<i32>(p, 8), Cout = load<i32>(p, 12);
  const KH = load<i32>(p, 16), KW = load<i32>(p, 20), sH = load<i32>(p, 24), sW = load<i32>(p, 28);
  const dH = load<i32>(p, 32), dW = load<i32>(p, 36), padT = load<i32>(p, 40), padL = load<i32>(p, 44);
  const OH = load<i32>(p, 48), OW = load<i32>(p, 52), zp = load<i32>(p, 56), qmin = load<i32>(p, 60), qmax = load<i32>(p, 64);
  let dst = out;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let oc = 0; oc < Cout; oc++) {
        let acc = load<i64>(bias + (<usize>oc << 3));
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * sH - padT + ky * dH;
          if (<u32>iy >= <u32>H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * sW - padL + kx * dW;
            if (<u32>ix >= <u32>W) continue;
            const src = input + (<usize>(iy * W + ix) * Cin << 1);
            const w = filter + <usize>((oc * KH + ky) * KW + kx) * Cin;
            let part: i64 = 0;
            for (let ic = 0; ic < Cin; ic++) part += <i64>(<i32>load<i16>(src + (<usize>ic << 1)) * <i32>load<i8>(w + ic));
            acc += part;
          }
        }
        const q = rq + (<usize>oc << 3);
        const r = <i64>requant_tflite_i64(acc, load<i32>(q), load<i32>(q, 4)) + zp;
        store<i16>(dst, <i16>(r < qmin ? qmin : r > qmax ? qmax : <i32>r));
        dst += 2;
      }
    }
  }
}
