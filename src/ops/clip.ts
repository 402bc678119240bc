// ONNX Clip on integer tensors (int8, uint8): clamp to constant bounds, elementwise. dyad's TFLite export uses
// it for fused activations, which are such clamps in the quantized domain.

import type { NodeBuilder } from "../graph/node.js";
import { elementCount } from "./graph-tensors.js";

export function clip(min: number, max: number): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.output(0, "output");
    const n = elementCount(x);
    const unsigned = x.dtype === "uint8";
    // One loop per dtype: a loop over a union of typed arrays runs several times slower in V8.
    const clampI8 = (src: Int8Array, dst: Int8Array) => {
      for (let i = 0; i < n; i++) dst[i] = Math.min(max, Math.max(min, src[i]));
    };
    const clampU8 = (src: Uint8Array, dst: Uint8Array) => {
      for (let i = 0; i < n; i++) dst[i] = Math.min(max, Math.max(min, src[i]));
    };
    return {
      // ONNX: with min > max every element becomes max, which min(max, max(min, v)) gives.
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        if (unsigned) clampU8(new Uint8Array(buffer, ctx.ptr(x.id), n), new Uint8Array(buffer, ctx.ptr(y.id), n));
        else clampI8(new Int8Array(buffer, ctx.ptr(x.id), n), new Int8Array(buffer, ctx.ptr(y.id), n));
      },
      dispose: () => {},
    };
  };
}
