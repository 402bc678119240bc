// Which format a model file is, from its bytes: TFLite flatbuffers carry "TFL3" at byte 4; an ONNX
// ModelProto is a protobuf whose first field is one of ModelProto's (ir_version, producer_name, ..., graph,
// opset_import), whose tags are the bytes below.

export type ModelFormat = "tflite" | "onnx";

/** ModelProto field tags as first bytes: fields 1-8 and 14 with their wire types (varint or length-delimited). */
const ONNX_FIRST_BYTES = new Set([0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72]);

export function modelFormat(bytes: Uint8Array): ModelFormat | null {
  if (bytes.length >= 8 && bytes[4] === 0x54 && bytes[5] === 0x46 && bytes[6] === 0x4c && bytes[7] === 0x33) return "tflite";
  if (bytes.length >= 2 && ONNX_FIRST_BYTES.has(bytes[0])) return "onnx";
  return null;
}
