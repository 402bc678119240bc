// 4-bit weights in ONNX: com.microsoft MatMulNBits and DequantizeLinear(int4/uint4, blocked) -> MatMul run on
// dyad's linear. The import is checked exactly (the model's output equals dyad.createLinear on the same
// weights, bit for bit) and the arithmetic against onnxruntime-web, which computes in float32 on dequantized
// weights: the difference is the activations' 8-bit rounding, so it is bounded, not zero.

import { describe, it, expect } from "vitest";
import * as ort from "onnxruntime-web";
import { encodeModel, type GraphSpec } from "../../src/formats/onnx/proto.js";
import { QTensor } from "../../src/tensor/qtensor.js";
import { setNibble } from "../../src/tensor/dtype.js";
import { UnsupportedError, ShapeError } from "../../src/errors.js";
import { dyad, rng } from "../helpers.js";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

function relativeError(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < y.length; i++) { num += (y[i] - ref[i]) ** 2; den += ref[i] ** 2; }
  return Math.sqrt(num / den);
}

function bits(a: Float32Array): number[] {
  return Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));
}

async function ortRun(model: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const out = (await session.run({ a: new ort.Tensor("float32", x, dims) })).y.data as Float32Array;
  await session.release();
  return out;
}

/** Weights q[k][n] in [0, 15] with per-(block, column) scales and zero points, as a uint4 QTensor [K, N]. */
function makeCase(k: number, n: number, block: number, withZp: boolean, seed: number) {
  const r = rng(seed);
  const blocks = Math.ceil(k / block);
  const q = Array.from({ length: k * n }, () => Math.floor(r() * 16));
  const scale = Array.from({ length: blocks * n }, () => 0.005 + r() * 0.02);
  const zp = Array.from({ length: blocks * n }, () => (withZp ? Math.floor(r() * 16) : 8));
  const data = new Uint8Array(Math.ceil((k * n) / 2));
  q.forEach((v, e) => setNibble(data, e, v));
  const weights = new QTensor({ dtype: "uint4", shape: [k, n], data, scale, zeroPoint: zp, axis: 0, blockSize: block });
  return { q, scale, zp, weights, blocks };
}

describe("com.microsoft MatMulNBits (bits 4) on dyad's linear", () => {
  for (const [m, k, n, block, withZp, bias] of [
    [1, 64, 16, 32, false, false], [5, 128, 24, 16, true, true], [3, 256, 40, 128, true, false], [2, 96, 9, 32, false, true], [4, 100, 8, 32, true, false],
  ] as const) {
    it(`A [${m}, ${k}] x B ${n}x${k} in blocks of ${block}${withZp ? ", zero points" : ""}${bias ? ", bias" : ""}`, async () => {
      const d = await dyad();
      const c = makeCase(k, n, block, withZp, m * 100 + k);
      const blob = block / 2;
      const b = new Uint8Array(n * c.blocks * blob);
      for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) {
        b[j * c.blocks * blob + Math.floor(kk / block) * blob + ((kk % block) >> 1)] |= c.q[kk * n + j] << (kk & 1 ? 4 : 0);
      }
      const perRow = Math.ceil(c.blocks / 2);
      const zb = new Uint8Array(n * perRow);
      for (let j = 0; j < n; j++) for (let g = 0; g < c.blocks; g++) zb[j * perRow + (g >> 1)] |= c.zp[g * n + j] << (g & 1 ? 4 : 0);
      const scales = Float32Array.from({ length: n * c.blocks }, (_, e) => c.scale[(e % c.blocks) * n + Math.floor(e / c.blocks)]);
      const biasValues = bias ? Float32Array.from({ length: n }, (_, j) => Math.sin(j)) : undefined;
      const spec: GraphSpec = {
        opset: 21,
        nodes: [{
          opType: "MatMulNBits", domain: "com.microsoft", inputs: ["a", "b", "s", withZp ? "z" : "", "", bias ? "bias" : ""], outputs: ["y"],
          attrs: { K: k, N: n, bits: 4, block_size: block },
        }],
        inputs: [{ name: "a", dtype: "float32", dims: [m, k] }],
        outputs: [{ name: "y", dtype: "float32", dims: [m, n] }],
        initializers: [
          { name: "b", dtype: "uint8", dims: [n, c.blocks, blob], data: b },
          { name: "s", dtype: "float32", dims: [n * c.blocks], data: scales },
          ...(withZp ? [{ name: "z", dtype: "uint8" as const, dims: [n * perRow], data: zb }] : []),
          ...(biasValues ? [{ name: "bias", dtype: "float32" as const, dims: [n], data: biasValues }] : []),
        ],
      };
      if (!bias) spec.nodes[0].inputs.length = withZp ? 4 : 3;
      const model = encodeModel(spec);
      const r = rng(k);
      const x = Float32Array.from({ length: m * k }, () => r() * 4 - 2);
      const loaded = d.loadModel(model);
      const [ours] = loaded.run([x]);
      loaded.dispose();
      // The import is exact: the same as the linear built from the weights directly.
      const direct = d.createLinear({ weights: c.weights, bias: biasValues });
      expect(bits(ours.data as Float32Array)).toEqual(bits(direct.run(x)));
      direct.dispose();
      const theirs = await ortRun(model, x, [m, k]);
      const err = relativeError(ours.data as Float32Array, theirs);
      expect(err).toBeLessThan(0.01);
      expect(err).toBeGreaterThan(0); // 8-bit activations: not onnxruntime's float path
    });
  }

  it("refuses what it cannot run, by name", async () => {
    const d = await dyad();
    const base = (attrs: Record<string, number>, extra: string[] = [], bBytes = 16 * 2 * 16): GraphSpec => ({
      opset: 21,
      nodes: [{ opType: "MatMulNBits", domain: "com.microsoft", inputs: ["a", "b", "s", ...extra], outputs: ["y"], attrs: { K: 64, N: 16, bits: 4, block_size: 32, ...attrs } }],
      inputs: [{ name: "a", dtype: "float32", dims: [1, 64] }],
      outputs: [{ name: "y", dtype: "float32", dims: [1, 16] }],
      initializers: [
        { name: "b", dtype: "uint8", dims: [bBytes], data: new Uint8Array(bBytes) },
        { name: "s", dtype: "float32", dims: [32], data: new Float32Array(32).fill(0.1) },
        { name: "g", dtype: "int32", dims: [64], data: new Int32Array(64) },
      ],
    });
    expect(() => d.loadModel(encodeModel(base({ bits: 8 })))).toThrow(/bits = 8; dyad runs 4-bit MatMulNBits/);
    expect(() => d.loadModel(encodeModel(base({}, ["", "g"])))).toThrow(/g_idx/);
    expect(() => d.loadModel(encodeModel(base({}, [], 100)))).toThrow(ShapeError);
    expect(() => d.loadModel(encodeModel(base({}, [], 100)))).toThrow(/B has 100 bytes.*needs 512/);
    expect(() => d.loadModel(encodeModel(base({ block_size: 7 })))).toThrow(UnsupportedError);
  });
});

describe("weight-only QDQ: DequantizeLinear(4-bit initializer) -> MatMul on dyad's linear", () => {
  for (const [dtype, block] of [["int4", 32], ["uint4", 16], ["int4", 0]] as const) {
    it(`${dtype} weights ${block ? `in blocks of ${block} along K` : "per column (axis 1)"}`, async () => {
      const d = await dyad();
      const [m, k, n] = [3, 64, 20];
      const r = rng(block + 5);
      const lo = dtype === "int4" ? -8 : 0;
      const count = block ? (k / block) * n : n;
      const data = new Uint8Array((k * n) / 2);
      for (let e = 0; e < k * n; e++) setNibble(data, e, lo + Math.floor(r() * 16));
      const scale = Float32Array.from({ length: count }, () => 0.01 + r() * 0.02);
      const zp = new Uint8Array(Math.ceil(count / 2));
      const zps = Array.from({ length: count }, () => lo + Math.floor(r() * 16));
      zps.forEach((v, e) => setNibble(zp, e, v));
      const spec: GraphSpec = {
        opset: 21,
        nodes: [
          { opType: "DequantizeLinear", inputs: ["w", "sw", "zw"], outputs: ["wf"], attrs: block ? { axis: 0, block_size: block } : { axis: 1 } },
          { opType: "MatMul", inputs: ["a", "wf"], outputs: ["y"] },
        ],
        inputs: [{ name: "a", dtype: "float32", dims: [m, k] }],
        outputs: [{ name: "y", dtype: "float32", dims: [m, n] }],
        initializers: [
          { name: "w", dtype: dtype, dims: [k, n], data },
          { name: "sw", dtype: "float32", dims: block ? [k / block, n] : [n], data: scale },
          { name: "zw", dtype: dtype, dims: block ? [k / block, n] : [n], data: zp },
        ],
      };
      const model = encodeModel(spec);
      const x = Float32Array.from({ length: m * k }, () => r() * 2 - 1);
      const loaded = d.loadModel(model);
      const [ours] = loaded.run([x]);
      loaded.dispose();
      const weights = new QTensor({ dtype, shape: [k, n], data, scale, zeroPoint: zps, axis: block ? 0 : 1, blockSize: block });
      const direct = d.createLinear({ weights });
      expect(bits(ours.data as Float32Array)).toEqual(bits(direct.run(x)));
      direct.dispose();
      const err = relativeError(ours.data as Float32Array, await ortRun(model, x, [m, k]));
      expect(err).toBeLessThan(0.01);
    });
  }

  it("refuses a 4-bit initializer read by anything else, naming it", async () => {
    const d = await dyad();
    const spec: GraphSpec = {
      opset: 21,
      nodes: [{ opType: "Identity", inputs: ["w"], outputs: ["y"] }],
      inputs: [],
      outputs: [{ name: "y", dtype: "int4", dims: [4] }],
      initializers: [{ name: "w", dtype: "int4", dims: [4], data: new Uint8Array(2) }],
    };
    expect(() => d.loadModel(encodeModel(spec))).toThrow(/initializer "w" is int4; dyad reads 4-bit weights only through DequantizeLinear -> MatMul/);
  });
});
