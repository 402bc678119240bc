// com.microsoft QLinearGlobalAveragePool: per image and channel, y = sat(round(acc * s) + zy) with
// acc = sum(x) - zx * N over the N = H*W pixels and s = sx / (sy * N) in float32, rounded half to even, as
// onnxruntime computes it (checked against onnxruntime-web). Works on NCHW or NHWC storage; the loop is
// assembly/elementwise/global-avg-pool.ts.

import type { NodeBuilder } from "../graph/node.js";
import { DTYPES } from "../tensor/dtype.js";
import { QuantParamError, ShapeError } from "../errors.js";

export function qlinearGlobalAveragePool(p: { sx: number; zx: number; sy: number; zy: number; channelsLast: boolean }): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "X");
    if (x.shape.length !== 4) throw new ShapeError(`X must be 4-D, got [${x.shape}]`);
    const [n, d1, d2, d3] = x.shape;
    const y = ctx.checkOutputShape(0, p.channelsLast ? [n, 1, 1, d3] : [n, d1, 1, 1]);
    const [c, pixels] = p.channelsLast ? [d3, d1 * d2] : [d1, d2 * d3];
    const f = Math.fround;
    const scale = f(f(p.sx) / f(f(p.sy) * pixels));
    const unsigned = x.dtype === "uint8";
    const { min, max } = DTYPES[unsigned ? "uint8" : "int8"];
    if (!Number.isFinite(scale)) throw new QuantParamError(`QLinearGlobalAveragePool: x_scale / (y_scale * ${pixels}) = ${scale} is not a finite float32`);
    const params = new Int32Array([n, c, pixels, p.channelsLast ? 1 : 0, unsigned ? 1 : 0, p.zx, p.zy, min, max, 0]);
    new Float32Array(params.buffer)[9] = scale;
    const block = ctx.rt.upload(params, "global average pool params");
    return {
      run: () => ctx.rt.globalAvgPoolX8(ctx.ptr(x.id), ctx.ptr(y.id), block.ptr),
      dispose: () => ctx.rt.arena.free(block),
    };
  };
}
