// The `relaxed` build (DESIGN.md §4): every export of the SIMD build plus the kernels that use relaxed SIMD.
// Loaded only after a known-answer probe (src/runtime/runtime.ts); results equal the SIMD build's.
export * from "./index";
export { s8_s4_gemm_f32_4x8c4_relaxed, s8_s4_gemv_f32_1x8c4_relaxed } from "./gemm/s8-s4-group-relaxed";
