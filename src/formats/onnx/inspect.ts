// A human-readable listing of an ONNX model: opset, inputs, outputs, initializers, nodes with attributes.

import { decodeModel, type OnnxTensor } from "./proto.js";

const fmt = (v: unknown): string =>
  Array.isArray(v) ? `[${v.join(",")}]` : typeof v === "object" && v !== null ? `tensor ${(v as OnnxTensor).dtype}[${(v as OnnxTensor).dims}]` : String(v);

export function inspectOnnx(bytes: Uint8Array): string {
  const m = decodeModel(bytes);
  const lines = [`onnx model: ${bytes.length} bytes, opset ${m.opset}, ${m.nodes.length} nodes`];
  for (const v of m.inputs) lines.push(`  input  ${v.name}: ${v.dtype} [${v.shape.join(", ")}]`);
  for (const v of m.outputs) lines.push(`  output ${v.name}: ${v.dtype} [${v.shape.join(", ")}]`);
  for (const t of m.initializers) {
    const values = t.values && t.values.length <= 4 ? ` = [${t.values.join(", ")}]` : "";
    lines.push(`  const  ${t.name}: ${t.dtype} [${t.dims.join(", ")}]${values}`);
  }
  m.nodes.forEach((n, i) => {
    const attrs = Object.entries(n.attrs).map(([k, v]) => `${k}=${fmt(v)}`).join(", ");
    lines.push(`  node${i} ${n.domain ? `${n.domain}.` : ""}${n.opType}(${n.inputs.join(", ")}) -> ${n.outputs.join(", ")}${attrs ? ` {${attrs}}` : ""}`);
  });
  return lines.join("\n");
}
