// com.microsoft QLinearGlobalAveragePool: per image and channel, y = sat(round(acc * s) + zy) with
// acc = sum(x) - zx * N over the N = H*W pixels and s = sx / (sy * N) in float32, rounded half to even, as
// onnxruntime computes it (checked against onnxruntime-web). Works on NCHW or NHWC storage.

import type { NodeBuilder } from "../graph/node.js";
import { roundHalfEven } from "../tensor/qtensor.js";
import { DTYPES } from "../tensor/dtype.js";

export function qlinearGlobalAveragePool(p: { sx: number; zx: number; sy: number; zy: number; channelsLast: boolean }): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "X"), y = ctx.output(0, "Y");
    const [n, d1, d2, d3] = x.shape;
    const [c, pixels] = p.channelsLast ? [d3, d1 * d2] : [d1, d2 * d3];
    const f = Math.fround;
    const scale = f(f(p.sx) / f(f(p.sy) * pixels));
    const unsigned = x.dtype === "uint8";
    const { min, max } = DTYPES[unsigned ? "uint8" : "int8"];
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const total = n * c * pixels;
        const src = unsigned ? new Uint8Array(buffer, ctx.ptr(x.id), total) : new Int8Array(buffer, ctx.ptr(x.id), total);
        const dst = unsigned ? new Uint8Array(buffer, ctx.ptr(y.id), n * c) : new Int8Array(buffer, ctx.ptr(y.id), n * c);
        for (let b = 0; b < n; b++) {
          for (let ch = 0; ch < c; ch++) {
            let sum = 0;
            if (p.channelsLast) for (let i = 0; i < pixels; i++) sum += src[(b * pixels + i) * c + ch];
            else for (let i = 0; i < pixels; i++) sum += src[(b * c + ch) * pixels + i];
            const v = roundHalfEven(f((sum - p.zx * pixels) * scale)) + p.zy;
            dst[b * c + ch] = v < min ? min : v > max ? max : v;
          }
        }
      },
      dispose: () => {},
    };
  };
}
