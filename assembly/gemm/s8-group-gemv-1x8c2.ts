// s8_s4_gemv_f32_1x8c2_simd, s8_s8_gemv_f32_1x8c2_simd: one dynamically quantized activation row times
// group-wise int4 or int8 weights, float32 output (M = 1: a language model's decode step).
//
// Same packed panels (group-pack.ts) and the same arithmetic, in the same float order, as the GEMM
// (s8-group-gemm-4x8c2.ts), so M = 1 through either kernel gives the same bits. Without row blocking the
// weights stream from memory once; the two k-pairs of a unit go to independent accumulators.

import { group_block_bytes } from "./s8-group-gemm-4x8c2";
import { store_row_f32 } from "./group-output";

// @ts-ignore: decorator
@inline function dot(acc: v128, a: v128, b: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(a, b));
}

// @ts-ignore: decorator
@inline function group_gemv_1x8c2(bits: i32, n: i32, k: i32, g: i32, a: usize, rowsums: usize, w: usize, sx: f32, bias: usize, out: usize): void {
  const ka = (k + 1) & ~1;
  const groups = (k + g - 1) / g;
  const blockBytes = group_block_bytes(g, bits);
  const panelBytes = <usize>groups * blockBytes;
  const vsx = f32x4.splat(sx);
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = w + <usize>(n0 >> 3) * panelBytes;
    let f0 = f32x4.splat(0), f1 = f0;
    let pa = a;
    for (let gi = 0; gi < groups; gi++) {
      const blk = panel + <usize>gi * blockBytes;
      let c0 = i32x4.splat(0), c1 = c0, d0 = c0, d1 = c0;
      let pw = blk + 64;
      const pairs = min(g, ka - gi * g) >> 1;
      const end = pa + (<usize>(pairs & ~1) << 2);
      while (pa < end) {
        const s = v128.load32_splat(pa), t = v128.load32_splat(pa, 4);
        if (bits == 4) {
          const v = v128.load8x8_u(pw), e = v128.load8x8_u(pw, 8);
          const vh = i16x8.shr_u(v, 4), eh = i16x8.shr_u(e, 4);
          c0 = dot(c0, s, i16x8.sub(v, i16x8.shl(vh, 4)));
          c1 = dot(c1, s, vh);
          d0 = dot(d0, t, i16x8.sub(e, i16x8.shl(eh, 4)));
          d1 = dot(d1, t, eh);
          pw += 16;
        } else {
          c0 = dot(c0, s, v128.load8x8_s(pw));
          c1 = dot(c1, s, v128.load8x8_s(pw, 8));
          d0 = dot(d0, t, v128.load8x8_s(pw, 16));
          d1 = dot(d1, t, v128.load8x8_s(pw, 24));
          pw += 32;
        }
        pa += 8;
      }
      if (pairs & 1) {
        const s = v128.load32_splat(pa);
        if (bits == 4) {
          const v = v128.load8x8_u(pw), vh = i16x8.shr_u(v, 4);
          c0 = dot(c0, s, i16x8.sub(v, i16x8.shl(vh, 4)));
          c1 = dot(c1, s, vh);
        } else {
          c0 = dot(c0, s, v128.load8x8_s(pw));
          c1 = dot(c1, s, v128.load8x8_s(pw, 8));
        }
        pa += 4;
      }
      c0 = i32x4.add(c0, d0);
      c1 = i32x4.add(c1, d1);
      if (rowsums != 0) {
        const r = v128.load32_splat(rowsums + (<usize>gi << 2));
        c0 = i32x4.sub(c0, i32x4.mul(r, v128.load(blk, 32)));
        c1 = i32x4.sub(c1, i32x4.mul(r, v128.load(blk, 48)));
      }
      f0 = f32x4.add(f0, f32x4.mul(f32x4.convert_i32x4_s(c0), v128.load(blk)));
      f1 = f32x4.add(f1, f32x4.mul(f32x4.convert_i32x4_s(c1), v128.load(blk, 16)));
    }
    store_row_f32(f0, f1, vsx, n0, min(8, n - n0), bias, out);
  }
}

export function s8_s4_gemv_f32_1x8c2_simd(n: i32, k: i32, g: i32, a: usize, rowsums: usize, w: usize, sx: f32, bias: usize, out: usize): void {
  group_gemv_1x8c2(4, n, k, g, a, rowsums, w, sx, bias, out);
}

export function s8_s8_gemv_f32_1x8c2_simd(n: i32, k: i32, g: i32, a: usize, rowsums: usize, w: usize, sx: f32, bias: usize, out: usize): void {
  group_gemv_1x8c2(8, n, k, g, a, rowsums, w, sx, bias, out);
}
