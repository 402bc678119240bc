// The matmul op against the plain-loop reference: int8 and uint8 activations and weights, extreme zero
// points, per-tensor and per-channel scales, all requantization modes, clamps, both weight layouts, batches,
// int32 output, and the GEMV path (M = 1) against the GEMM path.

import { describe, it, expect } from "vitest";
import { QTensor } from "../src/tensor/qtensor.js";
import { quantizeMultiplier, fp32Multiplier, type RequantMode } from "../src/quant/multiplier.js";
import { requantize, outputStage } from "../src/quant/requant.js";
import { DTYPES } from "../src/tensor/dtype.js";
import { StateError } from "../src/errors.js";
import { dyad, rng, randInts, expectExact } from "./helpers.js";

type Act = "int8" | "uint8";

interface OpCase {
  m: number; k: number; n: number;
  act: Act; wdt: Act; out: Act | "int32";
  mode: RequantMode; perChannel: boolean;
  za: number; zy: number; zb: number[];
  sa: number; sy: number; sw: number[];
  clamp?: { min: number; max: number };
  bias?: Int32Array;
  seed: number;
}

/** The op's semantics written out: ONNX QLinearMatMul / MatMulInteger / TFLite FULLY_CONNECTED. */
function reference(c: OpCase, a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let acc = c.bias ? c.bias[j] : 0;
      const p = c.perChannel ? j : 0;
      for (let kk = 0; kk < c.k; kk++) acc += (a[i * c.k + kk] - c.za) * (b[kk * c.n + j] - c.zb[p]);
      if (c.out === "int32") {
        out.push(acc | 0);
        continue;
      }
      let r: number;
      if (c.mode === "fp32") {
        r = requantize("fp32", acc, fp32Multiplier(c.sa, c.sw[p], c.sy), 0);
      } else {
        const q = quantizeMultiplier((Math.fround(c.sa) * Math.fround(c.sw[p])) / Math.fround(c.sy), c.mode);
        r = requantize(c.mode, acc, q.multiplier, q.shift);
      }
      const { min, max } = DTYPES[c.out];
      out.push(outputStage(r, c.zy, c.clamp?.min ?? min, c.clamp?.max ?? max));
    }
  }
  return out;
}

function randomCase(seed: number, m: number, k: number, n: number, act: Act, wdt: Act, out: Act | "int32", mode: RequantMode, perChannel: boolean): OpCase {
  const r = rng(seed);
  const range = (dt: Act) => [DTYPES[dt].min, DTYPES[dt].max];
  const pick = (dt: Act) => {
    const [lo, hi] = range(dt);
    return [lo, hi, Math.floor((lo + hi) / 2), lo + Math.floor(r() * (hi - lo + 1))][Math.floor(r() * 4)];
  };
  const channels = perChannel ? n : 1;
  const zb = Array.from({ length: channels }, () => (wdt === "uint8" || seed % 2 ? pick(wdt) : 0));
  const sw = Array.from({ length: channels }, () => 2 ** (-9 + r() * 4));
  const c: OpCase = {
    m, k, n, act, wdt, out, mode, perChannel, seed,
    za: pick(act), zy: out === "int32" ? 0 : pick(out), zb,
    sa: 2 ** (-6 + r() * 3), sy: 0, sw,
  };
  // Output scale so that typical outputs use most of the 8-bit range without all saturating.
  c.sy = (c.sa * Math.max(...sw) * 128 * 128 * Math.sqrt(k)) / 2 ** (3 + r() * 2);
  if (out !== "int32" && seed % 3 === 0) {
    const [lo, hi] = range(out);
    c.clamp = { min: lo + 10, max: hi - 20 };
  }
  if (seed % 2 === 0) c.bias = randInts(Int32Array, n, -5000, 5000, r);
  return c;
}

const stats = { total: 0, saturated: 0 };

async function runCase(c: OpCase, layout: "kn" | "nk" = "kn"): Promise<void> {
  const d = await dyad();
  const r = rng(c.seed + 1);
  const [alo, ahi] = [DTYPES[c.act].min, DTYPES[c.act].max];
  const [wlo, whi] = [DTYPES[c.wdt].min, DTYPES[c.wdt].max];
  const A: { new (n: number): Int8Array | Uint8Array } = c.act === "int8" ? Int8Array : Uint8Array;
  const W: { new (n: number): Int8Array | Uint8Array } = c.wdt === "int8" ? Int8Array : Uint8Array;
  const a = randInts(A, c.m * c.k, alo, ahi, r);
  const b = randInts(W, c.k * c.n, wlo, whi, r);
  let wdata: Int8Array | Uint8Array = b;
  if (layout === "nk") {
    wdata = new W(c.k * c.n);
    for (let kk = 0; kk < c.k; kk++) for (let j = 0; j < c.n; j++) wdata[j * c.k + kk] = b[kk * c.n + j];
  }
  const weights = new QTensor({
    dtype: c.wdt, shape: layout === "kn" ? [c.k, c.n] : [c.n, c.k], data: wdata,
    scale: c.sw, zeroPoint: c.zb, axis: c.perChannel ? (layout === "kn" ? 1 : 0) : null,
  });
  const op = d.matmul({
    weights, weightLayout: layout, bias: c.bias,
    input: { dtype: c.act, scale: c.sa, zeroPoint: c.za },
    output: c.out === "int32" ? { dtype: "int32" } : { dtype: c.out, scale: c.sy, zeroPoint: c.zy },
    requant: c.mode, clamp: c.clamp,
  });
  const y = op.run({ data: a, shape: [c.m, c.k] });
  op.dispose();
  expect(y.shape).toEqual([c.m, c.n]);
  expect(y.dtype).toBe(c.out);
  stats.total += y.data.length;
  if (c.out !== "int32") stats.saturated += Array.from(y.data).filter((v) => v === DTYPES[c.out as Act].min || v === DTYPES[c.out as Act].max).length;
  expectExact(Array.from(y.data), reference(c, a, b), c.n, `${JSON.stringify({ ...c, bias: undefined })} ${layout}`);
}

describe("matmul op", () => {
  const shapes = [[1, 1, 1], [1, 37, 19], [1, 256, 64], [3, 17, 9], [4, 64, 8], [7, 100, 33], [33, 129, 17]];
  for (const mode of ["tflite", "single", "fp32"] as const) {
    it(`${mode}: int8/uint8 activations x int8/uint8 weights -> int8/uint8, per tensor and per channel`, async () => {
      let seed = 1;
      for (const [m, k, n] of shapes) for (const act of ["int8", "uint8"] as const) for (const wdt of ["int8", "uint8"] as const)
        for (const out of ["int8", "uint8"] as const) for (const perChannel of [false, true]) {
          await runCase(randomCase(seed++, m, k, n, act, wdt, out, mode, perChannel));
        }
    });
  }

  it("exercises the output range rather than only its ends", () => {
    expect(stats.total).toBeGreaterThan(10000);
    expect(stats.saturated / stats.total).toBeLessThan(0.4); // extreme output zero points saturate half the range by design
  });

  it("int32 output (MatMulInteger) with zero points on both sides", async () => {
    let seed = 500;
    for (const [m, k, n] of shapes) for (const act of ["int8", "uint8"] as const) for (const wdt of ["int8", "uint8"] as const) {
      await runCase(randomCase(seed++, m, k, n, act, wdt, "int32", "tflite", seed % 2 === 0));
    }
  });

  it("FULLY_CONNECTED layout [N, K] with bias and clamps equals the [K, N] layout", async () => {
    let seed = 900;
    for (const [m, k, n] of shapes) for (const mode of ["tflite", "single"] as const) {
      const c = randomCase(seed++, m, k, n, "int8", "int8", "int8", mode, seed % 2 === 1);
      await runCase(c, "nk");
      await runCase(c, "kn");
    }
  });

  it("the GEMV path (M = 1) equals the GEMM path row by row", async () => {
    const d = await dyad();
    const r = rng(3);
    const [k, n] = [300, 41];
    const weights = new QTensor({ dtype: "int8", shape: [k, n], data: randInts(Int8Array, k * n, -128, 127, r), scale: 0.01 });
    const op = d.matmul({ weights, input: { dtype: "uint8", scale: 0.02, zeroPoint: 131 }, output: { dtype: "int8", scale: 0.3, zeroPoint: -5 } });
    const a = randInts(Uint8Array, 6 * k, 0, 255, r);
    const all = op.run({ data: a, shape: [6, k] });
    for (let i = 0; i < 6; i++) {
      const row = op.run({ data: a.subarray(i * k, (i + 1) * k), shape: [1, k] });
      expect(Array.from(row.data)).toEqual(Array.from(all.data.subarray(i * n, (i + 1) * n)));
    }
    op.dispose();
  });

  it("batches: 2-D weights broadcast over input batches; 3-D weights pair with input batches", async () => {
    const d = await dyad();
    const r = rng(4);
    const [m, k, n] = [3, 10, 5];
    const w3 = randInts(Int8Array, 2 * k * n, -128, 127, r);
    const a = randInts(Int8Array, 2 * m * k, -128, 127, r);
    const spec = { input: { dtype: "int8" as const, zeroPoint: -3 }, output: { dtype: "int32" as const } };
    const batched = d.matmul({ ...spec, weights: new QTensor({ dtype: "int8", shape: [2, k, n], data: w3 }) });
    const y = batched.run({ data: a, shape: [2, m, k] });
    expect(y.shape).toEqual([2, m, n]);
    for (let b = 0; b < 2; b++) {
      const single = d.matmul({ ...spec, weights: new QTensor({ dtype: "int8", shape: [k, n], data: w3.slice(b * k * n, (b + 1) * k * n) }) });
      const yb = single.run({ data: a.subarray(b * m * k, (b + 1) * m * k), shape: [m, k] });
      expect(Array.from(y.data.subarray(b * m * n, (b + 1) * m * n))).toEqual(Array.from(yb.data));
      const broadcast = single.run({ data: a, shape: [2, 1, m, k] });
      expect(broadcast.shape).toEqual([2, 1, m, n]);
      expect(Array.from(broadcast.data.subarray(b * m * n, (b + 1) * m * n))).toEqual(Array.from(yb.data));
      single.dispose();
    }
    batched.dispose();
  });

  it("returns its memory on dispose and refuses to run afterwards", async () => {
    const d = await dyad();
    const before = d.memory.usedBytes;
    const op = d.matmul({
      weights: new QTensor({ dtype: "int8", shape: [64, 64] }),
      input: { dtype: "int8", scale: 1 }, output: { dtype: "int8", scale: 1 },
    });
    expect(d.memory.usedBytes).toBeGreaterThan(before);
    op.run({ data: new Int8Array(64 * 5), shape: [5, 64] });
    op.dispose();
    expect(d.memory.usedBytes).toBe(before);
    expect(() => op.run({ data: new Int8Array(64), shape: [1, 64] })).toThrow(StateError);
  });
});

describe("matmulF32", () => {
  it("computes x W + b with clamps in both layouts", async () => {
    const d = await dyad();
    const r = rng(9);
    const [m, k, n] = [5, 7, 10];
    const x = Float32Array.from({ length: m * k }, () => r() - 0.5);
    const w = Float32Array.from({ length: k * n }, () => r() - 0.5);
    const wt = new Float32Array(k * n);
    for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) wt[j * k + kk] = w[kk * n + j];
    const bias = Float32Array.from({ length: n }, () => r());
    const op = d.matmulF32({ weights: w, shape: [k, n], bias, clamp: { min: 0, max: 1 } });
    const opT = d.matmulF32({ weights: wt, shape: [n, k], weightLayout: "nk", bias, clamp: { min: 0, max: 1 } });
    const y = op.run({ data: x, shape: [m, k] });
    expect(Array.from(opT.run({ data: x, shape: [m, k] }).data)).toEqual(Array.from(y.data));
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = bias[j];
      for (let kk = 0; kk < k; kk++) s = Math.fround(s + Math.fround(x[i * k + kk] * w[kk * n + j]));
      expect(y.data[i * n + j]).toBe(Math.min(Math.max(s, 0), 1));
    }
    op.dispose();
    opT.dispose();
  });
});
