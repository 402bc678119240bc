// f32_f32_gemv_minmax_1x8_simd: one float32 row times packed float32 weights (pack_w_f32_8), M = 1.
//
// Four panels (32 columns) at a time: eight independent accumulators hide the add latency while weights
// stream from memory. Each output still sums k = 0..K-1 in order, bias first, exactly like the GEMM, so a
// row's result does not depend on which kernel computed it.

import { f32_panel_bytes } from "./pack";

// @ts-ignore: decorator
@lazy const scratch: usize = memory.data(32, 16);

/** Clamps and stores 8 lanes, `nc` of them. */
// @ts-ignore: decorator
@inline function store8(dst: usize, lo: v128, hi: v128, vmin: v128, vmax: v128, nc: i32): void {
  lo = f32x4.pmin(f32x4.pmax(lo, vmin), vmax);
  hi = f32x4.pmin(f32x4.pmax(hi, vmin), vmax);
  if (nc >= 8) {
    v128.store(dst, lo);
    v128.store(dst, hi, 16);
  } else {
    v128.store(scratch, lo);
    v128.store(scratch, hi, 16);
    memory.copy(dst, scratch, <usize>nc << 2);
  }
}

export function f32_f32_gemv_minmax_1x8_simd(n: i32, k: i32, a: usize, w: usize, out: usize, min: f32, max: f32): void {
  const panelBytes = f32_panel_bytes(k);
  const vmin = f32x4.splat(min), vmax = f32x4.splat(max);
  let n0 = 0;
  for (; n0 + 32 <= n; n0 += 32) {
    const p0 = w + <usize>(n0 >> 3) * panelBytes;
    const p1 = p0 + panelBytes, p2 = p1 + panelBytes, p3 = p2 + panelBytes;
    let c0 = v128.load(p0), c1 = v128.load(p0, 16), c2 = v128.load(p1), c3 = v128.load(p1, 16);
    let c4 = v128.load(p2), c5 = v128.load(p2, 16), c6 = v128.load(p3), c7 = v128.load(p3, 16);
    let off: usize = 32;
    let pa = a;
    for (let kk = 0; kk < k; kk++) {
      const s = v128.load32_splat(pa);
      c0 = f32x4.add(c0, f32x4.mul(s, v128.load(p0 + off))); c1 = f32x4.add(c1, f32x4.mul(s, v128.load(p0 + off, 16)));
      c2 = f32x4.add(c2, f32x4.mul(s, v128.load(p1 + off))); c3 = f32x4.add(c3, f32x4.mul(s, v128.load(p1 + off, 16)));
      c4 = f32x4.add(c4, f32x4.mul(s, v128.load(p2 + off))); c5 = f32x4.add(c5, f32x4.mul(s, v128.load(p2 + off, 16)));
      c6 = f32x4.add(c6, f32x4.mul(s, v128.load(p3 + off))); c7 = f32x4.add(c7, f32x4.mul(s, v128.load(p3 + off, 16)));
      pa += 4;
      off += 32;
    }
    const dst = out + (<usize>n0 << 2);
    store8(dst, c0, c1, vmin, vmax, 8);
    store8(dst + 32, c2, c3, vmin, vmax, 8);
    store8(dst + 64, c4, c5, vmin, vmax, 8);
    store8(dst + 96, c6, c7, vmin, vmax, 8);
  }
  for (; n0 < n; n0 += 8) {
    const p0 = w + <usize>(n0 >> 3) * panelBytes;
    let c0 = v128.load(p0), c1 = v128.load(p0, 16);
    let pw = p0 + 32;
    let pa = a;
    for (let kk = 0; kk < k; kk++) {
      const s = v128.load32_splat(pa);
      c0 = f32x4.add(c0, f32x4.mul(s, v128.load(pw)));
      c1 = f32x4.add(c1, f32x4.mul(s, v128.load(pw, 16)));
      pa += 4;
      pw += 32;
    }
    store8(out + (<usize>n0 << 2), c0, c1, vmin, vmax, n - n0);
  }
}
