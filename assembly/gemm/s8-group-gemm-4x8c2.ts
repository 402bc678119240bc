// s8_s4_gemm_f32_4x8c2_simd, s8_s8_gemm_f32_4x8c2_simd: dynamically quantized activations (int16 rows of
// q - zp, one float scale per row) times group-wise int4 or int8 weights (group-pack.ts), float32 output.
//
// Per group, exact int32 sums of (q - zp) * (w - z) over the group's k (computed as sum (q - zp) * w minus
// z * sum (q - zp), the row sums coming with the activations; 0 for no weight zero points); then, in float32:
//   acc[i][j] = acc[i][j] + f32(sum) * s[g][j]        (groups in order, acc starting at 0)
//   y[i][j]   = acc[i][j] * sx[i] + bias[j]            (bias 0 when absent)
// Every step is one rounded float32 operation (wasm has no fused multiply-add), so the plain-loop reference
// and every engine give the same bits.
//
// 4-bit weights are unpacked in registers: one zero-extending 8-byte load is a k-pair of eight columns as
// i16x8, `>> 4` gives columns 4-7 and the rest columns 0-3, the operands of `i32x4.dot_i16x8_s`. The inner loop
// is otherwise the int8 GEMM's (s8-gemm-4x8c2.ts).
//
// Contract: A holds M rounded up to 4 rows, sx and rowsums ([row][group]) as many (rows past M are read,
// never stored);
// `bias` is f32[N rounded up to 8] or 0; the kernel writes only the M x N output (row stride `outStride`).

import { tile_acc as facc, store_tile_f32 } from "./group-output";

/** Bytes of one group block of a panel (group-pack.ts). */
// @ts-ignore: decorator
@inline export function group_block_bytes(g: i32, bits: i32): usize {
  return 64 + <usize>g * bits;
}

/** Bytes of the packed weights of a K x N matrix in groups of `g` (the last one may be partial). */
export function group_packed_bytes(k: i32, n: i32, g: i32, bits: i32): usize {
  const groups = (k + g - 1) / g;
  return <usize>((n + 7) >> 3) * <usize>groups * group_block_bytes(g, bits);
}

// @ts-ignore: decorator
@inline function dot(acc: v128, a: v128, b: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(a, b));
}

/** acc[row] += f32(sum - rowsum * z) * s for one row's two vectors of columns. */
// @ts-ignore: decorator
@inline function scale_row(p: usize, lo: v128, hi: v128, rowsum: usize, zl: v128, zh: v128, sl: v128, sh: v128): void {
  if (rowsum != 0) {
    const r = v128.load32_splat(rowsum);
    lo = i32x4.sub(lo, i32x4.mul(r, zl));
    hi = i32x4.sub(hi, i32x4.mul(r, zh));
  }
  v128.store(p, f32x4.add(v128.load(p), f32x4.mul(f32x4.convert_i32x4_s(lo), sl)));
  v128.store(p, f32x4.add(v128.load(p, 16), f32x4.mul(f32x4.convert_i32x4_s(hi), sh)), 16);
}

// @ts-ignore: decorator
@inline function group_gemm_4x8c2(
  bits: i32, m: i32, n: i32, k: i32, g: i32, a: usize, rowsums: usize, w: usize, sx: usize, bias: usize, out: usize, outStride: i32,
): void {
  const ka = (k + 1) & ~1;
  const rs = <usize>ka << 1;
  const groups = (k + g - 1) / g;
  const blockBytes = group_block_bytes(g, bits);
  const panelBytes = <usize>groups * blockBytes;
  const zero = f32x4.splat(0);
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = w + <usize>(n0 >> 3) * panelBytes;
    const nc = min(8, n - n0);
    for (let m0 = 0; m0 < m; m0 += 4) {
      for (let i: usize = 0; i < 128; i += 16) v128.store(facc + i, zero);
      let pa = a + <usize>m0 * rs;
      for (let gi = 0; gi < groups; gi++) {
        const blk = panel + <usize>gi * blockBytes;
        const pairs = min(g, ka - gi * g) >> 1;
        let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        let pw = blk + 64;
        // One k-pair per step, loads first: the int8 GEMM's loop shape (s8-gemm-4x8c2.ts), which V8 compiles best.
        for (let q = 0; q < pairs; q++) {
          let bl: v128, bh: v128;
          if (bits == 4) {
            const v = v128.load8x8_u(pw);
            // v - (hi << 4) rather than v & 15: no mask constant to hold in a register (measured ~20% faster).
            bh = i16x8.shr_u(v, 4);
            bl = i16x8.sub(v, i16x8.shl(bh, 4));
          } else {
            bl = v128.load8x8_s(pw);
            bh = v128.load8x8_s(pw, 8);
          }
          const s0 = v128.load32_splat(pa), s1 = v128.load32_splat(pa + rs);
          const s2 = v128.load32_splat(pa + 2 * rs), s3 = v128.load32_splat(pa + 3 * rs);
          c00 = dot(c00, s0, bl); c01 = dot(c01, s0, bh); c10 = dot(c10, s1, bl); c11 = dot(c11, s1, bh);
          c20 = dot(c20, s2, bl); c21 = dot(c21, s2, bh); c30 = dot(c30, s3, bl); c31 = dot(c31, s3, bh);
          pa += 4;
          pw += bits * 2;
        }
        const sl = v128.load(blk), sh = v128.load(blk, 16);
        const zl = v128.load(blk, 32), zh = v128.load(blk, 48);
        // Row sums of rows past M are read from the padding like their activations, and never stored.
        const r0 = rowsums != 0 ? rowsums + ((<usize>m0 * groups + gi) << 2) : 0;
        const rstep: usize = <usize>groups << 2;
        scale_row(facc, c00, c01, r0, zl, zh, sl, sh);
        scale_row(facc + 32, c10, c11, r0 != 0 ? r0 + rstep : 0, zl, zh, sl, sh);
        scale_row(facc + 64, c20, c21, r0 != 0 ? r0 + 2 * rstep : 0, zl, zh, sl, sh);
        scale_row(facc + 96, c30, c31, r0 != 0 ? r0 + 3 * rstep : 0, zl, zh, sl, sh);
      }
      store_tile_f32(m, m0, n0, nc, sx, bias, out, outStride);
    }
  }
}

export function s8_s4_gemm_f32_4x8c2_simd(
  m: i32, n: i32, k: i32, g: i32, a: usize, rowsums: usize, w: usize, sx: usize, bias: usize, out: usize, outStride: i32,
): void {
  group_gemm_4x8c2(4, m, n, k, g, a, rowsums, w, sx, bias, out, outStride);
}

export function s8_s8_gemm_f32_4x8c2_simd(
  m: i32, n: i32, k: i32, g: i32, a: usize, rowsums: usize, w: usize, sx: usize, bias: usize, out: usize, outStride: i32,
): void {
  group_gemm_4x8c2(8, m, n, k, g, a, rowsums, w, sx, bias, out, outStride);
}
