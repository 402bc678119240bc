// Building one-op graphs in tests, and the TFLite reference arithmetic the ops must equal.

import type { Graph, GraphTensor, TensorDType } from "../../src/graph/ir.js";
import type { NodeBuilder } from "../../src/graph/node.js";
import { Model } from "../../src/graph/model.js";
import type { Dyad } from "../../src/dyad.js";
import { quantizeMultiplier } from "../../src/quant/multiplier.js";
import { requantTflite } from "../../src/quant/requant.js";

export interface TensorSpec {
  dtype: TensorDType;
  shape: number[];
  scale?: number | number[];
  zeroPoint?: number | number[];
  axis?: number;
  data?: ArrayBufferView;
}

export function tensor(id: number, s: TensorSpec): GraphTensor {
  const scales = s.scale === undefined ? null : Array.isArray(s.scale) ? s.scale : [s.scale];
  const zps = s.zeroPoint === undefined ? scales?.map(() => 0) : Array.isArray(s.zeroPoint) ? s.zeroPoint : [s.zeroPoint];
  return {
    id, name: `t${id}`, dtype: s.dtype, shape: s.shape,
    quant: scales ? { scale: Float32Array.from(scales), zeroPoint: Int32Array.from(zps!), axis: scales.length > 1 ? (s.axis ?? 0) : null } : null,
    data: s.data ? new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength) : null,
  };
}

/** A graph of one node: tensors in order, the node reads `inputs` and writes `outputs` (tensor ids). */
export function oneOpModel(d: Dyad, op: string, builder: NodeBuilder, specs: TensorSpec[], inputs: number[], outputs: number[]): Model {
  const tensors = specs.map((s, i) => tensor(i, s));
  const graph: Graph = {
    tensors,
    nodes: [{ index: 0, op, inputs, outputs }],
    inputs: inputs.filter((i) => i >= 0 && tensors[i].data === null),
    outputs,
  };
  return new Model(d.runtime, graph, [builder]);
}

/** TFLite's per-channel multiplier for an accumulator of input scale * weight scale. */
export function multiplier(sx: number, sw: number, sy: number): { multiplier: number; shift: number } {
  return quantizeMultiplier((Math.fround(sx) * Math.fround(sw)) / Math.fround(sy));
}

export function requantOut(acc: number, m: { multiplier: number; shift: number }, zp: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, requantTflite(acc, m.multiplier, m.shift) + zp));
}
