// The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto3) that dyad reads and writes, on
// protobufjs's wire-format Reader and Writer. Field numbers and the DataType enum are facts of the format. The
// ONNX importer and the conformance tests decode with it; the exporter, the tests and the benchmarks write
// models with it. The messages are read and written by walking the schema table below, not by protobufjs's
// reflection, which generates code with `new Function` (refused where code generation from strings is
// forbidden, as on Cloudflare Workers) and costs time at startup.

import protobuf from "protobufjs/minimal.js";

const schema = {
  nested: {
    onnx: {
      nested: {
        ModelProto: { fields: { irVersion: { type: "int64", id: 1 }, opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 }, graph: { type: "GraphProto", id: 7 } } },
        OperatorSetIdProto: { fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
            output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
            valueInfo: { rule: "repeated", type: "ValueInfoProto", id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 },
            output: { rule: "repeated", type: "string", id: 2 },
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
            domain: { type: "string", id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 }, f: { type: "float", id: 2 }, i: { type: "int64", id: 3 }, s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 }, floats: { rule: "repeated", type: "float", id: 7 },
            ints: { rule: "repeated", type: "int64", id: 8 }, type: { type: "int32", id: 20 },
          },
        },
        ValueInfoProto: { fields: { name: { type: "string", id: 1 }, type: { type: "TypeProto", id: 2 } } },
        TypeProto: { fields: { tensorType: { type: "TensorTypeProto", id: 1 } } },
        TensorTypeProto: { fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } } },
        Dimension: { fields: { dimValue: { type: "int64", id: 1 }, dimParam: { type: "string", id: 2 } } },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1 },
            dataType: { type: "int32", id: 2 },
            floatData: { rule: "repeated", type: "float", id: 4 },
            int32Data: { rule: "repeated", type: "int32", id: 5 },
            int64Data: { rule: "repeated", type: "int64", id: 7 },
            name: { type: "string", id: 8 },
            rawData: { type: "bytes", id: 9 },
            doubleData: { rule: "repeated", type: "double", id: 10 },
            uint64Data: { rule: "repeated", type: "uint64", id: 11 },
          },
        },
      },
    },
  },
};

type FieldType = "string" | "bytes" | "int32" | "int64" | "uint64" | "float" | "double";
interface Field { name: string; type: FieldType | string; id: number; repeated: boolean }
type Message = Record<string, unknown>;

const MESSAGES = schema.nested.onnx.nested as Record<string, { fields: Record<string, { type: string; id: number; rule?: string }> }>;
const SCALARS = new Set(["string", "bytes", "int32", "int64", "uint64", "float", "double"]);
/** Fields of each message by field number. */
const FIELDS: Record<string, Map<number, Field>> = Object.fromEntries(Object.entries(MESSAGES).map(([type, m]) => [
  type, new Map(Object.entries(m.fields).map(([name, f]) => [f.id, { name, type: f.type, id: f.id, repeated: f.rule === "repeated" }])),
]));

function readScalar(r: protobuf.Reader, type: string): unknown {
  switch (type) {
    case "string": return r.string();
    case "bytes": return r.bytes();
    case "int32": return r.int32();
    case "int64": return r.int64();
    case "uint64": return r.uint64();
    case "float": return r.float();
    default: return r.double();
  }
}

/** Decodes message `type` from `buf`, every field present (proto3 defaults for absent ones, null messages). */
function decodeMessage(type: string, buf: Uint8Array): Message {
  const fields = FIELDS[type];
  const out: Message = {};
  for (const f of fields.values()) {
    out[f.name] = f.repeated ? [] : f.type === "string" ? "" : f.type === "bytes" ? new Uint8Array(0) : SCALARS.has(f.type) ? 0 : null;
  }
  const r = protobuf.Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const f = fields.get(tag >>> 3), wire = tag & 7;
    if (!f) {
      r.skipType(wire);
      continue;
    }
    const list = out[f.name] as unknown[];
    if (!SCALARS.has(f.type)) {
      const value = decodeMessage(f.type, r.bytes());
      if (f.repeated) list.push(value);
      else out[f.name] = value;
    } else if (f.repeated && wire === 2 && f.type !== "string" && f.type !== "bytes") {
      // Packed numbers.
      const end = r.uint32() + r.pos;
      if (end > r.len) throw new RangeError(`packed field ${f.name} runs past the end of its message`);
      while (r.pos < end) list.push(readScalar(r, f.type));
    } else if (f.repeated) {
      list.push(readScalar(r, f.type));
    } else {
      out[f.name] = readScalar(r, f.type);
    }
  }
  return out;
}

const WIRE: Record<string, number> = { int32: 0, int64: 0, uint64: 0, float: 5, double: 1, string: 2, bytes: 2 };

function writeScalar(w: protobuf.Writer, type: string, v: unknown): void {
  switch (type) {
    case "string": w.string(v as string); break;
    case "bytes": w.bytes(v as Uint8Array); break;
    case "int32": w.int32(v as number); break;
    case "int64": w.int64(v as number); break;
    case "uint64": w.uint64(v as number); break;
    case "float": w.float(v as number); break;
    default: w.double(v as number);
  }
}

/** Encodes message `type` from a plain object; absent (undefined) fields are not written, numbers packed. */
function encodeMessage(type: string, m: Message, w: protobuf.Writer = protobuf.Writer.create()): protobuf.Writer {
  for (const f of FIELDS[type].values()) {
    const v = m[f.name];
    if (v === undefined || v === null) continue;
    if (!SCALARS.has(f.type)) {
      for (const item of f.repeated ? (v as Message[]) : [v as Message]) encodeMessage(f.type, item, w.uint32((f.id << 3) | 2).fork()).ldelim();
    } else if (f.repeated && f.type !== "string" && f.type !== "bytes") {
      const list = v as number[];
      if (list.length === 0) continue;
      w.uint32((f.id << 3) | 2).fork();
      for (const item of list) writeScalar(w, f.type, item);
      w.ldelim();
    } else {
      for (const item of f.repeated ? (v as unknown[]) : [v]) writeScalar(w.uint32((f.id << 3) | WIRE[f.type]), f.type, item);
    }
  }
  return w;
}

export const ONNX_DTYPE: Record<number, string> = {
  1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 9: "bool", 10: "float16",
  11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2",
  20: "float8e5m2fnuz", 21: "uint4", 22: "int4", 23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2",
};

export type NumericArray = number[] | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Float32Array;

export interface OnnxTensor {
  name: string;
  dtype: string;
  dims: number[];
  /**
   * Element values (4-bit types unpacked), or null for dtypes this reader does not decode. 8- to 32-bit
   * integers and floats from raw_data stay typed arrays: weights run to millions of elements. float32 is
   * always a Float32Array, so its exact bits are kept.
   */
  values: NumericArray | null;
}

export interface OnnxNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, number | number[] | string | OnnxTensor>;
  /** Names of the FLOAT and FLOATS attributes (a number alone does not say which it was), for re-encoding. */
  floatAttrs?: string[];
}

type Long = { toNumber(): number } | number;
const num = (v: Long) => (typeof v === "number" ? v : v.toNumber());

function unpackNibbles(bytes: ArrayLike<number>, count: number, signed: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = (bytes[i >> 1] >> ((i & 1) * 4)) & 15;
    out.push(signed && v >= 8 ? v - 16 : v);
  }
  return out;
}

export function decodeTensor(buf: Uint8Array): OnnxTensor {
  return tensorFromObject(decodeMessage("TensorProto", buf));
}

/** `raw` copied into a fresh, aligned buffer; it must hold exactly the tensor's bytes. */
function aligned(raw: Uint8Array, bytes: number): ArrayBuffer {
  if (raw.length !== bytes) throw new RangeError(`raw_data holds ${raw.length} bytes where the dims need ${bytes}`);
  return Uint8Array.from(raw).buffer;
}

function tensorFromObject(t: Record<string, unknown>): OnnxTensor {
  const dims = (t.dims as Long[]).map(num);
  const dtype = ONNX_DTYPE[t.dataType as number] ?? `onnx-type-${t.dataType}`;
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData as Uint8Array;
  const hasRaw = raw && raw.length > 0;
  let values: NumericArray | null = null;
  switch (dtype) {
    case "float32":
      values = hasRaw ? new Float32Array(aligned(raw, 4 * count), 0, count) : Float32Array.from(t.floatData as number[]);
      break;
    case "int64":
      values = hasRaw
        ? Array.from(new BigInt64Array(aligned(raw, 8 * count), 0, count), Number)
        : (t.int64Data as Long[]).map(num);
      break;
    case "int8": case "uint8": case "int16": case "uint16": case "int32": {
      // One aligned copy viewed as the type, rather than per-element reads: weights run to millions.
      if (hasRaw) {
        const Ctor = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array }[dtype];
        values = new Ctor(aligned(raw, Ctor.BYTES_PER_ELEMENT * count), 0, count);
      } else {
        values = (t.int32Data as number[]).slice();
      }
      break;
    }
    case "int4": case "uint4":
      values = unpackNibbles(hasRaw ? raw : (t.int32Data as number[]), count, dtype === "int4");
      break;
    default:
      values = null;
  }
  if (values && values.length !== count) values = null; // a tensor whose data does not match its dims
  return { name: t.name as string, dtype, dims, values };
}

export interface OnnxValueInfo {
  name: string;
  dtype: string;
  /** Dimensions; a symbolic dimension is its name. */
  shape: (number | string)[];
  /** Whether the file gives a shape at all ([] is then a scalar); without one the shape is unknown. */
  hasShape: boolean;
}

export interface OnnxModel {
  opset: number;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** The graph's value_info: shapes and dtypes the file declares for intermediate values. */
  valueInfo: OnnxValueInfo[];
}

function readValueInfo(v: Record<string, unknown>): OnnxValueInfo {
  const tt = (v.type as { tensorType?: { elemType: number; shape?: { dim: { dimValue: Long; dimParam: string }[] } } } | null)?.tensorType;
  const shape = (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : num(d.dimValue)));
  return { name: v.name as string, dtype: ONNX_DTYPE[tt?.elemType ?? 0] ?? `onnx-type-${tt?.elemType}`, shape, hasShape: !!tt?.shape };
}

/** Decodes a ModelProto: the default-domain opset, nodes with attributes, initializers, inputs and outputs. */
export function decodeModel(buf: Uint8Array): OnnxModel {
  const m = decodeMessage("ModelProto", buf) as {
    opsetImport: { domain: string; version: Long }[];
    graph: { node: Record<string, unknown>[]; initializer: Record<string, unknown>[]; input: Record<string, unknown>[]; output: Record<string, unknown>[]; valueInfo: Record<string, unknown>[] } | null;
  };
  if (!m.graph) throw new Error("the model has no graph");
  const nodes = m.graph.node.map((n) => {
    const attrs: OnnxNode["attrs"] = {};
    const floatAttrs: string[] = [];
    for (const a of n.attribute as Record<string, unknown>[]) {
      if (a.type === 1 || a.type === 6) floatAttrs.push(a.name as string);
      // AttributeProto.AttributeType: FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, FLOATS = 6, INTS = 7
      const type = a.type as number;
      attrs[a.name as string] = type === 1 ? (a.f as number) : type === 2 ? num(a.i as Long)
        : type === 3 ? new TextDecoder().decode(a.s as Uint8Array)
          : type === 4 ? tensorFromObject(a.t as Record<string, unknown>)
            : type === 6 ? (a.floats as number[]) : (a.ints as Long[]).map(num);
    }
    return {
      opType: n.opType as string, domain: (n.domain as string) || "", name: (n.name as string) || "",
      inputs: n.input as string[], outputs: n.output as string[], attrs, floatAttrs,
    };
  });
  const initializers = m.graph.initializer.map(tensorFromObject);
  const constant = new Set(initializers.map((t) => t.name));
  const opset = m.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx");
  return {
    opset: opset ? num(opset.version) : 0,
    nodes,
    initializers,
    inputs: m.graph.input.map(readValueInfo).filter((v) => !constant.has(v.name)),
    outputs: m.graph.output.map(readValueInfo),
    valueInfo: m.graph.valueInfo.map(readValueInfo),
  };
}

// ---- building models (benchmarks build their onnxruntime-web peers with this) ----

export const ONNX_TYPE_ID: Record<string, number> = Object.fromEntries(Object.entries(ONNX_DTYPE).map(([id, name]) => [name, Number(id)]));

export interface TensorInit {
  name: string;
  /** int4 and uint4 data are packed nibbles, element 2i in the low one (as ONNX stores them). */
  dtype: "float32" | "int8" | "uint8" | "int32" | "int64" | "int4" | "uint4";
  dims: number[];
  data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;
}

export interface GraphSpec {
  /** Attributes: an integer, integers, a string, `{ float }` for a FLOAT one, `{ floats }` for FLOATS. */
  nodes: { opType: string; inputs: string[]; outputs: string[]; domain?: string; name?: string; attrs?: Record<string, number | number[] | string | { float: number } | { floats: number[] }> }[];
  /** Dimensions; a string is a symbolic dimension; null leaves the shape unknown (no shape in the file). */
  inputs: { name: string; dtype: string; dims: (number | string)[] | null }[];
  outputs: { name: string; dtype: string; dims: (number | string)[] | null }[];
  initializers: TensorInit[];
  opset: number;
}

const valueInfo = (v: { name: string; dtype: string; dims: (number | string)[] | null }) => ({
  name: v.name,
  type: { tensorType: { elemType: ONNX_TYPE_ID[v.dtype], ...(v.dims ? { shape: { dim: v.dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } : {}) } },
});

/** Serializes a one-graph model with raw little-endian initializers. */
export function encodeModel(g: GraphSpec): Uint8Array {
  const model = {
    irVersion: 8,
    opsetImport: [
      { domain: "", version: g.opset },
      ...(g.nodes.some((n) => n.domain === "com.microsoft") ? [{ domain: "com.microsoft", version: 1 }] : []),
    ],
    graph: {
      name: "dyad",
      node: g.nodes.map((n) => ({
        input: n.inputs, output: n.outputs, opType: n.opType, domain: n.domain ?? "", ...(n.name ? { name: n.name } : {}),
        // AttributeProto.AttributeType: FLOAT = 1, INT = 2, STRING = 3, FLOATS = 6, INTS = 7.
        attribute: Object.entries(n.attrs ?? {}).map(([name, v]) =>
          Array.isArray(v) ? { name, type: 7, ints: v }
            : typeof v === "string" ? { name, type: 3, s: new TextEncoder().encode(v) }
              : typeof v === "object" ? ("floats" in v ? { name, type: 6, floats: v.floats } : { name, type: 1, f: v.float }) : { name, type: 2, i: v }),
      })),
      initializer: g.initializers.map((t) => ({
        name: t.name, dims: t.dims, dataType: ONNX_TYPE_ID[t.dtype],
        rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
  };
  return encodeMessage("ModelProto", model).finish();
}
