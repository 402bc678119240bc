// A small float CNN as an ONNX file (Conv-Relu-MaxPool, Conv-Relu plus a 1x1 Conv branch, Add,
// GlobalAveragePool, Flatten, Gemm), random weights from a seed: the float model the quantization tests start from.

import { encodeModel, type GraphSpec } from "../src/formats/onnx/proto.js";
import { rng } from "./helpers.js";

export function floatCnn(seed: number): Uint8Array {
  const r = rng(seed);
  const t = (name: string, dims: number[], scale: number) => ({
    name, dtype: "float32" as const, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale),
  });
  const spec: GraphSpec = {
    opset: 17,
    nodes: [
      { opType: "Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      { opType: "Relu", inputs: ["c1"], outputs: ["r1"] },
      { opType: "MaxPool", inputs: ["r1"], outputs: ["p1"], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { opType: "Conv", inputs: ["p1", "w2", "b2"], outputs: ["c2"], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      { opType: "Relu", inputs: ["c2"], outputs: ["r2"] },
      { opType: "Conv", inputs: ["p1", "w4"], outputs: ["c3"], attrs: { kernel_shape: [1, 1] } },
      { opType: "Add", inputs: ["r2", "c3"], outputs: ["a2"] },
      { opType: "GlobalAveragePool", inputs: ["a2"], outputs: ["g"] },
      { opType: "Flatten", inputs: ["g"], outputs: ["f"] },
      { opType: "Gemm", inputs: ["f", "w3", "b3"], outputs: ["y"], attrs: { transB: 1 } },
    ],
    inputs: [{ name: "x", dtype: "float32", dims: [1, 1, 8, 8] }],
    outputs: [{ name: "y", dtype: "float32", dims: [1, 10] }],
    initializers: [t("w1", [4, 1, 3, 3], 0.5), t("b1", [4], 0.1), t("w2", [8, 4, 3, 3], 0.3), t("b2", [8], 0.1), t("w4", [8, 4, 1, 1], 0.3), t("w3", [10, 8], 0.5), t("b3", [10], 0.1)],
  };
  return encodeModel(spec);
}

