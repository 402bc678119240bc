// com.microsoft QLinearAveragePool (2-D), as onnxruntime computes it (contrib_ops/cpu/quantization/
// qlinear_pool.cc): every input dequantized in float32, x_scale * (x - x_zero_point); per window, clipped to the
// image (start max(0, o * stride - pad_begin), end min(start + k, size)), a float32 sum over rows then columns,
// divided by the window's element count (the clipped window, or the whole kernel with count_include_pad); then
// quantized as round-half-even(y / y_scale + y_zero_point), saturated. A kernel covering the whole image with
// no padding is onnxruntime's global average pool instead (qlinear-global-pool.ts). Checked against
// onnxruntime-web. Works on NCHW or NHWC storage.

import type { NodeBuilder } from "../graph/node.js";
import { roundHalfEven } from "../tensor/qtensor.js";
import { DTYPES } from "../tensor/dtype.js";
import { ShapeError } from "../errors.js";
import { window1d } from "./conv-geometry.js";

export interface QLinearAveragePoolParams {
  sx: number; zx: number; sy: number; zy: number;
  kernel: [number, number]; strides: [number, number];
  /** Padding before and after each spatial axis (rows, columns). */
  padBegin: [number, number];
  padEnd: [number, number];
  countIncludePad: boolean;
  /** Storage order of the 4-D input and output. */
  channelsLast: boolean;
}

export function qlinearAveragePool(p: QLinearAveragePoolParams): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "X"), y = ctx.output(0, "Y");
    const at = (shape: readonly number[]) => (p.channelsLast
      ? { n: shape[0], h: shape[1], w: shape[2], c: shape[3] }
      : { n: shape[0], c: shape[1], h: shape[2], w: shape[3] });
    if (x.shape.length !== 4) throw new ShapeError(`X must be 4-D, got [${x.shape}]`);
    const i = at(x.shape);
    const oh = window1d({ before: p.padBegin[0], after: p.padEnd[0] }, i.h, p.kernel[0], p.strides[0], 1, "pool height").out;
    const ow = window1d({ before: p.padBegin[1], after: p.padEnd[1] }, i.w, p.kernel[1], p.strides[1], 1, "pool width").out;
    ctx.checkOutputShape(0, p.channelsLast ? [i.n, oh, ow, i.c] : [i.n, i.c, oh, ow]);
    const o = at(y.shape);
    // Element (b, ch, row, col) of a tensor of dims d.
    const index = (d: { n: number; c: number; h: number; w: number }, b: number, ch: number, row: number, col: number) => (p.channelsLast
      ? ((b * d.h + row) * d.w + col) * d.c + ch
      : ((b * d.c + ch) * d.h + row) * d.w + col);
    const f = Math.fround;
    const unsigned = x.dtype === "uint8";
    const { min, max } = DTYPES[unsigned ? "uint8" : "int8"];
    const dequantized = Float32Array.from({ length: 256 }, (_, byte) => f(f(p.sx) * ((unsigned ? byte : (byte << 24) >> 24) - p.zx)));
    const sy = f(p.sy);
    const [kh, kw] = p.kernel, [sh, sw] = p.strides;
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = new Uint8Array(buffer, ctx.ptr(x.id), i.n * i.c * i.h * i.w);
        const dst = unsigned ? new Uint8Array(buffer, ctx.ptr(y.id), o.n * o.c * o.h * o.w) : new Int8Array(buffer, ctx.ptr(y.id), o.n * o.c * o.h * o.w);
        for (let b = 0; b < o.n; b++) for (let ch = 0; ch < o.c; ch++) for (let oy = 0; oy < o.h; oy++) {
          const r0 = oy * sh - p.padBegin[0], r1 = Math.min(r0 + kh, i.h), rs = Math.max(r0, 0);
          for (let ox = 0; ox < o.w; ox++) {
            const c0 = ox * sw - p.padBegin[1], c1 = Math.min(c0 + kw, i.w), cs = Math.max(c0, 0);
            let sum = 0;
            for (let row = rs; row < r1; row++) for (let col = cs; col < c1; col++) sum = f(sum + dequantized[src[index(i, b, ch, row, col)]]);
            const count = p.countIncludePad ? kh * kw : (r1 - rs) * (c1 - cs);
            const v = roundHalfEven(f(f(f(sum / count) / sy) + p.zy));
            dst[index(o, b, ch, oy, ox)] = v < min ? min : v > max ? max : v;
          }
        }
      },
      dispose: () => {},
    };
  };
}
