// The float32 glue of quantized ONNX graphs (what stays in float around the integer ops: a dequantized
// product scaled and biased, a residual add, a ReLU): Add, Sub, Mul, Div with NumPy broadcasting, Relu, and
// Cast between float32 and the integer types. IEEE binary32 arithmetic: each result is the double result
// rounded to float32 (Math.fround), which for +, -, *, / of float32 operands is the correctly rounded float32
// result (double has more than twice float32's precision), as onnxruntime computes them. Inputs may be
// constants of the model (read from the graph) or values of the run (read from wasm memory).

import { UnsupportedError } from "../errors.js";
import type { NodeBuilder, NodeContext } from "../graph/node.js";
import type { GraphTensor } from "../graph/ir.js";
import { sameShape } from "../tensor/shape.js";
import { DTYPES } from "../tensor/dtype.js";
import { broadcastIndices, broadcastShape } from "./broadcast.js";
import { elementCount } from "./graph-tensors.js";

export type FloatBinaryOp = "add" | "sub" | "mul" | "div";

type Numeric = Float32Array | Int32Array | Int8Array | Uint8Array | Int16Array;
const ARRAYS = { float32: Float32Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array } as const;

/** A view of a tensor's elements: a copy of a constant's data, or wasm memory at run time (fresh each call). */
function reader(ctx: NodeContext, t: GraphTensor): () => Numeric {
  const Ctor = ARRAYS[t.dtype as keyof typeof ARRAYS];
  if (!Ctor) throw new UnsupportedError(`${t.name}: ${t.dtype} elements in a float op`);
  const n = elementCount(t);
  if (t.data) {
    const copy = new Ctor(n);
    new Uint8Array(copy.buffer).set(t.data.subarray(0, n * Ctor.BYTES_PER_ELEMENT));
    return () => copy;
  }
  return () => new Ctor(ctx.rt.bytes().buffer as ArrayBuffer, ctx.ptr(t.id), n);
}

export function floatBinary(op: FloatBinaryOp): NodeBuilder {
  return (ctx) => {
    const a = ctx.input(0, "A"), b = ctx.input(1, "B"), c = ctx.checkOutputShape(0, broadcastShape(ctx.input(0, "A").shape, ctx.input(1, "B").shape));
    const same = sameShape(a.shape, c.shape) && sameShape(b.shape, c.shape);
    if (!same) ctx.reserve(8 * elementCount(c), "the broadcast index tables");
    const [ia, ib] = same ? [null, null] : broadcastIndices(a.shape, b.shape, c.shape);
    const ra = reader(ctx, a), rb = reader(ctx, b);
    const total = elementCount(c);
    const f = Math.fround;
    const fn = op === "add" ? (x: number, y: number) => f(x + y) : op === "sub" ? (x: number, y: number) => f(x - y)
      : op === "mul" ? (x: number, y: number) => f(x * y) : (x: number, y: number) => f(x / y);
    return {
      run: () => {
        const va = ra(), vb = rb();
        const vc = new Float32Array(ctx.rt.bytes().buffer as ArrayBuffer, ctx.ptr(c.id), total);
        if (ia && ib) for (let i = 0; i < total; i++) vc[i] = fn(va[ia[i]], vb[ib[i]]);
        else for (let i = 0; i < total; i++) vc[i] = fn(va[i], vb[i]);
      },
      dispose: () => {},
    };
  };
}

/** Relu: x if x > 0, else 0 (+0; a NaN stays NaN), as onnxruntime's float kernel. */
export function floatRelu(): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "X"), y = ctx.checkOutputShape(0, ctx.input(0, "X").shape);
    const rx = reader(ctx, x), n = elementCount(x);
    return {
      run: () => {
        const vx = rx(), vy = new Float32Array(ctx.rt.bytes().buffer as ArrayBuffer, ctx.ptr(y.id), n);
        for (let i = 0; i < n; i++) vy[i] = vx[i] > 0 ? vx[i] : Number.isNaN(vx[i]) ? vx[i] : 0;
      },
      dispose: () => {},
    };
  };
}

/**
 * Cast between float32 and integers: integer to float32 rounds to nearest (even); float32 to integer truncates
 * toward zero and saturates at the type's range, NaN becoming 0 (ONNX leaves out-of-range casts undefined;
 * this is the defined behaviour dyad chooses, the same as wasm's saturating conversions).
 */
export function cast(): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.checkOutputShape(0, ctx.input(0, "input").shape);
    const rx = reader(ctx, x), n = elementCount(x);
    const Out = ARRAYS[y.dtype as keyof typeof ARRAYS];
    if (!Out) throw new UnsupportedError(`Cast to ${y.dtype}`);
    const toInt = y.dtype !== "float32" && x.dtype === "float32";
    const range = toInt ? DTYPES[y.dtype as "int8" | "uint8" | "int16" | "int32"] : null;
    return {
      run: () => {
        const vx = rx(), vy = new Out(ctx.rt.bytes().buffer as ArrayBuffer, ctx.ptr(y.id), n);
        if (range) {
          for (let i = 0; i < n; i++) {
            const v = Math.trunc(vx[i]);
            vy[i] = Number.isNaN(v) ? 0 : v < range.min ? range.min : v > range.max ? range.max : v;
          }
        } else {
          vy.set(vx);
        }
      },
      dispose: () => {},
    };
  };
}

/** Clip: min(max(x, lo), hi) of float32 values (bounds as given: -Infinity / Infinity when absent). */
export function floatClip(lo: number, hi: number): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.checkOutputShape(0, ctx.input(0, "input").shape);
    const rx = reader(ctx, x), n = elementCount(x);
    const [l, h] = [Math.fround(lo), Math.fround(hi)];
    return {
      run: () => {
        const vx = rx(), vy = new Float32Array(ctx.rt.bytes().buffer as ArrayBuffer, ctx.ptr(y.id), n);
        for (let i = 0; i < n; i++) vy[i] = Math.min(h, Math.max(l, vx[i]));
      },
      dispose: () => {},
    };
  };
}
