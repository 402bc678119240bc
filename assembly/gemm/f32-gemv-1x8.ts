// f32_f32_gemv_minmax_1x8_simd: one float32 row times packed float32 weights (pack_w_f32_8), M = 1.
//
// Three panels (24 columns) at a time: three weight streams keep more memory requests in flight (this kernel
// is bound by memory bandwidth at 4096x4096) and six accumulator chains hide the add latency; four panels run
// out of x64's 16 vector registers. Each output still sums k = 0..K-1 in order, bias first, exactly like the GEMM, so a
// row's result does not depend on which kernel computed it.

import { f32_panel_bytes } from "./pack";
import { store_2x_partial } from "./store";

/** Clamps and stores 8 lanes, `nc` of them. */
// @ts-ignore: decorator
@inline function store8(dst: usize, lo: v128, hi: v128, vmin: v128, vmax: v128, nc: i32): void {
  lo = f32x4.pmin(f32x4.pmax(lo, vmin), vmax);
  hi = f32x4.pmin(f32x4.pmax(hi, vmin), vmax);
  store_2x_partial(dst, lo, hi, <usize>min(nc, 8) << 2);
}

export function f32_f32_gemv_minmax_1x8_simd(n: i32, k: i32, a: usize, w: usize, out: usize, min: f32, max: f32): void {
  const panelBytes = f32_panel_bytes(k);
  const vmin = f32x4.splat(min), vmax = f32x4.splat(max);
  const end = a + (<usize>k << 2);
  let n0 = 0;
  for (; n0 + 24 <= n; n0 += 24) {
    const p0 = w + <usize>(n0 >> 3) * panelBytes;
    const pb = panelBytes;
    let c0 = v128.load(p0), c1 = v128.load(p0, 16), c2 = v128.load(p0 + pb), c3 = v128.load(p0 + pb, 16);
    let c4 = v128.load(p0 + 2 * pb), c5 = v128.load(p0 + 2 * pb, 16);
    let pw = p0 + 32;
    let pa = a;
    while (pa < end) {
      const s = v128.load32_splat(pa);
      c0 = f32x4.add(c0, f32x4.mul(s, v128.load(pw))); c1 = f32x4.add(c1, f32x4.mul(s, v128.load(pw, 16)));
      c2 = f32x4.add(c2, f32x4.mul(s, v128.load(pw + pb))); c3 = f32x4.add(c3, f32x4.mul(s, v128.load(pw + pb, 16)));
      c4 = f32x4.add(c4, f32x4.mul(s, v128.load(pw + 2 * pb))); c5 = f32x4.add(c5, f32x4.mul(s, v128.load(pw + 2 * pb, 16)));
      pa += 4;
      pw += 32;
    }
    const dst = out + (<usize>n0 << 2);
    store8(dst, c0, c1, vmin, vmax, 8);
    store8(dst + 32, c2, c3, vmin, vmax, 8);
    store8(dst + 64, c4, c5, vmin, vmax, 8);
  }
  for (; n0 < n; n0 += 8) {
    const p0 = w + <usize>(n0 >> 3) * panelBytes;
    let c0 = v128.load(p0), c1 = v128.load(p0, 16);
    let pw = p0 + 32;
    let pa = a;
    while (pa < end) {
      const s = v128.load32_splat(pa);
      c0 = f32x4.add(c0, f32x4.mul(s, v128.load(pw)));
      c1 = f32x4.add(c1, f32x4.mul(s, v128.load(pw, 16)));
      pa += 4;
      pw += 32;
    }
    store8(out + (<usize>n0 << 2), c0, c1, vmin, vmax, n - n0);
  }
}
