// The wasm module's exports: kernels and the arena. Nothing else lives here.
export { arena_base, arena_top, arena_alloc, arena_reset } from "./memory";
export { s8_packed_bytes, f32_packed_bytes, pack_w_s8_8c2, pack_a_s8_i16, pack_w_f32_8 } from "./gemm/pack";
export {
  s8_s8_gemm_s32_4x8c2_simd, s8_s8_gemm_tflite_4x8c2_simd, s8_s8_gemm_single_4x8c2_simd, s8_s8_gemm_fp32_4x8c2_simd,
} from "./gemm/s8-gemm-4x8c2";
export {
  s8_s8_gemv_s32_1x8c2_simd, s8_s8_gemv_tflite_1x8c2_simd, s8_s8_gemv_single_1x8c2_simd, s8_s8_gemv_fp32_1x8c2_simd,
} from "./gemm/s8-gemv-1x8c2";
export { f32_f32_gemm_minmax_4x8_simd } from "./gemm/f32-gemm-4x8";
export { f32_f32_gemv_minmax_1x8_simd } from "./gemm/f32-gemv-1x8";
export { s8_s8_dwconv_tflite_1x8_simd, s8_s8_dwconv_fp32_1x8_simd, dwconv_packed_bytes } from "./conv/s8-dwconv";
export { s8_add_tflite_1x1_scalar } from "./elementwise/s8-add";
export { s16_add_tflite_1x1_scalar } from "./elementwise/s16-add";
export { s16_s8_conv_tflite_1x1_scalar } from "./conv/s16-conv";
export { s8_im2col_i16 } from "./conv/im2col";
export { s8_pad_input_x8 } from "./conv/pad-input";
export { s8_leakyrelu_tflite_1x1_scalar, s16_leakyrelu_tflite_1x1_scalar } from "./elementwise/leaky-relu";
export {
  s32_requant_tflite_scalar, s32_requant_tflite_simd, s32_requant_single_scalar, s32_requant_single_simd,
  s32_requant_fp32_scalar, s32_requant_fp32_simd,
} from "./requant-array";
export { s16_s16_gemm_s32_4x8c2_simd, s16_panel_bytes } from "./gemm/s16-gemm-4x8c2";
export { s8_winograd_input_i16, s32_winograd_output_tflite, s32_winograd_output_fp32 } from "./conv/s8-winograd";
export { f32_qlinear_binary_table, u8_lookup2_x1, u8_lookup_x1 } from "./elementwise/qlinear-table";
export { x8_transpose_6d } from "./elementwise/transpose";
export { x8_qlinear_global_avg_pool } from "./elementwise/global-avg-pool";
export { x8_x16_pool_nhwc } from "./elementwise/pool";
export { f32_quantize_rows_i16, f32_quantize_rows_i8 } from "./gemm/group-pack";
export { s8_s4_gemm_f32_4x8c2_simd, s8_s8_gemm_f32_4x8c2_simd, group_packed_bytes } from "./gemm/s8-group-gemm-4x8c2";
export { s8_s4_gemv_f32_1x8c2_simd, s8_s8_gemv_f32_1x8c2_simd } from "./gemm/s8-group-gemv-1x8c2";
export { s8_n4_gemm_f32_4x2c16_simd, s8_n4_gemv_f32_1x2c16_simd } from "./gemm/s8-n4-gemm-4x2c16";
