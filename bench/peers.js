// onnxruntime-web (wasm backend, one thread) as a peer: models built in the bench, sessions created here.
// onnxruntime-web is a development dependency; without it the bench runs dyad alone and says so.

import { encodeModel } from "../dist/formats/onnx/proto.js";

/** Loads onnxruntime-web set to one wasm thread, or returns null with the reason. */
export async function loadOrtWeb() {
  try {
    const ort = await import("onnxruntime-web");
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = "error";
    return { ort, version: ort.env.versions?.web ?? "?" };
  } catch (e) {
    return { ort: null, reason: `onnxruntime-web is not installed (${e.code ?? e.message})` };
  }
}

const scalar = (name, dtype, value) => ({
  name, dtype, dims: [],
  data: dtype === "float32" ? Float32Array.of(value) : dtype === "int8" ? Int8Array.of(value) : Uint8Array.of(value),
});

/**
 * QLinearMatMul with uint8 activations and int8 weights: onnxruntime's fast int8 path (the U8S8 format its
 * quantizer writes). Its int8 x int8 path runs about 15x slower here, so that is not the peer we measure.
 */
export async function ortQLinearMatMul(ort, { m, k, n, weights, sa, za, sw, sy, zy }) {
  const model = encodeModel({
    opset: 21,
    nodes: [{ opType: "QLinearMatMul", inputs: ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], outputs: ["y"] }],
    inputs: [{ name: "a", dtype: "uint8", dims: [m, k] }],
    outputs: [{ name: "y", dtype: "uint8", dims: [m, n] }],
    initializers: [
      scalar("sa", "float32", sa), scalar("za", "uint8", za),
      { name: "b", dtype: "int8", dims: [k, n], data: weights },
      scalar("sb", "float32", sw), scalar("zb", "int8", 0),
      scalar("sy", "float32", sy), scalar("zy", "uint8", zy),
    ],
  });
  return ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

export async function ortMatMulF32(ort, { m, k, n, weights }) {
  const model = encodeModel({
    opset: 21,
    nodes: [{ opType: "MatMul", inputs: ["a", "b"], outputs: ["y"] }],
    inputs: [{ name: "a", dtype: "float32", dims: [m, k] }],
    outputs: [{ name: "y", dtype: "float32", dims: [m, n] }],
    initializers: [{ name: "b", dtype: "float32", dims: [k, n], data: weights }],
  });
  return ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

/**
 * com.microsoft MatMulNBits (bits 4, symmetric: no zero points, so 8 is implied) from int4 weights [K, N] in
 * groups of `block` along K: B is [N][K / block][block / 2] nibbles, scales [N][K / block].
 */
export async function ortMatMulNBits(ort, { m, k, n, q, scales, block }) {
  const blocks = k / block;
  const b = new Uint8Array(n * blocks * (block / 2));
  for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) {
    const v = q[kk * n + j] + 8;
    const at = j * (k / 2) + (kk >> 1);
    b[at] |= kk & 1 ? v << 4 : v;
  }
  const s = new Float32Array(n * blocks);
  for (let j = 0; j < n; j++) for (let g = 0; g < blocks; g++) s[j * blocks + g] = scales[g * n + j];
  const model = encodeModel({
    opset: 21,
    nodes: [{ opType: "MatMulNBits", domain: "com.microsoft", inputs: ["a", "b", "s"], outputs: ["y"], attrs: { K: k, N: n, bits: 4, block_size: block } }],
    inputs: [{ name: "a", dtype: "float32", dims: [m, k] }],
    outputs: [{ name: "y", dtype: "float32", dims: [m, n] }],
    initializers: [{ name: "b", dtype: "uint8", dims: [n, blocks, block / 2], data: b }, { name: "s", dtype: "float32", dims: [n * blocks], data: s }],
  });
  return ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

/**
 * Dynamic quantization as onnxruntime's quantizer writes it: DynamicQuantizeLinear on the activations,
 * MatMulInteger with int8 weights, Cast, and a Mul by the two scales (fused to MatMulIntegerToFloat by its
 * graph optimizations).
 */
export async function ortDynamicMatMul(ort, { m, k, n, weights, sw }) {
  const model = encodeModel({
    opset: 21,
    nodes: [
      { opType: "DynamicQuantizeLinear", inputs: ["a"], outputs: ["aq", "as", "az"] },
      { opType: "MatMulInteger", inputs: ["aq", "b", "az"], outputs: ["acc"] },
      { opType: "Cast", inputs: ["acc"], outputs: ["accf"], attrs: { to: 1 } },
      { opType: "Mul", inputs: ["as", "sw"], outputs: ["scale"] },
      { opType: "Mul", inputs: ["accf", "scale"], outputs: ["y"] },
    ],
    inputs: [{ name: "a", dtype: "float32", dims: [m, k] }],
    outputs: [{ name: "y", dtype: "float32", dims: [m, n] }],
    initializers: [{ name: "b", dtype: "int8", dims: [k, n], data: weights }, scalar("sw", "float32", sw)],
  });
  return ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}
