// QDQ models (what onnxruntime's quantizer writes by default): an operator between DequantizeLinear inputs and
// one QuantizeLinear is rewritten as the integer operator onnxruntime fuses it into, so it runs on 8-bit data:
// - Conv / MatMul with constant int8 weights (and int32 bias) -> QLinearConv / QLinearMatMul (ONNX's fp32
//   requantization);
// - Add, Mul -> com.microsoft QLinearAdd / QLinearMul; Concat -> QLinearConcat; AveragePool,
//   GlobalAveragePool -> QLinearAveragePool / QLinearGlobalAveragePool; Sigmoid, LeakyRelu and Relu (as a
//   LeakyRelu of slope 0) -> QLinearSigmoid / QLinearLeakyRelu; Softmax -> QLinearSoftmax.
// Those com.microsoft operators compute the float formula of dequantize -> operator -> quantize in float32
// (their files cite onnxruntime's kernels), so the rewrite changes no result. Inputs must be dequantized per
// tensor and the operator's output read only by the QuantizeLinear. Nodes the rewrite leaves without
// consumers are dropped; everything else is left as it was.

import type { OnnxModel, OnnxNode } from "./proto.js";
import { graphUses, isDefaultDomain } from "./graph-uses.js";

/** The fused node's inputs and attributes from the DequantizeLinear inputs (x, scale, zero point each). */
type Fusion = (dqs: OnnxNode[], q: OnnxNode, n: OnnxNode, opset: number) => { opType: string; domain: string; inputs: string[]; attrs: OnnxNode["attrs"] } | null;

const triple = (d: OnnxNode) => [d.inputs[0], d.inputs[1], d.inputs[2] ?? ""];
const qParams = (q: OnnxNode) => [q.inputs[1], q.inputs[2] ?? ""];
const ms = (opType: string, inputs: string[], attrs: OnnxNode["attrs"] = {}) => ({ opType, domain: "com.microsoft", inputs, attrs });

const UNARY: Record<string, Fusion> = {
  AveragePool: ([d], q, n) => ms("QLinearAveragePool", [...triple(d), ...qParams(q)], n.attrs),
  GlobalAveragePool: ([d], q) => ms("QLinearGlobalAveragePool", [...triple(d), ...qParams(q)]),
  Sigmoid: ([d], q) => ms("QLinearSigmoid", [...triple(d), ...qParams(q)]),
  LeakyRelu: ([d], q, n) => ms("QLinearLeakyRelu", [...triple(d), ...qParams(q)], { alpha: (n.attrs.alpha as number | undefined) ?? 0.01 }),
  Relu: ([d], q) => ms("QLinearLeakyRelu", [...triple(d), ...qParams(q)], { alpha: 0 }),
  Softmax: ([d], q, n, opset) => ms("QLinearSoftmax", [...triple(d), ...qParams(q)], { ...n.attrs, opset }),
};

const MULTI: Record<string, Fusion> = {
  Add: (dqs, q) => (dqs.length === 2 ? ms("QLinearAdd", [...triple(dqs[0]), ...triple(dqs[1]), ...qParams(q)]) : null),
  Mul: (dqs, q) => (dqs.length === 2 ? ms("QLinearMul", [...triple(dqs[0]), ...triple(dqs[1]), ...qParams(q)]) : null),
  Concat: (dqs, q, n) => ms("QLinearConcat", [...qParams(q), ...dqs.flatMap(triple)], { axis: n.attrs.axis as number }),
};

export function fuseQdq(model: OnnxModel): OnnxNode[] {
  const { producer, consumers } = graphUses(model);
  const constants = new Set(model.initializers.map((t) => t.name));
  const scalar = (name: string | undefined) => {
    const t = name ? model.initializers.find((i) => i.name === name) : undefined;
    return !!t && t.dims.reduce((a, b) => a * b, 1) === 1;
  };
  /** The DequantizeLinear node producing `name`, if it is one. */
  const dq = (name: string | undefined) => {
    const n = name ? producer.get(name) : undefined;
    return n && isDefaultDomain(n) && n.opType === "DequantizeLinear" ? n : undefined;
  };
  /** The one QuantizeLinear reading `out`, if `out` has no other reader. */
  const soleQ = (out: string) => (consumers.get(out) === 1
    ? model.nodes.find((m) => isDefaultDomain(m) && m.opType === "QuantizeLinear" && m.inputs[0] === out) : undefined);
  const removed = new Set<OnnxNode>();
  const replacement = new Map<OnnxNode, OnnxNode>();
  const consume = (ds: (OnnxNode | undefined)[], q: OnnxNode) => {
    removed.add(q);
    for (const d of ds) {
      if (!d) continue;
      const left = (consumers.get(d.outputs[0]) ?? 0) - 1;
      consumers.set(d.outputs[0], left);
      if (left === 0) removed.add(d);
    }
  };
  for (const n of model.nodes) {
    if (!isDefaultDomain(n)) continue;
    if (n.opType === "Conv" || n.opType === "MatMul") {
      const [dx, dw, db] = [dq(n.inputs[0]), dq(n.inputs[1]), n.inputs[2] ? dq(n.inputs[2]) : undefined];
      if (!dx || !dw || !constants.has(dw.inputs[0]) || (n.inputs[2] && (!db || !constants.has(db.inputs[0])))) continue;
      const q = soleQ(n.outputs[0]);
      if (!q) continue;
      replacement.set(n, {
        opType: n.opType === "Conv" ? "QLinearConv" : "QLinearMatMul", domain: "", name: n.name,
        inputs: [...triple(dx), ...triple(dw), ...qParams(q), ...(db ? [db.inputs[0]] : [])],
        outputs: [q.outputs[0]], attrs: n.attrs,
      });
      consume([dx, dw, db], q);
      continue;
    }
    const fusion = UNARY[n.opType] ?? MULTI[n.opType];
    if (!fusion) continue;
    const inputs = n.opType in UNARY ? n.inputs.slice(0, 1) : n.inputs;
    const dqs = inputs.map(dq);
    // Every input dequantized per tensor (a scalar scale), the output quantized per tensor.
    if (dqs.length === 0 || dqs.some((d) => !d || !scalar(d.inputs[1]))) continue;
    const q = soleQ(n.outputs[0]);
    if (!q || !scalar(q.inputs[1])) continue;
    const fused = fusion(dqs as OnnxNode[], q, n, model.opset);
    if (!fused) continue;
    replacement.set(n, { ...fused, name: n.name, outputs: [q.outputs[0]] });
    consume(dqs, q);
  }
  return model.nodes.filter((n) => !removed.has(n)).map((n) => replacement.get(n) ?? n);
}
