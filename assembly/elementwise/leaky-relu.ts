// LEAKY_RELU for int8 and int16 (reference: tflite-micro kernels/internal/reference/leaky_relu.h,
// QuantizeLeakyRelu): x' = x - zp_in; y = zp_out + MBQM(x', identity) for x' >= 0, else MBQM(x', alpha);
// clamped to the type. MBQM is TFLite's double-rounding MultiplyByQuantizedMultiplier (requant.ts).
//
// Params (int32 at p): 0 zpIn 1 zpOut 2 mIdentity 3 sIdentity 4 mAlpha 5 sAlpha

import { requant_tflite } from "../requant";

// @ts-ignore: decorator
@inline function leaky(x: i32, p: usize, lo: i32, hi: i32): i32 {
  const v = x - load<i32>(p);
  const r = v >= 0 ? requant_tflite(v, load<i32>(p, 8), load<i32>(p, 12)) : requant_tflite(v, load<i32>(p, 16), load<i32>(p, 20));
  const y = r + load<i32>(p, 4);
  return y < lo ? lo : y > hi ? hi : y;
}

export function s8_leakyrelu_tflite_1x1_scalar(n: i32, x: usize, out: usize, p: usize): void {
  for (let i = 0; i < n; i++) store<i8>(out + i, <i8>leaky(<i32>load<i8>(x + i), p, -128, 127));
}

export function s16_leakyrelu_tflite_1x1_scalar(n: i32, x: usize, out: usize, p: usize): void {
  for (let i = 0; i < n; i++) {
    store<i16>(out + (<usize>i << 1), <i16>leaky(<i32>load<i16>(x + (<usize>i << 1)), p, -32768, 32767));
  }
}
