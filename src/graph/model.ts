// The executor: plans the activation arena, builds every node, runs nodes in order. Inputs are copied into
// their arena slots and outputs out of theirs; nothing else crosses the JS/wasm boundary during a run.

import { BufferError, DTypeError, MemoryError, ShapeError, StateError, DyadError } from "../errors.js";
import type { Runtime } from "../runtime/runtime.js";
import type { Block } from "../runtime/arena.js";
import { type Graph, type GraphTensor, type TensorDType, byteSize, DTYPE_BYTES, MAX_TENSOR_BYTES } from "./ir.js";
import { planMemory, type MemoryPlan } from "./planner.js";
import type { NodeBuilder, NodeContext, NodeKernel } from "./node.js";
import { sameShape, shapeString, type Shape } from "../tensor/shape.js";

type Data = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | BigInt64Array;

const ARRAYS: Partial<Record<TensorDType, { new (buffer: ArrayBuffer, offset: number, length: number): Data; BYTES_PER_ELEMENT: number; name: string }>> = {
  int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array, int64: BigInt64Array,
  bool: Uint8Array,
};

export interface TensorInfo {
  name: string;
  dtype: TensorDType;
  shape: readonly number[];
  scale: number | null;
  zeroPoint: number | null;
}

export interface RunOptions {
  /** Called after each operator with its name, its index in the model and its time in milliseconds. */
  profile?: (op: string, index: number, ms: number) => void;
  /**
   * Arrays to receive the outputs (one per model output, of its dtype's array type and exact length): the
   * results are copied into them and returned in `data`, so steady-state runs allocate nothing.
   */
  outputs?: readonly Data[];
  /**
   * Float inputs holding NaN or ±Infinity are refused (a BufferError naming the input and the element) unless
   * this is true; then they run as the arithmetic takes them (NaN propagates; quantizing maps NaN to the zero
   * point and saturates infinities).
   */
  allowNonFinite?: boolean;
}

export interface ModelOutput extends TensorInfo {
  data: Data;
}

export interface ModelMemory {
  /** Bytes of the activation arena the planner laid out. */
  arenaBytes: number;
  /** What the activations would take without sharing. */
  unplannedBytes: number;
}

/** loadModel's default bound on what one model may make dyad allocate: arena, packed weights, tables. */
export const DEFAULT_MAX_MEMORY_BYTES = 2 ** 30;

/**
 * Every tensor's size from its shape, with the arithmetic checked: each dimension a non-negative integer and
 * the byte count below both MAX_TENSOR_BYTES and the model's limit; else a MemoryError naming the tensor.
 */
function checkMemory(graph: Graph, limit: number): void {
  for (const t of graph.tensors) {
    let n = 1;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new ShapeError(`tensor ${t.id} (${t.name}): dimension ${d} of [${t.shape}] is not a size`);
      n *= d;
      if (n * DTYPE_BYTES[t.dtype] > MAX_TENSOR_BYTES) break;
    }
    const bytes = n * DTYPE_BYTES[t.dtype];
    if (bytes > Math.min(limit, MAX_TENSOR_BYTES)) {
      throw new MemoryError(`tensor ${t.id} (${t.name}): ${t.dtype} [${t.shape}] needs ${bytes > MAX_TENSOR_BYTES ? `more than ${MAX_TENSOR_BYTES}` : bytes} bytes, past maxMemoryBytes = ${limit}`);
    }
  }
}

function info(t: GraphTensor): TensorInfo {
  return { name: t.name, dtype: t.dtype, shape: t.shape, scale: t.quant ? t.quant.scale[0] : null, zeroPoint: t.quant ? t.quant.zeroPoint[0] : null };
}

export class Model {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly memory: ModelMemory;
  private readonly rt: Runtime;
  private readonly graph: Graph;
  private readonly plan: MemoryPlan;
  private arena: Block | null;
  private readonly kernels: NodeKernel[] = [];

  constructor(rt: Runtime, graph: Graph, builders: NodeBuilder[], options: { maxMemoryBytes?: number } = {}) {
    const limit = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    if (!(Number.isSafeInteger(limit) && limit > 0)) throw new MemoryError(`loadModel: maxMemoryBytes must be a positive integer, got ${String(limit)}`);
    this.rt = rt;
    this.graph = graph;
    checkMemory(graph, limit);
    this.plan = planMemory(graph);
    this.memory = { arenaBytes: this.plan.arenaBytes, unplannedBytes: this.plan.totalBytes };
    for (const id of [...graph.inputs, ...graph.outputs]) {
      const t = graph.tensors[id];
      if (!ARRAYS[t.dtype]) throw new DTypeError(`model: graph ${graph.inputs.includes(id) ? "input" : "output"} tensor ${id} (${t.name}) is ${t.dtype}, which no typed array carries`);
    }
    this.inputs = graph.inputs.map((id) => info(graph.tensors[id]));
    this.outputs = graph.outputs.map((id) => info(graph.tensors[id]));
    const constants = graph.tensors.reduce((sum, t) => sum + (t.data ? t.data.length : 0), 0);
    if (this.plan.arenaBytes + constants > limit) {
      throw new MemoryError(`model: ${this.plan.arenaBytes} bytes of activations and ${constants} of constants pass maxMemoryBytes = ${limit}`);
    }
    // One budget for all the model makes dyad allocate: its arena, what its ops pack, the tables they keep.
    const why = `the model's maxMemoryBytes = ${limit}`;
    const start = rt.arena.usedBytes;
    this.arena = null;
    rt.arena.capped(limit, why, () => {
      this.arena = rt.arena.alloc(this.plan.arenaBytes, "model activations");
      this.build(builders, (bytes) => bytes + rt.arena.usedBytes - start <= limit, why);
    });
  }

  /** Builds every node; `fits(js)`: whether `js` bytes of JavaScript tables fit the budget beside the arena's use. */
  private build(builders: NodeBuilder[], fits: (jsBytes: number) => boolean, why: string): void {
    const { rt, graph } = this;
    let kept = 0; // JavaScript bytes the ops reserved
    try {
      graph.nodes.forEach((node, i) => {
        const pick = (list: number[], i: number, kind: string, role: string) => {
          const id = list[i];
          if (id === undefined || id < 0) throw new ShapeError(`${kind} ${i} (${role}) is missing: the node has ${list.length}`);
          return graph.tensors[id];
        };
        const checked = new Set<number>();
        const ctx: NodeContext = {
          rt, graph, node,
          ptr: (id: number) => this.ptr(id),
          tensor: (id: number) => graph.tensors[id],
          input: (i: number, role: string) => pick(node.inputs, i, "input", role),
          optionalInput: (i: number) => (node.inputs[i] === undefined || node.inputs[i] < 0 ? null : graph.tensors[node.inputs[i]]),
          output: (i: number, role: string) => pick(node.outputs, i, "output", role),
          reserve: (bytes: number, what: string) => {
            kept += bytes;
            if (!fits(kept)) throw new MemoryError(`${what} needs ${bytes} bytes, past ${why}`);
          },
          checkOutputShape: (i: number, inferred: Shape) => {
            const t = pick(node.outputs, i, "output", "output");
            if (!sameShape(t.shape, inferred)) {
              throw new ShapeError(`output ${i} (tensor ${t.id} "${t.name}") is declared ${shapeString(t.shape)}; the op computes ${shapeString(inferred)} from its inputs`);
            }
            checked.add(i);
            return t;
          },
        };
        try {
          const kernel = rt.arena.undoOnThrow(() => builders[i](ctx));
          this.kernels.push(kernel);
          // Every output an op writes has its shape checked; one it never looked at is one it does not produce.
          if (checked.size !== node.outputs.length) throw new ShapeError(`the file declares ${node.outputs.length} outputs; the op produces ${checked.size}`);
        } catch (e) {
          if (e instanceof DyadError) e.message = `op ${node.index} (${node.op}): ${e.message}`;
          throw e;
        }
      });
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  private ptr(id: number): number {
    const offset = this.plan.offsets[id];
    if (offset < 0) throw new StateError(`tensor ${id} (${this.graph.tensors[id].name}) has no arena slot`);
    return this.arena!.ptr + offset;
  }

  /**
   * Runs the model. Inputs in the order of `model.inputs` (or by name), each a typed array of the input's
   * dtype and exact element count. Returns the outputs as copies.
   */
  run(inputs: readonly Data[] | Record<string, Data>, options: RunOptions = {}): ModelOutput[] {
    if (this.arena === null) throw new StateError("model: run() after dispose()");
    // run() is synchronous, so callers on other async paths simply queue; only a profile callback could
    // re-enter it, and the arena holds one run's tensors.
    if (this.running) throw new StateError("model: run() called from inside run() (a profile callback); the arena holds one run at a time");
    this.running = true;
    try {
      return this.runOnce(inputs, options);
    } finally {
      this.running = false;
    }
  }

  private running = false;

  private runOnce(inputs: readonly Data[] | Record<string, Data>, options: RunOptions): ModelOutput[] {
    const list = Array.isArray(inputs) ? inputs : this.inputs.map((t) => (inputs as Record<string, Data>)[t.name]);
    if (list.length !== this.graph.inputs.length) {
      throw new ShapeError(`model: expected ${this.graph.inputs.length} inputs (${this.inputs.map((t) => t.name).join(", ")}), got ${list.length}`);
    }
    const checked = this.graph.inputs.map((id, i) => {
      const data = checkData(list[i], this.graph.tensors[id], `model input ${i}`);
      if (data instanceof Float32Array && !options.allowNonFinite) checkFinite(data, `model input ${i} (${this.graph.tensors[id].name})`);
      return data;
    });
    // Caller-owned output arrays are checked before anything runs.
    const into = options.outputs;
    if (into !== undefined) {
      if (into.length !== this.graph.outputs.length) {
        throw new ShapeError(`model: expected ${this.graph.outputs.length} output arrays (${this.outputs.map((t) => t.name).join(", ")}), got ${into.length}`);
      }
      this.graph.outputs.forEach((id, i) => checkData(into[i], this.graph.tensors[id], `model output ${i}`));
      into.forEach((a, i) => into.forEach((b, j) => {
        if (j > i && a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength) {
          throw new BufferError(`model: output arrays ${i} and ${j} overlap; each output needs memory of its own`);
        }
      }));
    }
    // Inputs are copied in only now, after every check: an output array may be an input array too (the
    // results are copied out after the whole run).
    this.graph.inputs.forEach((id, i) => {
      const t = this.graph.tensors[id];
      this.rt.write({ ptr: this.ptr(id), bytes: byteSize(t), what: t.name }, checked[i]);
    });
    for (let i = 0; i < this.kernels.length; i++) {
      if (options.profile) {
        const t0 = performance.now();
        this.kernels[i].run();
        options.profile(this.graph.nodes[i].op, this.graph.nodes[i].index, performance.now() - t0);
      } else {
        this.kernels[i].run();
      }
    }
    return this.graph.outputs.map((id, i) => {
      const t = this.graph.tensors[id];
      const block = { ptr: this.ptr(id), bytes: byteSize(t), what: t.name };
      if (into !== undefined) {
        this.rt.readInto(block, into[i]);
        return { ...info(t), data: into[i] };
      }
      const ctor = ARRAYS[t.dtype]!;
      return { ...info(t), data: this.rt.read(ctor as never, block, block.bytes / ctor.BYTES_PER_ELEMENT) as Data };
    });
  }

  dispose(): void {
    for (const k of this.kernels.splice(0).reverse()) k.dispose();
    if (this.arena) this.rt.arena.free(this.arena);
    this.arena = null;
  }
}

function checkFinite(data: Float32Array, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new BufferError(`${what}: element ${i} is ${data[i]}; pass { allowNonFinite: true } to run it anyway`);
  }
}

/** `data` as the typed array a tensor needs (its dtype's array type, its exact size), or a typed error. */
function checkData(data: Data | undefined, t: GraphTensor, what: string): Data {
  const ctor = ARRAYS[t.dtype];
  if (!ctor || !(data instanceof ctor)) {
    throw new DTypeError(`${what} (${t.name}): expected ${t.dtype} data (${ctor?.name ?? "unsupported"}), got ${data?.constructor?.name ?? typeof data}`);
  }
  const bytes = byteSize(t);
  if (data.byteLength !== bytes) {
    throw new BufferError(`${what} (${t.name}): shape [${t.shape.join(", ")}] needs ${bytes / ctor.BYTES_PER_ELEMENT} elements, got ${data.length}`);
  }
  return data;
}
