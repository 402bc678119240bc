// Dynamic-quantization linear (W4A8 / W8A8, float in and out): every group kernel of the table against a
// plain-loop reference, bit for bit, over a grid of shapes, group sizes, dtypes and zero points; then the op
// (dyad.createLinear / dyad.linear) and its errors.

import { describe, it, expect } from "vitest";
import { dyad, rng } from "./helpers.js";
import { KERNELS, type KernelInfo } from "../src/runtime/kernels.js";
import { QTensor, roundHalfEven } from "../src/tensor/qtensor.js";
import { DTYPES, setNibble, getNibble, type IntDType } from "../src/tensor/dtype.js";
import { packGroupPanels } from "../src/ops/linear-pack.js";
import { BufferError, ShapeError, UnsupportedError, QuantParamError, DTypeError, StateError } from "../src/errors.js";
import type { Runtime } from "../src/runtime/runtime.js";

const f = Math.fround;

/** Per-row dynamic quantization, written out: (q - zp) per element and the row scale. */
function refQuantizeRow(x: ArrayLike<number>, symmetric: boolean): { q: number[]; s: number } {
  let lo = 0, hi = 0;
  for (let i = 0; i < x.length; i++) { lo = Math.min(lo, x[i]); hi = Math.max(hi, x[i]); }
  if (symmetric) {
    const amax = Math.max(-lo, hi);
    const s = amax === 0 ? 1 : f(amax / 127);
    return { s, q: Array.from(x, (v) => Math.min(127, Math.max(-127, roundHalfEven(f(v / s))))) };
  }
  const s = hi === lo ? 1 : f(f(hi - lo) / 255);
  const zp = Math.min(255, Math.max(0, roundHalfEven(f(0 - f(lo / s)))));
  return { s, q: Array.from(x, (v) => Math.min(255, Math.max(0, roundHalfEven(f(v / s)) + zp)) - zp) };
}

/** y = sx * sum_g s[g] * int-sum_g + bias, every float step rounded to float32 in the kernels' order. */
function refLinear(x: Float32Array, m: number, w: QTensor, bias: Float32Array | null, symmetric: boolean): Float32Array {
  const [k, n] = w.shape;
  const ka = (k + 1) & ~1;
  const group = w.axis === 0 ? Math.min(w.blockSize, ka) : ka;
  const groups = Math.ceil(k / group);
  const param = (g: number, j: number) => (w.axis === null ? 0 : w.axis === 1 ? j : g * n + j);
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const { q, s: sx } = refQuantizeRow(x.subarray(i * k, i * k + k), symmetric);
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let g = 0; g < groups; g++) {
        let sum = 0;
        for (let kk = g * group; kk < Math.min(k, (g + 1) * group); kk++) sum += q[kk] * (w.get(kk * n + j) - w.zeroPoint[param(g, j)]);
        acc = f(acc + f(f(sum) * w.scale[param(g, j)]));
      }
      y[i * n + j] = f(f(acc * sx) + (bias ? bias[j] : 0));
    }
  }
  return y;
}

type Granularity = "tensor" | "channel" | number;

function makeWeights(dtype: IntDType, k: number, n: number, gran: Granularity, r: () => number, extremes = false): QTensor {
  const { min, max } = DTYPES[dtype];
  const count = gran === "tensor" ? 1 : gran === "channel" ? n : Math.ceil(k / gran) * n;
  const t = new QTensor({
    dtype, shape: [k, n],
    scale: Array.from({ length: count }, () => 0.001 + r() * 0.05),
    zeroPoint: Array.from({ length: count }, () => (extremes ? (r() < 0.5 ? min : max) : min + Math.floor(r() * (max - min + 1)))),
    axis: gran === "tensor" ? null : gran === "channel" ? 1 : 0,
    blockSize: typeof gran === "number" ? gran : 0,
  });
  for (let i = 0; i < k * n; i++) {
    const v = extremes ? (r() < 0.5 ? min : max) : min + Math.floor(r() * (max - min + 1));
    if (DTYPES[dtype].bits === 4) setNibble(t.data as Uint8Array, i, v);
    else t.data[i] = v;
  }
  return t;
}

function makeInput(m: number, k: number, r: () => number): Float32Array {
  // Rows of different ranges: all positive, all negative, mixed, wide and narrow, and a zero row.
  return Float32Array.from({ length: m * k }, (_, e) => {
    const row = Math.floor(e / k);
    if (row % 5 === 4) return 0;
    const scale = [1, 30, 0.01, 5][row % 4];
    const bias = [0, 0.5, -1, 0][row % 4];
    return (r() * 2 - 1 + bias) * scale;
  });
}

/** Runs one kernel directly: packs, quantizes the rows, calls it; returns the float output. */
function runKernel(rt: Runtime, kernel: KernelInfo, x: Float32Array, m: number, w: QTensor, bias: Float32Array | null, symmetric: boolean): Float32Array {
  const p = packGroupPanels(w, "test");
  const ka = (p.k + 1) & ~1;
  return rt.arena.scope(() => {
    const wb = rt.upload(p.bytes, "w");
    const bb = bias ? rt.upload(Float32Array.from({ length: (p.n + 7) & ~7 }, (_, j) => bias[j] ?? 0), "bias") : null;
    const xb = rt.upload(x, "x");
    const a16 = rt.arena.alloc((m + 3) * ka * 2, "a16");
    const sx = rt.arena.alloc((m + 3) * 4, "sx");
    const sums = rt.arena.alloc((m + 3) * Math.ceil(p.k / p.group) * 4, "rowsums");
    const rowsums = p.zeroPoints ? sums.ptr : 0;
    const out = rt.arena.alloc(m * p.n * 4 + 64, "out");
    rt.view(Uint8Array, out).fill(0xee);
    expect(rt.quantizeRowsF32(m, p.k, xb.ptr, p.k, ka, symmetric, a16.ptr, sx.ptr, p.group, rowsums)).toBe(-1);
    if (kernel.op === "gemv") rt.gemvGroupF32(kernel)(p.n, p.k, p.group, a16.ptr, rowsums, wb.ptr, rt.view(Float32Array, sx, 1)[0], bb ? bb.ptr : 0, out.ptr);
    else rt.gemmGroupF32(kernel)(m, p.n, p.k, p.group, a16.ptr, rowsums, wb.ptr, sx.ptr, bb ? bb.ptr : 0, out.ptr, p.n);
    // Nothing written past the output.
    expect(Array.from(rt.view(Uint8Array, out).subarray(m * p.n * 4, m * p.n * 4 + 64)).every((b) => b === 0xee)).toBe(true);
    return rt.read(Float32Array, out, m * p.n);
  });
}

function bits(a: Float32Array): number[] {
  return Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));
}

// The SIMD kernels, here on Node 20. The relaxed-SIMD ones cannot run on this engine: they are checked
// against these, byte for byte, on Node 22, Deno and Bun (test/runtimes/relaxed-grid.mjs, runtimes.test.ts).
const GROUP_KERNELS = KERNELS.filter((k) => k.requant === "f32" && k.isa === "simd" && k.weight !== "n4");

describe("the group kernels are in the table", () => {
  it("s4 and s8 weights, GEMM and GEMV, and relaxed-SIMD forms of the s4 ones", () => {
    expect(KERNELS.filter((k) => k.requant === "f32" && k.weight !== "n4").map((k) => k.name).sort()).toEqual([
      "s8_s4_gemm_f32_4x8c2_simd", "s8_s4_gemm_f32_4x8c4_relaxed", "s8_s4_gemv_f32_1x8c2_simd", "s8_s4_gemv_f32_1x8c4_relaxed",
      "s8_s8_gemm_f32_4x8c2_simd", "s8_s8_gemv_f32_1x8c2_simd",
    ]);
    expect(KERNELS.filter((k) => k.weight === "n4").map((k) => k.name)).toEqual(["s8_n4_gemm_f32_4x2c16_simd", "s8_n4_gemv_f32_1x2c16_simd"]);
  });
});

for (const kernel of GROUP_KERNELS) {
  const dtypes: IntDType[] = kernel.weight === "s4" ? ["int4", "uint4"] : ["int8", "uint8"];
  const ms = kernel.op === "gemv" ? [1] : [1, 2, 3, 4, 5, 8, 9, 13];
  describe(kernel.name, () => {
    for (const gran of ["tensor", "channel", 2, 6, 8, 32, 64, 128, 256] as Granularity[]) {
      it(`equals the reference, ${gran === "tensor" || gran === "channel" ? `per ${gran}` : `groups of ${gran}`}: K and N around the tile and the group, both activation modes`, async () => {
        const rt = (await dyad()).runtime;
        let seed = typeof gran === "number" ? gran : gran.length;
        const ks = typeof gran === "number" ? [1, 3, gran - 1, gran, gran + 2, 2 * gran, 3 * gran + 5] : [1, 2, 3, 4, 5, 7, 31, 33, 64, 129, 300];
        for (const dtype of dtypes) for (const k of [...new Set(ks)].filter((v) => v > 0)) for (const n of [1, 7, 8, 9, 17, 33]) {
          const r = rng(seed++);
          const m = ms[seed % ms.length];
          const w = makeWeights(dtype, k, n, gran, r);
          const bias = seed % 2 ? Float32Array.from({ length: n }, () => r() * 4 - 2) : null;
          const x = makeInput(m, k, r);
          const symmetric = seed % 3 === 0;
          expect(bits(runKernel(rt, kernel, x, m, w, bias, symmetric)), `${dtype} m=${m} k=${k} n=${n}`).toEqual(bits(refLinear(x, m, w, bias, symmetric)));
        }
      });
    }
    it("equals the reference at the extremes: weights and zero points at the ends of their range, wide rows, K = 4096", async () => {
      const rt = (await dyad()).runtime;
      let seed = 99;
      for (const dtype of dtypes) for (const gran of ["channel", 32, 256] as Granularity[]) for (const m of kernel.op === "gemv" ? [1] : [1, 4, 7]) {
        const r = rng(seed++);
        const w = makeWeights(dtype, 4096, 9, gran, r, true);
        const x = Float32Array.from({ length: m * 4096 }, (_, i) => (i % 2 ? 1e4 : -3e4) * (r() < 0.5 ? 1 : -1));
        for (const symmetric of [false, true]) {
          expect(bits(runKernel(rt, kernel, x, m, w, null, symmetric)), `${dtype} ${gran} m=${m}`).toEqual(bits(refLinear(x, m, w, null, symmetric)));
        }
      }
    });
  });
}

describe("linear (dyad.createLinear, dyad.linear)", () => {
  it("runs every row count through the right kernel; one row gives the same bits as a row of a GEMM", async () => {
    const d = await dyad();
    const r = rng(5);
    const w = makeWeights("int4", 200, 40, 32, r);
    const bias = Float32Array.from({ length: 40 }, () => r() - 0.5);
    const op = d.createLinear({ weights: w, bias });
    for (const m of [1, 2, 5, 16]) {
      const x = makeInput(m, 200, r);
      const y = op.run(x);
      expect(bits(y)).toEqual(bits(refLinear(x, m, w, bias, false)));
      expect(bits(op.run(x.subarray(0, 200)))).toEqual(bits(y.subarray(0, 40)));
    }
    const out = new Float32Array(80);
    op.runInto(makeInput(2, 200, rng(1)), out);
    expect(bits(out)).toEqual(bits(refLinear(makeInput(2, 200, rng(1)), 2, w, bias, false)));
    op.dispose();
    expect(() => op.run(new Float32Array(200))).toThrow(StateError);
  });

  it("approximates the float product: relative error of a W4A8 and a W8A8 layer", async () => {
    const d = await dyad();
    const r = rng(8);
    const k = 256, n = 64, m = 4;
    const wf = Float32Array.from({ length: k * n }, () => (r() * 2 - 1) * 0.1);
    const x = Float32Array.from({ length: m * k }, () => r() * 2 - 1);
    const exact = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) exact[i * n + j] += x[i * k + kk] * wf[kk * n + j];
    const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
    for (const [dtype, bound] of [["int4", 0.15], ["int8", 0.02]] as const) {
      const qmax = DTYPES[dtype].max;
      const scale = Array.from({ length: (k / 32) * n }, (_, e) => {
        let amax = 0;
        const g = Math.floor(e / n), j = e % n;
        for (let kk = g * 32; kk < g * 32 + 32; kk++) amax = Math.max(amax, Math.abs(wf[kk * n + j]));
        return amax / qmax;
      });
      const w = QTensor.quantize(wf, [k, n], { dtype, scale, axis: 0, blockSize: 32 });
      const y = d.linear(x, w);
      const err = norm(Array.from(y, (v, i) => v - exact[i])) / norm(exact);
      expect(err, dtype).toBeLessThan(bound);
      expect(err, dtype).toBeGreaterThan(0);
    }
  });

  it("packs int4 weights in half the bytes of int8, plus 64 bytes per group of 8 columns", async () => {
    const d = await dyad();
    const r = rng(3);
    const w4 = d.createLinear({ weights: makeWeights("int4", 4096, 64, 128, r) });
    const w8 = d.createLinear({ weights: makeWeights("int8", 4096, 64, 128, r) });
    const overhead = (64 / 8) * (4096 / 128) * 64;
    expect(w4.packedBytes - overhead).toBe((4096 * 64) / 2);
    expect(w8.packedBytes - overhead).toBe(4096 * 64);
    w4.dispose();
    w8.dispose();
  });

  it("dyad.linear keeps the packed weights for the same QTensor and bias, and releases them", async () => {
    const d = await dyad();
    const r = rng(4);
    const w = makeWeights("uint4", 64, 16, "channel", r);
    const x = makeInput(3, 64, r);
    const before = d.memory.usedBytes;
    const y1 = d.linear(x, w);
    const used = d.memory.usedBytes;
    expect(used).toBeGreaterThan(before);
    expect(bits(d.linear(x, w))).toEqual(bits(y1));
    expect(d.memory.usedBytes).toBe(used);
    const b = new Float32Array(16).fill(1);
    expect(bits(d.linear(x, w, b))).toEqual(bits(refLinear(x, 3, w, b, false)));
    d.releaseLinear(w);
    expect(d.memory.usedBytes).toBe(before);
  });

  it("refuses bad input with typed errors that name the problem", async () => {
    const d = await dyad();
    const r = rng(6);
    const w = makeWeights("int4", 64, 8, 32, r);
    const op = d.createLinear({ weights: w });
    expect(() => op.run(new Float32Array(65))).toThrow(/65 values, not a whole number of rows of K = 64/);
    expect(() => op.run(new Float32Array(65))).toThrow(ShapeError);
    expect(() => op.run([1, 2] as unknown as Float32Array)).toThrow(BufferError);
    const x = makeInput(3, 64, r);
    for (const bad of [NaN, Infinity, -Infinity]) {
      x[2 * 64 + 5] = bad;
      expect(() => op.run(x)).toThrow(new RegExp(`element 133 \\(row 2, column 5\\) is ${bad}`));
    }
    expect(() => op.runInto(makeInput(1, 64, r), new Float32Array(7))).toThrow(/Float32Array of 1 x 8 = 8 elements/);
    op.dispose();
    expect(() => d.createLinear({ weights: makeWeights("int4", 64, 8, 5, r) })).toThrow(UnsupportedError);
    expect(() => d.createLinear({ weights: makeWeights("int4", 64, 8, 5, r) })).toThrow(/group size 5 is odd/);
    const alongN = new QTensor({ dtype: "int4", shape: [8, 64], scale: new Array(16).fill(0.1), axis: 1, blockSize: 32 });
    expect(() => d.createLinear({ weights: alongN })).toThrow(QuantParamError);
    const perRow = new QTensor({ dtype: "int8", shape: [8, 4], scale: new Array(8).fill(0.1), axis: 0 });
    expect(() => d.createLinear({ weights: perRow })).toThrow(/output channels \(axis 1 of \[K, N\]\)/);
    expect(() => d.createLinear({ weights: new QTensor({ dtype: "int16", shape: [4, 4] }) })).toThrow(DTypeError);
    expect(() => d.createLinear({ weights: new QTensor({ dtype: "int8", shape: [2, 4, 4] }) })).toThrow(/\[K, N\]/);
    expect(() => d.createLinear({ weights: w, bias: [1, 2] })).toThrow(/bias has 2 values, the weights have N = 8/);
    expect(() => d.createLinear({ weights: w, activations: "dynamic" as "symmetric" })).toThrow(ShapeError);
  });

  it("reads int4 nibbles as DESIGN.md §2 says: element 2i low, 2i+1 high, signed in [-8, 7]", () => {
    const t = new QTensor({ dtype: "int4", shape: [4, 1], data: Uint8Array.of(0x8f, 0x70) });
    expect([0, 1, 2, 3].map((i) => getNibble(t.data as Uint8Array, i, true))).toEqual([-1, -8, 0, 7]);
  });
});
