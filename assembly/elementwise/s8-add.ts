// s8_add_tflite_1x1_scalar: int8 ADD of two same-shape tensors with TFLite's integer arithmetic (reference:
// tflite-micro kernels/internal/reference/integer_ops/add.h, AddElementwise):
//   a' = MBQM((a - za) << left_shift, m1, s1); b' = MBQM((b - zb) << left_shift, m2, s2)
//   y  = clamp(MBQM(a' + b', m_out, s_out) + zy, qmin, qmax)
// with MBQM the double-rounding MultiplyByQuantizedMultiplier (requant.ts) and multipliers below one.
//
// Params (int32 at p): 0 za 1 zb 2 zy 3 leftShift 4 m1 5 s1 6 m2 7 s2 8 mOut 9 sOut 10 qmin 11 qmax

import { requant_tflite } from "../requant";

export function s8_add_tflite_1x1_scalar(n: i32, a: usize, b: usize, out: usize, p: usize): void {
  const za = load<i32>(p), zb = load<i32>(p, 4), zy = load<i32>(p, 8), left = load<i32>(p, 12);
  const m1 = load<i32>(p, 16), s1 = load<i32>(p, 20), m2 = load<i32>(p, 24), s2 = load<i32>(p, 28);
  const mo = load<i32>(p, 32), so = load<i32>(p, 36), qmin = load<i32>(p, 40), qmax = load<i32>(p, 44);
  for (let i = 0; i < n; i++) {
    const x = requant_tflite((<i32>load<i8>(a + i) - za) << left, m1, s1);
    const y = requant_tflite((<i32>load<i8>(b + i) - zb) << left, m2, s2);
    let r = requant_tflite(x + y, mo, so) + zy;
    r = r < qmin ? qmin : r > qmax ? qmax : r;
    store<i8>(out + i, <i8>r);
  }
}
