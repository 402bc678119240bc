// TFLite -> ONNX QOperator: each quantized TFLite op becomes the ONNX (or com.microsoft) op onnxruntime's
// quantizer would emit, so onnxruntime and dyad's ONNX importer both run the file. Tensors keep TFLite's
// values; only the memory order changes: a 4-D NHWC activation is written as NCHW ("nchw" below) wherever a
// convolution reads it, with a Transpose only where a layout-sensitive op needs the other order.
//
// Not exact: ONNX requantizes in fp32 (y = saturate(round_half_even(acc * (sx*sw/sy)) + zy)), TFLite in a
// 32-bit fixed-point multiplier and shift. The two differ by 1 on a few elements per layer; `dyad convert`
// reports how many output elements differ on a sample input.

import { sameShape } from "../../tensor/shape.js";
import { UnsupportedError, ShapeError, QuantParamError } from "../../errors.js";
import { activationClamp } from "../../quant/activation.js";
import { window1d } from "../../ops/conv-geometry.js";
import { DTYPES } from "../../tensor/dtype.js";
import { parseTflite, type TfliteModel, type TfliteOperator, type TfliteTensor } from "../tflite/model.js";
import { fusedActivation, padding } from "../tflite/options.js";
import { encodeModel, type GraphSpec, type TensorInit } from "./proto.js";

type Node = GraphSpec["nodes"][number];
type QDType = "int8" | "uint8";

/** An ONNX value holding a TFLite tensor: in TFLite's order, or (4-D only) permuted NHWC -> NCHW. */
interface Value {
  name: string;
  nchw: boolean;
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

class Exporter {
  readonly nodes: Node[] = [];
  readonly initializers: TensorInit[] = [];
  private readonly values = new Map<number, Value>();
  private readonly converted = new Map<string, string>();
  private readonly quantNames = new Map<number, [string, string]>();

  constructor(readonly tensors: TfliteTensor[]) {}

  where(op: TfliteOperator): string {
    return `op ${op.index} (${op.op})`;
  }

  tensor(op: TfliteOperator, i: number): TfliteTensor {
    const index = op.inputs[i];
    const t = index === undefined || index < 0 ? undefined : this.tensors[index];
    if (!t) throw new ShapeError(`${this.where(op)}: input ${i} is missing`);
    return t;
  }

  constantInts(op: TfliteOperator, i: number, what: string): number[] {
    const t = this.tensor(op, i);
    if (!t.data || t.type !== "int32" || t.data.length % 4 !== 0) throw new UnsupportedError(`${this.where(op)}: ${what} must be a constant int32 tensor`);
    return Array.from(new Int32Array(t.data.slice().buffer));
  }

  init(name: string, dtype: TensorInit["dtype"], dims: number[], data: TensorInit["data"]): string {
    this.initializers.push({ name, dtype, dims, data });
    return name;
  }

  /** A scalar initializer of an 8-bit type (its value already checked to lie in the type's range). */
  scalar(name: string, dtype: QDType, v: number): string {
    return this.init(name, dtype, [], dtype === "int8" ? Int8Array.of(v) : Uint8Array.of(v));
  }

  set(t: TfliteTensor, v: Value): void {
    this.values.set(t.index, v);
  }

  value(op: TfliteOperator, i: number): Value {
    const t = this.tensor(op, i);
    const v = this.values.get(t.index);
    if (!v) throw new UnsupportedError(`${this.where(op)}: input ${i} (${t.name}) is a constant, or not computed before this op, where an activation is expected`);
    return v;
  }

  private permuted(name: string, perm: number[]): string {
    const key = `${name}/${perm}`;
    let out = this.converted.get(key);
    if (!out) {
      out = `${name}:${perm.join("")}`;
      this.nodes.push({ opType: "Transpose", inputs: [name], outputs: [out], attrs: { perm } });
      this.converted.set(key, out);
    }
    return out;
  }

  /** The tensor's values in TFLite's order. */
  plain(op: TfliteOperator, i: number): string {
    const v = this.value(op, i);
    return v.nchw ? this.permuted(v.name, NCHW_TO_NHWC) : v.name;
  }

  /** A 4-D NHWC tensor as NCHW. */
  nchw(op: TfliteOperator, i: number): string {
    const v = this.value(op, i), t = this.tensor(op, i);
    if (t.shape.length !== 4) throw new ShapeError(`${this.where(op)}: input ${i} (${t.name}) is [${t.shape}], not 4-D`);
    return v.nchw ? v.name : this.permuted(v.name, NHWC_TO_NCHW);
  }

  /** Scale and zero-point initializers of a per-tensor quantized activation. */
  quant(op: TfliteOperator, t: TfliteTensor): [string, string] {
    const cached = this.quantNames.get(t.index);
    if (cached) return cached;
    const q = t.quantization;
    const dtype = qdtype(op, t);
    if (!q || q.scale.length !== 1) throw new UnsupportedError(`${this.where(op)}: ${t.name} needs one scale (per-tensor quantization)`);
    const zp = q.zeroPoint[0] ?? 0;
    if (!(q.scale[0] > 0 && Number.isFinite(q.scale[0])) || !Number.isInteger(zp) || !inRange(zp, dtype)) {
      throw new QuantParamError(`${this.where(op)}: ${t.name} has scale ${q.scale[0]} and zero point ${zp}, not a valid ${dtype} quantization`);
    }
    const names: [string, string] = [
      this.init(`t${t.index}:scale`, "float32", [], Float32Array.of(q.scale[0])),
      this.scalar(`t${t.index}:zp`, dtype, zp),
    ];
    this.quantNames.set(t.index, names);
    return names;
  }

  /** Emits `producer` into a fresh name, then the fused activation as a Clip, into `y`. */
  activation(op: TfliteOperator, y: TfliteTensor, nchw: boolean, produce: (out: string) => void): void {
    const act = fusedActivation(op);
    const name = `t${y.index}`;
    const dtype = qdtype(op, y);
    const q = y.quantization!;
    const { min, max } = activationClamp(act, q.scale[0], q.zeroPoint[0] ?? 0, dtype);
    const full = min === DTYPES[dtype].min && max === DTYPES[dtype].max;
    if (full) {
      produce(name);
    } else {
      produce(`${name}:preact`);
      const bounds = [this.scalar(`${name}:min`, dtype, min), this.scalar(`${name}:max`, dtype, max)];
      this.nodes.push({ opType: "Clip", inputs: [`${name}:preact`, ...bounds], outputs: [name] });
    }
    this.set(y, { name, nchw });
  }
}

const inRange = (v: number, dtype: QDType) => v >= DTYPES[dtype].min && v <= DTYPES[dtype].max;

function qdtype(op: TfliteOperator, t: TfliteTensor): QDType {
  if (t.type !== "int8" && t.type !== "uint8") throw new UnsupportedError(`op ${op.index} (${op.op}): ${t.name} is ${t.type}; only int8 and uint8 activations export`);
  return t.type;
}

/** Explicit ONNX pads [top, left, bottom, right] for TFLite's SAME/VALID. */
function convPads(op: TfliteOperator, x: TfliteTensor, kh: number, kw: number): number[] {
  const mode = padding(op);
  const o = op.options;
  const [sh, sw, dh, dw] = [o.stride_h, o.stride_w, o.dilation_h_factor, o.dilation_w_factor] as number[];
  const one = (size: number, k: number, s: number, d: number) => {
    const w = window1d(mode, size, k, s, d, `op ${op.index} (${op.op})`);
    const total = Math.max(0, (w.out - 1) * s + (k - 1) * d + 1 - size);
    return [w.padBefore, mode === "SAME" ? total - w.padBefore : 0];
  };
  const [top, bottom] = one(x.shape[1], kh, sh, dh);
  const [left, right] = one(x.shape[2], kw, sw, dw);
  return [top, left, bottom, right];
}

/** Weight initializers for QLinearConv: data as [O, I, KH, KW], per-tensor or per-output-channel scales. */
function convWeights(ex: Exporter, op: TfliteOperator, w: TfliteTensor, onnxDims: number[], layout: (o: number, i: number, h: number, x: number) => number): string[] {
  if (!w.data || w.type !== "int8") throw new UnsupportedError(`${ex.where(op)}: weights ${w.name} must be constant int8`);
  const q = w.quantization;
  if (!q || q.zeroPoint.some((z) => z !== 0)) throw new UnsupportedError(`${ex.where(op)}: weights ${w.name} must be symmetric (zero point 0)`);
  const [O, I, KH, KW] = onnxDims;
  if (onnxDims.some((d) => !Number.isInteger(d) || d < 1) || w.data.length !== O * I * KH * KW) {
    throw new ShapeError(`${ex.where(op)}: weights ${w.name} [${w.shape}] hold ${w.data.length} bytes`);
  }
  const src = new Int8Array(w.data.buffer, w.data.byteOffset, w.data.length);
  const data = new Int8Array(O * I * KH * KW);
  for (let o = 0, j = 0; o < O; o++) for (let i = 0; i < I; i++) for (let h = 0; h < KH; h++) for (let x = 0; x < KW; x++) data[j++] = src[layout(o, i, h, x)];
  const perChannel = q.scale.length > 1;
  if (perChannel && q.scale.length !== O) throw new UnsupportedError(`${ex.where(op)}: ${q.scale.length} weight scales for ${O} output channels`);
  const base = `t${w.index}`;
  return [
    ex.init(`${base}:w`, "int8", onnxDims, data),
    ex.init(`${base}:scale`, "float32", perChannel ? [O] : [], Float32Array.from(q.scale)),
    ex.init(`${base}:zp`, "int8", perChannel ? [O] : [], new Int8Array(perChannel ? O : 1)),
  ];
}

function bias(ex: Exporter, op: TfliteOperator, i: number, channels: number): string[] {
  const index = op.inputs[i];
  if (index === undefined || index < 0) return [];
  const b = ex.tensor(op, i);
  if (!b.data || b.type !== "int32" || b.data.length !== 4 * channels) throw new UnsupportedError(`${ex.where(op)}: bias ${b.name} must be constant int32 [${channels}]`);
  return [ex.init(`t${b.index}:bias`, "int32", [channels], new Int32Array(b.data.slice().buffer))];
}

/** A TFLite CONV_2D / DEPTHWISE_CONV_2D as QLinearConv on the NCHW input, its fused activation as a Clip. */
function qlinearConv(ex: Exporter, op: TfliteOperator, y: TfliteTensor, weights: string[], [O, KH, KW]: number[], group: number): void {
  const x = ex.tensor(op, 0);
  const attrs = {
    kernel_shape: [KH, KW], pads: convPads(op, x, KH, KW), group,
    strides: [op.options.stride_h as number, op.options.stride_w as number],
    dilations: [op.options.dilation_h_factor as number, op.options.dilation_w_factor as number],
  };
  const inputs = [ex.nchw(op, 0), ...ex.quant(op, x), ...weights, ...ex.quant(op, y), ...bias(ex, op, 2, O)];
  ex.activation(op, y, true, (out) => ex.nodes.push({ opType: "QLinearConv", inputs, outputs: [out], attrs }));
}

type Handler = (ex: Exporter, op: TfliteOperator, y: TfliteTensor) => void;

const HANDLERS: Record<string, Handler> = {
  CONV_2D: (ex, op, y) => {
    const w = ex.tensor(op, 1);
    const [O, KH, KW, I] = w.shape;
    const weights = convWeights(ex, op, w, [O, I, KH, KW], (o, i, h, c) => ((o * KH + h) * KW + c) * I + i);
    qlinearConv(ex, op, y, weights, [O, KH, KW], 1);
  },
  DEPTHWISE_CONV_2D: (ex, op, y) => {
    const w = ex.tensor(op, 1);
    const [, KH, KW, O] = w.shape;
    const weights = convWeights(ex, op, w, [O, 1, KH, KW], (o, _i, h, c) => (h * KW + c) * O + o);
    qlinearConv(ex, op, y, weights, [O, KH, KW], ex.tensor(op, 0).shape[3]);
  },
  FULLY_CONNECTED: (ex, op, y) => {
    // As a 1x1 QLinearConv over [rows, K, 1, 1]: QLinearMatMul has no bias, and this is what dyad and
    // onnxruntime both run as a plain integer GEMM.
    const x = ex.tensor(op, 0), w = ex.tensor(op, 1);
    const [O, K] = w.shape;
    const rows = x.shape.reduce((a, b) => a * b, 1) / K;
    if (!Number.isInteger(rows)) throw new ShapeError(`${ex.where(op)}: input [${x.shape}] is not a whole number of rows of ${K}`);
    const weights = convWeights(ex, op, w, [O, K, 1, 1], (o, i) => o * K + i);
    const base = `t${y.index}`;
    const shape4 = ex.init(`${base}:shape4`, "int64", [4], BigInt64Array.of(BigInt(rows), BigInt(K), 1n, 1n));
    const shapeOut = ex.init(`${base}:shape`, "int64", [y.shape.length], BigInt64Array.from(y.shape.map(BigInt)));
    ex.nodes.push({ opType: "Reshape", inputs: [ex.plain(op, 0), shape4], outputs: [`${base}:x4`] });
    const inputs = [`${base}:x4`, ...ex.quant(op, x), ...weights, ...ex.quant(op, y), ...bias(ex, op, 2, O)];
    ex.nodes.push({ opType: "QLinearConv", inputs, outputs: [`${base}:y4`], attrs: { kernel_shape: [1, 1] } });
    ex.activation(op, y, false, (out) => ex.nodes.push({ opType: "Reshape", inputs: [`${base}:y4`, shapeOut], outputs: [out] }));
  },
  ADD: (ex, op, y) => {
    const a = ex.tensor(op, 0), b = ex.tensor(op, 1);
    // Same shapes: elementwise in any order, so keep NCHW if either side has it; broadcasts: TFLite's order.
    const nchw = a.shape.length === 4 && sameShape(a.shape, b.shape) && (ex.value(op, 0).nchw || ex.value(op, 1).nchw);
    const va = nchw ? ex.nchw(op, 0) : ex.plain(op, 0), vb = nchw ? ex.nchw(op, 1) : ex.plain(op, 1);
    const inputs = [va, ...ex.quant(op, a), vb, ...ex.quant(op, b), ...ex.quant(op, y)];
    ex.activation(op, y, nchw, (out) => ex.nodes.push({ opType: "QLinearAdd", domain: "com.microsoft", inputs, outputs: [out] }));
  },
  MEAN: (ex, op, y) => {
    const x = ex.tensor(op, 0);
    const axes = ex.constantInts(op, 1, "axes").map((a) => (a < 0 ? a + x.shape.length : a)).sort();
    if (x.shape.length !== 4 || String(axes) !== "1,2") throw new UnsupportedError(`${ex.where(op)}: only the spatial mean of a 4-D tensor (axes [1, 2]) exports`);
    const base = `t${y.index}`;
    const inputs = [ex.nchw(op, 0), ...ex.quant(op, x), ...ex.quant(op, y)];
    if (op.options.keep_dims) {
      ex.nodes.push({ opType: "QLinearGlobalAveragePool", domain: "com.microsoft", inputs, outputs: [base], attrs: { channels_last: 0 } });
      ex.set(y, { name: base, nchw: true });
    } else {
      ex.nodes.push({ opType: "QLinearGlobalAveragePool", domain: "com.microsoft", inputs, outputs: [`${base}:pooled`], attrs: { channels_last: 0 } });
      const shape = ex.init(`${base}:shape`, "int64", [y.shape.length], BigInt64Array.from(y.shape.map(BigInt)));
      ex.nodes.push({ opType: "Reshape", inputs: [`${base}:pooled`, shape], outputs: [base] });
      ex.set(y, { name: base, nchw: false });
    }
  },
  PAD: (ex, op, y) => {
    const x = ex.tensor(op, 0);
    const rank = x.shape.length;
    const pads = ex.constantInts(op, 1, "paddings");
    if (pads.length !== 2 * rank) throw new ShapeError(`${ex.where(op)}: ${pads.length / 2} padding pairs for a rank-${rank} input`);
    const nchw = rank === 4;
    const order = nchw ? NHWC_TO_NCHW : x.shape.map((_, i) => i);
    const onnxPads = [...order.map((a) => pads[2 * a]), ...order.map((a) => pads[2 * a + 1])];
    const dtype = qdtype(op, x);
    const zp = y.quantization?.zeroPoint[0] ?? 0; // TFLite pads quantized tensors with the output zero point
    if (!inRange(zp, dtype)) throw new QuantParamError(`${ex.where(op)}: zero point ${zp} of ${y.name} is outside ${dtype}`);
    const base = `t${y.index}`;
    const inputs = [
      nchw ? ex.nchw(op, 0) : ex.plain(op, 0),
      ex.init(`${base}:pads`, "int64", [2 * rank], BigInt64Array.from(onnxPads.map(BigInt))),
      ex.scalar(`${base}:value`, dtype, zp),
    ];
    ex.nodes.push({ opType: "Pad", inputs, outputs: [base] });
    ex.set(y, { name: base, nchw });
  },
  RESHAPE: (ex, op, y) => {
    const x = ex.tensor(op, 0), v = ex.value(op, 0);
    // [N, 1, 1, C] is the same bytes in either order, so an NCHW value reshapes without a transpose.
    const src = v.nchw && x.shape[1] === 1 && x.shape[2] === 1 ? v.name : ex.plain(op, 0);
    const base = `t${y.index}`;
    const shape = ex.init(`${base}:shape`, "int64", [y.shape.length], BigInt64Array.from(y.shape.map(BigInt)));
    ex.nodes.push({ opType: "Reshape", inputs: [src, shape], outputs: [base] });
    ex.set(y, { name: base, nchw: false });
  },
  TRANSPOSE: (ex, op, y) => {
    const perm = ex.constantInts(op, 1, "perm");
    const v = ex.value(op, 0);
    // NCHW -> NHWC of a value in TFLite's order: the result, stored NCHW, is the input itself.
    if (!v.nchw && String(perm) === String(NCHW_TO_NHWC)) {
      ex.set(y, { name: v.name, nchw: true });
      return;
    }
    const base = `t${y.index}`;
    ex.nodes.push({ opType: "Transpose", inputs: [ex.plain(op, 0)], outputs: [base], attrs: { perm } });
    ex.set(y, { name: base, nchw: false });
  },
  QUANTIZE: (ex, op, y) => {
    const x = ex.tensor(op, 0);
    if (x.type !== "float32") throw new UnsupportedError(`${ex.where(op)}: only float32 -> int8/uint8 QUANTIZE exports (requantizing ${x.type} does not)`);
    const v = ex.value(op, 0), base = `t${y.index}`;
    ex.nodes.push({ opType: "QuantizeLinear", inputs: [v.name, ...ex.quant(op, y)], outputs: [base] });
    ex.set(y, { name: base, nchw: v.nchw });
  },
  DEQUANTIZE: (ex, op, y) => {
    const x = ex.tensor(op, 0), v = ex.value(op, 0), base = `t${y.index}`;
    ex.nodes.push({ opType: "DequantizeLinear", inputs: [v.name, ...ex.quant(op, x)], outputs: [base] });
    ex.set(y, { name: base, nchw: v.nchw });
  },
};

const ONNX_IO_DTYPES = new Set(["int8", "uint8", "float32"]);

/** Writes a quantized TFLite model (file bytes or parsed) as an ONNX QOperator model (opset 13). */
export function tfliteToOnnx(model: TfliteModel | Uint8Array): Uint8Array {
  if (model instanceof Uint8Array) model = parseTflite(model);
  if (model.subgraphs.length !== 1) throw new UnsupportedError(`the TFLite model has ${model.subgraphs.length} subgraphs; only one exports`);
  const sg = model.subgraphs[0];
  const ex = new Exporter(sg.tensors);
  const io = (index: number, what: string) => {
    const t = sg.tensors[index];
    if (!ONNX_IO_DTYPES.has(t.type)) throw new UnsupportedError(`graph ${what} ${t.name} is ${t.type}; only int8, uint8 and float32 export`);
    return { name: t.name || `t${index}`, dtype: t.type, dims: t.shape };
  };
  const inputs = sg.inputs.map((i) => io(i, "input"));
  sg.inputs.forEach((index, k) => ex.set(sg.tensors[index], { name: inputs[k].name, nchw: false }));
  for (const op of sg.operators) {
    const handler = HANDLERS[op.op];
    if (!handler) throw new UnsupportedError(`op ${op.index} (${op.op}) has no ONNX export yet; exportable: ${Object.keys(HANDLERS).join(", ")}`);
    if (op.outputs.length !== 1) throw new UnsupportedError(`op ${op.index} (${op.op}): ${op.outputs.length} outputs`);
    handler(ex, op, sg.tensors[op.outputs[0]]);
  }
  const outputs = sg.outputs.map((index) => {
    const spec = io(index, "output");
    const t = sg.tensors[index];
    const v = ex.value({ index: -1, op: "output", version: 1, inputs: [index], outputs: [], options: {} }, 0);
    if (v.name === spec.name && !v.nchw) return spec;
    const name = inputs.some((i) => i.name === spec.name) ? `${spec.name}:out` : spec.name;
    ex.nodes.push(v.nchw
      ? { opType: "Transpose", inputs: [v.name], outputs: [name], attrs: { perm: NCHW_TO_NHWC } }
      : { opType: "Identity", inputs: [v.name], outputs: [name] });
    return { ...spec, name, dims: t.shape };
  });
  return encodeModel({ opset: 13, nodes: ex.nodes, initializers: ex.initializers, inputs, outputs });
}
