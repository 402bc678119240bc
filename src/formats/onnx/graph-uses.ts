// What the ONNX graph rewrites (QDQ fusion, Conv+Clip fusion) ask of a node list: which node produces a
// value, how many readers a value has (a graph output counts as one), and whether a node is in ONNX's
// default domain.

import type { OnnxModel, OnnxNode } from "./proto.js";

export interface GraphUses {
  producer: Map<string, OnnxNode>;
  consumers: Map<string, number>;
}

export function graphUses(model: OnnxModel): GraphUses {
  const producer = new Map<string, OnnxNode>();
  const consumers = new Map<string, number>();
  for (const n of model.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) if (i) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  }
  for (const o of model.outputs) consumers.set(o.name, (consumers.get(o.name) ?? 0) + 1);
  return { producer, consumers };
}

export function isDefaultDomain(n: OnnxNode | undefined): n is OnnxNode {
  return !!n && (n.domain === "" || n.domain === "ai.onnx");
}
