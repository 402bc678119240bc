// matmul: integer inputs, integer outputs. Semantics of ONNX QLinearMatMul (requant "fp32") and MatMulInteger
// (int32 output), and of TFLite FULLY_CONNECTED (requant "tflite"/"single", weights [N, K], bias).
//
// validate -> create -> run:
//   create checks every argument, packs the weights into arena panels, folds the zero points into the bias
//   (bias_j + K*za*zb_j - za*sum_k b_kj, DESIGN.md §2), and computes one (multiplier, shift) per output channel.
//   run checks the input, widens it into the arena, calls the selected GEMM (or GEMV for one row) and copies
//   the result out. uint8 activations and weights enter the int8 core through xor 0x80.

import { ShapeError, DTypeError, QuantParamError, BufferError, UnsupportedError, StateError } from "../errors.js";
import { QTensor } from "../tensor/qtensor.js";
import { type Shape, sizeOf, shapeString } from "../tensor/shape.js";
import { quantizeMultiplier, fp32Multiplier, type RequantMode, type QuantizedMultiplier, REQUANT_MODES } from "../quant/multiplier.js";
import { tfliteLanes } from "../quant/lane-multipliers.js";
import type { Runtime } from "../runtime/runtime.js";
import type { Block } from "../runtime/arena.js";
import type { KernelInfo } from "../runtime/kernels.js";
import {
  type ActivationQuant, type OutputQuant, type ActivationDType,
  checkActivationDType, checkScale, checkZeroPoint, checkClamp,
} from "./quant-args.js";

export interface MatMulSpec {
  /** int8 or uint8 weights: [K, N] or [...batch, K, N] for layout "kn", [N, K] for "nk". */
  weights: QTensor;
  /** "kn" (default): ONNX MatMul's B. "nk": TFLite FULLY_CONNECTED's filter. */
  weightLayout?: "kn" | "nk";
  /** int32 bias per output channel (scale inputScale * weightScale), added before requantization. */
  bias?: Int32Array | readonly number[];
  input: ActivationQuant;
  output: OutputQuant;
  /** Requantization mode (DESIGN.md §2); default "tflite". Ignored for int32 output. */
  requant?: RequantMode;
  /** Quantized output bounds (fused activation); default the output dtype's range. */
  clamp?: { min?: number; max?: number };
}

/** An int8/uint8 activation tensor: a QTensor, or raw data with a shape (quantized as the spec's input). */
export type MatMulInput = QTensor | { data: Int8Array | Uint8Array; shape: Shape };

const XOR_U8 = 0x80;

export class MatMul {
  readonly k: number;
  readonly n: number;
  /** Leading batch dimensions of the weights ([] for a single matrix). */
  readonly weightBatch: Shape;
  readonly requant: RequantMode | "s32";
  private readonly rt: Runtime;
  private readonly input: { dtype: ActivationDType; scale: number; zeroPoint: number };
  private readonly output: { dtype: ActivationDType | "int32"; scale: number; zeroPoint: number; qmin: number; qmax: number };
  private readonly outScale: Float32Array;
  private readonly batchBytes: number;
  private readonly hasWeightZeroPoints: boolean;
  private readonly gemm: KernelInfo;
  private readonly gemv: KernelInfo;
  private packed: Block | null;
  private rq: Block | null;
  private wzp: Block | null;

  constructor(rt: Runtime, spec: MatMulSpec) {
    this.rt = rt;
    const w = spec.weights;
    if (!(w instanceof QTensor)) throw new DTypeError("matmul: weights must be a QTensor");
    if (w.dtype !== "int8" && w.dtype !== "uint8") {
      throw new DTypeError(`matmul: weights dtype must be int8 or uint8, got ${w.dtype}`);
    }
    const layout = spec.weightLayout ?? "kn";
    if (layout !== "kn" && layout !== "nk") throw new ShapeError(`matmul: weightLayout must be "kn" or "nk", got ${String(layout)}`);
    const rank = w.shape.length;
    if (rank < 2 || (layout === "nk" && rank !== 2)) {
      throw new ShapeError(`matmul: weights must be ${layout === "nk" ? "[N, K]" : "[K, N] or [...batch, K, N]"}, got ${shapeString(w.shape)}`);
    }
    const k = layout === "kn" ? w.shape[rank - 2] : w.shape[1];
    const n = layout === "kn" ? w.shape[rank - 1] : w.shape[0];
    this.k = k;
    this.n = n;
    this.weightBatch = Object.freeze(w.shape.slice(0, rank - 2));
    const channelAxis = layout === "kn" ? rank - 1 : 0;
    if (w.blockSize !== 0) throw new UnsupportedError("matmul: blocked (group-wise) int8 weights are not supported; use per-channel scales");
    if (w.axis !== null && w.axis !== channelAxis) {
      throw new QuantParamError(`matmul: per-axis weights must be quantized along the output-channel axis ${channelAxis}, got axis ${w.axis}`);
    }
    const perChannel = w.axis !== null;

    // Activation and output parameters.
    checkActivationDType(spec.input?.dtype, "matmul input");
    const int32Out = spec.output?.dtype === "int32";
    if (!int32Out) checkActivationDType(spec.output?.dtype, "matmul output");
    const inScale = spec.input.scale === undefined && int32Out ? 1 : checkScale(spec.input.scale, "matmul input");
    this.input = { dtype: spec.input.dtype, scale: inScale, zeroPoint: checkZeroPoint(spec.input.zeroPoint, spec.input.dtype, "matmul input") };
    const requant = spec.requant ?? "tflite";
    if (!REQUANT_MODES.includes(requant)) throw new UnsupportedError(`matmul: requant must be one of ${REQUANT_MODES.join(", ")}, got ${String(requant)}`);
    this.requant = int32Out ? "s32" : requant;
    if (int32Out) {
      if (spec.clamp !== undefined) throw new UnsupportedError("matmul: clamp applies to int8/uint8 output, not int32");
      this.output = { dtype: "int32", scale: 1, zeroPoint: 0, qmin: 0, qmax: 0 };
    } else {
      const o = spec.output as { dtype: ActivationDType; scale: number; zeroPoint?: number };
      const scale = checkScale(o.scale, "matmul output");
      const zeroPoint = checkZeroPoint(o.zeroPoint, o.dtype, "matmul output");
      const [qmin, qmax] = checkClamp(spec.clamp, o.dtype, "matmul output");
      this.output = { dtype: o.dtype, scale, zeroPoint, qmin, qmax };
    }

    // Bias.
    let bias: Int32Array | null = null;
    if (spec.bias !== undefined) {
      if (spec.bias.length !== n) throw new ShapeError(`matmul: bias has ${spec.bias.length} values, the weights have N = ${n} output channels`);
      bias = Int32Array.from(spec.bias, (v, i) => {
        if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new QuantParamError(`matmul: bias[${i}] = ${v} is not an int32`);
        return v;
      });
    }

    // Per-channel requantization parameters (rq[2j], rq[2j + 1]; then, for TFLite per channel, the per-lane
    // form the GEMM's epilogue reads: assembly/gemm/s8-gemm-4x8c2.ts), padded to a multiple of 8 channels with copies of the last one
    // (so that a per-tensor panel stays uniform and the kernel can skip its transposes).
    const np = (n + 7) & ~7;
    const pairs = new Int32Array(np * 2);
    const multipliers: QuantizedMultiplier[] = [];
    this.outScale = new Float32Array(perChannel ? n : 1);
    for (let j = 0; j < n; j++) {
      const sw = w.scale[perChannel ? j : 0];
      if (j < this.outScale.length) this.outScale[j] = Math.fround(inScale * sw);
      if (int32Out) continue;
      if (requant === "fp32") {
        pairs[2 * j] = new Int32Array(Float32Array.of(fp32Multiplier(inScale, sw, this.output.scale)).buffer)[0];
      } else {
        const real = (Math.fround(inScale) * Math.fround(sw)) / Math.fround(this.output.scale);
        const q = quantizeMultiplier(real, requant);
        pairs[2 * j] = q.multiplier;
        pairs[2 * j + 1] = q.shift;
        multipliers.push(q);
      }
    }

    for (let j = n; j < np; j++) {
      pairs[2 * j] = pairs[2 * n - 2];
      pairs[2 * j + 1] = pairs[2 * n - 1];
    }
    const rq = requant === "tflite" && perChannel && !int32Out ? withLanes(pairs, multipliers) : pairs;

    // Zero points in the int8 domain; the weights' fold into the bias, per-row corrections need wzp.
    const za = this.input.zeroPoint - (this.input.dtype === "uint8" ? XOR_U8 : 0);
    const wxor = w.dtype === "uint8" ? XOR_U8 : 0;
    const wzp = new Int32Array(np);
    for (let j = 0; j < n; j++) wzp[j] = w.zeroPoint[perChannel ? j : 0] - wxor;
    this.hasWeightZeroPoints = wzp.some((z) => z !== 0);
    const foldedBias = new Int32Array(n);
    for (let j = 0; j < n; j++) foldedBias[j] = ((bias ? bias[j] : 0) + Math.imul(Math.imul(k, za), wzp[j])) | 0;

    this.gemm = rt.kernel("gemm", "s8", "s8", this.requant);
    this.gemv = rt.kernel("gemv", "s8", "s8", this.requant);

    // Pack every weight matrix of the batch into arena panels.
    const batches = sizeOf(this.weightBatch);
    this.batchBytes = rt.s8PackedBytes(k, n);
    const [sk, sn] = layout === "kn" ? [n, 1] : [1, k];
    this.packed = rt.arena.alloc(this.batchBytes * batches, "matmul packed weights");
    try {
      rt.arena.scope(() => {
        const src = rt.upload(w.data, "matmul weights");
        const biasBlock = rt.upload(foldedBias, "matmul bias");
        for (let b = 0; b < batches; b++) {
          rt.packWeightsS8(k, n, src.ptr + b * k * n, sk, sn, wxor, biasBlock.ptr, za, this.packed!.ptr + b * this.batchBytes);
        }
      });
      this.rq = rt.upload(rq, "matmul requantization parameters");
      this.wzp = rt.upload(wzp, "matmul weight zero points");
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** Output dtype. */
  get outputDType(): ActivationDType | "int32" {
    return this.output.dtype;
  }

  /** Runs the product for an input of shape [...batch, M, K]; returns [...batch, M, N]. */
  run(x: MatMulInput): QTensor {
    if (this.packed === null) throw new StateError("matmul: run() after dispose()");
    const { data, shape } = this.checkInput(x);
    const rank = shape.length;
    const m = shape[rank - 2];
    const batch = shape.slice(0, rank - 2);
    const batches = sizeOf(batch);
    const outShape = [...batch, m, this.n];
    const int32Out = this.output.dtype === "int32";
    const esize = int32Out ? 4 : 1;
    const rt = this.rt;
    const n = this.n;
    const result = rt.arena.scope(() => {
      const a = rt.upload(data, "matmul input");
      const out = rt.arena.alloc(batches * m * n * esize, "matmul output");
      this.runInto(a.ptr, batches, m, out.ptr);
      return int32Out
        ? rt.read(Int32Array, out, batches * m * n)
        : this.output.dtype === "uint8"
          ? rt.read(Uint8Array, out, batches * m * n)
          : rt.read(Int8Array, out, batches * m * n);
    });
    if (int32Out) {
      const perChannel = this.outScale.length > 1;
      return new QTensor({ dtype: "int32", shape: outShape, data: result, scale: this.outScale, axis: perChannel ? -1 : null });
    }
    return new QTensor({
      dtype: this.output.dtype as ActivationDType, shape: outShape, data: result,
      scale: this.output.scale, zeroPoint: this.output.zeroPoint,
    });
  }

  /**
   * Runs on activations already in wasm memory: `batches` x `m` rows of K at `aPtr`, results (M x N, int8/uint8
   * or int32) to `outPtr`. The caller has checked the sizes; scratch is taken from and returned to the arena.
   */
  runInto(aPtr: number, batches: number, m: number, outPtr: number): void {
    if (this.packed === null) throw new StateError("matmul: run() after dispose()");
    const rt = this.rt;
    const k = this.k, kp = (k + 1) & ~1;
    const xor = this.input.dtype === "uint8" ? XOR_U8 : 0;
    rt.arena.scope(() => {
      // The GEMM reads whole tiles of MR rows: MR - 1 rows of padding after the last.
      const a16 = rt.arena.alloc((batches * m + this.gemm.mr - 1) * kp * 2, "matmul widened input");
      const rowsums = this.hasWeightZeroPoints ? rt.arena.alloc(batches * m * 4, "matmul input row sums") : null;
      rt.packActivationsS8(batches * m, k, aPtr, k, xor, a16.ptr, rowsums ? rowsums.ptr : 0);
      this.multiply(a16.ptr, rowsums ? rowsums.ptr : 0, batches, m, outPtr);
    });
  }

  /** Rows of activations the GEMM reads beyond the last one (allocate them after widened inputs). */
  get paddingRows(): number {
    return this.gemm.mr - 1;
  }

  /**
   * The products on activations already widened to int16 rows of K rounded up to 2 (pack_a_s8_i16 or
   * im2col), followed by `paddingRows` spare rows; `rowsums` only when the weights have zero points.
   */
  multiply(a16: number, rowsums: number, batches: number, m: number, outPtr: number): void {
    if (this.packed === null) throw new StateError("matmul: run() after dispose()");
    const rt = this.rt;
    const k = this.k, n = this.n, kp = (k + 1) & ~1;
    const esize = this.output.dtype === "int32" ? 4 : 1;
    const outXor = this.output.dtype === "uint8" ? XOR_U8 : 0;
    const zpS8 = this.output.zeroPoint - outXor;
    const qmin = this.output.qmin - outXor, qmax = this.output.qmax - outXor;
    const weightBatches = sizeOf(this.weightBatch);
    const wzp = this.hasWeightZeroPoints ? this.wzp!.ptr : 0;
    const gemm = rt.gemmS8(this.gemm);
    const gemv = rt.gemvS8(this.gemv);
    // One weight matrix serves every batch as one taller product; batched weights go one batch at a time.
    const [loops, rows] = weightBatches === 1 ? [1, batches * m] : [batches, m];
    for (let b = 0; b < loops; b++) {
      const w = this.packed.ptr + b * this.batchBytes;
      const ap = a16 + b * rows * kp * 2;
      const op = outPtr + b * rows * n * esize;
      if (rows === 1) {
        const rowsum = rowsums ? new Int32Array(rt.bytes().buffer, rowsums + b * 4, 1)[0] : 0;
        gemv(n, k, ap, w, this.rq!.ptr, rowsum, wzp, op, zpS8, qmin, qmax, outXor);
      } else {
        gemm(rows, n, k, ap, w, this.rq!.ptr, rowsums ? rowsums + b * rows * 4 : 0, wzp, op, n, zpS8, qmin, qmax, outXor);
      }
    }
  }

  private checkInput(x: MatMulInput): { data: Int8Array | Uint8Array; shape: Shape } {
    if (x === null || typeof x !== "object") throw new BufferError("matmul: input must be a QTensor or { data, shape }");
    const shape = x.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ShapeError(`matmul: input shape must be an array of non-negative integers, got ${String(shape)}`);
    }
    const rank = shape.length;
    if (rank < 2 || shape[rank - 1] !== this.k) {
      throw new ShapeError(`matmul: input must be [...batch, M, K] with K = ${this.k}, got ${shapeString(shape)}`);
    }
    const batch = shape.slice(0, rank - 2);
    if (this.weightBatch.length > 0 && shapeString(batch) !== shapeString(this.weightBatch)) {
      throw new ShapeError(`matmul: input batch ${shapeString(batch)} does not match the weights' batch ${shapeString(this.weightBatch)}`);
    }
    const expected = this.input.dtype === "uint8" ? Uint8Array : Int8Array;
    if (x instanceof QTensor) {
      if (x.dtype !== this.input.dtype) throw new DTypeError(`matmul: input dtype is ${x.dtype}, the op was created for ${this.input.dtype}`);
      if (!x.perTensor) throw new QuantParamError("matmul: input must be quantized per tensor");
      if (x.zeroPoint[0] !== this.input.zeroPoint) {
        throw new QuantParamError(`matmul: input zero point is ${x.zeroPoint[0]}, the op was created for ${this.input.zeroPoint}`);
      }
      // The multipliers were computed from the input scale; int32 output does not depend on it.
      if (this.output.dtype !== "int32" && x.scale[0] !== this.input.scale) {
        throw new QuantParamError(`matmul: input scale is ${x.scale[0]}, the op was created for ${this.input.scale}`);
      }
    } else if (!(x.data instanceof expected)) {
      throw new DTypeError(`matmul: ${this.input.dtype} input data must be a ${expected.name}, got ${x.data?.constructor?.name ?? typeof x.data}`);
    }
    const data = x.data as Int8Array | Uint8Array;
    if (data.length !== sizeOf(shape)) {
      throw new BufferError(`matmul: input shape ${shapeString(shape)} has ${sizeOf(shape)} elements, data has ${data.length}`);
    }
    return { data, shape };
  }

  /** Returns the packed weights to the arena. Further run() calls throw. */
  dispose(): void {
    for (const b of [this.wzp, this.rq, this.packed]) if (b) this.rt.arena.free(b);
    this.packed = this.rq = this.wzp = null;
  }
}

/** The GEMM's "LANE" header value (assembly/gemm/s8-gemm-4x8c2.ts). */
const LANES_MAGIC = 0x454e414c;

/** rq pairs followed by the header [LANES_MAGIC, variant, rmax, 0] and the per-lane TFLite parameters. */
export function withLanes(pairs: Int32Array, multipliers: readonly QuantizedMultiplier[]): Int32Array {
  const { lanes, variant, rmax } = tfliteLanes(multipliers);
  const out = new Int32Array(pairs.length + 4 + lanes.length);
  out.set(pairs);
  out.set([LANES_MAGIC, variant, rmax, 0], pairs.length);
  out.set(lanes, pairs.length + 4);
  return out;
}
