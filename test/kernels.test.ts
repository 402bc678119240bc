// Every kernel in the table against its plain-loop reference, exactly, on a shape grid around the tile:
// M, N, K below, at and above the tile and its multiples, primes, 1, and K up to 4096; zero points folded
// at pack time (za) and per-row corrections (asymmetric weights); clamps; strided output with guard bytes
// that must stay untouched.

import { describe, it, expect } from "vitest";
import { KERNELS, type KernelInfo } from "../src/runtime/kernels.js";
import type { Runtime } from "../src/runtime/runtime.js";
import { quantizeMultiplier, fp32Multiplier, type QuantizedMultiplier } from "../src/quant/multiplier.js";
import { withLanes } from "../src/ops/matmul.js";
import { dyad, rng, randInts, refAcc, refRequant, refGemmF32, expectExact } from "./helpers.js";

const GUARD = 0x5a;

interface S8Case {
  m: number; n: number; k: number;
  a: Int8Array; b: Int8Array; bias: Int32Array;
  za: number; zb: Int32Array; // zb all zero -> no per-row correction
  rq: Int32Array; zp: number; qmin: number; qmax: number;
  outPad: number;
}

function makeS8Case(kernel: KernelInfo, m: number, n: number, k: number, seed: number): S8Case {
  const r = rng(seed);
  const np = (n + 7) & ~7;
  const a = randInts(Int8Array, m * k, -128, 127, r);
  const b = randInts(Int8Array, k * n, -128, 127, r);
  const bias = randInts(Int32Array, n, -100000, 100000, r);
  const za = [0, -128, 127, 5][seed % 4];
  const zb = new Int32Array(np);
  if (seed % 3 === 1) for (let j = 0; j < n; j++) zb[j] = [-128, 127, 0, -7][(j + seed) % 4];
  let rq: Int32Array = new Int32Array(np * 2);
  const multipliers: QuantizedMultiplier[] = [];
  // Per tensor (every channel and the padding alike: the kernel's uniform path) or per channel.
  const perTensor = seed % 2 === 0;
  const shared = Math.exp(-12 + r() * 12.5) / Math.max(1, k / 16);
  for (let j = 0; j < (perTensor ? np : n); j++) {
    // Effective scales from tiny to above 1 (left shifts).
    const real = perTensor ? shared : Math.exp(-12 + r() * 12.5) / Math.max(1, k / 16);
    if (kernel.requant === "fp32") {
      rq[2 * j] = new Int32Array(Float32Array.of(fp32Multiplier(real, 1, 1)).buffer)[0];
    } else if (kernel.requant !== "s32") {
      const q = quantizeMultiplier(real, kernel.requant as "tflite" | "single");
      rq[2 * j] = q.multiplier;
      rq[2 * j + 1] = q.shift;
      multipliers.push(q);
    }
  }
  // Half of the per-channel TFLite cases carry the per-lane parameters the GEMM's lane epilogue reads (the
  // others take its transposing path); the scales above give narrow, wide and left-shift variants.
  if (kernel.requant === "tflite" && !perTensor && seed % 4 === 3) rq = withLanes(rq, multipliers.slice(0, n));
  const zp = [0, -128, 127, -3][(seed >> 2) % 4];
  const [qmin, qmax] = seed % 5 === 0 ? [-20, 90] : [-128, 127];
  return { m, n, k, a, b, bias, za, zb, rq, zp, qmin, qmax, outPad: seed % 2 ? 3 : 0 };
}

/** Packs and runs one s8 kernel; returns the M x N result and checks the guard bytes around it. */
function runS8(rt: Runtime, kernel: KernelInfo, c: S8Case): Int32Array {
  const { m, n, k } = c;
  const esize = kernel.requant === "s32" ? 4 : 1;
  const stride = n + c.outPad;
  const kp = (k + 1) & ~1;
  const hasZb = c.zb.some((z) => z !== 0);
  return rt.arena.scope(() => {
    const biasIn = Int32Array.from(c.bias, (v, j) => (v + Math.imul(Math.imul(k, c.za), c.zb[j])) | 0);
    const b = rt.upload(c.b, "b");
    const bias = rt.upload(biasIn, "bias");
    const packed = rt.arena.alloc(rt.s8PackedBytes(k, n), "packed");
    rt.packWeightsS8(k, n, b.ptr, n, 1, 0, bias.ptr, c.za, packed.ptr);
    // Activations with a prime row stride on odd cases: the packer must read only K of each row.
    const aStride = c.outPad ? k + 3 : k;
    const strided = new Int8Array(m * aStride).fill(99);
    for (let i = 0; i < m; i++) strided.set(c.a.subarray(i * k, (i + 1) * k), i * aStride);
    const a = rt.upload(strided, "a");
    const a16 = rt.arena.alloc((m + kernel.mr - 1) * kp * 2, "a16"); // the kernel contract: whole tiles of rows
    const rowsums = rt.arena.alloc(m * 4, "rowsums");
    rt.packActivationsS8(m, k, a.ptr, aStride, 0, a16.ptr, rowsums.ptr);
    const wzp = rt.upload(c.zb, "wzp");
    const rq = rt.upload(c.rq, "rq");
    const outBytes = (m * stride) * esize;
    const guarded = rt.arena.alloc(outBytes + 64, "out");
    rt.view(Uint8Array, guarded).fill(GUARD);
    const out = guarded.ptr + 32;
    if (kernel.op === "gemv") {
      const rowsum = rt.view(Int32Array, rowsums)[0];
      rt.gemvS8(kernel)(n, k, a16.ptr, packed.ptr, rq.ptr, rowsum, hasZb ? wzp.ptr : 0, out, c.zp, c.qmin, c.qmax, 0);
    } else {
      rt.gemmS8(kernel)(m, n, k, a16.ptr, packed.ptr, rq.ptr, hasZb ? rowsums.ptr : 0, hasZb ? wzp.ptr : 0, out, stride, c.zp, c.qmin, c.qmax, 0);
    }
    const bytes = rt.view(Uint8Array, guarded);
    const result = new Int32Array(m * n);
    const view = esize === 4 ? new Int32Array(bytes.buffer, out, m * stride) : new Int8Array(bytes.buffer, out, m * stride);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) result[i * n + j] = view[i * stride + j];
      for (let j = n; j < stride; j++) {
        for (let e = 0; e < esize; e++) {
          if (bytes[32 + (i * stride + j) * esize + e] !== GUARD) throw new Error(`wrote into the stride padding at row ${i}, col ${j}`);
        }
      }
    }
    for (let i = 0; i < 32; i++) if (bytes[i] !== GUARD) throw new Error(`wrote ${32 - i} bytes before the output`);
    for (let i = 32 + outBytes; i < bytes.length; i++) if (bytes[i] !== GUARD) throw new Error(`wrote ${i - 32 - outBytes + 1} bytes past the output`);
    return result;
  });
}

/** The kernel's rq array as the reference takes it: fp32 scales as numbers rather than bit patterns. */
function refParams(kernel: KernelInfo, rq: Int32Array): ArrayLike<number> {
  if (kernel.requant !== "fp32") return rq;
  const scales = new Float32Array(rq.buffer.slice(0));
  return Array.from(rq, (v, i) => (i % 2 ? v : scales[i]));
}

function expectS8(kernel: KernelInfo, c: S8Case, got: Int32Array): void {
  const acc = refAcc(c.m, c.n, c.k, c.a, c.b, c.za, c.zb, c.bias);
  const want = kernel.requant === "s32"
    ? Int32Array.from(acc, (v) => v | 0)
    : refRequant(acc, c.n, kernel.requant as "tflite" | "single" | "fp32", refParams(kernel, c.rq), c.zp, c.qmin, c.qmax);
  expectExact(got, want, c.n, `${kernel.name} M=${c.m} N=${c.n} K=${c.k} za=${c.za}`);
}

const MS = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 33];
const NS = [1, 2, 3, 7, 8, 9, 15, 16, 17, 23, 24, 33];
const KS = [1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 129, 256];
const LARGE_K = 4096;

// The float-output group kernels (requant "f32") have their own grid in linear.test.ts.
for (const kernel of KERNELS.filter((k) => k.act === "s8" && k.requant !== "f32" && (k.op === "gemm" || k.op === "gemv"))) {
  describe(kernel.name, () => {
    const ms = kernel.op === "gemv" ? [1] : MS;
    for (const k of KS) {
      it(`equals the reference for K=${k}, M in [${ms.join(",")}], N in [${NS.join(",")}]`, async () => {
        const rt = (await dyad()).runtime;
        let seed = k * 1000;
        for (const m of ms) for (const n of NS) {
          const c = makeS8Case(kernel, m, n, k, seed++);
          expectS8(kernel, c, runS8(rt, kernel, c));
        }
      });
    }
    it(`equals the reference for K=${LARGE_K}`, async () => {
      const rt = (await dyad()).runtime;
      let seed = 7;
      for (const m of kernel.op === "gemv" ? [1] : [1, 4, 5, 9]) for (const n of [1, 8, 9, 17]) {
        const c = makeS8Case(kernel, m, n, LARGE_K, seed++);
        expectS8(kernel, c, runS8(rt, kernel, c));
      }
    });
    it("saturates nothing at the extremes: all -128 activations and weights, K=4096", async () => {
      const rt = (await dyad()).runtime;
      const c = makeS8Case(kernel, kernel.op === "gemv" ? 1 : 5, 9, LARGE_K, 3);
      c.a.fill(-128);
      c.b.fill(-128);
      expectS8(kernel, c, runS8(rt, kernel, c));
    });
  });
}

for (const kernel of KERNELS.filter((k) => k.act === "f32" && (k.op === "gemm" || k.op === "gemv"))) {
  describe(kernel.name, () => {
    it("equals the reference (same order of operations) on the shape grid, with clamps", async () => {
      const rt = (await dyad()).runtime;
      let seed = 1;
      const ms = kernel.op === "gemv" ? [1] : MS;
      for (const m of ms) for (const n of [...NS, 31, 32, 40, 64, 65]) for (const k of [1, 2, 7, 8, 9, 33, 256]) {
        const r = rng(seed++);
        const a = Float32Array.from({ length: m * k }, () => r() * 2 - 1);
        const b = Float32Array.from({ length: k * n }, () => r() * 2 - 1);
        const bias = seed % 2 ? Float32Array.from({ length: n }, () => r()) : null;
        const [min, max] = seed % 3 ? [-Infinity, Infinity] : [-0.5, 0.75];
        const got = rt.arena.scope(() => {
          const pa = rt.upload(a, "a");
          const pb = rt.upload(b, "b");
          const pbias = bias ? rt.upload(bias, "bias") : null;
          const packed = rt.arena.alloc(rt.f32PackedBytes(k, n), "packed");
          rt.packWeightsF32(k, n, pb.ptr, n, 1, pbias ? pbias.ptr : 0, packed.ptr);
          const out = rt.arena.alloc(m * n * 4, "out");
          if (kernel.op === "gemv") rt.gemvF32(kernel)(n, k, pa.ptr, packed.ptr, out.ptr, min, max);
          else rt.gemmF32(kernel)(m, n, k, pa.ptr, k, packed.ptr, out.ptr, n, min, max);
          return rt.view(Float32Array, out, m * n).slice();
        });
        expectExact(got, refGemmF32(m, n, k, a, b, bias, min, max), n, `${kernel.name} M=${m} N=${n} K=${k}`);
      }
      expect(seed).toBeGreaterThan(ms.length * 100);
    });
  });
}

describe("packed layouts", () => {
  it("int8 panels take exactly s8PackedBytes = ceil(N/8) * (32 + 8 * roundup(K, 2)) and write nothing past it", async () => {
    const rt = (await dyad()).runtime;
    for (const [k, n] of [[1, 1], [2, 8], [3, 9], [17, 31], [64, 64], [129, 33]]) {
      const bytes = rt.s8PackedBytes(k, n);
      expect(bytes).toBe(Math.ceil(n / 8) * (32 + 8 * (k + (k & 1))));
      rt.arena.scope(() => {
        const b = rt.upload(randInts(Int8Array, k * n, -128, 127, rng(k * n)), "b");
        const out = rt.arena.alloc(bytes + 64, "packed");
        rt.view(Uint8Array, out).fill(GUARD);
        rt.packWeightsS8(k, n, b.ptr, n, 1, 0, 0, 0, out.ptr);
        expect(rt.view(Uint8Array, out).subarray(bytes).every((v) => v === GUARD)).toBe(true);
      });
    }
  });
  it("float32 panels take exactly f32PackedBytes = ceil(N/8) * (32 + 32 * K) and write nothing past it", async () => {
    const rt = (await dyad()).runtime;
    for (const [k, n] of [[1, 1], [3, 9], [17, 31], [64, 64]]) {
      const bytes = rt.f32PackedBytes(k, n);
      expect(bytes).toBe(Math.ceil(n / 8) * (32 + 32 * k));
      rt.arena.scope(() => {
        const b = rt.upload(new Float32Array(k * n).fill(1), "b");
        const out = rt.arena.alloc(bytes + 64, "packed");
        rt.view(Uint8Array, out).fill(GUARD);
        rt.packWeightsF32(k, n, b.ptr, n, 1, 0, out.ptr);
        expect(rt.view(Uint8Array, out).subarray(bytes).every((v) => v === GUARD)).toBe(true);
      });
    }
  });
  it("widening uint8 activations flips the sign bit and sums rows in the int8 domain", async () => {
    const rt = (await dyad()).runtime;
    const [m, k] = [3, 37];
    const a = randInts(Uint8Array, m * k, 0, 255, rng(5));
    const [wide, sums] = rt.arena.scope(() => {
      const src = rt.upload(a, "a");
      const out = rt.arena.alloc(m * 38 * 2, "a16");
      const rs = rt.arena.alloc(m * 4, "sums");
      rt.packActivationsS8(m, k, src.ptr, k, 0x80, out.ptr, rs.ptr);
      return [rt.view(Int16Array, out).slice(), rt.view(Int32Array, rs).slice()];
    });
    for (let i = 0; i < m; i++) {
      let sum = 0;
      for (let j = 0; j < 38; j++) {
        const want = j < k ? a[i * k + j] - 128 : 0;
        expect(wide[i * 38 + j]).toBe(want);
        sum += want;
      }
      expect(sums[i]).toBe(sum);
    }
  });
});
