// linear: float32 in, float32 out, integer inside. The activations are quantized per row (per token) at run
// time from their own range (dynamic quantization), the weights are int4/uint4/int8/uint8 with scales per
// tensor, per output channel, or per group of K; an integer GEMM sums each group exactly and the scales are
// applied in float32 (assembly/gemm/s8-group-gemm-4x8c2.ts states the order, which the plain-loop reference
// in the tests follows bit for bit).
//
//   y[i, j] = sx[i] * sum_g s[g, j] * sum_{k in g} (qx[i, k] - zx[i]) * (qw[k, j] - zw[g, j]) + bias[j]
//
// Activation modes: "asymmetric" (default) is ONNX DynamicQuantizeLinear applied to each row (uint8, the
// range widened to include 0); "symmetric" is int8 in [-127, 127] with scale max|x| / 127. A row holding NaN
// or an infinity is refused with a BufferError naming the element (no number would be meaningful).

import { ShapeError, BufferError, StateError } from "../errors.js";
import type { QTensor } from "../tensor/qtensor.js";
import type { Runtime } from "../runtime/runtime.js";
import type { Block } from "../runtime/arena.js";
import type { KernelInfo } from "../runtime/kernels.js";
import { packGroupPanels, packCodebookPanels, groupLayout } from "./linear-pack.js";
import type { CodebookWeights } from "../quant/codebook.js";
import type { NodeBuilder } from "../graph/node.js";

export type ActivationQuantMode = "asymmetric" | "symmetric";

export interface LinearSpec {
  /** [K, N]: int4/uint4 (packed two per byte) or int8/uint8; per tensor, per channel (axis 1), or in groups
   * along K (axis 0, an even blockSize); or non-uniform 4-bit codebooks (fitCodebook). */
  weights: QTensor | CodebookWeights;
  /** float32 per output channel. */
  bias?: Float32Array | readonly number[];
  /** How each activation row is quantized; default "asymmetric". */
  activations?: ActivationQuantMode;
}

export class Linear {
  readonly k: number;
  readonly n: number;
  readonly bits: 4 | 8;
  /** k per group of weight scales (K rounded up to 2 for per-tensor and per-channel). */
  readonly group: number;
  /** Bytes of the packed weights in wasm memory: the 4- or 8-bit values plus, per group of columns, their scales, zero points or codebooks (64 bytes per group of 8 columns in the SIMD layout). */
  readonly packedBytes: number;
  readonly activations: ActivationQuantMode;
  private readonly rt: Runtime;
  /** The kernels this layer runs on (relaxed SIMD where the engine has it and the groups allow). */
  readonly gemm: KernelInfo;
  readonly gemv: KernelInfo;
  private readonly zeroPoints: boolean;
  private packed: Block | null;
  private bias: Block | null;

  constructor(rt: Runtime, spec: LinearSpec) {
    this.rt = rt;
    const mode = spec.activations ?? "asymmetric";
    if (mode !== "asymmetric" && mode !== "symmetric") throw new ShapeError(`linear: activations must be "asymmetric" or "symmetric", got ${String(mode)}`);
    this.activations = mode;
    let panels;
    if ((spec.weights as CodebookWeights)?.kind === "codebook") {
      this.gemm = rt.kernel("gemm", "s8", "n4", "f32");
      this.gemv = rt.kernel("gemv", "s8", "n4", "f32");
      panels = packCodebookPanels(spec.weights as CodebookWeights, "linear");
    } else {
      const w = spec.weights as QTensor;
      const layout = groupLayout(w, "linear");
      const weight = layout.bits === 4 ? "s4" : "s8";
      // Relaxed-SIMD kernels (k in fours, kr 4) where the engine runs them and the groups allow; else SIMD (kr 2).
      const ka2 = (layout.k + 1) & ~1;
      const fits = (kr: number) => kr === 2 || layout.group === ka2 || layout.group % kr === 0;
      this.gemm = rt.kernelChoices("gemm", "s8", weight, "f32").find((c) => fits(c.kr))!;
      this.gemv = rt.kernelChoices("gemv", "s8", weight, "f32").find((c) => c.kr === this.gemm.kr)!;
      panels = packGroupPanels(w, "linear", this.gemm.kr as 2 | 4);
    }
    this.k = panels.k;
    this.n = panels.n;
    this.bits = panels.bits;
    this.group = panels.group;
    this.packedBytes = panels.bytes.byteLength;
    this.zeroPoints = panels.zeroPoints;
    let bias: Float32Array | null = null;
    if (spec.bias !== undefined) {
      if (spec.bias.length !== this.n) throw new ShapeError(`linear: bias has ${spec.bias.length} values, the weights have N = ${this.n} output channels`);
      bias = new Float32Array((this.n + 7) & ~7);
      bias.set(spec.bias);
    }
    this.packed = rt.upload(panels.bytes, "linear packed weights");
    this.bias = null;
    try {
      if (bias) this.bias = rt.upload(bias, "linear bias");
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** x holds M rows of K floats (M = x.length / K); returns M rows of N. */
  run(x: Float32Array): Float32Array {
    const m = this.rows(x);
    const out = new Float32Array(m * this.n);
    this.runInto(x, out);
    return out;
  }

  /** As run(), into a caller's array of M x N floats. */
  runInto(x: Float32Array, out: Float32Array): void {
    if (this.packed === null) throw new StateError("linear: run() after dispose()");
    const m = this.rows(x);
    if (!(out instanceof Float32Array) || out.length !== m * this.n) {
      throw new BufferError(`linear: output must be a Float32Array of ${m} x ${this.n} = ${m * this.n} elements, got ${out instanceof Float32Array ? out.length : String(out)}`);
    }
    if (m === 0) return;
    const rt = this.rt;
    rt.arena.scope(() => {
      const xb = rt.upload(x, "linear input");
      const yb = rt.arena.alloc(m * this.n * 4, "linear output");
      this.runAt(xb.ptr, m, yb.ptr);
      rt.readInto(yb, out);
    });
  }

  /**
   * Runs on M rows already in wasm memory at `xPtr` (float32, M x K), writing M x N floats at `outPtr`: the
   * graph executor's entry. The caller has sized both; scratch comes from the arena and goes back to it.
   */
  runAt(xPtr: number, m: number, outPtr: number): void {
    if (this.packed === null) throw new StateError("linear: run() after dispose()");
    const rt = this.rt, k = this.k, n = this.n;
    const relaxed = this.gemm.kr === 4, codebook = this.gemm.weight === "n4";
    // Rows of K rounded up to the kernel's k step: int16 for the SIMD kernels, int8 for the relaxed ones.
    const ka = codebook ? (k + 15) & ~15 : relaxed ? (k + 3) & ~3 : (k + 1) & ~1;
    const w = this.packed.ptr, bias = this.bias ? this.bias.ptr : 0;
    rt.arena.scope(() => {
      // The GEMM reads whole tiles of 4 rows: 3 rows of padding after the last, and as many scales and sums.
      const a = rt.arena.alloc((m + 3) * ka * (relaxed ? 1 : 2), "linear quantized input");
      const sx = rt.arena.alloc((m + 3) * 4, "linear input row scales");
      const groups = Math.ceil(k / this.group);
      const sums = this.zeroPoints ? rt.arena.alloc((m + 3) * groups * 4, "linear input group sums") : null;
      const offsets = relaxed ? rt.arena.alloc((m + 3) * 4, "linear input row offsets") : null;
      const rowsums = sums ? sums.ptr : 0;
      const symmetric = this.activations === "symmetric";
      const bad = relaxed
        ? rt.quantizeRowsF32I8(m, k, xPtr, k, ka, symmetric, a.ptr, sx.ptr, this.group, rowsums, offsets!.ptr)
        : rt.quantizeRowsF32(m, k, xPtr, k, ka, symmetric, a.ptr, sx.ptr, this.group, rowsums);
      if (bad >= 0) {
        const row = new Float32Array(rt.bytes().buffer, xPtr + bad * k * 4, k);
        const at = row.findIndex((v) => !Number.isFinite(v));
        throw new BufferError(`linear: input element ${bad * k + at} (row ${bad}, column ${at}) is ${row[at]}; dynamic quantization needs finite values`);
      }
      const sx0 = rt.view(Float32Array, sx, 1)[0];
      if (codebook && m === 1) rt.gemvCodebookF32(this.gemv)(n, k, this.group, a.ptr, w, sx0, bias, outPtr);
      else if (codebook) rt.gemmCodebookF32(this.gemm)(m, n, k, this.group, a.ptr, w, sx.ptr, bias, outPtr, n);
      else if (relaxed && m === 1) rt.gemvGroupRelaxed(this.gemv)(n, k, this.group, a.ptr, rowsums, offsets!.ptr, w, sx0, bias, outPtr);
      else if (relaxed) rt.gemmGroupRelaxed(this.gemm)(m, n, k, this.group, a.ptr, rowsums, offsets!.ptr, w, sx.ptr, bias, outPtr, n);
      else if (m === 1) rt.gemvGroupF32(this.gemv)(n, k, this.group, a.ptr, rowsums, w, sx0, bias, outPtr);
      else rt.gemmGroupF32(this.gemm)(m, n, k, this.group, a.ptr, rowsums, w, sx.ptr, bias, outPtr, n);
    });
  }

  private rows(x: Float32Array): number {
    if (!(x instanceof Float32Array)) throw new BufferError(`linear: input must be a Float32Array, got ${(x as unknown as object)?.constructor?.name ?? typeof x}`);
    if (x.length % this.k !== 0) throw new ShapeError(`linear: input has ${x.length} values, not a whole number of rows of K = ${this.k}`);
    return x.length / this.k;
  }

  /** Returns the packed weights to the arena. Further run() calls throw. */
  dispose(): void {
    for (const b of [this.bias, this.packed]) if (b) this.rt.arena.free(b);
    this.packed = this.bias = null;
  }
}

/** A Linear inside a graph (MatMulNBits, weight-only QDQ MatMul): input [..., K] float32, output [..., N]. */
export function linearNode(spec: LinearSpec): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "A");
    const op = new Linear(ctx.rt, spec);
    try {
      if (x.shape[x.shape.length - 1] !== op.k) throw new ShapeError(`A [${x.shape}] does not chain with weights of K = ${op.k}`);
      ctx.checkOutputShape(0, [...x.shape.slice(0, -1), op.n]);
    } catch (e) {
      op.dispose();
      throw e;
    }
    const y = ctx.output(0, "Y");
    const m = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return {
      run: () => {
        if (m > 0) op.runAt(ctx.ptr(x.id), m, ctx.ptr(y.id));
      },
      dispose: () => op.dispose(),
    };
  };
}
