// Non-uniform 4-bit weights: the codebook fitters (k-means, powers of two) on hand-made data and on
// MobileNetV2's real filters, and the codebook GEMM (s8_n4_gemm_f32_4x2c16_simd, swizzle decoding) against a
// plain-loop reference, bit for bit.

import { describe, it, expect } from "vitest";
import { existsSync } from "node:fs";
import { dyad, rng } from "./helpers.js";
import { fitCodebook, decodeCodebook, uniformInt4, reconstructionError, kmeans1d, type CodebookWeights } from "../src/quant/codebook.js";
import { roundHalfEven } from "../src/tensor/qtensor.js";
import { BufferError, UnsupportedError, ShapeError } from "../src/errors.js";
import { mobilenetWeights, MOBILENET } from "../bench/real-weights.js";

const f = Math.fround;

/** The kernel's arithmetic written out: rows quantized as DynamicQuantizeLinear, exact group sums of
 * (q - zp) * level, then acc + f32(S) * scale per group, y = acc * sx + bias. */
function refCodebookLinear(x: Float32Array, m: number, cb: CodebookWeights, bias: Float32Array | null, symmetric: boolean): Float32Array {
  const [k, n] = cb.shape;
  const span = cb.groupSize === 0 ? k : cb.groupSize;
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = x.subarray(i * k, i * k + k);
    let lo = 0, hi = 0;
    for (const v of row) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    let s: number, q: number[];
    if (symmetric) {
      const amax = Math.max(-lo, hi);
      s = amax === 0 ? 1 : f(amax / 127);
      q = Array.from(row, (v) => Math.min(127, Math.max(-127, roundHalfEven(f(v / s)))));
    } else {
      s = hi === lo ? 1 : f(f(hi - lo) / 255);
      const zp = Math.min(255, Math.max(0, roundHalfEven(f(0 - f(lo / s)))));
      q = Array.from(row, (v) => Math.min(255, Math.max(0, roundHalfEven(f(v / s)) + zp)) - zp);
    }
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let g = 0; g * span < k; g++) {
        let sum = 0;
        for (let kk = g * span; kk < Math.min(k, (g + 1) * span); kk++) {
          const e = kk * n + j;
          sum += q[kk] * cb.levels[(g * n + j) * 16 + ((cb.indices[e >> 1] >> (e & 1 ? 4 : 0)) & 15)];
        }
        acc = f(acc + f(f(sum) * cb.scales[g * n + j]));
      }
      y[i * n + j] = f(f(acc * s) + (bias ? bias[j] : 0));
    }
  }
  return y;
}

function bits(a: Float32Array): number[] {
  return Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));
}

function randomCodebook(k: number, n: number, groupSize: number, r: () => number, extreme = false): CodebookWeights {
  const groups = groupSize === 0 ? 1 : Math.ceil(k / groupSize);
  const indices = Uint8Array.from({ length: Math.ceil((k * n) / 2) }, () => Math.floor(r() * 256));
  const levels = Int8Array.from({ length: groups * n * 16 }, () => (extreme ? (r() < 0.5 ? -128 : 127) : Math.floor(r() * 256) - 128));
  const scales = Float32Array.from({ length: groups * n }, () => 0.001 + r() * 0.01);
  return { kind: "codebook", shape: [k, n], indices, levels, scales, groupSize };
}

describe("s8_n4_gemm_f32_4x2c16_simd and s8_n4_gemv_f32_1x2c16_simd (codebook weights decoded by swizzle)", () => {
  for (const groupSize of [0, 16, 32, 64]) {
    it(`equals the reference, ${groupSize ? `codebooks per group of ${groupSize}` : "one codebook per column"}: K, N and M around the tile and the group`, async () => {
      const d = await dyad();
      let seed = groupSize + 1;
      for (const k of [1, 5, 15, 16, 17, 31, 64, 100, 300]) for (const n of [1, 2, 3, 7, 8]) {
        const r = rng(seed++);
        const cb = randomCodebook(k, n, groupSize, r);
        const bias = seed % 2 ? Float32Array.from({ length: n }, () => r() - 0.5) : null;
        const symmetric = seed % 3 === 0;
        const op = d.createLinear({ weights: cb, bias: bias ?? undefined, activations: symmetric ? "symmetric" : "asymmetric" });
        expect([op.gemm.name, op.gemv.name]).toEqual(["s8_n4_gemm_f32_4x2c16_simd", "s8_n4_gemv_f32_1x2c16_simd"]);
        for (const m of [1, 2, 3, 4, 5, 9]) {
          const x = Float32Array.from({ length: m * k }, (_, i) => (r() * 2 - 1) * (i % 3 ? 1 : 20));
          expect(bits(op.run(x)), `k=${k} n=${n} m=${m}`).toEqual(bits(refCodebookLinear(x, m, cb, bias, symmetric)));
        }
        op.dispose();
      }
    });
  }
  it("equals the reference at the extremes: levels -128/127, rows of one sign, K = 4096", async () => {
    const d = await dyad();
    const r = rng(77);
    const cb = randomCodebook(4096, 5, 0, r, true);
    const op = d.createLinear({ weights: cb });
    for (const m of [1, 4, 6]) {
      const x = Float32Array.from({ length: m * 4096 }, (_, i) => (Math.floor(i / 4096) % 2 ? -3e4 : 1e4));
      expect(bits(op.run(x))).toEqual(bits(refCodebookLinear(x, m, cb, null, false)));
    }
    op.dispose();
  });
  it("refuses malformed codebooks with typed errors", async () => {
    const d = await dyad();
    const cb = randomCodebook(32, 4, 16, rng(1));
    expect(() => d.createLinear({ weights: { ...cb, levels: new Int8Array(10) } })).toThrow(/16 int8 levels per group and column \(128\), got 10/);
    expect(() => d.createLinear({ weights: { ...cb, scales: new Float32Array(3) } })).toThrow(BufferError);
    expect(() => d.createLinear({ weights: { ...cb, indices: new Uint8Array(3) } })).toThrow(/indices need 64 bytes/);
    expect(() => d.createLinear({ weights: { ...cb, groupSize: 24 } })).toThrow(UnsupportedError);
    expect(() => d.createLinear({ weights: { ...cb, shape: [0, 4] } })).toThrow(ShapeError);
  });
});

describe("codebook fitting", () => {
  it("k-means recovers 16 distinct values exactly, and sorts its centroids", () => {
    const values = [-3, -2.5, -1, -0.5, -0.25, 0, 0.1, 0.2, 0.4, 0.8, 1, 1.5, 2, 4, 8, 16];
    const data = Array.from({ length: 320 }, (_, i) => values[(i * 7) % 16]);
    const c = kmeans1d(data, 16);
    values.forEach((v, i) => expect(c[i]).toBeCloseTo(v, 12));
  });
  it("k-means: a constant tensor, a single outlier, an all-negative tensor", () => {
    for (const v of kmeans1d(new Array(50).fill(0.3), 16)) expect(v).toBeCloseTo(0.3, 12);
    const outlier = [...Array.from({ length: 99 }, (_, i) => (i % 10) / 10), 50];
    const c = kmeans1d(outlier, 16);
    expect(c[15]).toBe(50); // the outlier keeps a centroid of its own
    expect(c.every((v, i) => i === 0 || v >= c[i - 1])).toBe(true);
    const neg = kmeans1d(Array.from({ length: 64 }, (_, i) => -1 - (i % 16)), 16);
    neg.forEach((v, i) => expect(v).toBeCloseTo(-16 + i, 12));
  });
  it("fits int8 levels and a scale per column; decoding gives scale * level", () => {
    const r = rng(2);
    const [k, n] = [64, 3];
    const w = Float32Array.from({ length: k * n }, () => r() * 2 - 1);
    for (const method of ["kmeans", "pow2"] as const) {
      const cb = fitCodebook(w, [k, n], { method });
      expect(cb.levels.length).toBe(n * 16);
      const dec = decodeCodebook(cb);
      for (let e = 0; e < k * n; e++) {
        const j = e % n, idx = (cb.indices[e >> 1] >> (e & 1 ? 4 : 0)) & 15;
        expect(dec[e]).toBe(Math.fround(cb.scales[j] * cb.levels[j * 16 + idx]));
      }
      if (method === "pow2") expect(new Set(cb.levels)).toEqual(new Set([0, 1, -1, 2, -2, 4, -4, 8, -8, 16, -16, 32, -32, 64, -64]));
    }
    const grouped = fitCodebook(w, [k, n], { groupSize: 32 });
    expect(grouped.levels.length).toBe(2 * n * 16);
    expect(() => fitCodebook(w, [k, n], { groupSize: 20 })).toThrow(UnsupportedError);
    expect(() => fitCodebook(w, [k, n + 1])).toThrow(BufferError);
    expect(() => fitCodebook(Float32Array.of(NaN, 1), [1, 2])).toThrow(/weight 0 is NaN/);
    expect(() => fitCodebook(w, [k, n], { method: "lloyd" as "kmeans" })).toThrow(UnsupportedError);
  });
  it.skipIf(!existsSync(MOBILENET))("on MobileNetV2's conv and FC filters: k-means beats uniform int4 (per channel), powers of two do not", () => {
    const layers = mobilenetWeights()!;
    expect(layers.length).toBe(36);
    const total = { uniform: [0, 0], kmeans: [0, 0], pow2: [0, 0] };
    for (const L of layers.filter((_, i) => i % 3 === 0)) {
      const approx = {
        uniform: uniformInt4(L.w, L.shape),
        kmeans: decodeCodebook(fitCodebook(L.w, L.shape)),
        pow2: decodeCodebook(fitCodebook(L.w, L.shape, { method: "pow2" })),
      };
      for (const [key, a] of Object.entries(approx)) {
        const { mse } = reconstructionError(L.w, a);
        total[key as keyof typeof total][0] += L.w.reduce((s, v) => s + v * v, 0);
        total[key as keyof typeof total][1] += mse * L.w.length;
      }
    }
    const sqnr = (t: number[]) => 10 * Math.log10(t[0] / t[1]);
    expect(sqnr(total.kmeans)).toBeGreaterThan(sqnr(total.uniform) + 1);
    expect(sqnr(total.uniform)).toBeGreaterThan(sqnr(total.pow2));
    expect(sqnr(total.uniform)).toBeGreaterThan(12); // a broken quantizer would not reach this
  });
});
