// s8_s4_gemm_f32_4x8c4_relaxed, s8_s4_gemv_f32_1x8c4_relaxed: the W4A8 linear of the group kernels
// (s8-group-gemm-4x8c2.ts) on relaxed SIMD's `i16x8.relaxed_dot_i8x16_i7x16_s`: one instruction multiplies
// 4 k of four columns (16 products) into int16 lanes (x86 without VNNI: one pmaddubsw). Only in the
// `relaxed` build.
//
// Bit-identical to the SIMD kernels: the relaxed dot is deterministic when its second operand is 7-bit
// (0..127), and the stored nibbles are 0..15; a lane's pair sum is at most 2 * 128 * 15 = 3840 in magnitude,
// so int16 lanes hold eight of them (32 k) exactly before they are widened into int32. The activations are int8
// (q - 128, or q when symmetric: f32_quantize_rows_i8) and the row's offset o = 128 - zp restores q - zp:
//   S = sum (a + o) (u - z) = sum a u - z * sum a + o * (sum u - z * L)
// with `sum a` the row's group sum, L the group's length (padded to 4) and t = sum u - z * L stored per
// column. The integer sums are exact, so S, and every float step after it, equal the SIMD build's.
//
// Panels, 8 columns, one block per group of G k (G a multiple of 4):
//
//   +-----------+-----------+-----------+---------+---------------------------------------------+
//   | f32 s[8]  | i32 z[8]  | i32 t[8]  | 32 pad  | 16 bytes per 4 k                            |
//   +-----------+-----------+-----------+---------+---------------------------------------------+
//   block bytes = 128 + 4 * G
//   byte b of the 4 k (k0 .. k3): low nibble = u[column b >> 2][k(b & 3)], high nibble = u[column 4 + (b >> 2)][k(b & 3)]
//   so `v & 15` and `v >> 4` are i7x16 operands for columns 0-3 and 4-7. With the row's four activations
//   splatted, int16 lane 2c holds column c's k0, k1 products and lane 2c + 1 its k2, k3 products;
//   `i32x4.extadd_pairwise_i16x8_s` adds the two into the column's int32.
//
// Contract as the SIMD kernels: A holds M rounded up to 4 rows (int8, row stride Ka = K rounded up to 4),
// sx, offsets and rowsums ([row][group]) as many; bias f32[N rounded up to 8] or 0.

import { tile_acc as facc, store_tile_f32, store_row_f32 } from "./group-output";

// @ts-ignore: decorator
@inline export function relaxed_block_bytes(g: i32): usize {
  return 128 + (<usize>g << 2);
}

// @ts-ignore: decorator
@inline function pairs16(a: v128, b: v128): v128 {
  return i16x8.relaxed_dot_i8x16_i7x16_s(a, b);
}

/** acc[row] += f32(D - z * rowsum + o * t) * s for one row's two vectors of columns. */
// @ts-ignore: decorator
@inline function scale_row(p: usize, lo: v128, hi: v128, blk: usize, rowsum: usize, offset: usize): void {
  const r = v128.load32_splat(rowsum), o = v128.load32_splat(offset);
  lo = i32x4.add(i32x4.sub(lo, i32x4.mul(r, v128.load(blk, 32))), i32x4.mul(o, v128.load(blk, 64)));
  hi = i32x4.add(i32x4.sub(hi, i32x4.mul(r, v128.load(blk, 48))), i32x4.mul(o, v128.load(blk, 80)));
  v128.store(p, f32x4.add(v128.load(p), f32x4.mul(f32x4.convert_i32x4_s(lo), v128.load(blk))));
  v128.store(p, f32x4.add(v128.load(p, 16), f32x4.mul(f32x4.convert_i32x4_s(hi), v128.load(blk, 16))), 16);
}

export function s8_s4_gemm_f32_4x8c4_relaxed(
  m: i32, n: i32, k: i32, g: i32, a: usize, rowsums: usize, offsets: usize, w: usize, sx: usize, bias: usize, out: usize, outStride: i32,
): void {
  const ka = (k + 3) & ~3;
  const rs = <usize>ka;
  const groups = (k + g - 1) / g;
  const blockBytes = relaxed_block_bytes(g);
  const panelBytes = <usize>groups * blockBytes;
  const nibble = i8x16.splat(15);
  const zero = f32x4.splat(0);
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = w + <usize>(n0 >> 3) * panelBytes;
    const nc = min(8, n - n0);
    for (let m0 = 0; m0 < m; m0 += 4) {
      for (let i: usize = 0; i < 128; i += 16) v128.store(facc + i, zero);
      let pa = a + <usize>m0 * rs;
      const rowStep: usize = <usize>groups << 2;
      for (let gi = 0; gi < groups; gi++) {
        const blk = panel + <usize>gi * blockBytes;
        const quads = min(g, ka - gi * g) >> 2;
        let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        let pw = blk + 128;
        for (let q0 = 0; q0 < quads; q0 += 8) {
          // Up to 8 quads (32 k) in int16 lanes, then widened.
          let h00 = i16x8.splat(0), h01 = h00, h10 = h00, h11 = h00, h20 = h00, h21 = h00, h30 = h00, h31 = h00;
          const qe = min(quads, q0 + 8);
          for (let q = q0; q < qe; q++) {
            const v = v128.load(pw);
            const bl = v128.and(v, nibble), bh = i8x16.shr_u(v, 4);
            const s0 = v128.load32_splat(pa), s1 = v128.load32_splat(pa + rs);
            const s2 = v128.load32_splat(pa + 2 * rs), s3 = v128.load32_splat(pa + 3 * rs);
            h00 = i16x8.add(h00, pairs16(s0, bl)); h01 = i16x8.add(h01, pairs16(s0, bh));
            h10 = i16x8.add(h10, pairs16(s1, bl)); h11 = i16x8.add(h11, pairs16(s1, bh));
            h20 = i16x8.add(h20, pairs16(s2, bl)); h21 = i16x8.add(h21, pairs16(s2, bh));
            h30 = i16x8.add(h30, pairs16(s3, bl)); h31 = i16x8.add(h31, pairs16(s3, bh));
            pa += 4;
            pw += 16;
          }
          c00 = i32x4.add(c00, i32x4.extadd_pairwise_i16x8_s(h00)); c01 = i32x4.add(c01, i32x4.extadd_pairwise_i16x8_s(h01));
          c10 = i32x4.add(c10, i32x4.extadd_pairwise_i16x8_s(h10)); c11 = i32x4.add(c11, i32x4.extadd_pairwise_i16x8_s(h11));
          c20 = i32x4.add(c20, i32x4.extadd_pairwise_i16x8_s(h20)); c21 = i32x4.add(c21, i32x4.extadd_pairwise_i16x8_s(h21));
          c30 = i32x4.add(c30, i32x4.extadd_pairwise_i16x8_s(h30)); c31 = i32x4.add(c31, i32x4.extadd_pairwise_i16x8_s(h31));
        }
        const r0 = rowsums + ((<usize>m0 * groups + gi) << 2), o0 = offsets + (<usize>m0 << 2);
        scale_row(facc, c00, c01, blk, r0, o0);
        scale_row(facc + 32, c10, c11, blk, r0 + rowStep, o0 + 4);
        scale_row(facc + 64, c20, c21, blk, r0 + 2 * rowStep, o0 + 8);
        scale_row(facc + 96, c30, c31, blk, r0 + 3 * rowStep, o0 + 12);
      }
      store_tile_f32(m, m0, n0, nc, sx, bias, out, outStride);
    }
  }
}

export function s8_s4_gemv_f32_1x8c4_relaxed(
  n: i32, k: i32, g: i32, a: usize, rowsums: usize, offsets: usize, w: usize, sx: f32, bias: usize, out: usize,
): void {
  const ka = (k + 3) & ~3;
  const groups = (k + g - 1) / g;
  const blockBytes = relaxed_block_bytes(g);
  const panelBytes = <usize>groups * blockBytes;
  const nibble = i8x16.splat(15);
  const vsx = f32x4.splat(sx);
  const o = v128.load32_splat(offsets);
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = w + <usize>(n0 >> 3) * panelBytes;
    let f0 = f32x4.splat(0), f1 = f0;
    let pa = a;
    for (let gi = 0; gi < groups; gi++) {
      const blk = panel + <usize>gi * blockBytes;
      let c0 = i32x4.splat(0), c1 = c0;
      let pw = blk + 128;
      const quads = min(g, ka - gi * g) >> 2;
      for (let q0 = 0; q0 < quads; q0 += 16) {
        // Two chains of int16 lanes (even and odd quads), up to 8 quads each, then widened.
        let h0 = i16x8.splat(0), h1 = h0, e0 = h0, e1 = h0;
        const qe = min(quads, q0 + 16);
        let q = q0;
        for (; q + 1 < qe; q += 2) {
          const v = v128.load(pw), u = v128.load(pw, 16);
          const s = v128.load32_splat(pa), t = v128.load32_splat(pa, 4);
          h0 = i16x8.add(h0, pairs16(s, v128.and(v, nibble))); h1 = i16x8.add(h1, pairs16(s, i8x16.shr_u(v, 4)));
          e0 = i16x8.add(e0, pairs16(t, v128.and(u, nibble))); e1 = i16x8.add(e1, pairs16(t, i8x16.shr_u(u, 4)));
          pa += 8;
          pw += 32;
        }
        if (q < qe) {
          const v = v128.load(pw), s = v128.load32_splat(pa);
          h0 = i16x8.add(h0, pairs16(s, v128.and(v, nibble))); h1 = i16x8.add(h1, pairs16(s, i8x16.shr_u(v, 4)));
          pa += 4;
          pw += 16;
        }
        c0 = i32x4.add(c0, i32x4.add(i32x4.extadd_pairwise_i16x8_s(h0), i32x4.extadd_pairwise_i16x8_s(e0)));
        c1 = i32x4.add(c1, i32x4.add(i32x4.extadd_pairwise_i16x8_s(h1), i32x4.extadd_pairwise_i16x8_s(e1)));
      }
      const r = v128.load32_splat(rowsums + (<usize>gi << 2));
      c0 = i32x4.add(i32x4.sub(c0, i32x4.mul(r, v128.load(blk, 32))), i32x4.mul(o, v128.load(blk, 64)));
      c1 = i32x4.add(i32x4.sub(c1, i32x4.mul(r, v128.load(blk, 48))), i32x4.mul(o, v128.load(blk, 80)));
      f0 = f32x4.add(f0, f32x4.mul(f32x4.convert_i32x4_s(c0), v128.load(blk)));
      f1 = f32x4.add(f1, f32x4.mul(f32x4.convert_i32x4_s(c1), v128.load(blk, 16)));
    }
    store_row_f32(f0, f1, vsx, n0, min(8, n - n0), bias, out);
  }
}
