// ONNX ConvInteger (NHWC inside dyad): int32 sums of (x - x_zero_point) * w over each window, with the
// input's zero point where the window leaves the image (so those taps add nothing), symmetric weights
// (w_zero_point 0). The zero point may be a value of the run (DynamicQuantizeLinear's): the im2col fill is
// patched per run, the GEMM runs with zero point 0, and x_zp * (sum of the filter's weights) is subtracted
// per output channel, in int32 like the kernels.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { QTensor } from "../tensor/qtensor.js";
import { MatMul } from "./matmul.js";
import { scalarReader } from "./dynamic-matmul.js";
import { IM2COL_BLOCK_BYTES, IM2COL_SLACK } from "./conv2d.js";
import type { Window1D } from "./conv-geometry.js";

export interface ConvIntegerSpec {
  /** [Cout, KH, KW, Cin], int8. */
  filter: Int8Array;
  cout: number; kh: number; kw: number;
  strideH: number; strideW: number; dilationH: number; dilationW: number;
  row: Window1D; col: Window1D;
  /** Input index of x_zero_point (-1: 0). */
  zeroPointInput: number;
}

export function convInteger(s: ConvIntegerSpec): NodeBuilder {
  return (ctx) => {
    const rt = ctx.rt;
    const x = ctx.input(0, "x"), y = ctx.output(0, "y");
    const [n, h, wd, cin] = x.shape;
    const k = s.kh * s.kw * cin, kp = (k + 1) & ~1;
    if (x.shape.length !== 4 || s.filter.length !== s.cout * k) throw new ShapeError(`input [${x.shape}] does not fit a [${s.cout}, ${s.kh}, ${s.kw}, ?] filter of ${s.filter.length} weights`);
    ctx.checkOutputShape(0, [n, s.row.out, s.col.out, s.cout]);
    const dtype = x.dtype as "int8" | "uint8";
    const xor = dtype === "uint8" ? 0x80 : 0;
    const mm = new MatMul(rt, {
      weights: new QTensor({ dtype: "int8", shape: [s.cout, k], data: s.filter, scale: 1 }),
      weightLayout: "nk", input: { dtype, zeroPoint: 0 }, output: { dtype: "int32" },
    });
    const colsum = new Int32Array(s.cout);
    for (let o = 0; o < s.cout; o++) for (let i = 0; i < k; i++) colsum[o] += s.filter[o * k + i];
    const zeroPoint = scalarReader(ctx, s.zeroPointInput >= 0 ? ctx.optionalInput(s.zeroPointInput) : null, 0);
    const params = rt.upload(Int32Array.of(h, wd, cin, s.kh, s.kw, s.strideH, s.strideW, s.dilationH, s.dilationW,
      s.row.padBefore, s.col.padBefore, s.row.out, s.col.out, 0, xor), "conv-integer im2col params");
    const pixels = s.row.out * s.col.out;
    const block = Math.max(4, Math.min(pixels, Math.floor(IM2COL_BLOCK_BYTES / (kp * 2)) & ~3));
    return {
      run: () => rt.arena.scope(() => {
        const zx = zeroPoint();
        // The im2col fill: x_zp in the int8 domain the rows are widened in.
        rt.write({ ptr: params.ptr + 13 * 4, bytes: 4, what: "im2col zero point" }, Int32Array.of(zx - xor));
        const a16 = rt.arena.alloc((block + mm.paddingRows) * kp * 2 + IM2COL_SLACK, "conv-integer im2col");
        for (let b = 0; b < n; b++) {
          for (let first = 0; first < pixels; first += block) {
            const count = Math.min(block, pixels - first);
            rt.im2colS8(ctx.ptr(x.id) + b * h * wd * cin, a16.ptr, params.ptr, first, count);
            mm.multiply(a16.ptr, 0, 1, count, ctx.ptr(y.id) + (b * pixels + first) * s.cout * 4);
          }
        }
        if (zx !== 0) {
          const acc = new Int32Array(rt.bytes().buffer as ArrayBuffer, ctx.ptr(y.id), n * pixels * s.cout);
          for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] - Math.imul(zx, colsum[i % s.cout])) | 0;
        }
      }),
      dispose: () => {
        rt.arena.free(params);
        mm.dispose();
      },
    };
  };
}
