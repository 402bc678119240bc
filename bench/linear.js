// The linear suite (the LLM-era half): float32 in, float32 out, activations quantized per row at run time.
//   dyad-int4     W4A8: int4 weights in groups of 32 along K (dyad.createLinear)
//   dyad          W8A8: int8 weights per channel, same pipeline
//   ort-web-int4  onnxruntime-web's com.microsoft MatMulNBits (bits 4, block 32), the same int4 weights
//   ort-web       onnxruntime-web's dynamic quantization: DynamicQuantizeLinear + MatMulInteger (+ Cast, Mul)
//   dyad-relaxed  W4A8 as dyad-int4, on the relaxed build's kernels (only where the engine has relaxed SIMD)
//   dyad-n4       non-uniform 4-bit weights: a codebook of 16 int8 levels per column, decoded by swizzle
// Before timing, each engine's output is compared with the float product of the dequantized weights: the
// relative error must be that of 8-bit activations (a wrong layout or scale gives errors near 1).

import { QTensor } from "../dist/index.js";
import { measureInRounds } from "./measure.js";
import { ortMatMulNBits, ortDynamicMatMul } from "./peers.js";

/** [M, K, N] */
export const LINEAR_SHAPES = [[512, 512, 512], [128, 768, 3072], [1, 4096, 4096], [1, 4096, 11008]];
export const LINEAR_SHAPES_QUICK = [[128, 768, 768], [1, 4096, 4096]];
const BLOCK = 32;

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

function relativeError(y, exact) {
  let num = 0, den = 0;
  for (let i = 0; i < y.length; i++) { num += (y[i] - exact[i]) ** 2; den += exact[i] ** 2; }
  return Math.sqrt(num / den);
}

/** The float product x w for the first rows (enough to check a layout). */
function reference(x, m, k, n, weightAt, rows) {
  const y = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) for (let kk = 0; kk < k; kk++) {
    const xv = x[i * k + kk];
    for (let j = 0; j < n; j++) y[i * n + j] += xv * weightAt(kk, j);
  }
  return y;
}

export async function benchLinear({ dyad, relaxed, ort, quick, log }) {
  const records = [];
  for (const [m, k, n] of quick ? LINEAR_SHAPES_QUICK : LINEAR_SHAPES) {
    const shape = `${m}x${k}x${n}`;
    const ops = 2 * m * k * n;
    const r = lcg(m * 17 + k * 3 + n);
    const x = Float32Array.from({ length: m * k }, () => r() * 2 - 1);
    // int4 in groups of BLOCK along K, symmetric (no zero points), one scale per (group, column).
    const q4 = Int8Array.from({ length: k * n }, () => Math.floor(r() * 16) - 8);
    const s4 = Float32Array.from({ length: (k / BLOCK) * n }, () => 0.01 + r() * 0.02);
    const packed4 = new Uint8Array((k * n) / 2);
    q4.forEach((v, e) => { packed4[e >> 1] |= (v & 15) << (e & 1 ? 4 : 0); });
    const w4 = new QTensor({ dtype: "int4", shape: [k, n], data: packed4, scale: s4, axis: 0, blockSize: BLOCK });
    const q8 = Int8Array.from({ length: k * n }, () => Math.floor(r() * 256) - 128);
    const sw8 = 0.002;
    const w8 = new QTensor({ dtype: "int8", shape: [k, n], data: q8, scale: sw8 });

    const int4 = dyad.createLinear({ weights: w4 });
    // A codebook per column over the same 4-bit indices (the cost does not depend on the levels' values).
    const levels = Int8Array.from({ length: n * 16 }, (_, e) => ((e % 16) - 8) * 9);
    const cbScales = Float32Array.from({ length: n }, () => 0.001 + r() * 0.002);
    const cb = { kind: "codebook", shape: [k, n], indices: packed4.map((b) => b ^ 0x88), levels, scales: cbScales, groupSize: 0 };
    const n4 = dyad.createLinear({ weights: cb });
    const int8 = dyad.createLinear({ weights: w8 });
    const rows = Math.min(m, 4);
    const at4 = (kk, j) => q4[kk * n + j] * s4[Math.floor(kk / BLOCK) * n + j];
    const at8 = (kk, j) => q8[kk * n + j] * sw8;
    const exact4 = reference(x, m, k, n, at4, rows), exact8 = reference(x, m, k, n, at8, rows);
    const check = (engine, y, exact) => {
      const err = relativeError(y.subarray(0, rows * n), exact);
      if (!(err < 0.02)) throw new Error(`${shape}: ${engine} is off the float product by ${err} (relative); a layout or scale is wrong`);
    };
    check("dyad-int4", int4.run(x), exact4);
    check("dyad", int8.run(x), exact8);
    const atN4 = (kk, j) => { const e = kk * n + j, idx = (cb.indices[e >> 1] >> (e & 1 ? 4 : 0)) & 15; return levels[j * 16 + idx] * cbScales[j]; };
    check("dyad-n4", n4.run(x), reference(x, m, k, n, atN4, rows));
    const out4 = new Float32Array(m * n), out8 = new Float32Array(m * n);
    const outN4 = new Float32Array(m * n);
    const tasks = [["dyad-int4", () => int4.runInto(x, out4)], ["dyad", () => int8.runInto(x, out8)], ["dyad-n4", () => n4.runInto(x, outN4)]];
    const int4r = relaxed ? relaxed.createLinear({ weights: w4 }) : null;
    if (int4r) {
      const yr = int4r.run(x), y4 = int4.run(x);
      if (yr.some((v, i) => !Object.is(v, y4[i]))) throw new Error(`${shape}: the relaxed build's int4 output differs from the SIMD build's`);
      tasks.push(["dyad-relaxed", () => int4r.runInto(x, out4)]);
    }
    const sessions = [];
    if (ort) {
      const nbits = await ortMatMulNBits(ort, { m, k, n, q: q4, scales: s4, block: BLOCK });
      const dyn = await ortDynamicMatMul(ort, { m, k, n, weights: q8, sw: sw8 });
      sessions.push(nbits, dyn);
      const feed = { a: new ort.Tensor("float32", x, [m, k]) };
      check("ort-web-int4", (await nbits.run(feed)).y.data, exact4);
      check("ort-web", (await dyn.run(feed)).y.data, exact8);
      tasks.push(["ort-web-int4", async () => { await nbits.run(feed); }], ["ort-web", async () => { await dyn.run(feed); }]);
    }
    for (const [engine, ms] of await measureInRounds(tasks, quick)) {
      records.push({ suite: "linear", case: shape, engine, ms, gops: ops / ms / 1e6 });
    }
    log?.(`linear ${shape}`);
    int4.dispose();
    int8.dispose();
    n4.dispose();
    int4r?.dispose();
    for (const s of sessions) await s.release();
  }
  return records;
}
