// FULLY_CONNECTED (TFLite, int8): y = requant(x W^T + b) with W [N, K] per-tensor or per-channel int8, int32
// bias, the fused activation as a clamp (reference: tflite-micro kernels/internal/reference/integer_ops/
// fully_connected.h, FullyConnected / FullyConnectedPerChannel). Input [..., K] is read as rows of K.
// int8 runs on the matmul op's GEMM/GEMV with TFLite's double-rounding requantization; the 16x8 mode (int16
// activations, int64 bias) on the 16x8 convolution kernel as a 1x1 convolution.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { MatMul } from "./matmul.js";
import { conv16x8 } from "./conv2d.js";
import { constantArray, constantQTensor, elementCount, expectDType, expectQuant } from "./graph-tensors.js";

/** `keepNumDims`: the output keeps the input's leading dimensions ([..., N]) instead of [rows, N]. */
export function fullyConnected(activation: FusedActivation, keepNumDims = false): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), w = ctx.input(1, "filter"), y = ctx.output(0, "output");
    expectDType(x, ["int8", "int16"], "input");
    expectDType(w, ["int8"], "filter");
    expectDType(y, [x.dtype], "output");
    if (w.shape.length !== 2) throw new ShapeError(`filter tensor ${w.id} must be [N, K], got [${w.shape.join(", ")}]`);
    const [n, k] = w.shape;
    const rows = elementCount(x) / k;
    if (!Number.isInteger(rows)) throw new ShapeError(`input of ${elementCount(x)} elements is not a whole number of rows of K = ${k}`);
    ctx.checkOutputShape(0, keepNumDims ? [...x.shape.slice(0, -1), n] : [rows, n]);
    if (x.dtype === "int16") {
      // 16x8: the rows are a 1-wide image of `rows` pixels and the filter [N, K] a 1x1 convolution.
      return conv16x8(ctx, {
        n: 1, h: rows, w: 1, cin: k, cout: n, kh: 1, kw: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
        padTop: 0, padLeft: 0, oh: rows, ow: 1,
      }, activation);
    }
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
