// .tflite -> a plain, validated description of the model (no math, no wasm): tensors with dtypes, shapes,
// quantization and constant data views; operators with their builtin names and decoded options. The
// registry in import.ts turns it into dyad's graph.

import { ModelFormatError } from "../../errors.js";
import { FlatBufferView, type FbTable } from "./flatbuffer.js";
import {
  TFLITE_IDENTIFIER, MODEL, OPERATOR_CODE, SUBGRAPH, TENSOR, QUANTIZATION, OPERATOR, BUFFER, TENSOR_TYPES,
  OPTIONS, builtinName, type TfliteType,
} from "./schema.js";

export interface TfliteQuantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  type: TfliteType;
  shape: number[];
  /** Constant data (a view into the file), or null for activations. */
  data: Uint8Array | null;
  quantization: TfliteQuantization | null;
}

export type OptionValue = number | boolean | number[];

export interface TfliteOperator {
  index: number;
  /** Builtin name (e.g. "CONV_2D"), or "CUSTOM:<code>". */
  op: string;
  version: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  options: Record<string, OptionValue>;
}

export interface TfliteSubgraph {
  name: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

export interface TfliteModel {
  version: number;
  description: string;
  subgraphs: TfliteSubgraph[];
  byteLength: number;
}

function readOptions(op: string, table: FbTable | null): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const [name, slot, kind, fallback] of OPTIONS[op] ?? []) {
    if (kind === "int32s") out[name] = table ? table.int32s(slot, name) : [];
    else if (!table) out[name] = fallback;
    else if (kind === "int32") out[name] = table.int32(slot, fallback as number);
    else if (kind === "int8") out[name] = table.int8(slot, fallback as number);
    else if (kind === "bool") out[name] = table.bool(slot, fallback as boolean);
    else out[name] = table.float32(slot, fallback as number);
  }
  return out;
}

function readTensor(t: FbTable, index: number, buffers: (Uint8Array | null)[]): TfliteTensor {
  const typeCode = t.int8(TENSOR.type);
  const type = TENSOR_TYPES[typeCode];
  if (type === undefined) throw new ModelFormatError(`${t.path}: unknown tensor type ${typeCode}`, t.pos);
  const shape = t.int32s(TENSOR.shape, "shape");
  shape.forEach((d, i) => {
    if (d < 0) throw new ModelFormatError(`${t.path}: dimension ${i} is ${d}; dynamic shapes are not supported`, t.pos);
  });
  const bufferIndex = t.uint32(TENSOR.buffer);
  if (bufferIndex >= buffers.length) {
    throw new ModelFormatError(`${t.path}: buffer ${bufferIndex} does not exist (the model has ${buffers.length})`, t.pos);
  }
  if (t.has(TENSOR.sparsity)) throw new ModelFormatError(`${t.path}: sparse tensors are not supported`, t.pos);
  const q = t.table(TENSOR.quantization, "quantization");
  let quantization: TfliteQuantization | null = null;
  if (q) {
    const scale = q.float32s(QUANTIZATION.scale, "scale");
    const zeroPoint = q.int64s(QUANTIZATION.zeroPoint, "zero_point");
    if (q.uint8(QUANTIZATION.detailsType) !== 0) throw new ModelFormatError(`${t.path}: custom quantization is not supported`, q.pos);
    if (scale.length > 0) quantization = { scale, zeroPoint, quantizedDimension: q.int32(QUANTIZATION.quantizedDimension) };
  }
  const data = buffers[bufferIndex];
  return { index, name: t.string(TENSOR.name, "name") ?? "", type, shape, data: data && data.length > 0 ? data : null, quantization };
}

/** Parses and validates a .tflite file; throws ModelFormatError (with the byte offset) on malformed input. */
export function parseTflite(bytes: Uint8Array): TfliteModel {
  if (!(bytes instanceof Uint8Array)) throw new ModelFormatError("tflite: the model must be a Uint8Array");
  const fb = new FlatBufferView(bytes);
  const root = fb.root(TFLITE_IDENTIFIER, "tflite model");
  const version = root.uint32(MODEL.version);
  if (version !== 3) throw new ModelFormatError(`tflite: schema version ${version} is not supported (expected 3)`, root.pos);

  const buffers = root.tables(MODEL.buffers, "buffers").map((b) => {
    if (b.uint64(BUFFER.offset) > 1) throw new ModelFormatError(`${b.path}: buffers stored outside the flatbuffer (>2 GB models) are not supported`, b.pos);
    return b.bytesOf(BUFFER.data, "data");
  });
  const codes = root.tables(MODEL.operatorCodes, "operator_codes").map((c) => {
    // The builtin code is the larger of the deprecated byte field and the int32 field (schema 3a).
    const code = Math.max(c.int8(OPERATOR_CODE.deprecatedBuiltinCode), c.int32(OPERATOR_CODE.builtinCode));
    const name = builtinName(code);
    return { name: name === "CUSTOM" ? `CUSTOM:${c.string(OPERATOR_CODE.customCode, "custom_code") ?? ""}` : name, version: c.int32(OPERATOR_CODE.version, 1) };
  });

  const subgraphs = root.tables(MODEL.subgraphs, "subgraphs").map((g) => {
    const tensors = g.tables(SUBGRAPH.tensors, "tensors").map((t, i) => readTensor(t, i, buffers));
    const checkIndex = (i: number, where: string, optional: boolean) => {
      if ((optional && i === -1) || (i >= 0 && i < tensors.length)) return i;
      throw new ModelFormatError(`${g.path}.${where}: tensor index ${i} is out of range (${tensors.length} tensors)`, g.pos);
    };
    const operators = g.tables(SUBGRAPH.operators, "operators").map((o, index) => {
      const opcode = o.uint32(OPERATOR.opcodeIndex);
      const code = codes[opcode];
      if (!code) throw new ModelFormatError(`${o.path}: opcode index ${opcode} is out of range (${codes.length} codes)`, o.pos);
      const options = readOptions(code.name, o.table(OPERATOR.builtinOptions, "builtin_options"));
      return {
        index,
        op: code.name,
        version: code.version,
        inputs: o.int32s(OPERATOR.inputs, "inputs").map((i) => checkIndex(i, `operators[${index}].inputs`, true)),
        outputs: o.int32s(OPERATOR.outputs, "outputs").map((i) => checkIndex(i, `operators[${index}].outputs`, false)),
        options,
      };
    });
    return {
      name: g.string(SUBGRAPH.name, "name") ?? "",
      tensors,
      inputs: g.int32s(SUBGRAPH.inputs, "inputs").map((i) => checkIndex(i, "inputs", false)),
      outputs: g.int32s(SUBGRAPH.outputs, "outputs").map((i) => checkIndex(i, "outputs", false)),
      operators,
    };
  });
  if (subgraphs.length === 0) throw new ModelFormatError("tflite: the model has no subgraph", root.pos);
  return { version, description: root.string(MODEL.description, "description") ?? "", subgraphs, byteLength: bytes.length };
}
