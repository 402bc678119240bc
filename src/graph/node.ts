// The contract between the executor and an op instance inside a graph: built once at load (validate, pack
// constants, compute multipliers), then run with its tensors at fixed arena addresses.

import type { Runtime } from "../runtime/runtime.js";
import type { Shape } from "../tensor/shape.js";
import type { Graph, GraphNode, GraphTensor } from "./ir.js";

export interface NodeKernel {
  run(): void;
  dispose(): void;
}

export interface NodeContext {
  readonly rt: Runtime;
  readonly graph: Graph;
  readonly node: GraphNode;
  /** Address in wasm memory of a planned (activation) tensor. */
  ptr(id: number): number;
  tensor(id: number): GraphTensor;
  /** Input `i` of the node; throws a ShapeError naming `role` when the model omits it. */
  input(i: number, role: string): GraphTensor;
  /** Optional input `i`, or null when absent (index -1 or past the end). */
  optionalInput(i: number): GraphTensor | null;
  output(i: number, role: string): GraphTensor;
  /**
   * Checks output `i`'s declared shape against `inferred`, what the op computes from its inputs and
   * attributes: a ShapeError naming both when they differ. Every op calls it for every output it writes (the
   * executor refuses a builder that skipped one), so a file cannot make an op write more or less than it
   * computes.
   */
  checkOutputShape(i: number, inferred: Shape): GraphTensor;
  /**
   * Counts `bytes` of JavaScript memory the op keeps (index tables, scratch sized by its tensors) against the
   * model's maxMemoryBytes, before it allocates them: a MemoryError naming `what` past the limit.
   */
  reserve(bytes: number, what: string): void;
}

export type NodeBuilder = (ctx: NodeContext) => NodeKernel;
