// s16_add_tflite_1x1_scalar: int16 ADD with general scales (TFLite ADD with pot_scale_int16 = false): the int8
// arithmetic of s8-add.ts with a left shift of 15 (reference: tflite-micro kernels/internal/reference/add.h,
// general-scale int16 path; parameters from kernels/add_common.cc). Same params block as s8_add.

import { requant_tflite } from "../requant";

export function s16_add_tflite_1x1_scalar(n: i32, a: usize, b: usize, out: usize, p: usize): void {
  const za = load<i32>(p), zb = load<i32>(p, 4), zy = load<i32>(p, 8), left = load<i32>(p, 12);
  const m1 = load<i32>(p, 16), s1 = load<i32>(p, 20), m2 = load<i32>(p, 24), s2 = load<i32>(p, 28);
  const mo = load<i32>(p, 32), so = load<i32>(p, 36), qmin = load<i32>(p, 40), qmax = load<i32>(p, 44);
  for (let i = 0; i < n; i++) {
    const x = requant_tflite((<i32>load<i16>(a + (<usize>i << 1)) - za) << left, m1, s1);
    const y = requant_tflite((<i32>load<i16>(b + (<usize>i << 1)) - zb) << left, m2, s2);
    let r = requant_tflite(x + y, mo, so) + zy;
    r = r < qmin ? qmin : r > qmax ? qmax : r;
    store<i16>(out + (<usize>i << 1), <i16>r);
  }
}
