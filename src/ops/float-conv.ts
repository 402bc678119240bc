// ONNX Conv on float32 (NCHW, group 1, constant weights), as onnxruntime's MLAS computes it: the window's
// values in (input channel, row, column) order, zero where it leaves the image, against the filter in the same
// order, summed by its (unpacked) SGEMM in k blocks (each block in order from zero, block sums added in turn),
// the bias added to the finished sum. The k block depends on the shape as MLAS picks it (sgemm.cpp): from
// 128 x 128 slices, a short N (output pixels) doubles the k block while halving N's, down to 16; a short K
// does the converse. Confirmed against onnxruntime-web. Each block runs on dyad's f32 GEMM kernel.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { MatMulF32 } from "./matmul-f32.js";
import type { Window1D } from "./conv-geometry.js";

export interface FloatConvSpec {
  /** [Cout, Cin, KH, KW] as in the ONNX file. */
  weights: Float32Array;
  bias: Float32Array | null;
  cout: number; kh: number; kw: number;
  strideH: number; strideW: number; dilationH: number; dilationW: number;
  row: Window1D; col: Window1D;
}

/** MLAS's k stride for an unpacked SGEMM of N output columns and depth K. */
export function sgemmKStride(n: number, k: number): number {
  let strideN = 128, strideK = 128;
  if (n >= k) {
    while (strideK / 2 >= k) (strideN *= 2), (strideK /= 2);
  } else {
    while (strideN > 16 && strideN / 2 >= n) (strideK *= 2), (strideN /= 2);
  }
  return strideK;
}

export function floatConv(s: FloatConvSpec): NodeBuilder {
  return (ctx) => {
    const rt = ctx.rt;
    const x = ctx.input(0, "X"), y = ctx.output(0, "Y");
    const [n, cin, h, w] = x.shape;
    const k = cin * s.kh * s.kw, oh = s.row.out, ow = s.col.out, pixels = oh * ow;
    if (x.shape.length !== 4 || s.weights.length !== s.cout * k) throw new ShapeError(`input [${x.shape}] does not fit a [${s.cout}, ?, ${s.kh}, ${s.kw}] filter of ${s.weights.length} weights`);
    ctx.checkOutputShape(0, [n, s.cout, oh, ow]);
    // B = W^T as [K, Cout], one GEMM per block of 256 rows of K.
    const wt = new Float32Array(k * s.cout);
    for (let o = 0; o < s.cout; o++) for (let i = 0; i < k; i++) wt[i * s.cout + o] = s.weights[o * k + i];
    const blocks: { k0: number; mm: MatMulF32 }[] = [];
    const kStride = sgemmKStride(pixels, k);
    for (let k0 = 0; k0 < k; k0 += kStride) {
      const kb = Math.min(kStride, k - k0);
      blocks.push({ k0, mm: new MatMulF32(rt, { weights: wt.subarray(k0 * s.cout, (k0 + kb) * s.cout), shape: [kb, s.cout] }) });
    }
    const f = Math.fround;
    return {
      run: () => rt.arena.scope(() => {
        const cols = rt.arena.alloc(pixels * k * 4, "conv columns");
        const sums = rt.arena.alloc(pixels * s.cout * 4, "conv sums");
        const partial = blocks.length > 1 ? rt.arena.alloc(pixels * s.cout * 4, "conv block sums") : null;
        for (let b = 0; b < n; b++) {
          const buffer = rt.bytes().buffer as ArrayBuffer;
          const src = new Float32Array(buffer, ctx.ptr(x.id) + b * cin * h * w * 4, cin * h * w);
          const col = new Float32Array(buffer, cols.ptr, pixels * k);
          let at = 0;
          for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
            for (let c = 0; c < cin; c++) for (let ky = 0; ky < s.kh; ky++) {
              const iy = oy * s.strideH - s.row.padBefore + ky * s.dilationH;
              for (let kx = 0; kx < s.kw; kx++) {
                const ix = ox * s.strideW - s.col.padBefore + kx * s.dilationW;
                col[at++] = iy >= 0 && iy < h && ix >= 0 && ix < w ? src[(c * h + iy) * w + ix] : 0;
              }
            }
          }
          blocks.forEach(({ k0, mm }, j) => {
            mm.runInto(cols.ptr + k0 * 4, k, pixels, j === 0 ? sums.ptr : partial!.ptr);
            if (j === 0) return;
            const bytes = rt.bytes().buffer as ArrayBuffer;
            const acc = new Float32Array(bytes, sums.ptr, pixels * s.cout), add = new Float32Array(bytes, partial!.ptr, pixels * s.cout);
            for (let i = 0; i < acc.length; i++) acc[i] = f(acc[i] + add[i]);
          });
          const out = rt.bytes().buffer as ArrayBuffer;
          const acc = new Float32Array(out, sums.ptr, pixels * s.cout);
          const dst = new Float32Array(out, ctx.ptr(y.id) + b * s.cout * pixels * 4, s.cout * pixels);
          for (let p = 0; p < pixels; p++) for (let o = 0; o < s.cout; o++) {
            const v = acc[p * s.cout + o];
            dst[o * pixels + p] = s.bias ? f(v + s.bias[o]) : v;
          }
        }
      }),
      dispose: () => {
        for (const blk of blocks.reverse()) blk.mm.dispose();
      },
    };
  };
}
