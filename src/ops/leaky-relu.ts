// LEAKY_RELU (TFLite, int8 and int16): reference tflite-micro kernels/internal/reference/leaky_relu.h
// (QuantizeLeakyRelu). Multipliers as TFLite's LeakyReluPrepare computes them: identity = input scale / output
// scale, alpha = input scale * alpha / output scale, evaluated in float (the operands are float) and
// quantized with QuantizeMultiplier.

import type { NodeBuilder } from "../graph/node.js";
import { quantizeMultiplier } from "../quant/multiplier.js";
import { elementCount, expectDType, expectQuant } from "./graph-tensors.js";

export function leakyRelu(alpha: number): NodeBuilder {
  return (ctx) => {
    const rt = ctx.rt;
    const x = ctx.input(0, "input"), y = ctx.output(0, "output");
    expectDType(x, ["int8", "int16"], "input");
    expectDType(y, [x.dtype], "output");
    ctx.checkOutputShape(0, x.shape);
    const qx = expectQuant(x, "input"), qy = expectQuant(y, "output");
    const sx = Math.fround(qx.scale[0]), sy = Math.fround(qy.scale[0]), a = Math.fround(alpha);
    const identity = quantizeMultiplier(Math.fround(sx / sy));
    const scaled = quantizeMultiplier(Math.fround(Math.fround(sx * a) / sy));
    const params = rt.upload(Int32Array.of(qx.zeroPoint[0], qy.zeroPoint[0], identity.multiplier, identity.shift, scaled.multiplier, scaled.shift), "leaky relu params");
    const fn = rt.unary(rt.kernel("leakyrelu", x.dtype === "int16" ? "s16" : "s8", "none", "tflite"));
    const n = elementCount(x);
    return {
      run: () => fn(n, ctx.ptr(x.id), ctx.ptr(y.id), params.ptr),
      dispose: () => rt.arena.free(params),
    };
  };
}
