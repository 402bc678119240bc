// Array forms of the requantization modes: n int32 accumulators in, n int32 results out (before the
// output stage). They expose the scalar and the SIMD form of each mode separately, so that the tests can hold
// both to the TypeScript reference bit for bit; the GEMM kernels inline the same functions.

import { requant, requant_x4, MODE_TFLITE, MODE_SINGLE, MODE_FP32 } from "./requant";

// @ts-ignore: decorator
@inline function scalar_n(mode: i32, n: i32, src: usize, dst: usize, param: i32, shift: i32): void {
  for (let i = 0; i < n; i++) {
    store<i32>(dst + (<usize>i << 2), requant(mode, load<i32>(src + (<usize>i << 2)), param, shift));
  }
}

// @ts-ignore: decorator
@inline function simd_n(mode: i32, n: i32, src: usize, dst: usize, param: i32, shift: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(dst + (<usize>i << 2), requant_x4(mode, v128.load(src + (<usize>i << 2)), param, shift));
  }
  scalar_n(mode, n - i, src + (<usize>i << 2), dst + (<usize>i << 2), param, shift);
}

export function s32_requant_tflite_scalar(n: i32, src: usize, dst: usize, m: i32, shift: i32): void {
  scalar_n(MODE_TFLITE, n, src, dst, m, shift);
}
export function s32_requant_tflite_simd(n: i32, src: usize, dst: usize, m: i32, shift: i32): void {
  simd_n(MODE_TFLITE, n, src, dst, m, shift);
}
export function s32_requant_single_scalar(n: i32, src: usize, dst: usize, m: i32, shift: i32): void {
  scalar_n(MODE_SINGLE, n, src, dst, m, shift);
}
export function s32_requant_single_simd(n: i32, src: usize, dst: usize, m: i32, shift: i32): void {
  simd_n(MODE_SINGLE, n, src, dst, m, shift);
}
/** `scale` is the float32 multiplier's bit pattern. */
export function s32_requant_fp32_scalar(n: i32, src: usize, dst: usize, scale: i32, unused: i32): void {
  scalar_n(MODE_FP32, n, src, dst, scale, unused);
}
export function s32_requant_fp32_simd(n: i32, src: usize, dst: usize, scale: i32, unused: i32): void {
  simd_n(MODE_FP32, n, src, dst, scale, unused);
}
