// matmulF32: the float32 baseline (ONNX MatMul / Gemm without transposes, TFLite FULLY_CONNECTED in float),
// the reference point that int8 is measured against and later the engine of simulated quantization.
// validate -> create (pack the weights with the bias in front of each panel) -> run.

import { ShapeError, DTypeError, BufferError, StateError } from "../errors.js";
import { type Shape, checkShape, sizeOf, shapeString } from "../tensor/shape.js";
import type { Runtime } from "../runtime/runtime.js";
import type { Block } from "../runtime/arena.js";
import type { KernelInfo } from "../runtime/kernels.js";

export interface MatMulF32Spec {
  weights: Float32Array;
  /** [K, N] for layout "kn" (default), [N, K] for "nk". */
  shape: Shape;
  weightLayout?: "kn" | "nk";
  bias?: Float32Array;
  /** Output bounds (fused activation); default unbounded. */
  clamp?: { min?: number; max?: number };
}

export interface F32Tensor {
  data: Float32Array;
  shape: Shape;
}

export class MatMulF32 {
  readonly k: number;
  readonly n: number;
  private readonly rt: Runtime;
  private readonly gemm: KernelInfo;
  private readonly gemv: KernelInfo;
  private readonly min: number;
  private readonly max: number;
  private packed: Block | null;

  constructor(rt: Runtime, spec: MatMulF32Spec) {
    this.rt = rt;
    if (!(spec.weights instanceof Float32Array)) throw new DTypeError("matmulF32: weights must be a Float32Array");
    checkShape(spec.shape, "matmulF32 weights");
    if (spec.shape.length !== 2) throw new ShapeError(`matmulF32: weights shape must be 2-D, got ${shapeString(spec.shape)}`);
    const layout = spec.weightLayout ?? "kn";
    if (layout !== "kn" && layout !== "nk") throw new ShapeError(`matmulF32: weightLayout must be "kn" or "nk", got ${String(layout)}`);
    const [k, n] = layout === "kn" ? spec.shape : [spec.shape[1], spec.shape[0]];
    this.k = k;
    this.n = n;
    if (spec.weights.length !== k * n) {
      throw new BufferError(`matmulF32: weights shape ${shapeString(spec.shape)} has ${k * n} elements, data has ${spec.weights.length}`);
    }
    if (spec.bias !== undefined) {
      if (!(spec.bias instanceof Float32Array)) throw new DTypeError("matmulF32: bias must be a Float32Array");
      if (spec.bias.length !== n) throw new ShapeError(`matmulF32: bias has ${spec.bias.length} values, N = ${n}`);
    }
    this.min = spec.clamp?.min ?? -Infinity;
    this.max = spec.clamp?.max ?? Infinity;
    if (Number.isNaN(this.min) || Number.isNaN(this.max) || this.min > this.max) {
      throw new ShapeError(`matmulF32: clamp must satisfy min <= max, got [${this.min}, ${this.max}]`);
    }
    this.gemm = rt.kernel("gemm", "f32", "f32", "minmax");
    this.gemv = rt.kernel("gemv", "f32", "f32", "minmax");
    this.packed = rt.arena.alloc(rt.f32PackedBytes(k, n), "matmulF32 packed weights");
    const [sk, sn] = layout === "kn" ? [n, 1] : [1, k];
    rt.arena.scope(() => {
      const src = rt.upload(spec.weights, "matmulF32 weights");
      const bias = spec.bias ? rt.upload(spec.bias, "matmulF32 bias") : null;
      rt.packWeightsF32(k, n, src.ptr, sk, sn, bias ? bias.ptr : 0, this.packed!.ptr);
    });
  }

  /** x: [...batch, M, K] -> [...batch, M, N]. */
  run(x: F32Tensor): F32Tensor {
    if (this.packed === null) throw new StateError("matmulF32: run() after dispose()");
    if (!(x?.data instanceof Float32Array)) throw new DTypeError("matmulF32: input data must be a Float32Array");
    checkShape(x.shape, "matmulF32 input");
    const rank = x.shape.length;
    if (rank < 2 || x.shape[rank - 1] !== this.k) {
      throw new ShapeError(`matmulF32: input must be [...batch, M, K] with K = ${this.k}, got ${shapeString(x.shape)}`);
    }
    if (x.data.length !== sizeOf(x.shape)) {
      throw new BufferError(`matmulF32: input shape ${shapeString(x.shape)} has ${sizeOf(x.shape)} elements, data has ${x.data.length}`);
    }
    const rows = sizeOf(x.shape.slice(0, rank - 1));
    const rt = this.rt;
    const data = rt.arena.scope(() => {
      const a = rt.upload(x.data, "matmulF32 input");
      const out = rt.arena.alloc(rows * this.n * 4, "matmulF32 output");
      if (rows === 1) rt.gemvF32(this.gemv)(this.n, this.k, a.ptr, this.packed!.ptr, out.ptr, this.min, this.max);
      else rt.gemmF32(this.gemm)(rows, this.n, this.k, a.ptr, this.k, this.packed!.ptr, out.ptr, this.n, this.min, this.max);
      return rt.read(Float32Array, out, rows * this.n);
    });
    return { data, shape: [...x.shape.slice(0, rank - 1), this.n] };
  }

  /**
   * Rows already in wasm memory: `rows` rows of K floats at `aPtr`, `aStride` floats apart, into `rows` x N at
   * `outPtr`. Always the GEMM kernel (one fixed order over k, also for one row). The caller checked the sizes.
   */
  runInto(aPtr: number, aStride: number, rows: number, outPtr: number): void {
    if (this.packed === null) throw new StateError("matmulF32: run() after dispose()");
    this.rt.gemmF32(this.gemm)(rows, this.n, this.k, aPtr, aStride, this.packed.ptr, outPtr, this.n, this.min, this.max);
  }

  dispose(): void {
    if (this.packed) this.rt.arena.free(this.packed);
    this.packed = null;
  }
}
