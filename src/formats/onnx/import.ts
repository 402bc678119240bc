// ONNX -> dyad graph, first slice: the QOperator matmul family and its glue (QuantizeLinear,
// DequantizeLinear, QLinearMatMul, MatMulInteger, Reshape, Flatten, Identity) with constant weights and
// quantization parameters. Each entry infers its outputs' dtypes and shapes (ONNX files seldom list them) and
// returns the builder. No math here. Convolutions (NCHW) come with the layout pass in a later change; any op
// not listed fails at load, naming the node, its op type and domain.

import { ModelFormatError, UnsupportedError, ShapeError } from "../../errors.js";
import type { Graph, GraphTensor, TensorDType } from "../../graph/ir.js";
import type { NodeBuilder } from "../../graph/node.js";
import { MatMul } from "../../ops/matmul.js";
import { reshape } from "../../ops/data-movement.js";
import { quantizeLinear, dequantizeLinear, type AffineParams } from "../../ops/affine.js";
import { QTensor } from "../../tensor/qtensor.js";
import { decodeModel, type OnnxModel, type OnnxNode, type OnnxTensor } from "./proto.js";

const GRAPH_DTYPES = new Set(["int8", "uint8", "int16", "int32", "int64", "float32"]);

interface Value {
  id: number;
  dtype: TensorDType;
  shape: number[];
  /** Constant values (numbers), for the ops that read attributes from tensors. */
  constant: number[] | null;
}

class Importer {
  readonly tensors: GraphTensor[] = [];
  readonly nodes: Graph["nodes"] = [];
  readonly builders: NodeBuilder[] = [];
  private readonly values = new Map<string, Value>();

  add(name: string, dtype: TensorDType, shape: number[], data: Uint8Array | null, constant: number[] | null = null): Value {
    const id = this.tensors.length;
    this.tensors.push({ id, name, dtype, shape, quant: null, data });
    const v = { id, dtype, shape, constant };
    this.values.set(name, v);
    return v;
  }

  value(node: OnnxNode, i: number, role: string): Value {
    const name = node.inputs[i];
    const v = name ? this.values.get(name) : undefined;
    if (!v) throw new ShapeError(`${describe(node)}: input ${i} (${role}) ${name ? `"${name}" is not defined before use` : "is missing"}`);
    return v;
  }

  /** A constant input (an initializer or Constant output) as numbers. */
  constant(node: OnnxNode, i: number, role: string, optional = false): number[] | null {
    if (optional && !node.inputs[i]) return null;
    const v = this.value(node, i, role);
    if (!v.constant) throw new UnsupportedError(`${describe(node)}: input ${i} (${role}) must be a constant of the model`);
    return v.constant;
  }

  emit(node: OnnxNode, inputs: Value[], outputs: { dtype: TensorDType; shape: number[] }[], builder: NodeBuilder): void {
    const outs = outputs.map((o, i) => this.add(node.outputs[i], o.dtype, o.shape, null));
    this.nodes.push({ index: this.nodes.length, op: node.opType, inputs: inputs.map((v) => v.id), outputs: outs.map((v) => v.id) });
    this.builders.push(builder);
  }
}

function describe(node: OnnxNode): string {
  return `node ${node.name ? `"${node.name}" ` : ""}(${node.domain ? `${node.domain}.` : ""}${node.opType})`;
}

function tensorBytes(t: OnnxTensor, dtype: TensorDType): Uint8Array {
  const values = t.values!;
  const arrays: Record<string, { from(v: number[]): ArrayBufferView }> = {
    int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array,
  };
  const typed = dtype === "int64" ? BigInt64Array.from(values, (v) => BigInt(v)) : dtype === "float32" && t.f32 ? t.f32 : arrays[dtype].from(values);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

function affineParams(im: Importer, node: OnnxNode, x: Value, zpDtype: string | null): AffineParams {
  const scale = Float32Array.from(im.constant(node, 1, "scale")!);
  const zps = im.constant(node, 2, "zero_point", true);
  const zeroPoint = zps ? Int32Array.from(zps) : new Int32Array(scale.length);
  let axis: number | null = null;
  let blockSize = 0;
  if (scale.length > 1 || im.value(node, 1, "scale").shape.length > 1) {
    const a = (node.attrs.axis as number | undefined) ?? 1;
    axis = a < 0 ? a + x.shape.length : a;
    blockSize = (node.attrs.block_size as number | undefined) ?? 0;
  }
  if (zpDtype !== null && zps && zeroPoint.length !== scale.length) throw new ShapeError(`${describe(node)}: ${scale.length} scales, ${zeroPoint.length} zero points`);
  return { scale, zeroPoint, axis, blockSize };
}

const ONNX_TYPE_NAMES: Record<number, TensorDType> = { 2: "uint8", 3: "int8", 5: "int16" };

type Handler = (im: Importer, node: OnnxNode) => void;

const OPS: Record<string, Handler> = {
  Identity: (im, node) => {
    const x = im.value(node, 0, "input");
    im.emit(node, [x], [{ dtype: x.dtype, shape: x.shape }], reshape());
  },
  QuantizeLinear: (im, node) => {
    const x = im.value(node, 0, "x");
    if (x.dtype !== "float32") throw new UnsupportedError(`${describe(node)}: input dtype ${x.dtype}; only float32`);
    const zpName = node.inputs[2];
    const out: TensorDType = zpName ? im.value(node, 2, "zero_point").dtype : ONNX_TYPE_NAMES[(node.attrs.output_dtype as number) ?? 2] ?? "uint8";
    if (!["int8", "uint8", "int16"].includes(out)) throw new UnsupportedError(`${describe(node)}: output dtype ${out} is not supported in graphs yet`);
    im.emit(node, [x], [{ dtype: out, shape: x.shape }], quantizeLinear(affineParams(im, node, x, out)));
  },
  DequantizeLinear: (im, node) => {
    const x = im.value(node, 0, "x");
    if (!["int8", "uint8", "int16"].includes(x.dtype)) throw new UnsupportedError(`${describe(node)}: input dtype ${x.dtype} is not supported in graphs yet`);
    im.emit(node, [x], [{ dtype: "float32", shape: x.shape }], dequantizeLinear(affineParams(im, node, x, x.dtype)));
  },
  QLinearMatMul: (im, node) => matmulNode(im, node, true),
  MatMulInteger: (im, node) => matmulNode(im, node, false),
  Reshape: (im, node) => {
    const x = im.value(node, 0, "data");
    const spec = im.constant(node, 1, "shape")!;
    const allowZero = (node.attrs.allowzero as number | undefined) === 1;
    const shape = spec.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const total = x.shape.reduce((a, b) => a * b, 1);
    const out = shape.map((d) => (d === -1 ? total / known : d));
    if (out.reduce((a, b) => a * b, 1) !== total || out.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`${describe(node)}: cannot reshape [${x.shape}] to [${spec}]`);
    }
    im.emit(node, [x], [{ dtype: x.dtype, shape: out }], reshape());
  },
  Flatten: (im, node) => {
    const x = im.value(node, 0, "input");
    const a = (node.attrs.axis as number | undefined) ?? 1;
    const axis = a < 0 ? a + x.shape.length : a;
    const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
    im.emit(node, [x], [{ dtype: x.dtype, shape: [outer, x.shape.reduce((p, q) => p * q, 1) / outer] }], reshape());
  },
};

/** QLinearMatMul (requantized, ONNX fp32 semantics) and MatMulInteger (int32), with constant B. */
function matmulNode(im: Importer, node: OnnxNode, qlinear: boolean): void {
  const a = im.value(node, 0, "a");
  const bIndex = qlinear ? 3 : 1;
  const b = im.value(node, bIndex, "b");
  const bValues = im.constant(node, bIndex, "b")!;
  for (const [v, role] of [[a, "a"], [b, "b"]] as const) {
    if (v.dtype !== "int8" && v.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: ${role} is ${v.dtype}; only int8 and uint8`);
  }
  if (a.shape.length < 2 || b.shape.length < 2) throw new UnsupportedError(`${describe(node)}: 1-D operands are not supported`);
  const [k, n] = b.shape.slice(-2);
  if (a.shape[a.shape.length - 1] !== k) throw new ShapeError(`${describe(node)}: [${a.shape}] x [${b.shape}] do not chain`);
  const bBatch = b.shape.slice(0, -2);
  const aBatch = a.shape.slice(0, -2);
  if (bBatch.length > 0 && bBatch.join(",") !== aBatch.join(",")) throw new UnsupportedError(`${describe(node)}: batched B must match A's batch`);
  const num = (i: number, role: string) => im.constant(node, i, role, true);
  const [sa, za, sb, zb, sy, zy] = qlinear
    ? [num(1, "a_scale")!, num(2, "a_zero_point"), num(4, "b_scale")!, num(5, "b_zero_point"), num(6, "y_scale")!, num(7, "y_zero_point")]
    : [[1], num(2, "a_zero_point"), [1], num(3, "b_zero_point"), null, null];
  if (sa.length !== 1 || (za && za.length !== 1)) throw new UnsupportedError(`${describe(node)}: per-row quantization of a is not supported`);
  const perColumn = sb.length > 1 || (zb !== null && zb.length > 1);
  const weights = new QTensor({
    dtype: b.dtype as "int8" | "uint8", shape: b.shape,
    data: b.dtype === "int8" ? Int8Array.from(bValues) : Uint8Array.from(bValues),
    scale: perColumn ? (sb.length > 1 ? sb : new Array(n).fill(sb[0])) : sb[0],
    zeroPoint: zb ? (perColumn && zb.length === 1 ? new Array(n).fill(zb[0]) : zb) : undefined,
    axis: perColumn ? b.shape.length - 1 : null,
  });
  const outDtype: TensorDType = qlinear ? (im.value(node, 7, "y_zero_point").dtype as TensorDType) : "int32";
  const m = a.shape[a.shape.length - 2];
  const batches = aBatch.reduce((p, q) => p * q, 1);
  const builder: NodeBuilder = (ctx) => {
    const mm = new MatMul(ctx.rt, {
      weights, requant: "fp32",
      input: { dtype: a.dtype as "int8" | "uint8", scale: sa[0], zeroPoint: za ? za[0] : 0 },
      output: qlinear ? { dtype: outDtype as "int8" | "uint8", scale: sy![0], zeroPoint: zy ? zy[0] : 0 } : { dtype: "int32" },
    });
    const x = ctx.input(0, "a"), y = ctx.output(0, "y");
    return { run: () => mm.runInto(ctx.ptr(x.id), batches, m, ctx.ptr(y.id)), dispose: () => mm.dispose() };
  };
  im.emit(node, [a], [{ dtype: outDtype, shape: [...aBatch, m, n] }], builder);
}

function dim(d: number | string, where: string): number {
  if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
    throw new UnsupportedError(`${where}: dimension ${d} is not fixed; dyad needs static shapes (set them before export)`);
  }
  return d;
}

export function importOnnx(bytes: Uint8Array): { graph: Graph; builders: NodeBuilder[] } {
  let model: OnnxModel;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new ModelFormatError(`onnx: the file does not decode as an ONNX ModelProto: ${(e as Error).message}`);
  }
  if (model.outputs.length === 0) throw new ModelFormatError("onnx: the graph has no outputs");
  const missing = model.nodes.filter((n) => (n.domain && n.domain !== "ai.onnx") || !OPS[n.opType]);
  if (missing.length > 0) {
    throw new UnsupportedError(`onnx: unsupported nodes: ${missing.slice(0, 8).map(describe).join(", ")}${missing.length > 8 ? `, and ${missing.length - 8} more` : ""}`);
  }
  const im = new Importer();
  for (const t of model.initializers) {
    if (!GRAPH_DTYPES.has(t.dtype) || t.values === null) throw new UnsupportedError(`onnx: initializer "${t.name}" has dtype ${t.dtype}, which dyad does not load`);
    im.add(t.name, t.dtype as TensorDType, t.dims, tensorBytes(t, t.dtype as TensorDType), t.values);
  }
  const inputs = model.inputs.map((v) => {
    if (!GRAPH_DTYPES.has(v.dtype)) throw new UnsupportedError(`onnx: input "${v.name}" has dtype ${v.dtype}`);
    return im.add(v.name, v.dtype as TensorDType, v.shape.map((d) => dim(d, `onnx input "${v.name}"`)), null).id;
  });
  for (const node of model.nodes) OPS[node.opType](im, node);
  const outputs = model.outputs.map((v) => {
    const id = im.tensors.findIndex((t) => t.name === v.name);
    if (id < 0) throw new ShapeError(`onnx: output "${v.name}" is not produced by any node`);
    return id;
  });
  return { graph: { tensors: im.tensors, nodes: im.nodes, inputs, outputs }, builders: im.builders };
}
