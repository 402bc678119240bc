// s16_s16_gemm_s32_4x8c2_simd: int16 x int16 -> int32 GEMM, 4 rows x 8 columns per tile, k in pairs, no bias,
// no requantization. The Winograd convolution's 16 products run on it (its transformed weights and inputs
// need more than 8 bits).
//
// A: M rows of K int16 (K even), row stride 2K bytes, rounded up to 4 rows (the rows past M are read, their
// contents do not matter, they are never stored). B: panels of 8 columns, [N/8][K/2][8][2] int16, columns
// past N zero. Per k-pair and row: one 32-bit splat of the activation pair; per 4 columns one 16-byte load
// and one `i32x4.dot_i16x8_s` (exact unless both pairs are -32768 * -32768, which the op's ranges exclude).
// Writes only the M x N output (row stride `outStride` int32).

import { store_2x_partial } from "./store";

export function s16_panel_bytes(k: i32): usize {
  return <usize>k * 16;
}

export function s16_s16_gemm_s32_4x8c2_simd(m: i32, n: i32, k: i32, a: usize, w: usize, out: usize, outStride: i32): void {
  const pairs = k >> 1;
  const rs = <usize>k << 1;
  const panelBytes = s16_panel_bytes(k);
  const rowBytes = <usize>outStride << 2;
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = w + <usize>(n0 >> 3) * panelBytes;
    const bytes = <usize>min(8, n - n0) << 2;
    for (let m0 = 0; m0 < m; m0 += 4) {
      let pa = a + <usize>m0 * rs, pw = panel;
      let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (let q = 0; q < pairs; q++) {
        const bl = v128.load(pw), bh = v128.load(pw, 16);
        const s0 = v128.load32_splat(pa), s1 = v128.load32_splat(pa + rs);
        const s2 = v128.load32_splat(pa + 2 * rs), s3 = v128.load32_splat(pa + 3 * rs);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(s0, bl)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(s0, bh));
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(s1, bl)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(s1, bh));
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(s2, bl)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(s2, bh));
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(s3, bl)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(s3, bh));
        pa += 4;
        pw += 32;
      }
      const dst = out + (<usize>m0 * outStride + n0) * 4;
      store_2x_partial(dst, c00, c01, bytes);
      if (m0 + 1 < m) store_2x_partial(dst + rowBytes, c10, c11, bytes);
      if (m0 + 2 < m) store_2x_partial(dst + 2 * rowBytes, c20, c21, bytes);
      if (m0 + 3 < m) store_2x_partial(dst + 3 * rowBytes, c30, c31, bytes);
    }
  }
}
