// FULLY_CONNECTED (TFLite, int8): y = requant(x W^T + b) with W [N, K] per-tensor or per-channel int8, int32
// bias, the fused activation as a clamp (reference: tflite-micro kernels/internal/reference/integer_ops/
// fully_connected.h, FullyConnected / FullyConnectedPerChannel). Input [..., K] is read as rows of K.
// Runs on the matmul op's GEMM/GEMV with TFLite's double-rounding requantization.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { MatMul } from "./matmul.js";
import { constantArray, constantQTensor, elementCount, expectDType, expectQuant } from "./graph-tensors.js";

export function fullyConnected(activation: FusedActivation): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), w = ctx.input(1, "filter"), y = ctx.output(0, "output");
    expectDType(x, ["int8"], "input");
    expectDType(w, ["int8"], "filter");
    expectDType(y, ["int8"], "output");
    if (w.shape.length !== 2) throw new ShapeError(`filter tensor ${w.id} must be [N, K], got [${w.shape.join(", ")}]`);
    const [n, k] = w.shape;
    const rows = elementCount(x) / k;
    if (!Number.isInteger(rows)) throw new ShapeError(`input of ${elementCount(x)} elements is not a whole number of rows of K = ${k}`);
    if (elementCount(y) !== rows * n) throw new ShapeError(`output [${y.shape.join(", ")}] does not hold ${rows} x ${n} values`);
    const bias = ctx.optionalInput(2);
    if (bias) expectDType(bias, ["int32"], "bias");
    const xq = expectQuant(x, "input"), yq = expectQuant(y, "output");
    const mm = new MatMul(ctx.rt, {
      weights: constantQTensor(w, "filter"),
      weightLayout: "nk",
      bias: bias ? constantArray(bias, Int32Array, "bias") : undefined,
      input: { dtype: "int8", scale: xq.scale[0], zeroPoint: xq.zeroPoint[0] },
      output: { dtype: "int8", scale: yq.scale[0], zeroPoint: yq.zeroPoint[0] },
      requant: "tflite",
      clamp: activationClamp(activation, yq.scale[0], yq.zeroPoint[0], "int8"),
    });
    return {
      run: () => mm.runInto(ctx.ptr(x.id), 1, rows, ctx.ptr(y.id)),
      dispose: () => mm.dispose(),
    };
  };
}
