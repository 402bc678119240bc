// ONNX QuantizeLinear and DequantizeLinear inside a graph, with the semantics of the ONNX reference
// (onnx/reference/ops/op_quantize_linear.py, op_dequantize_linear.py): q = saturate(roundHalfEven(x / s) + z)
// with the division in float32, and x = (q - z) * s in float32; per tensor, per axis or blocked, the parameters
// given explicitly (they are constants of the model).

import { UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { paramIndexer, roundHalfEven } from "../tensor/qtensor.js";
import { DTYPES } from "../tensor/dtype.js";
import { elementCount } from "./graph-tensors.js";

export interface AffineParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  axis: number | null;
  blockSize: number;
}

type IntArray = Int8Array | Uint8Array | Int16Array;

function intView(buffer: ArrayBuffer, dtype: string, ptr: number, n: number): IntArray {
  if (dtype === "int8") return new Int8Array(buffer, ptr, n);
  if (dtype === "uint8") return new Uint8Array(buffer, ptr, n);
  if (dtype === "int16") return new Int16Array(buffer, ptr, n);
  throw new UnsupportedError(`${dtype} tensors are not supported in graphs yet`);
}

export function quantizeLinear(p: AffineParams): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "x"), y = ctx.checkOutputShape(0, ctx.input(0, "x").shape);
    const n = elementCount(x);
    const index = paramIndexer(x.shape, p.axis, p.blockSize);
    const { min, max } = DTYPES[y.dtype as "int8"];
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = new Float32Array(buffer, ctx.ptr(x.id), n);
        const dst = intView(buffer, y.dtype, ctx.ptr(y.id), n);
        for (let i = 0; i < n; i++) {
          const k = index(i);
          const q = roundHalfEven(Math.fround(src[i] / p.scale[k])) + p.zeroPoint[k];
          dst[i] = Number.isNaN(q) ? p.zeroPoint[k] : q < min ? min : q > max ? max : q;
        }
      },
      dispose: () => {},
    };
  };
}

/** DequantizeLinear of a constant, at import (ONNX Runtime folds these too, so the float path follows). */
export function dequantizeConstant(values: ArrayLike<number>, shape: number[], p: AffineParams): number[] {
  const index = paramIndexer(shape, p.axis, p.blockSize);
  return Array.from(values, (v, i) => {
    const k = index(i);
    return Math.fround((v - p.zeroPoint[k]) * p.scale[k]);
  });
}

export function dequantizeLinear(p: AffineParams): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "x"), y = ctx.checkOutputShape(0, ctx.input(0, "x").shape);
    const n = elementCount(x);
    const index = paramIndexer(x.shape, p.axis, p.blockSize);
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = intView(buffer, x.dtype, ctx.ptr(x.id), n);
        const dst = new Float32Array(buffer, ctx.ptr(y.id), n);
        for (let i = 0; i < n; i++) {
          const k = index(i);
          dst[i] = Math.fround((src[i] - p.zeroPoint[k]) * p.scale[k]);
        }
      },
      dispose: () => {},
    };
  };
}
