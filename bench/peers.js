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
