// QDQ models (what onnxruntime's quantizer writes by default): DequantizeLinear -> Conv/MatMul ->
// QuantizeLinear with constant int8 weights (and int32 bias) is rewritten as one QLinearConv/QLinearMatMul
// node, so it runs as an integer op with ONNX's fp32 requantization, as onnxruntime fuses it too. Nodes the
// rewrite leaves without consumers are dropped; everything else is left as it was.

import type { OnnxModel, OnnxNode } from "./proto.js";
import { graphUses, isDefaultDomain } from "./graph-uses.js";

export function fuseQdq(model: OnnxModel): OnnxNode[] {
  const { producer, consumers } = graphUses(model);
  const constants = new Set(model.initializers.map((t) => t.name));
  /** The DequantizeLinear node producing `name`, if it is one. */
  const dq = (name: string | undefined) => {
    const n = name ? producer.get(name) : undefined;
    return n && isDefaultDomain(n) && n.opType === "DequantizeLinear" ? n : undefined;
  };
  const removed = new Set<OnnxNode>();
  const replacement = new Map<OnnxNode, OnnxNode>();
  for (const n of model.nodes) {
    if (!isDefaultDomain(n) || (n.opType !== "Conv" && n.opType !== "MatMul")) continue;
    const [dx, dw, db] = [dq(n.inputs[0]), dq(n.inputs[1]), n.inputs[2] ? dq(n.inputs[2]) : undefined];
    if (!dx || !dw || !constants.has(dw.inputs[0]) || (n.inputs[2] && (!db || !constants.has(db.inputs[0])))) continue;
    const out = n.outputs[0];
    if (consumers.get(out) !== 1) continue;
    const q = model.nodes.find((m) => isDefaultDomain(m) && m.opType === "QuantizeLinear" && m.inputs[0] === out);
    if (!q) continue;
    const fused: OnnxNode = {
      opType: n.opType === "Conv" ? "QLinearConv" : "QLinearMatMul",
      domain: "",
      name: n.name,
      inputs: [
        dx.inputs[0], dx.inputs[1], dx.inputs[2] ?? "",
        dw.inputs[0], dw.inputs[1], dw.inputs[2] ?? "",
        q.inputs[1], q.inputs[2] ?? "",
        ...(db ? [db.inputs[0]] : []),
      ],
      outputs: [q.outputs[0]],
      attrs: n.attrs,
    };
    replacement.set(n, fused);
    removed.add(q);
    for (const d of [dx, dw, db]) {
      if (!d) continue;
      const left = (consumers.get(d.outputs[0]) ?? 0) - 1;
      consumers.set(d.outputs[0], left);
      if (left === 0) removed.add(d);
    }
  }
  return model.nodes.filter((n) => !removed.has(n)).map((n) => replacement.get(n) ?? n);
}
