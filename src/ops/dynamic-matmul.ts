// Dynamic quantization in a graph, as onnxruntime computes it:
// - DynamicQuantizeLinear (ONNX): x (float32) -> y (uint8), y_scale, y_zero_point, the range from the data
//   (src/quant/dynamic.ts states the formula).
// - com.microsoft DynamicQuantizeMatMul (A float32, constant B, b_scale, b_zero_point, bias) and
//   MatMulIntegerToFloat (A 8-bit with a_scale and a_zero_point, possibly computed at run time by a
//   DynamicQuantizeLinear): Y = float32(acc) * (a_scale * b_scale) + bias in float32, acc the exact int32
//   sum of (a - a_zp)(b - b_zp) (contrib_ops/cpu/quantization/dynamic_quantize_matmul.cc; MLAS's scale-bias
//   output processor).
// - MatMulInteger with a zero point of A known only at run time: the int32 acc itself.
// The integer product runs on the GEMM with A's zero point 0 (B's zero points folded as usual), and
// a_zp * colsum(b - b_zp) is subtracted per column afterwards, in int32 like the kernels' arithmetic.

import { QuantParamError, ShapeError } from "../errors.js";
import type { NodeBuilder, NodeContext } from "../graph/node.js";
import type { GraphTensor } from "../graph/ir.js";
import type { QTensor } from "../tensor/qtensor.js";
import { dynamicQuantizeLinear } from "../quant/dynamic.js";
import { MatMul } from "./matmul.js";
import { elementCount } from "./graph-tensors.js";

/** A scalar input's value (float32, int8 or uint8): its constant data, or read from wasm memory at run time. */
export function scalarReader(ctx: NodeContext, t: GraphTensor | null, fallback: number): () => number {
  if (!t) return () => fallback;
  const read = (bytes: Uint8Array, at: number) => (t.dtype === "float32" ? new Float32Array(bytes.slice(at, at + 4).buffer)[0]
    : t.dtype === "int8" ? (bytes[at] << 24) >> 24 : bytes[at]);
  if (elementCount(t) !== 1) throw new QuantParamError(`${t.name}: a per-tensor (one-element) value is required, got [${t.shape}]`);
  if (t.data) {
    const value = read(t.data, 0);
    return () => value;
  }
  return () => read(ctx.rt.bytes(), ctx.ptr(t.id));
}

export function dynamicQuantizeLinearOp(): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "x"), y = ctx.checkOutputShape(0, ctx.input(0, "x").shape);
    const ys = ctx.checkOutputShape(1, []), yz = ctx.checkOutputShape(2, []);
    const n = elementCount(x);
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const q = dynamicQuantizeLinear(new Float32Array(buffer, ctx.ptr(x.id), n).slice(), [n]);
        new Uint8Array(buffer, ctx.ptr(y.id), n).set(q.data as Uint8Array);
        new Float32Array(buffer, ctx.ptr(ys.id), 1)[0] = q.scale[0];
        new Uint8Array(buffer, ctx.ptr(yz.id), 1)[0] = q.zeroPoint[0];
      },
      dispose: () => {},
    };
  };
}

export interface DynamicMatMulSpec {
  /** B with its per-tensor or per-column zero points (the scales are `bScale`). */
  weights: QTensor;
  bScale: Float32Array;
  bias: Float32Array | null;
  /** Rows of A per batch and batches (A is [...batch, m, k]). */
  m: number;
  batches: number;
  /** "float": Y as MatMulIntegerToFloat; "int32": the sums, as MatMulInteger. */
  output: "float" | "int32";
  /** A's input index of a_scale and a_zero_point (-1: absent); A float32 means quantize it dynamically. */
  aScaleInput: number;
  aZeroPointInput: number;
}

export function dynamicMatMul(spec: DynamicMatMulSpec): NodeBuilder {
  return (ctx) => {
    const rt = ctx.rt;
    const a = ctx.input(0, "A");
    const dynamic = a.dtype === "float32";
    const aDtype = dynamic ? "uint8" : (a.dtype as "int8" | "uint8");
    const [k, n] = spec.weights.shape.slice(-2);
    if (a.shape[a.shape.length - 1] !== k || elementCount(a) !== spec.batches * spec.m * k) throw new ShapeError(`A [${a.shape}] is not ${spec.batches} x ${spec.m} rows of K = ${k}`);
    const y = ctx.checkOutputShape(0, [...a.shape.slice(0, -1), n]);
    const mm = new MatMul(rt, { weights: spec.weights, input: { dtype: aDtype, zeroPoint: 0 }, output: { dtype: "int32" } });
    // colsum[j] = sum over k of (b - b_zp), for a_zp * colsum.
    const colsum = new Int32Array(n);
    const b = spec.weights.data, zb = spec.weights.zeroPoint;
    for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) colsum[j] += b[kk * n + j] - zb[zb.length === 1 ? 0 : j];
    const aScale = scalarReader(ctx, spec.aScaleInput >= 0 ? ctx.optionalInput(spec.aScaleInput) : null, 1);
    const aZero = scalarReader(ctx, spec.aZeroPointInput >= 0 ? ctx.optionalInput(spec.aZeroPointInput) : null, 0);
    const rows = spec.batches * spec.m, count = rows * n, aCount = rows * k;
    const f = Math.fround;
    return {
      run: () => rt.arena.scope(() => {
        let aPtr = ctx.ptr(a.id), scale = aScale(), zero = aZero();
        if (dynamic) {
          const q = dynamicQuantizeLinear(new Float32Array(rt.bytes().buffer, aPtr, aCount).slice(), [aCount]);
          const block = rt.upload(q.data, "dynamically quantized A");
          [aPtr, scale, zero] = [block.ptr, q.scale[0], q.zeroPoint[0]];
        }
        mm.runInto(aPtr, spec.batches, spec.m, ctx.ptr(y.id));
        const buffer = rt.bytes().buffer as ArrayBuffer;
        const acc = new Int32Array(buffer, ctx.ptr(y.id), count);
        if (spec.output === "int32") {
          if (zero !== 0) for (let i = 0; i < count; i++) acc[i] = (acc[i] - Math.imul(zero, colsum[i % n])) | 0;
          return;
        }
        const out = new Float32Array(buffer, ctx.ptr(y.id), count);
        const mult = Float32Array.from(spec.bScale.length === 1 ? new Array(n).fill(spec.bScale[0]) : spec.bScale, (s) => f(f(scale) * s));
        for (let i = 0; i < count; i++) {
          const j = i % n;
          const v = f(f((acc[i] - Math.imul(zero, colsum[j])) | 0) * mult[j]);
          out[i] = spec.bias ? f(v + spec.bias[j]) : v;
        }
      }),
      dispose: () => mm.dispose(),
    };
  };
}
