// f32_f32_gemm_minmax_4x8_simd: float32 GEMM, 4 rows x 8 columns per tile, the fp32 baseline and the engine
// of simulated quantization. A is row-major float32 (row stride in elements); B is packed by pack_w_f32_8
// (bias in front of each panel). No FMA in SIMD128: a multiply and an add per lane, fixed order over k, so
// results are identical on every engine. The result is clamped to [min, max] (fused activation).

import { f32_panel_bytes } from "./pack";
import { store_2x_partial } from "./store";

// @ts-ignore: decorator
@inline function store_row(dst: usize, lo: v128, hi: v128, vmin: v128, vmax: v128, nc: i32): void {
  lo = f32x4.pmin(f32x4.pmax(lo, vmin), vmax);
  hi = f32x4.pmin(f32x4.pmax(hi, vmin), vmax);
  store_2x_partial(dst, lo, hi, <usize>nc << 2);
}

export function f32_f32_gemm_minmax_4x8_simd(
  m: i32, n: i32, k: i32, a: usize, aStride: i32, w: usize, out: usize, outStride: i32, min: f32, max: f32,
): void {
  const panelBytes = f32_panel_bytes(k);
  const rs = <usize>aStride << 2;
  const vmin = f32x4.splat(min), vmax = f32x4.splat(max);
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = w + <usize>(n0 >> 3) * panelBytes;
    const nc = n - n0 < 8 ? n - n0 : 8;
    const bias0 = v128.load(panel), bias1 = v128.load(panel, 16);
    for (let m0 = 0; m0 < m; m0 += 4) {
      let pa0 = a + <usize>m0 * rs;
      let pa1 = m0 + 1 < m ? pa0 + rs : pa0;
      let pa2 = m0 + 2 < m ? pa1 + rs : pa1;
      let pa3 = m0 + 3 < m ? pa2 + rs : pa2;
      let c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1;
      let c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
      let pw = panel + 32;
      for (let kk = 0; kk < k; kk++) {
        const bl = v128.load(pw), bh = v128.load(pw, 16);
        let s = v128.load32_splat(pa0);
        c00 = f32x4.add(c00, f32x4.mul(s, bl)); c01 = f32x4.add(c01, f32x4.mul(s, bh));
        s = v128.load32_splat(pa1);
        c10 = f32x4.add(c10, f32x4.mul(s, bl)); c11 = f32x4.add(c11, f32x4.mul(s, bh));
        s = v128.load32_splat(pa2);
        c20 = f32x4.add(c20, f32x4.mul(s, bl)); c21 = f32x4.add(c21, f32x4.mul(s, bh));
        s = v128.load32_splat(pa3);
        c30 = f32x4.add(c30, f32x4.mul(s, bl)); c31 = f32x4.add(c31, f32x4.mul(s, bh));
        pa0 += 4; pa1 += 4; pa2 += 4; pa3 += 4;
        pw += 32;
      }
      const dst = out + ((<usize>m0 * outStride + n0) << 2);
      const rowBytes = <usize>outStride << 2;
      store_row(dst, c00, c01, vmin, vmax, nc);
      if (m0 + 1 < m) store_row(dst + rowBytes, c10, c11, vmin, vmax, nc);
      if (m0 + 2 < m) store_row(dst + 2 * rowBytes, c20, c21, vmin, vmax, nc);
      if (m0 + 3 < m) store_row(dst + 3 * rowBytes, c30, c31, vmin, vmax, nc);
    }
  }
}
