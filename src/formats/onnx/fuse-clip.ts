// QLinearConv -> Clip on the integer output (how fused ReLU/ReLU6 reach ONNX QOperator files, dyad's export
// included) becomes one convolution with the clamp in its output stage: clamping the saturated int8 result
// once more is what Clip does, so the values are the same and one pass over the activation is saved.
// Fused only when the Clip bounds are initializers, the convolution's output feeds the Clip alone and is not
// a graph output, and min <= max; everything else is left for the standalone Clip.

import type { OnnxModel, OnnxNode } from "./proto.js";
import { graphUses, isDefaultDomain } from "./graph-uses.js";
import { DTYPES } from "../../tensor/dtype.js";

/** The attribute carrying the fused bounds, [min, max]; not an ONNX attribute, never written to files. */
export const FUSED_CLIP_ATTR = "dyad.clip";

export function fuseConvClip(model: OnnxModel): OnnxNode[] {
  const { producer, consumers } = graphUses(model);
  const initial = new Map(model.initializers.map((t) => [t.name, t]));
  const bound = (name: string | undefined) => {
    if (!name) return null;
    const t = initial.get(name);
    return t && t.values && t.values.length === 1 && (t.dtype === "int8" || t.dtype === "uint8") ? t.values[0] : undefined;
  };
  const removed = new Set<OnnxNode>();
  const replacement = new Map<OnnxNode, OnnxNode>();
  for (const clip of model.nodes) {
    if (!isDefaultDomain(clip) || clip.opType !== "Clip") continue;
    const conv = producer.get(clip.inputs[0]);
    if (!conv || !isDefaultDomain(conv) || conv.opType !== "QLinearConv" || replacement.has(conv)) continue;
    if (consumers.get(clip.inputs[0]) !== 1) continue;
    const [min, max] = [bound(clip.inputs[1]), bound(clip.inputs[2])];
    if (min === undefined || max === undefined) continue;
    const range = DTYPES[initial.get(conv.inputs[7] ?? "")?.dtype === "int8" ? "int8" : "uint8"];
    const [lo, hi] = [min ?? range.min, max ?? range.max];
    if (lo > hi) continue;
    replacement.set(conv, { ...conv, outputs: [clip.outputs[0]], attrs: { ...conv.attrs, [FUSED_CLIP_ATTR]: [lo, hi] } });
    removed.add(clip);
  }
  return model.nodes.filter((n) => !removed.has(n)).map((n) => replacement.get(n) ?? n);
}
