// dyad's model IR: tensors and nodes in execution order. Importers build it; the planner places activations;
// the executor runs it. No format details and no math live here.

import type { Shape } from "../tensor/shape.js";

export type TensorDType = "int4" | "int8" | "uint8" | "int16" | "int32" | "int64" | "float32" | "bool";

export const DTYPE_BYTES: Record<TensorDType, number> = {
  int4: 0.5, int8: 1, uint8: 1, int16: 2, int32: 4, int64: 8, float32: 4, bool: 1,
};

export interface TensorQuant {
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** Quantized dimension for per-channel parameters, null for per tensor. */
  axis: number | null;
}

export interface GraphTensor {
  id: number;
  name: string;
  dtype: TensorDType;
  shape: Shape;
  quant: TensorQuant | null;
  /** Constant data (little-endian bytes), or null for activations. */
  data: Uint8Array | null;
}

export interface GraphNode {
  index: number;
  /** Operator name as the format calls it (for errors and profiles). */
  op: string;
  inputs: number[];
  outputs: number[];
}

export interface Graph {
  tensors: GraphTensor[];
  nodes: GraphNode[];
  inputs: number[];
  outputs: number[];
}

export function byteSize(t: GraphTensor): number {
  let n = 1;
  for (const d of t.shape) n *= d;
  return Math.ceil(n * DTYPE_BYTES[t.dtype]);
}

/** Largest tensor dyad will consider (bytes): sizes past it are refused before any arithmetic can lose precision. */
export const MAX_TENSOR_BYTES = 2 ** 32;
