// The ONNX importer's core: the values it tracks (dtype, physical shape, constant values, channels-last layout),
// the Importer that turns nodes into graph tensors and nodes (with the layout conversions and shared
// quantization of moved values), and the helpers every handler uses. The handlers live in import.ts (8-bit and
// quantization operators) and glue-ops.ts (float32 operators and the any-type glue).

import { MemoryError, ShapeError, UnsupportedError } from "../../errors.js";
import type { Graph, GraphTensor, TensorDType } from "../../graph/ir.js";
import type { NodeBuilder } from "../../graph/node.js";
import { reshape, transpose } from "../../ops/data-movement.js";
import type { Padding } from "../../ops/conv-geometry.js";
import type { NumericArray, OnnxNode, OnnxTensor } from "./proto.js";

export const GRAPH_DTYPES = new Set(["int8", "uint8", "int16", "int32", "int64", "float32"]);

export interface Value {
  id: number;
  dtype: TensorDType;
  /** The graph tensor's (physical) shape: NHWC when `layout` is "nhwc". */
  shape: number[];
  /** Constant values (numbers), for the ops that read attributes from tensors. */
  constant: NumericArray | null;
  /** "nhwc": a 4-D ONNX (NCHW) value stored channels-last; null: stored in ONNX's order. */
  layout: "nhwc" | null;
}

/**
 * The most elements a constant folded at import may have: folding is for shape arithmetic and small
 * constants, and a file must not make the import loop or allocate without bound (two broadcast constants
 * [N, 1] and [1, M] fold to N x M).
 */
export const MAX_FOLDED_ELEMENTS = 1 << 22;

/** A MemoryError when a fold at `node` would make a constant of `shape` past MAX_FOLDED_ELEMENTS. */
export function checkFoldSize(node: OnnxNode, shape: readonly number[]): void {
  let n = 1;
  for (const d of shape) n *= d;
  if (!(n <= MAX_FOLDED_ELEMENTS)) throw new MemoryError(`${describe(node)}: folding this constant would make [${shape}], more than ${MAX_FOLDED_ELEMENTS} elements`);
}

/** The default-domain opsets whose operator semantics the handlers below follow (version differences noted where they matter). */
export const MIN_OPSET = 10, MAX_OPSET = 21;

export const TO_NHWC = [0, 2, 3, 1];
export const TO_NCHW = [0, 3, 1, 2];

export class Importer {
  readonly tensors: GraphTensor[] = [];
  readonly nodes: Graph["nodes"] = [];
  readonly builders: NodeBuilder[] = [];
  private readonly values = new Map<string, Value>();

  private readonly converted = new Map<number, Value>();
  /** Tensors joined by quantization-preserving ops (transposes, reshapes, Pad, Clip): one set of parameters. */
  private readonly quantPeers = new Map<number, Set<number>>();

  add(name: string, dtype: TensorDType, shape: number[], data: Uint8Array | null, constant: NumericArray | null = null, layout: "nhwc" | null = null): Value {
    const id = this.tensors.length;
    this.tensors.push({ id, name, dtype, shape, quant: null, data });
    const v = { id, dtype, shape, constant, layout };
    this.values.set(name, v);
    return v;
  }

  tensor(v: Value): GraphTensor {
    return this.tensors[v.id];
  }

  /** `b` is `a` moved or clamped: the two share quantization parameters, now and when a consumer sets them. */
  linkQuant(a: Value, b: Value): void {
    const group = new Set([...(this.quantPeers.get(a.id) ?? [a.id]), ...(this.quantPeers.get(b.id) ?? [b.id])]);
    for (const id of group) this.quantPeers.set(id, group);
    this.tensors[b.id].quant = this.tensors[a.id].quant;
  }

  /** Sets a value's quantization (ONNX carries it on the consumers) and that of the values linked to it. */
  setQuant(v: Value, quant: GraphTensor["quant"]): void {
    for (const id of this.quantPeers.get(v.id) ?? [v.id]) this.tensors[id].quant = quant;
  }

  /** `v` in a given memory order, through a TRANSPOSE node made once per value. */
  private transposed(v: Value, perm: number[], layout: "nhwc" | null): Value {
    const cached = this.converted.get(v.id);
    if (cached && cached.layout === layout) return cached;
    const name = `${this.tensors[v.id].name}:${layout ?? "nchw"}`;
    const permId = this.tensors.length;
    this.tensors.push({ id: permId, name: `${name}:perm`, dtype: "int32", shape: [4], quant: null, data: new Uint8Array(Int32Array.from(perm).buffer) });
    const out = this.add(name, v.dtype, perm.map((p) => v.shape[p]), null, null, layout);
    this.linkQuant(v, out);
    this.nodes.push({ index: this.nodes.length, op: "TRANSPOSE", inputs: [v.id, permId], outputs: [out.id] });
    this.builders.push(transpose());
    this.converted.set(v.id, out);
    return out;
  }

  /** 4-bit initializers, kept as decoded (graphs hold no 4-bit tensors): for the weight-only linear nodes. */
  readonly lowBit = new Map<string, OnnxTensor>();

  lowBitInitializer(name: string): OnnxTensor {
    const t = this.lowBit.get(name);
    if (!t || !t.values) throw new UnsupportedError(`onnx: "${name}" is not a 4-bit initializer`);
    return t;
  }

  lookup(name: string): Value | undefined {
    return this.values.get(name);
  }

  /** The value in ONNX's order. */
  logical(v: Value): Value {
    return v.layout === "nhwc" ? this.transposed(v, TO_NCHW, null) : v;
  }

  /** `x` with another shape: folded when `x` is a constant, else a copy node; the quantization shared. */
  reshaped(node: OnnxNode, x: Value, shape: number[], layout: "nhwc" | null = null): Value {
    if (x.constant) {
      const y = this.add(node.outputs[0], x.dtype, shape, this.tensor(x).data, x.constant);
      this.tensor(y).quant = this.tensor(x).quant;
      return y;
    }
    const [y] = this.emit(node, [x], [{ dtype: x.dtype, shape, layout }], reshape());
    this.linkQuant(x, y);
    return y;
  }

  /** A constant computed at import (shape arithmetic): its values and bytes. */
  folded(name: string, dtype: TensorDType, shape: number[], values: number[]): Value {
    return this.add(name, dtype, shape, tensorBytes({ name, dtype, dims: shape, values }, dtype), values);
  }

  /** A 4-D value stored channels-last. */
  nhwc(v: Value): Value {
    return v.layout === "nhwc" ? v : this.transposed(v, TO_NHWC, "nhwc");
  }

  value(node: OnnxNode, i: number, role: string): Value {
    const name = node.inputs[i];
    const v = name ? this.values.get(name) : undefined;
    if (!v) throw new ShapeError(`${describe(node)}: input ${i} (${role}) ${name ? `"${name}" is not defined before use` : "is missing"}`);
    return v;
  }

  /** A constant input (an initializer or Constant output) as numbers: for the small ones (shapes, scales). */
  constant(node: OnnxNode, i: number, role: string, optional = false): number[] | null {
    const values = this.constantArray(node, i, role, optional);
    return values && Array.from(values);
  }

  /** A constant input as stored (a typed array for weights), without a copy. */
  constantArray(node: OnnxNode, i: number, role: string, optional = false): NumericArray | null {
    if (optional && !node.inputs[i]) return null;
    const v = this.value(node, i, role);
    if (!v.constant) throw new UnsupportedError(`${describe(node)}: input ${i} (${role}) must be a constant of the model`);
    return v.constant;
  }

  emit(node: OnnxNode, inputs: Value[], outputs: { dtype: TensorDType; shape: number[]; layout?: "nhwc" | null }[], builder: NodeBuilder): Value[] {
    const outs = outputs.map((o, i) => this.add(node.outputs[i], o.dtype, o.shape, null, null, o.layout ?? null));
    this.nodes.push({ index: this.nodes.length, op: node.opType, inputs: inputs.map((v) => v.id), outputs: outs.map((v) => v.id) });
    this.builders.push(builder);
    return outs;
  }
}

export function describe(node: OnnxNode): string {
  return `node ${node.name ? `"${node.name}" ` : ""}(${node.domain ? `${node.domain}.` : ""}${node.opType})`;
}

export function tensorBytes(t: OnnxTensor, dtype: TensorDType): Uint8Array {
  const values = t.values!;
  const arrays: Record<string, { from(v: ArrayLike<number>): ArrayBufferView; new (n: number): ArrayBufferView }> = {
    int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array,
  };
  const typed = dtype === "int64" ? BigInt64Array.from(values, (v) => BigInt(v))
    : values instanceof (arrays[dtype] as unknown as typeof Int8Array) ? (values as ArrayBufferView) : arrays[dtype].from(values);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}


/** `opset`: the model's default-domain opset, for the operators whose semantics changed between versions. */
export type Handler = (im: Importer, node: OnnxNode, opset: number) => void;

/** The registry key: the op type in the default domain, "domain.OpType" elsewhere. */
export function opKey(node: OnnxNode): string {
  return node.domain && node.domain !== "ai.onnx" ? `${node.domain}.${node.opType}` : node.opType;
}

/** A window's padding from ONNX auto_pad (SAME_UPPER is TFLite's SAME) or explicit pads [top, left, bottom, right]. */
export function onnxPadding(node: OnnxNode, h: number, w: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): Padding {
  const autoPad = (node.attrs.auto_pad as string | undefined) ?? "NOTSET";
  if (autoPad === "VALID") return "VALID";
  if (autoPad === "SAME_UPPER") return "SAME";
  if (autoPad === "SAME_LOWER") {
    const pad = (size: number, k: number, s: number, dl: number) => {
      const out = Math.ceil(size / s), total = Math.max((out - 1) * s + (k - 1) * dl + 1 - size, 0);
      return [Math.ceil(total / 2), Math.floor(total / 2)];
    };
    const [t, b] = pad(h, kh, sh, dh), [l, r] = pad(w, kw, sw, dw);
    return { top: t, left: l, bottom: b, right: r };
  }
  if (autoPad !== "NOTSET") throw new UnsupportedError(`${describe(node)}: attribute auto_pad = ${autoPad}`);
  const [t, l, b, r] = (node.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
  return { top: t, left: l, bottom: b, right: r };
}

/**
 * Softmax's rows (ONNX Softmax and com.microsoft QLinearSoftmax, whose `opset` says which semantics): before
 * opset 13 the axis and everything after it are one flattened row; from 13 on, rows run along the axis, each
 * element `stride` apart.
 */
export function softmaxRows(node: OnnxNode, shape: number[], opset: number): { length: number; stride: number; rows: number; rowStart: (r: number) => number } {
  const rank = shape.length;
  let axis = (node.attrs.axis as number | undefined) ?? (opset < 13 ? 1 : -1);
  if (axis < -rank || axis >= rank) throw new ShapeError(`${describe(node)}: axis ${axis} out of range for rank ${rank}`);
  if (axis < 0) axis += rank;
  const total = shape.reduce((a, b) => a * b, 1);
  const inner = opset < 13 ? 1 : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const length = opset < 13 ? shape.slice(axis).reduce((a, b) => a * b, 1) : shape[axis];
  if (length === 0 || total === 0) throw new ShapeError(`${describe(node)}: empty input [${shape}]`);
  return { length, stride: inner, rows: total / length, rowStart: (r) => Math.floor(r / inner) * length * inner + (r % inner) };
}
