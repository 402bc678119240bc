// QDQ models (what onnxruntime's quantizer writes by default): an operator between DequantizeLinear inputs and
// one QuantizeLinear is rewritten as the integer operator onnxruntime fuses it into, so it runs on 8-bit data:
// - Conv / MatMul with constant int8 weights (and int32 bias) -> QLinearConv / QLinearMatMul (ONNX's fp32
//   requantization), a Relu or constant Clip between Conv and Q folded into the conv's output clamp; Gemm with constant B and an int32 bias (beta 1) -> com.microsoft QGemm;
// - Add, Mul -> com.microsoft QLinearAdd / QLinearMul; Concat -> QLinearConcat; AveragePool,
//   GlobalAveragePool -> QLinearAveragePool / QLinearGlobalAveragePool; Sigmoid, LeakyRelu and Relu (as a
//   LeakyRelu of slope 0) -> QLinearSigmoid / QLinearLeakyRelu; Softmax -> QLinearSoftmax.
// - MaxPool, Reshape, Flatten, Transpose, Squeeze, Unsqueeze -> the same operator on the 8-bit data (they move
//   or select values, and dequantization is increasing, so they commute with it), followed, when the two
//   quantizations differ, by a requantizing table (QLinearLeakyRelu with slope 1, i.e. the identity).
// Those com.microsoft operators compute the float formula of dequantize -> operator -> quantize in float32
// (their files cite onnxruntime's kernels), so the rewrite changes no result. Inputs must be dequantized per
// tensor and the operator's output read only by the QuantizeLinear. Nodes the rewrite leaves without
// consumers are dropped; everything else is left as it was.

import type { OnnxModel, OnnxNode } from "./proto.js";
import { graphUses, isDefaultDomain } from "./graph-uses.js";
import { FUSED_CLIP_ATTR } from "./fuse-clip.js";
import { DTYPES } from "../../tensor/dtype.js";
import { roundHalfEven } from "../../tensor/qtensor.js";

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

/** Operators that only move or select values (input 0 is the data; other inputs are shapes or axes). */
const MOVES = new Set(["MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze"]);

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
  const replacement = new Map<OnnxNode, OnnxNode[]>();
  const values = (name: string | undefined) => (name ? model.initializers.find((i) => i.name === name)?.values ?? null : null);
  /** The Relu or Clip (constant bounds) that alone reads `out`, with its float bounds. */
  const activation = (out: string): { node: OnnxNode; bounds: [number, number] } | undefined => {
    const m = consumers.get(out) === 1 ? model.nodes.find((x) => isDefaultDomain(x) && x.inputs[0] === out) : undefined;
    if (!m) return undefined;
    if (m.opType === "Relu") return { node: m, bounds: [0, Infinity] };
    if (m.opType !== "Clip") return undefined;
    if (model.opset < 11) return { node: m, bounds: [(m.attrs.min as number | undefined) ?? -Infinity, (m.attrs.max as number | undefined) ?? Infinity] };
    const bound = (i: number, none: number) => {
      if (!m.inputs[i]) return none;
      const v = values(m.inputs[i]);
      return v && v.length === 1 && model.initializers.find((t) => t.name === m.inputs[i])?.dtype === "float32" ? Number(v[0]) : undefined;
    };
    const [lo, hi] = [bound(1, -Infinity), bound(2, Infinity)];
    return lo === undefined || hi === undefined || lo > hi ? undefined : { node: m, bounds: [lo, hi] };
  };
  /** A float bound as QuantizeLinear `q` would quantize it (saturated; infinities to the type's ends). */
  const quantizeBound = (v: number, q: OnnxNode): number => {
    const { min, max } = DTYPES[zeroPointType(q) === "int8" ? "int8" : "uint8"];
    if (v === Infinity) return max;
    if (v === -Infinity) return min;
    const s = Number(values(q.inputs[1])![0]), z = q.inputs[2] ? Number(values(q.inputs[2])![0]) : 0;
    return Math.min(max, Math.max(min, roundHalfEven(Math.fround(v / s)) + z));
  };
  /** The 8-bit type a Quantize/DequantizeLinear works in: its zero point's (uint8 when there is none). */
  const zeroPointType = (n: OnnxNode) => (n.inputs[2] ? model.initializers.find((i) => i.name === n.inputs[2])?.dtype ?? "?" : "uint8");
  /** Whether a DequantizeLinear and a QuantizeLinear name the same scale and zero point (by name or value). */
  const sameParams = (d: OnnxNode, q: OnnxNode) => [1, 2].every((i) => {
    const [a, b] = [d.inputs[i] ?? "", q.inputs[i] ?? ""];
    if (a === b) return true;
    const [va, vb] = [values(a), values(b)];
    const value = (v: ArrayLike<number> | null, fallback: number) => (v ? Number(v[0]) : fallback);
    return (i === 2 || (va && vb)) && value(va, 0) === value(vb, 0);
  });
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
    if (n.opType === "Gemm") {
      // -> com.microsoft QGemm: constant B, an int32 bias C (quantized with a_scale * b_scale) or none.
      const [da, db, dc] = [dq(n.inputs[0]), dq(n.inputs[1]), n.inputs[2] ? dq(n.inputs[2]) : undefined];
      if (!da || !db || !constants.has(db.inputs[0]) || !scalar(da.inputs[1]) || (n.inputs[2] && (!dc || !constants.has(dc.inputs[0])))) continue;
      if (((n.attrs.beta as number | undefined) ?? 1) !== 1) continue;
      const q = soleQ(n.outputs[0]);
      if (!q || !scalar(q.inputs[1])) continue;
      const attrs = { ...n.attrs };
      delete attrs.beta;
      replacement.set(n, [{
        opType: "QGemm", domain: "com.microsoft", name: n.name,
        inputs: [...triple(da), ...triple(db), dc ? dc.inputs[0] : "", ...qParams(q)], outputs: [q.outputs[0]], attrs,
      }]);
      consume([da, db, dc], q);
      continue;
    }
    if (n.opType === "Conv" || n.opType === "MatMul") {
      const [dx, dw, db] = [dq(n.inputs[0]), dq(n.inputs[1]), n.inputs[2] ? dq(n.inputs[2]) : undefined];
      if (!dx || !dw || !constants.has(dw.inputs[0]) || (n.inputs[2] && (!db || !constants.has(db.inputs[0])))) continue;
      let q = soleQ(n.outputs[0]);
      // Conv -> Relu/Clip -> Q: the activation becomes a clamp of the output codes. Rounding is monotonic, so
      // Q(clip(x, lo, hi)) = clamp(Q(x), Q(lo), Q(hi)) exactly.
      const act = !q && n.opType === "Conv" ? activation(n.outputs[0]) : undefined;
      if (act) q = soleQ(act.node.outputs[0]);
      if (!q || (act && !scalar(q.inputs[1]))) continue;
      const attrs = act ? { ...n.attrs, [FUSED_CLIP_ATTR]: act.bounds.map((v) => quantizeBound(v, q!)) } : n.attrs;
      replacement.set(n, [{
        opType: n.opType === "Conv" ? "QLinearConv" : "QLinearMatMul", domain: "", name: n.name,
        inputs: [...triple(dx), ...triple(dw), ...qParams(q), ...(db ? [db.inputs[0]] : [])],
        outputs: [q.outputs[0]], attrs,
      }]);
      consume([dx, dw, db], q);
      if (act) removed.add(act.node);
      continue;
    }
    if (MOVES.has(n.opType)) {
      const d = dq(n.inputs[0]);
      const q = d && scalar(d.inputs[1]) ? soleQ(n.outputs[0]) : undefined;
      if (!d || !q || !scalar(q.inputs[1]) || n.outputs.length > 1 || zeroPointType(d) !== zeroPointType(q)) continue;
      const same = sameParams(d, q);
      const moved = same ? q.outputs[0] : `${q.outputs[0]}:moved`;
      const nodes: OnnxNode[] = [{ ...n, inputs: [d.inputs[0], ...n.inputs.slice(1)], outputs: [moved] }];
      if (!same) nodes.push({ name: `${n.name}:requantize`, outputs: [q.outputs[0]], ...ms("QLinearLeakyRelu", [moved, d.inputs[1], d.inputs[2] ?? "", ...qParams(q)], { alpha: 1 }) });
      replacement.set(n, nodes);
      consume([d], q);
      continue;
    }
    const fusion = UNARY[n.opType] ?? MULTI[n.opType];
    if (!fusion) continue;
    const inputs = n.opType in UNARY ? n.inputs.slice(0, 1) : n.inputs;
    const dqs = inputs.map(dq);
    // Every input dequantized per tensor (a scalar scale), the output quantized per tensor.
    if (dqs.length === 0 || dqs.some((d) => !d || !scalar(d.inputs[1]))) continue;
    // onnxruntime folds DequantizeLinear of an initializer before it fuses, so Add/Mul/Concat with a
    // constant operand run its float path (dequantize, float op, quantize); dyad folds it at import too.
    if (n.opType in MULTI && dqs.some((d) => constants.has(d!.inputs[0]))) continue;
    const q = soleQ(n.outputs[0]);
    if (!q || !scalar(q.inputs[1])) continue;
    const fused = fusion(dqs as OnnxNode[], q, n, model.opset);
    if (!fused) continue;
    replacement.set(n, [{ ...fused, name: n.name, outputs: [q.outputs[0]] }]);
    consume(dqs, q);
  }
  return model.nodes.filter((n) => !removed.has(n)).flatMap((n) => replacement.get(n) ?? [n]);
}
