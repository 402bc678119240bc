// The entry object: one loaded wasm instance with its arena, and the ops created on it.

import { Runtime, probeFeatures, type WasmSource, type RuntimeOptions, type Features } from "./runtime/runtime.js";
import type { KernelInfo } from "./runtime/kernels.js";
import { MatMul, type MatMulSpec } from "./ops/matmul.js";
import { MatMulF32, type MatMulF32Spec } from "./ops/matmul-f32.js";
import { Linear, type LinearSpec } from "./ops/linear.js";
import type { QTensor } from "./tensor/qtensor.js";
import { Model } from "./graph/model.js";
import { parseTflite } from "./formats/tflite/model.js";
import { importTflite } from "./formats/tflite/import.js";
import { importOnnx } from "./formats/onnx/import.js";
import { ModelFormatError, LoadError } from "./errors.js";
import { modelFormat } from "./formats/detect.js";

/**
 * Where the builds sit relative to this file, in the package (dist/ and src/ are siblings of build/); null
 * where modules have no URL to resolve against (Cloudflare Workers), where the module must be passed in.
 */
export const DEFAULT_WASM_URL: URL | null = wasmUrl("simd");
/** The relaxed-SIMD build: the SIMD build's exports plus kernels using relaxed SIMD (DESIGN.md §4). */
export const RELAXED_WASM_URL: URL | null = wasmUrl("relaxed");

function wasmUrl(build: "simd" | "relaxed"): URL | null {
  try {
    return new URL(`../build/dyad.${build}.wasm`, import.meta.url);
  } catch {
    return null;
  }
}

/** Which build to load: "auto" takes the relaxed one when the engine passes the known-answer probe. */
export type BuildChoice = "auto" | "simd" | "relaxed";

/** The build for this engine; "relaxed" on an engine without it is a LoadError naming the feature. */
export function chooseBuild(choice: BuildChoice = "auto"): "simd" | "relaxed" {
  if (choice !== "auto" && choice !== "simd" && choice !== "relaxed") throw new LoadError(`dyad: build must be "auto", "simd" or "relaxed", got ${String(choice)}`);
  const relaxed = probeFeatures().relaxedSimd;
  if (choice === "relaxed" && !relaxed) {
    throw new LoadError("dyad: the relaxed build needs relaxed SIMD (i32x4/i16x8.relaxed_dot_i8x16_i7x16), which this engine lacks or computes differently; load the SIMD build (build: \"simd\" or \"auto\")");
  }
  return choice === "auto" ? (relaxed ? "relaxed" : "simd") : choice;
}

export interface LoadModelOptions {
  /**
   * ONNX QDQ models: run every QuantizeLinear and DequantizeLinear as written, the operators between them in
   * float32 (simulated, "fake" quantization; onnxruntime with its graph optimizations disabled computes the
   * same), instead of fusing them into integer operators.
   */
  simulate?: boolean;
  /**
   * Bound on what the model may make dyad allocate (default 1 GiB): its activation arena, packed weights,
   * lookup and index tables. Checked against the file's declared sizes before anything is allocated, then on
   * every allocation while the model is built; past it, a MemoryError naming the tensor or buffer.
   */
  maxMemoryBytes?: number;
}

export interface MemoryStats {
  usedBytes: number;
  peakBytes: number;
  memoryBytes: number;
  limitBytes: number;
}

export class Dyad {
  readonly runtime: Runtime;

  private constructor(runtime: Runtime) {
    this.runtime = runtime;
  }

  /**
   * Loads the engine from a compiled WebAssembly.Module (Cloudflare Workers, Vercel Edge), wasm bytes, or a
   * URL (default: the build inside the package, fetched; in Node use `loadDyad` from "dyad/node").
   */
  static async load(source?: WasmSource, options: RuntimeOptions & { build?: BuildChoice } = {}): Promise<Dyad> {
    const from = source ?? (chooseBuild(options.build) === "relaxed" ? RELAXED_WASM_URL : DEFAULT_WASM_URL);
    if (!from) {
      throw new LoadError(`dyad: this runtime gives modules no URL to find the wasm by; import it and pass it: import wasm from "dyad/wasm/dyad.simd.wasm"; await Dyad.load(wasm)`);
    }
    return new Dyad(await Runtime.load(from, options));
  }

  /** "relaxed" when relaxed-SIMD kernels are in use, else "simd". */
  get build(): "simd" | "relaxed" {
    return this.runtime.build;
  }

  get features(): Features {
    return this.runtime.features;
  }

  /** The kernel chosen for each family at load. */
  get kernels(): KernelInfo[] {
    return [...this.runtime.kernels.values()];
  }

  get memory(): MemoryStats {
    const a = this.runtime.arena;
    return { usedBytes: a.usedBytes, peakBytes: a.peakBytes, memoryBytes: a.memoryBytes, limitBytes: a.limitBytes };
  }

  /** Integer matmul (QLinearMatMul, MatMulInteger, FULLY_CONNECTED). */
  matmul(spec: MatMulSpec): MatMul {
    return new MatMul(this.runtime, spec);
  }

  /**
   * Loads a model file (TFLite; ONNX for the QOperator matmul family so far): parses and validates it, plans
   * the activation arena, packs the weights. Throws ModelFormatError for malformed files and UnsupportedError
   * naming any op it cannot run.
   */
  loadModel(bytes: Uint8Array, options: LoadModelOptions = {}): Model {
    if (!(bytes instanceof Uint8Array)) throw new ModelFormatError("loadModel: the model must be a Uint8Array");
    if (bytes.length === 0) throw new ModelFormatError("loadModel: the model is empty (0 bytes)");
    const format = modelFormat(bytes);
    if (format === null) throw new ModelFormatError("loadModel: not a model dyad reads; it reads TFLite (\"TFL3\" at byte 4) and ONNX (a ModelProto protobuf)", 0);
    if (options.simulate && format === "tflite") throw new ModelFormatError("loadModel: simulate applies to ONNX QDQ models; for TFLite use simulateTflite");
    const { graph, builders } = format === "tflite" ? importTflite(parseTflite(bytes)) : importOnnx(bytes, { fuse: !options.simulate });
    return new Model(this.runtime, graph, builders, { maxMemoryBytes: options.maxMemoryBytes });
  }

  /**
   * A float linear layer on integer kernels: activations quantized per row at run time, int4/int8 weights
   * packed once (per tensor, per channel or group-wise). Dispose it to return the weights' memory.
   */
  createLinear(spec: LinearSpec): Linear {
    return new Linear(this.runtime, spec);
  }

  /**
   * y = x w + bias with x float32 [M, K] quantized per row at run time and w a QTensor [K, N]. The packed
   * weights are kept for the next call with the same QTensor and bias (and freed with it by the garbage
   * collector, or now by releaseLinear); for explicit lifetimes use createLinear.
   */
  linear(x: Float32Array, w: QTensor, bias?: Float32Array | readonly number[]): Float32Array {
    let cached = this.linears.get(w);
    if (!cached || cached.bias !== bias) {
      if (cached) this.releaseLinear(w);
      cached = { bias, op: new Linear(this.runtime, { weights: w, bias }) };
      this.linears.set(w, cached);
      this.finalizer?.register(w, cached.op, cached.op);
    }
    return cached.op.run(x);
  }

  /** Frees the weights that linear() packed for `w`. */
  releaseLinear(w: QTensor): void {
    const cached = this.linears.get(w);
    if (!cached) return;
    this.finalizer?.unregister(cached.op);
    cached.op.dispose();
    this.linears.delete(w);
  }

  private readonly linears = new WeakMap<QTensor, { bias: LinearSpec["bias"]; op: Linear }>();
  private readonly finalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry<Linear>((op) => op.dispose()) : null;

  /** Float32 matmul, the baseline. */
  matmulF32(spec: MatMulF32Spec): MatMulF32 {
    return new MatMulF32(this.runtime, spec);
  }
}
