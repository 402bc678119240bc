// One-op dyad models for the conv suites, built directly in dyad's graph IR (the same ops a TFLite import
// creates), and the matching onnxruntime-web QLinearConv models (NCHW, uint8 activations, int8 weights).

import { Model } from "../dist/graph/model.js";
import { conv2d } from "../dist/ops/conv2d.js";
import { depthwiseConv2d } from "../dist/ops/depthwise-conv2d.js";
import { encodeModel } from "../dist/formats/onnx/proto.js";

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** { cin, h, w, cout, k, depthwise } -> weights, input, quantization shared by both engines. */
export function convCase({ cin, h, w, cout, k, depthwise }) {
  const r = lcg(cin * 131 + h * 7 + cout + k);
  const wCount = depthwise ? k * k * cin : cout * k * k * cin;
  const weights = Int8Array.from({ length: wCount }, () => Math.floor(r() * 255) - 127);
  const input = Int8Array.from({ length: h * w * cin }, () => Math.floor(r() * 256) - 128);
  const bias = Int32Array.from({ length: cout }, () => Math.floor(r() * 2000) - 1000);
  const sx = 0.02, zx = 3, sw = 0.01, sy = 0.02 * 0.01 * Math.sqrt(k * k * (depthwise ? 1 : cin)) * 40, zy = -5;
  return { cin, h, w, cout, k, depthwise, weights, input, bias, sx, zx, sw, sy, zy };
}

const tensor = (id, dtype, shape, quant, data) => ({
  id, name: `t${id}`, dtype, shape,
  quant: quant ? { scale: Float32Array.from(quant.scale), zeroPoint: Int32Array.from(quant.zeroPoint), axis: quant.axis ?? null } : null,
  data: data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null,
});

export function dyadConvModel(dyad, c) {
  const filterShape = c.depthwise ? [1, c.k, c.k, c.cout] : [c.cout, c.k, c.k, c.cin];
  const graph = {
    tensors: [
      tensor(0, "int8", [1, c.h, c.w, c.cin], { scale: [c.sx], zeroPoint: [c.zx] }),
      tensor(1, "int8", filterShape, { scale: [c.sw], zeroPoint: [0] }, c.weights),
      tensor(2, "int32", [c.cout], null, c.bias),
      tensor(3, "int8", [1, c.h, c.w, c.cout], { scale: [c.sy], zeroPoint: [c.zy] }),
    ],
    nodes: [{ index: 0, op: c.depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D", inputs: [0, 1, 2], outputs: [3] }],
    inputs: [0],
    outputs: [3],
  };
  const opts = { padding: "SAME", strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: "none" };
  return new Model(dyad.runtime, graph, [c.depthwise ? depthwiseConv2d({ ...opts, depthMultiplier: 1 }) : conv2d(opts)]);
}

/** onnxruntime-web's QLinearConv on the same weights, NCHW, uint8 activations (its fast path). */
export async function ortConvSession(ort, c) {
  const group = c.depthwise ? c.cin : 1;
  const wShape = [c.cout, c.cin / group, c.k, c.k];
  const wNchw = new Int8Array(c.weights.length);
  // dyad's filters are [Cout, KH, KW, Cin] (depthwise [1, KH, KW, C]); ONNX's are [Cout, Cin/group, KH, KW].
  for (let o = 0; o < c.cout; o++) for (let i = 0; i < c.cin / group; i++) for (let y = 0; y < c.k; y++) for (let x = 0; x < c.k; x++) {
    wNchw[((o * (c.cin / group) + i) * c.k + y) * c.k + x] = c.depthwise ? c.weights[(y * c.k + x) * c.cout + o] : c.weights[((o * c.k + y) * c.k + x) * c.cin + i];
  }
  const p = (c.k - 1) / 2;
  const model = encodeModel({
    opset: 21,
    nodes: [{ opType: "QLinearConv", inputs: ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "b"], outputs: ["y"], attrs: { group, pads: [p, p, p, p], kernel_shape: [c.k, c.k] } }],
    inputs: [{ name: "x", dtype: "uint8", dims: [1, c.cin, c.h, c.w] }],
    outputs: [{ name: "y", dtype: "uint8", dims: [1, c.cout, c.h, c.w] }],
    initializers: [
      { name: "sx", dtype: "float32", dims: [], data: Float32Array.of(c.sx) }, { name: "zx", dtype: "uint8", dims: [], data: Uint8Array.of(c.zx + 128) },
      { name: "w", dtype: "int8", dims: wShape, data: wNchw },
      { name: "sw", dtype: "float32", dims: [], data: Float32Array.of(c.sw) }, { name: "zw", dtype: "int8", dims: [], data: Int8Array.of(0) },
      { name: "sy", dtype: "float32", dims: [], data: Float32Array.of(c.sy) }, { name: "zy", dtype: "uint8", dims: [], data: Uint8Array.of(c.zy + 128) },
      { name: "b", dtype: "int32", dims: [c.cout], data: c.bias },
    ],
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const xNchw = new Uint8Array(c.input.length);
  for (let ch = 0; ch < c.cin; ch++) for (let i = 0; i < c.h * c.w; i++) xNchw[ch * c.h * c.w + i] = (c.input[i * c.cin + ch] + 128) & 255;
  return { session, feed: { x: new ort.Tensor("uint8", xNchw, [1, c.cin, c.h, c.w]) } };
}
