// Dynamic quantization graphs against onnxruntime-web, bit for bit: com.microsoft DynamicQuantizeMatMul,
// DynamicQuantizeLinear feeding MatMulInteger (a zero point known only at run time) and MatMulIntegerToFloat
// (scale and zero point of the run), int8 and uint8 weights with zero points, bias, batches, an all-zero input;
// and the unfused graph onnxruntime's quantize_dynamic writes, with its float glue (Cast, Mul, Add, Sub, Div, Relu).

import { describe, it } from "vitest";
import { encodeModel, type GraphSpec } from "../../src/formats/onnx/proto.js";
import { rng, randInts } from "../helpers.js";
import { expectSameAsOrt } from "./ort-compare.js";

const f32 = (name: string, dims: number[], v: ArrayLike<number>) => ({ name, dtype: "float32" as const, dims, data: Float32Array.from(v) });

function weights(bType: "int8" | "uint8", k: number, n: number, seed: number) {
  const r = rng(seed);
  return [
    { name: "b", dtype: bType, dims: [k, n], data: bType === "int8" ? randInts(Int8Array, k * n, -127, 127, r) : Uint8Array.from(randInts(Int32Array, k * n, 0, 255, r)) },
    f32("sb", [], [0.0123]),
    bType === "int8" ? { name: "zb", dtype: "int8" as const, dims: [], data: Int8Array.of(0) } : { name: "zb", dtype: "uint8" as const, dims: [], data: Uint8Array.of(131) },
    f32("bias", [n], Array.from({ length: n }, (_, j) => Math.sin(j) * 0.7)),
  ];
}

const input = (n: number, zero = false) => Float32Array.from({ length: n }, (_, i) => (zero ? 0 : Math.sin(i * 0.77) * 3 + Math.cos(i * 0.13)));

describe("dynamic quantization graphs against onnxruntime-web", () => {
  for (const bType of ["int8", "uint8"] as const) {
    for (const zero of [false, true]) {
      const tag = `${bType} B${zero ? ", an all-zero input" : ""}`;
      it(`com.microsoft DynamicQuantizeMatMul with bias, ${tag}`, async () => {
        const [k, n] = [24, 13];
        const spec: GraphSpec = {
          opset: 17,
          nodes: [{ opType: "DynamicQuantizeMatMul", domain: "com.microsoft", inputs: ["x", "b", "sb", "zb", "bias"], outputs: ["y"] }],
          inputs: [{ name: "x", dtype: "float32", dims: [2, 5, k] }],
          outputs: [{ name: "y", dtype: "float32", dims: [2, 5, n] }],
          initializers: weights(bType, k, n, 1),
        };
        await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: input(2 * 5 * k, zero), dims: [2, 5, k] }]);
      });

      it(`DynamicQuantizeLinear -> MatMulInteger (int32) and -> MatMulIntegerToFloat, ${tag}`, async () => {
        const [k, n] = [40, 9];
        const spec: GraphSpec = {
          opset: 17,
          nodes: [
            { opType: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["xq", "xs", "xz"] },
            { opType: "MatMulInteger", inputs: ["xq", "b", "xz", "zb"], outputs: ["acc"] },
            { opType: "MatMulIntegerToFloat", domain: "com.microsoft", inputs: ["xq", "b", "xs", "sb", "xz", "zb", "bias"], outputs: ["y"] },
          ],
          inputs: [{ name: "x", dtype: "float32", dims: [7, k] }],
          outputs: [{ name: "acc", dtype: "int32", dims: [7, n] }, { name: "y", dtype: "float32", dims: [7, n] }],
          initializers: weights(bType, k, n, 2),
        };
        await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: input(7 * k, zero), dims: [7, k] }], { graphOptimizationLevel: "disabled" });
      });
    }
  }
});

describe("onnxruntime's quantize_dynamic graph (unfused) against onnxruntime-web", () => {
  for (const level of ["disabled", "all"] as const) {
    it(`DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul (scales) -> Add (bias) -> Relu, graph optimizations ${level}`, async () => {
      const [m, k, n] = [6, 32, 10];
      const r = rng(9);
      const spec: GraphSpec = {
        opset: 17,
        nodes: [
          { opType: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["xq", "xs", "xz"] },
          { opType: "MatMulInteger", inputs: ["xq", "b", "xz", "zb"], outputs: ["acc"] },
          { opType: "Cast", inputs: ["acc"], outputs: ["accf"], attrs: { to: 1 } },
          { opType: "Mul", inputs: ["xs", "sb"], outputs: ["scale"] },
          { opType: "Mul", inputs: ["accf", "scale"], outputs: ["prod"] },
          { opType: "Add", inputs: ["prod", "bias"], outputs: ["sum"] },
          { opType: "Relu", inputs: ["sum"], outputs: ["y"] },
          { opType: "Sub", inputs: ["sum", "prod"], outputs: ["diff"] },
          { opType: "Div", inputs: ["diff", "scale"], outputs: ["ratio"] },
        ],
        inputs: [{ name: "x", dtype: "float32", dims: [m, k] }],
        outputs: [{ name: "y", dtype: "float32", dims: [m, n] }, { name: "ratio", dtype: "float32", dims: [m, n] }],
        initializers: [
          { name: "b", dtype: "int8", dims: [k, n], data: randInts(Int8Array, k * n, -127, 127, r) },
          f32("sb", [], [0.0123]), { name: "zb", dtype: "int8", dims: [], data: Int8Array.of(0) },
          f32("bias", [n], Array.from({ length: n }, (_, j) => Math.sin(j) * 0.9)),
        ],
      };
      await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: input(m * k), dims: [m, k] }], { graphOptimizationLevel: level });
    });
  }

  it("Cast truncates float to int32 and converts back", async () => {
    const spec: GraphSpec = {
      opset: 17,
      nodes: [
        { opType: "Cast", inputs: ["x"], outputs: ["i"], attrs: { to: 6 } },
        { opType: "Cast", inputs: ["i"], outputs: ["y"], attrs: { to: 1 } },
      ],
      inputs: [{ name: "x", dtype: "float32", dims: [6] }],
      outputs: [{ name: "y", dtype: "float32", dims: [6] }],
      initializers: [],
    };
    // In int32 range only (onnxruntime leaves out-of-range casts undefined): truncation toward zero both ways.
    await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: Float32Array.of(-2.7, 2.7, 0.5, -0.5, 123456789.7, -1e9), dims: [6] }]);
  });
});

describe("ConvInteger against onnxruntime-web", () => {
  const r = rng(12);
  const [cin, cout, h, w] = [5, 7, 9, 8];
  const weights = { name: "w", dtype: "int8" as const, dims: [cout, cin, 3, 3], data: randInts(Int8Array, cout * cin * 9, -127, 127, r) };
  const xin = Float32Array.from({ length: cin * h * w }, (_, i) => Math.sin(i * 0.61) * 2 + 0.5);
  it("uint8 input with a constant zero point, 3x3 pads 1 stride 2: the int32 sums", async () => {
    const x = Uint8Array.from({ length: cin * h * w }, (_, i) => (i * 73) % 256);
    const spec: GraphSpec = {
      opset: 17,
      nodes: [{ opType: "ConvInteger", inputs: ["x", "w", "zx"], outputs: ["y"], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } }],
      inputs: [{ name: "x", dtype: "uint8", dims: [1, cin, h, w] }],
      outputs: [{ name: "y", dtype: "int32", dims: [1, cout, 5, 4] }],
      initializers: [weights, { name: "zx", dtype: "uint8", dims: [], data: Uint8Array.of(120) }],
    };
    await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: x, dims: [1, cin, h, w] }]);
  });

  it("quantize_dynamic's Conv: DynamicQuantizeLinear -> ConvInteger (zero point of the run) -> Cast -> Mul -> Add", async () => {
    const spec: GraphSpec = {
      opset: 17,
      nodes: [
        { opType: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["xq", "xs", "xz"] },
        { opType: "ConvInteger", inputs: ["xq", "w", "xz"], outputs: ["acc"], attrs: { pads: [1, 1, 1, 1] } },
        { opType: "Cast", inputs: ["acc"], outputs: ["accf"], attrs: { to: 1 } },
        { opType: "Mul", inputs: ["xs", "ws"], outputs: ["scale"] },
        { opType: "Mul", inputs: ["accf", "scale"], outputs: ["prod"] },
        { opType: "Add", inputs: ["prod", "bias"], outputs: ["y"] },
      ],
      inputs: [{ name: "x", dtype: "float32", dims: [1, cin, h, w] }],
      outputs: [{ name: "y", dtype: "float32", dims: [1, cout, h, w] }],
      initializers: [weights, f32("ws", [], [0.0071]), f32("bias", [1, cout, 1, 1], Array.from({ length: cout }, (_, j) => j * 0.2 - 0.5))],
    };
    await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: xin, dims: [1, cin, h, w] }]);
  });
});
