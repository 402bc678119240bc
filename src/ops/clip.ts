// ONNX Clip on integer tensors (int8, uint8): clamp to constant bounds, elementwise. dyad's TFLite export uses
// it for fused activations, which are such clamps in the quantized domain.

import type { NodeBuilder } from "../graph/node.js";
import { elementCount } from "./graph-tensors.js";

export function clip(min: number, max: number): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.output(0, "output");
    const n = elementCount(x);
    const unsigned = x.dtype === "uint8";
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = unsigned ? new Uint8Array(buffer, ctx.ptr(x.id), n) : new Int8Array(buffer, ctx.ptr(x.id), n);
        const dst = unsigned ? new Uint8Array(buffer, ctx.ptr(y.id), n) : new Int8Array(buffer, ctx.ptr(y.id), n);
        // ONNX: with min > max every element becomes max, which min(max, max(min, v)) gives.
        for (let i = 0; i < n; i++) dst[i] = Math.min(max, Math.max(min, src[i]));
      },
      dispose: () => {},
    };
  };
}
