// MEAN (TFLite, int8) over height and width of a 4-D NHWC tensor: reference integer_ops/mean.h (Mean) with the
// multiplier of tflite-micro kernels/reduce_common.cc: QuantizeMultiplier(input scale / output scale, double);
// per channel, sum (x - zp_in), MultiplyByQuantizedMultiplier, divide by H*W rounding half away from zero
// (integer division, as the C code), add zp_out, clamp to int8.

import { UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { quantizeMultiplier } from "../quant/multiplier.js";
import { requantTflite } from "../quant/requant.js";
import { constantArray, expectDType, expectQuant } from "./graph-tensors.js";

/** `keepDims`: the output is [N, 1, 1, C] rather than [N, C]. */
export function mean(keepDims = false): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), axisT = ctx.input(1, "axis"), y = ctx.output(0, "output");
    expectDType(x, ["int8"], "input");
    expectDType(y, ["int8"], "output");
    const axes = Array.from(constantArray(axisT, Int32Array, "axis")).map((a) => (a < 0 ? a + x.shape.length : a)).sort();
    if (x.shape.length !== 4 || axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2) {
      throw new UnsupportedError(`MEAN over axes [${axes}] of a ${x.shape.length}-D tensor; only height and width of 4-D NHWC are supported`);
    }
    const [n, h, w, c] = x.shape;
    ctx.checkOutputShape(0, keepDims ? [n, 1, 1, c] : [n, c]);
    const qx = expectQuant(x, "input"), qy = expectQuant(y, "output");
    const q = quantizeMultiplier(Math.fround(qx.scale[0]) / Math.fround(qy.scale[0]));
    const zx = qx.zeroPoint[0], zy = qy.zeroPoint[0];
    const count = h * w;
    const half = Math.floor(count / 2);
    return {
      run: () => {
        const mem = new Int8Array(ctx.rt.bytes().buffer);
        const src = ctx.ptr(x.id), dst = ctx.ptr(y.id);
        for (let b = 0; b < n; b++) {
          for (let ch = 0; ch < c; ch++) {
            let acc = 0;
            for (let i = 0; i < count; i++) acc += mem[src + (b * count + i) * c + ch] - zx;
            acc = requantTflite(acc, q.multiplier, q.shift);
            acc = acc > 0 ? Math.trunc((acc + half) / count) : Math.trunc((acc - half) / count);
            mem[dst + b * c + ch] = Math.min(127, Math.max(-128, acc + zy));
          }
        }
      },
      dispose: () => {},
    };
  };
}
