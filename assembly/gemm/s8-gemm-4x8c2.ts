// s8_s8_gemm_<requant>_4x8c2_simd: int8 x int8 -> int32 GEMM, 4 rows x 8 columns per tile, k in pairs.
//
// A is int16 (pack_a_s8_i16), B is packed int8 panels with the folded bias in front (pack_w_s8_8c2).
// Per k-pair and row: one 32-bit splat of the activation pair, and per 4 columns one sign-extending 8-byte
// load and one `i32x4.dot_i16x8_s`. The eight accumulators hold rows x 4 adjacent columns.
//
// Contract: A holds M rounded up to 4 rows (the rows past M are read, their contents do not matter, and they
// are never stored); columns past N are zero in the panel and are not stored. The kernel writes only the
// M x N output (row stride `outStride` elements).
//
// Epilogue: the weight zero points (uint8 or asymmetric weights) subtract rowsum[i] * wzp[j]; then either
// the int32 result is stored (`s32`), or it is requantized (requant.ts), clamped and narrowed to int8 (xor
// 0x80 for uint8 output). When a panel's eight channels share one multiplier and shift (per-tensor
// quantization) the row vectors are requantized as they are. Per-channel TFLite requantization uses the
// per-lane form (requant_tflite_lanes: each row vector holds four adjacent channels, the lanes' multipliers
// and shifts pre-splatted at load) when rq carries lane parameters; otherwise each 4x4 block is transposed so
// that one vector holds one channel, requantized with that channel's scalars, and transposed back.
//
// rq: per column j (N rounded up to 8 = N8), two int32 at rq + 8j: the multiplier (or f32 scale bits) and
// shift. Mode tflite may add, at rq + 8 * N8, a header [LANES_MAGIC, variant, rmax, 0] and then 64 int32 of
// lane parameters per panel of eight columns (src/quant/lane-multipliers.ts); without the magic the header
// bytes are the block's padding, which the memory contract lets a kernel read.

import { MODE_TFLITE, MODE_SINGLE, MODE_FP32, requant_x4, output_stage_x4, uniform_params } from "../requant";
import { s8_panel_bytes } from "./pack";
import { store_2x_partial, store_1x8_partial } from "./store";
import { store_pixel, LEFT, NARROW } from "../conv/lane-output";

/** Marks lane parameters after rq (the int32 "LANE"). */
const LANES_MAGIC: i32 = 0x454e414c;

/** Mode for int32 output without requantization. */
const MODE_S32: i32 = 3;

/** One row of 8 int32 to an int32 output row, `nc` of them. */
// @ts-ignore: decorator
@inline function store_row_s32(dst: usize, lo: v128, hi: v128, nc: i32): void {
  store_2x_partial(dst, lo, hi, <usize>nc << 2);
}

/** One row of 8 requantized lanes (already within [qmin, qmax]) to an int8 output row, `nc` of them. */
// @ts-ignore: decorator
@inline function store_row_s8(dst: usize, lo: v128, hi: v128, xor: v128, nc: i32): void {
  store_1x8_partial(dst, v128.xor(i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(lo, hi), i16x8.splat(0)), xor), <usize>nc);
}

/** Transposes a 4x4 block of int32 given as four rows; returns it as four columns through `out`. */
// @ts-ignore: decorator
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, out: usize): void {
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<i32>(t0, t1, 0, 1, 4, 5));
  v128.store(out, v128.shuffle<i32>(t0, t1, 2, 3, 6, 7), 16);
  v128.store(out, v128.shuffle<i32>(t2, t3, 0, 1, 4, 5), 32);
  v128.store(out, v128.shuffle<i32>(t2, t3, 2, 3, 6, 7), 48);
}

// @ts-ignore: decorator
@lazy const block: usize = memory.data(128, 16);

/** Requantizes four channels (columns) of a 4x4 block in place at `block + off`. */
// @ts-ignore: decorator
@inline function requant_block(mode: i32, off: usize, rq: usize, zp: i32, lo: i32, hi: i32): void {
  for (let c: usize = 0; c < 4; c++) {
    const p = block + off + (c << 4);
    const q = rq + (c << 3);
    v128.store(p, output_stage_x4(requant_x4(mode, v128.load(p), load<i32>(q), load<i32>(q, 4)), zp, lo, hi));
  }
}

/** Four rows of eight channels through the per-lane TFLite requantization, one variant (compile-time). */
// @ts-ignore: decorator
@inline function store_rows_lanes(
  variant: i32, rmax: i32, dst: usize, rowBytes: usize, rows: i32, lp: usize, zp: v128, lo: v128, hi: v128, xor: v128, nc: i32,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
): void {
  store_pixel(MODE_TFLITE, variant, rmax, dst, c00, c01, lp, zp, lo, hi, xor, nc);
  if (rows > 1) store_pixel(MODE_TFLITE, variant, rmax, dst + rowBytes, c10, c11, lp, zp, lo, hi, xor, nc);
  if (rows > 2) store_pixel(MODE_TFLITE, variant, rmax, dst + 2 * rowBytes, c20, c21, lp, zp, lo, hi, xor, nc);
  if (rows > 3) store_pixel(MODE_TFLITE, variant, rmax, dst + 3 * rowBytes, c30, c31, lp, zp, lo, hi, xor, nc);
}

// @ts-ignore: decorator
@inline function gemm_4x8c2(
  mode: i32, m: i32, n: i32, k: i32, a: usize, w: usize, rq: usize, rowsums: usize, wzp: usize,
  out: usize, outStride: i32, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  const kp = (k + 1) & ~1;
  const rs = <usize>kp << 1;
  const pairs = kp >> 1;
  const panelBytes = s8_panel_bytes(k);
  const esize: usize = mode == MODE_S32 ? 4 : 1;
  const vxor = i8x16.splat(<i8>xor);
  const lo = qmin - zp, hi = qmax - zp;
  // Per-lane parameters after rq (mode tflite, per channel), with their variant and largest right shift.
  const header = rq + (<usize>((n + 7) & ~7) << 3);
  const lanes = mode == MODE_TFLITE && load<i32>(header) == LANES_MAGIC;
  const variant = lanes ? load<i32>(header, 4) : 0, rmax = lanes ? load<i32>(header, 8) : 0;
  const zp16 = i16x8.splat(<i16>zp), lo8 = i8x16.splat(<i8>qmin), hi8 = i8x16.splat(<i8>qmax);
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = w + <usize>(n0 >> 3) * panelBytes;
    const nc = min(8, n - n0);
    const bias0 = v128.load(panel), bias1 = v128.load(panel, 16);
    // Per-tensor quantization (or equal channels): one multiplier and shift for the whole panel, no transposes.
    const q = rq + (<usize>n0 << 3);
    const uniform = mode != MODE_S32 && uniform_params(q);
    const param = load<i32>(q), shift = load<i32>(q, 4);
    for (let m0 = 0; m0 < m; m0 += 4) {
      // Rows past M read the padding rows of A (see the contract above) and are never stored.
      let pa = a + <usize>m0 * rs;
      let c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1;
      let c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
      let pw = panel + 32;
      // This exact shape (all loads first, one moving activation pointer) is what V8 compiles best: keeping
      // four row pointers, or unrolling by two, costs 10-40% here.
      for (let q = 0; q < pairs; q++) {
        const bl = v128.load8x8_s(pw), bh = v128.load8x8_s(pw, 8);
        const s0 = v128.load32_splat(pa), s1 = v128.load32_splat(pa + rs);
        const s2 = v128.load32_splat(pa + 2 * rs), s3 = v128.load32_splat(pa + 3 * rs);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(s0, bl)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(s0, bh));
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(s1, bl)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(s1, bh));
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(s2, bl)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(s2, bh));
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(s3, bl)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(s3, bh));
        pa += 4;
        pw += 16;
      }
      if (rowsums != 0) {
        const z0 = v128.load(wzp + (<usize>n0 << 2)), z1 = v128.load(wzp + (<usize>n0 << 2), 16);
        const r0 = rowsums + (<usize>m0 << 2);
        let s = v128.load32_splat(r0);
        c00 = i32x4.sub(c00, i32x4.mul(s, z0)); c01 = i32x4.sub(c01, i32x4.mul(s, z1));
        s = v128.load32_splat(m0 + 1 < m ? r0 + 4 : r0);
        c10 = i32x4.sub(c10, i32x4.mul(s, z0)); c11 = i32x4.sub(c11, i32x4.mul(s, z1));
        s = v128.load32_splat(m0 + 2 < m ? r0 + 8 : r0);
        c20 = i32x4.sub(c20, i32x4.mul(s, z0)); c21 = i32x4.sub(c21, i32x4.mul(s, z1));
        s = v128.load32_splat(m0 + 3 < m ? r0 + 12 : r0);
        c30 = i32x4.sub(c30, i32x4.mul(s, z0)); c31 = i32x4.sub(c31, i32x4.mul(s, z1));
      }
      if (uniform) {
        c00 = output_stage_x4(requant_x4(mode, c00, param, shift), zp, lo, hi);
        c01 = output_stage_x4(requant_x4(mode, c01, param, shift), zp, lo, hi);
        c10 = output_stage_x4(requant_x4(mode, c10, param, shift), zp, lo, hi);
        c11 = output_stage_x4(requant_x4(mode, c11, param, shift), zp, lo, hi);
        c20 = output_stage_x4(requant_x4(mode, c20, param, shift), zp, lo, hi);
        c21 = output_stage_x4(requant_x4(mode, c21, param, shift), zp, lo, hi);
        c30 = output_stage_x4(requant_x4(mode, c30, param, shift), zp, lo, hi);
        c31 = output_stage_x4(requant_x4(mode, c31, param, shift), zp, lo, hi);
      } else if (lanes) {
        // Each row vector is four channels: requantize per lane, add the zero point, clamp and store here.
        const dst = out + <usize>m0 * outStride + n0, rowBytes = <usize>outStride;
        const lp = header + 16 + (<usize>(n0 >> 3) << 8), rows = min(4, m - m0);
        if (variant == NARROW) store_rows_lanes(NARROW, rmax, dst, rowBytes, rows, lp, zp16, lo8, hi8, vxor, nc, c00, c01, c10, c11, c20, c21, c30, c31);
        else if (variant == (NARROW | LEFT)) store_rows_lanes(NARROW | LEFT, rmax, dst, rowBytes, rows, lp, zp16, lo8, hi8, vxor, nc, c00, c01, c10, c11, c20, c21, c30, c31);
        else if (variant == LEFT) store_rows_lanes(LEFT, rmax, dst, rowBytes, rows, lp, zp16, lo8, hi8, vxor, nc, c00, c01, c10, c11, c20, c21, c30, c31);
        else store_rows_lanes(0, rmax, dst, rowBytes, rows, lp, zp16, lo8, hi8, vxor, nc, c00, c01, c10, c11, c20, c21, c30, c31);
        continue;
      } else if (mode != MODE_S32) {
        // Channels are columns: transpose so that each vector is one channel, requantize, transpose back.
        transpose4(c00, c10, c20, c30, block);
        transpose4(c01, c11, c21, c31, block + 64);
        requant_block(mode, 0, q, zp, lo, hi);
        requant_block(mode, 64, q + 32, zp, lo, hi);
        transpose4(v128.load(block), v128.load(block, 16), v128.load(block, 32), v128.load(block, 48), block);
        transpose4(v128.load(block, 64), v128.load(block, 80), v128.load(block, 96), v128.load(block, 112), block + 64);
        c00 = v128.load(block); c10 = v128.load(block, 16); c20 = v128.load(block, 32); c30 = v128.load(block, 48);
        c01 = v128.load(block, 64); c11 = v128.load(block, 80); c21 = v128.load(block, 96); c31 = v128.load(block, 112);
      }
      const dst0 = out + (<usize>m0 * outStride + n0) * esize;
      const rowBytes = <usize>outStride * esize;
      if (mode == MODE_S32) {
        store_row_s32(dst0, c00, c01, nc);
        if (m0 + 1 < m) store_row_s32(dst0 + rowBytes, c10, c11, nc);
        if (m0 + 2 < m) store_row_s32(dst0 + 2 * rowBytes, c20, c21, nc);
        if (m0 + 3 < m) store_row_s32(dst0 + 3 * rowBytes, c30, c31, nc);
      } else {
        store_row_s8(dst0, c00, c01, vxor, nc);
        if (m0 + 1 < m) store_row_s8(dst0 + rowBytes, c10, c11, vxor, nc);
        if (m0 + 2 < m) store_row_s8(dst0 + 2 * rowBytes, c20, c21, vxor, nc);
        if (m0 + 3 < m) store_row_s8(dst0 + 3 * rowBytes, c30, c31, vxor, nc);
      }
    }
  }
}

/** int32 output (ONNX MatMulInteger): zp, qmin, qmax and xor are ignored. */
export function s8_s8_gemm_s32_4x8c2_simd(
  m: i32, n: i32, k: i32, a: usize, w: usize, rq: usize, rowsums: usize, wzp: usize,
  out: usize, outStride: i32, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  gemm_4x8c2(MODE_S32, m, n, k, a, w, rq, rowsums, wzp, out, outStride, zp, qmin, qmax, xor);
}

export function s8_s8_gemm_tflite_4x8c2_simd(
  m: i32, n: i32, k: i32, a: usize, w: usize, rq: usize, rowsums: usize, wzp: usize,
  out: usize, outStride: i32, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  gemm_4x8c2(MODE_TFLITE, m, n, k, a, w, rq, rowsums, wzp, out, outStride, zp, qmin, qmax, xor);
}

export function s8_s8_gemm_single_4x8c2_simd(
  m: i32, n: i32, k: i32, a: usize, w: usize, rq: usize, rowsums: usize, wzp: usize,
  out: usize, outStride: i32, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  gemm_4x8c2(MODE_SINGLE, m, n, k, a, w, rq, rowsums, wzp, out, outStride, zp, qmin, qmax, xor);
}

export function s8_s8_gemm_fp32_4x8c2_simd(
  m: i32, n: i32, k: i32, a: usize, w: usize, rq: usize, rowsums: usize, wzp: usize,
  out: usize, outStride: i32, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  gemm_4x8c2(MODE_FP32, m, n, k, a, w, rq, rowsums, wzp, out, outStride, zp, qmin, qmax, xor);
}
