// Helpers for ops built inside a graph: typed views of constant tensors and checks that name the tensor.

import { DTypeError, QuantParamError, ShapeError } from "../errors.js";
import type { GraphTensor, TensorDType } from "../graph/ir.js";
import type { NodeContext } from "../graph/node.js";
import { QTensor } from "../tensor/qtensor.js";

export function expectDType(t: GraphTensor, allowed: readonly TensorDType[], role: string): void {
  if (!allowed.includes(t.dtype)) {
    throw new DTypeError(`${role} tensor ${t.id} (${t.name}) is ${t.dtype}; supported: ${allowed.join(", ")}`);
  }
}

export function expectQuant(t: GraphTensor, role: string): NonNullable<GraphTensor["quant"]> {
  if (!t.quant) throw new QuantParamError(`${role} tensor ${t.id} (${t.name}) has no quantization parameters`);
  return t.quant;
}

export function expectConstant(t: GraphTensor, role: string): Uint8Array {
  if (!t.data) throw new ShapeError(`${role} tensor ${t.id} (${t.name}) must be a constant`);
  return t.data;
}

/** A copy of constant bytes as a typed array (copied: file offsets need not be aligned). */
export function constantArray<T extends Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array>(
  t: GraphTensor, ctor: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, role: string,
): T {
  const bytes = expectConstant(t, role);
  let n = 1;
  for (const d of t.shape) n *= d;
  if (bytes.length !== n * ctor.BYTES_PER_ELEMENT) {
    throw new ShapeError(`${role} tensor ${t.id} (${t.name}): shape [${t.shape.join(", ")}] needs ${n * ctor.BYTES_PER_ELEMENT} bytes, the buffer has ${bytes.length}`);
  }
  const copy = new Uint8Array(bytes.length); // not bytes.slice(): a Node Buffer's slice is a view
  copy.set(bytes);
  return new ctor(copy.buffer);
}

/**
 * A constant int8 tensor with its (per-tensor or per-axis) quantization as a QTensor, optionally viewed with
 * another shape that keeps the quantized axis first (a conv filter [Cout, KH, KW, Cin] as [Cout, K]).
 */
export function constantQTensor(t: GraphTensor, role: string, shape: readonly number[] = t.shape): QTensor {
  const q = expectQuant(t, role);
  const data = constantArray(t, Int8Array, role);
  if (shape !== t.shape && q.axis !== null && (q.axis !== 0 || shape[0] !== t.shape[0])) {
    throw new QuantParamError(`${role} tensor ${t.id} (${t.name}) is quantized along axis ${q.axis}; expected axis 0`);
  }
  return new QTensor({ dtype: "int8", shape, data, scale: q.scale, zeroPoint: q.zeroPoint, axis: q.axis });
}

export function elementCount(t: GraphTensor): number {
  let n = 1;
  for (const d of t.shape) n *= d;
  return n;
}

/**
 * The tensors of a convolution-like node (input, filter, optional bias, output), checked: int8, uint8 or int16
 * activations with matching output, int8 filter, int32 bias (int64 or int32 in the 16x8 mode), all 4-D.
 */
export function convTensors(ctx: NodeContext) {
  const x = ctx.input(0, "input"), w = ctx.input(1, "filter"), y = ctx.output(0, "output");
  const bias = ctx.optionalInput(2);
  expectDType(x, ["int8", "uint8", "int16"], "input");
  expectDType(w, ["int8"], "filter");
  expectDType(y, [x.dtype], "output");
  if (bias) expectDType(bias, x.dtype === "int16" ? ["int64", "int32"] : ["int32"], "bias");
  if (x.shape.length !== 4 || w.shape.length !== 4 || y.shape.length !== 4) {
    throw new ShapeError(`input, filter and output must be 4-D, got [${x.shape}], [${w.shape}], [${y.shape}]`);
  }
  return { x, w, y, bias };
}
