// QDQ models (onnxruntime's default quantized format): DequantizeLinear -> Conv/MatMul -> QuantizeLinear with
// constant int8 weights and int32 bias, and DequantizeLinear -> Add/Mul/Concat/AveragePool/GlobalAveragePool/
// Sigmoid/LeakyRelu/Relu/Softmax -> QuantizeLinear, run as integer ops in dyad and match onnxruntime-web bit for
// bit, with its graph optimizations (its own fusions) and without (its float operators).

import { describe, it, expect } from "vitest";
import { encodeModel, type GraphSpec } from "../../src/formats/onnx/proto.js";
import { rng, randInts } from "../helpers.js";
import { expectSameAsOrt } from "./ort-compare.js";

const f32 = (name: string, dims: number[], v: ArrayLike<number>) => ({ name, dtype: "float32" as const, dims, data: Float32Array.from(v) });

async function compare(spec: GraphSpec, x: Float32Array, dims: number[]): Promise<void> {
  const bytes = encodeModel(spec);
  await expectSameAsOrt(bytes, [{ name: "x", data: x, dims }], { graphOptimizationLevel: "all" });
}

describe("QDQ models against onnxruntime-web", () => {
  for (const act of ["uint8", "int8"] as const) {
    it(`Conv with per-channel int8 weights and int32 bias, ${act} activations`, async () => {
      const r = rng(act === "uint8" ? 3 : 4);
      const [cin, cout, h, w, k] = [6, 10, 9, 8, 3];
      const sw = Array.from({ length: cout }, () => 0.004 + r() * 0.01);
      const sx = 0.03;
      const zx = act === "uint8" ? Uint8Array.of(128) : Int8Array.of(-2);
      const zy = act === "uint8" ? Uint8Array.of(125) : Int8Array.of(4);
      const spec: GraphSpec = {
        opset: 21,
        nodes: [
          { opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"] },
          { opType: "DequantizeLinear", inputs: ["xq", "sx", "zx"], outputs: ["xf"] },
          { opType: "DequantizeLinear", inputs: ["wq", "sw", "zw"], outputs: ["wf"], attrs: { axis: 0 } },
          { opType: "DequantizeLinear", inputs: ["bq", "sb", "zb"], outputs: ["bf"], attrs: { axis: 0 } },
          { opType: "Conv", inputs: ["xf", "wf", "bf"], outputs: ["yf"], attrs: { pads: [1, 1, 1, 1], kernel_shape: [k, k], strides: [1, 1] } },
          { opType: "QuantizeLinear", inputs: ["yf", "sy", "zy"], outputs: ["yq"] },
          { opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"] },
        ],
        inputs: [{ name: "x", dtype: "float32", dims: [1, cin, h, w] }],
        outputs: [{ name: "y", dtype: "float32", dims: [1, cout, h, w] }],
        initializers: [
          f32("sx", [], [sx]), { name: "zx", dtype: act, dims: [], data: zx },
          { name: "wq", dtype: "int8", dims: [cout, cin, k, k], data: randInts(Int8Array, cout * cin * k * k, -127, 127, r) },
          f32("sw", [cout], sw), { name: "zw", dtype: "int8", dims: [cout], data: new Int8Array(cout) },
          { name: "bq", dtype: "int32", dims: [cout], data: randInts(Int32Array, cout, -4000, 4000, r) },
          f32("sb", [cout], sw.map((s) => Math.fround(sx) * Math.fround(s))), { name: "zb", dtype: "int32", dims: [cout], data: new Int32Array(cout) },
          f32("sy", [], [0.07]), { name: "zy", dtype: act, dims: [], data: zy },
        ],
      };
      await compare(spec, Float32Array.from({ length: cin * h * w }, (_, i) => Math.cos(i * 0.31) * 2), [1, cin, h, w]);
    });
  }

  it("MatMul with per-column int8 weights", async () => {
    const r = rng(5);
    const [m, k, n] = [7, 24, 13];
    const spec: GraphSpec = {
      opset: 21,
      nodes: [
        { opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"] },
        { opType: "DequantizeLinear", inputs: ["xq", "sx", "zx"], outputs: ["xf"] },
        { opType: "DequantizeLinear", inputs: ["wq", "sw", "zw"], outputs: ["wf"], attrs: { axis: 1 } },
        { opType: "MatMul", inputs: ["xf", "wf"], outputs: ["yf"] },
        { opType: "QuantizeLinear", inputs: ["yf", "sy", "zy"], outputs: ["yq"] },
        { opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"] },
      ],
      inputs: [{ name: "x", dtype: "float32", dims: [m, k] }],
      outputs: [{ name: "y", dtype: "float32", dims: [m, n] }],
      initializers: [
        f32("sx", [], [0.02]), { name: "zx", dtype: "uint8", dims: [], data: Uint8Array.of(130) },
        { name: "wq", dtype: "int8", dims: [k, n], data: randInts(Int8Array, k * n, -127, 127, r) },
        f32("sw", [n], Array.from({ length: n }, () => 0.003 + r() * 0.01)), { name: "zw", dtype: "int8", dims: [n], data: new Int8Array(n) },
        f32("sy", [], [0.05]), { name: "zy", dtype: "uint8", dims: [], data: Uint8Array.of(128) },
      ],
    };
    await compare(spec, Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.13) * 1.5), [m, k]);
  });
});

describe("QDQ Gemm against onnxruntime-web", () => {
  for (const [act, transB, perColumn] of [["uint8", 1, false], ["int8", 0, true], ["uint8", 0, true]] as const) {
    it(`Gemm (transB ${transB}) with an int32 bias, ${perColumn ? "per-column" : "per-tensor"} int8 weights, ${act} activations`, async () => {
      const r = rng(41 + transB);
      const [m, k, n] = [5, 32, 11];
      const sx = 0.04;
      const sw = perColumn ? Array.from({ length: n }, () => 0.003 + r() * 0.01) : [0.006];
      const z = (name: string, v: number) => ({ name, dtype: act, dims: [] as number[], data: act === "uint8" ? Uint8Array.of(v + 128) : Int8Array.of(v) });
      const spec: GraphSpec = {
        opset: 17,
        nodes: [
          { opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"] },
          { opType: "DequantizeLinear", inputs: ["xq", "sx", "zx"], outputs: ["xf"] },
          { opType: "DequantizeLinear", inputs: ["wq", "sw", "zw"], outputs: ["wf"], attrs: perColumn ? { axis: transB ? 0 : 1 } : {} },
          { opType: "DequantizeLinear", inputs: ["bq", "sb", "zb"], outputs: ["bf"], attrs: perColumn ? { axis: 0 } : {} },
          { opType: "Gemm", inputs: ["xf", "wf", "bf"], outputs: ["yf"], attrs: { transB } },
          { opType: "QuantizeLinear", inputs: ["yf", "sy", "zy"], outputs: ["yq"] },
          { opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"] },
        ],
        inputs: [{ name: "x", dtype: "float32", dims: [m, k] }],
        outputs: [{ name: "y", dtype: "float32", dims: [m, n] }],
        initializers: [
          f32("sx", [], [sx]), z("zx", 2),
          { name: "wq", dtype: "int8", dims: transB ? [n, k] : [k, n], data: randInts(Int8Array, n * k, -127, 127, r) },
          f32("sw", perColumn ? [n] : [], sw), { name: "zw", dtype: "int8", dims: perColumn ? [n] : [], data: new Int8Array(perColumn ? n : 1) },
          { name: "bq", dtype: "int32", dims: [n], data: randInts(Int32Array, n, -3000, 3000, r) },
          f32("sb", perColumn ? [n] : [], sw.map((s) => Math.fround(sx) * Math.fround(s))), { name: "zb", dtype: "int32", dims: perColumn ? [n] : [], data: new Int32Array(perColumn ? n : 1) },
          f32("sy", [], [0.05]), z("zy", -3),
        ],
      };
      await compare(spec, Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.53) * 2.5), [m, k]);
    });
  }
});

describe("QDQ elementwise, pooling and softmax patterns against onnxruntime-web", () => {
  // x quantized twice (two scales), each dequantized: the operator between them and one QuantizeLinear.
  const ops: { name: string; node: (a: string, b: string) => GraphSpec["nodes"][number]; dims: number[] }[] = [
    { name: "Add", node: (a, b) => ({ opType: "Add", inputs: [a, b], outputs: ["o"] }), dims: [1, 6, 8, 8] },
    { name: "Mul", node: (a, b) => ({ opType: "Mul", inputs: [a, b], outputs: ["o"] }), dims: [1, 6, 8, 8] },
    { name: "Concat", node: (a, b) => ({ opType: "Concat", inputs: [a, b], outputs: ["o"], attrs: { axis: 1 } }), dims: [1, 12, 8, 8] },
    { name: "AveragePool", node: (a) => ({ opType: "AveragePool", inputs: [a], outputs: ["o"], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } }), dims: [1, 6, 4, 4] },
    { name: "GlobalAveragePool", node: (a) => ({ opType: "GlobalAveragePool", inputs: [a], outputs: ["o"] }), dims: [1, 6, 1, 1] },
    { name: "Sigmoid", node: (a) => ({ opType: "Sigmoid", inputs: [a], outputs: ["o"] }), dims: [1, 6, 8, 8] },
    { name: "LeakyRelu", node: (a) => ({ opType: "LeakyRelu", inputs: [a], outputs: ["o"], attrs: { alpha: { float: 0.1 } } }), dims: [1, 6, 8, 8] },
    { name: "Relu", node: (a) => ({ opType: "Relu", inputs: [a], outputs: ["o"] }), dims: [1, 6, 8, 8] },
    { name: "Softmax", node: (a) => ({ opType: "Softmax", inputs: [a], outputs: ["o"], attrs: { axis: 1 } }), dims: [1, 6, 8, 8] },
  ];
  for (const act of ["uint8", "int8"] as const) {
    for (const op of ops) {
      for (const level of ["all", "disabled"] as const) {
        it(`${op.name}, ${act}, onnxruntime graph optimizations ${level}`, async () => {
          const z = (name: string, v: number) => ({ name, dtype: act, dims: [] as number[], data: act === "uint8" ? Uint8Array.of(v + 128) : Int8Array.of(v) });
          const softmax = op.name === "Softmax";
          const spec: GraphSpec = {
            opset: 17,
            nodes: [
              { opType: "QuantizeLinear", inputs: ["x", "sa", "za"], outputs: ["aq"] },
              { opType: "DequantizeLinear", inputs: ["aq", "sa", "za"], outputs: ["af"] },
              { opType: "QuantizeLinear", inputs: ["x", "sb", "zb"], outputs: ["bq"] },
              { opType: "DequantizeLinear", inputs: ["bq", "sb", "zb"], outputs: ["bf"] },
              op.node("af", "bf"),
              { opType: "QuantizeLinear", inputs: ["o", "sy", "zy"], outputs: ["yq"] },
              { opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"] },
            ],
            inputs: [{ name: "x", dtype: "float32", dims: [1, 6, 8, 8] }],
            outputs: [{ name: "y", dtype: "float32", dims: op.dims }],
            initializers: [
              f32("sa", [], [0.031]), z("za", 3), f32("sb", [], [0.047]), z("zb", -9),
              f32("sy", [], [softmax ? 1 / 256 : op.name === "Mul" ? 0.09 : 0.043]), z("zy", softmax ? -128 : 5),
            ],
          };
          await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: Float32Array.from({ length: 384 }, (_, i) => Math.sin(i * 0.71) * 3.5), dims: [1, 6, 8, 8] }], { graphOptimizationLevel: level });
        });
      }
    }
  }
});

describe("QDQ around operators that move values, against onnxruntime-web", () => {
  const moves: { name: string; node: GraphSpec["nodes"][number]; dims: number[]; extra?: GraphSpec["initializers"] }[] = [
    { name: "MaxPool 3x3 stride 2 pads 1", node: { opType: "MaxPool", inputs: ["af"], outputs: ["o"], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } }, dims: [1, 6, 4, 4] },
    { name: "MaxPool 2x2 SAME_UPPER", node: { opType: "MaxPool", inputs: ["af"], outputs: ["o"], attrs: { kernel_shape: [2, 2], auto_pad: "SAME_UPPER" } }, dims: [1, 6, 8, 8] },
    { name: "Reshape", node: { opType: "Reshape", inputs: ["af", "shape"], outputs: ["o"] }, dims: [6, 64], extra: [{ name: "shape", dtype: "int64", dims: [2], data: BigInt64Array.of(6n, -1n) }] },
    { name: "Flatten", node: { opType: "Flatten", inputs: ["af"], outputs: ["o"], attrs: { axis: 1 } }, dims: [1, 384] },
    { name: "Transpose", node: { opType: "Transpose", inputs: ["af"], outputs: ["o"], attrs: { perm: [0, 2, 3, 1] } }, dims: [1, 8, 8, 6] },
  ];
  for (const act of ["uint8", "int8"] as const) {
    for (const m of moves) {
      for (const same of [true, false]) {
        it(`${m.name}, ${act}, ${same ? "the same quantization on both sides" : "requantized"}`, async () => {
          const z = (name: string, v: number) => ({ name, dtype: act, dims: [] as number[], data: act === "uint8" ? Uint8Array.of(v + 128) : Int8Array.of(v) });
          const spec: GraphSpec = {
            opset: 17,
            nodes: [
              { opType: "QuantizeLinear", inputs: ["x", "sa", "za"], outputs: ["aq"] },
              { opType: "DequantizeLinear", inputs: ["aq", "sa", "za"], outputs: ["af"] },
              m.node,
              { opType: "QuantizeLinear", inputs: ["o", same ? "sa" : "sy", same ? "za" : "zy"], outputs: ["yq"] },
              { opType: "DequantizeLinear", inputs: ["yq", same ? "sa" : "sy", same ? "za" : "zy"], outputs: ["y"] },
            ],
            inputs: [{ name: "x", dtype: "float32", dims: [1, 6, 8, 8] }],
            outputs: [{ name: "y", dtype: "float32", dims: m.dims }],
            initializers: [f32("sa", [], [0.031]), z("za", 3), f32("sy", [], [0.057]), z("zy", -20), ...(m.extra ?? [])],
          };
          await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: Float32Array.from({ length: 384 }, (_, i) => Math.sin(i * 0.71) * 3.5), dims: [1, 6, 8, 8] }], { graphOptimizationLevel: "all" });
        });
      }
    }
  }
});

describe("QDQ Add and Mul with a constant operand against onnxruntime-web", () => {
  for (const op of ["Add", "Mul"] as const) {
    for (const level of ["all", "disabled"] as const) {
      it(`${op} of a value and a dequantized initializer (broadcast per channel), graph optimizations ${level}`, async () => {
        const spec: GraphSpec = {
          opset: 17,
          nodes: [
            { opType: "QuantizeLinear", inputs: ["x", "sa", "za"], outputs: ["aq"] },
            { opType: "DequantizeLinear", inputs: ["aq", "sa", "za"], outputs: ["af"] },
            { opType: "DequantizeLinear", inputs: ["cq", "sc", "zc"], outputs: ["cf"] },
            { opType: op, inputs: ["af", "cf"], outputs: ["o"] },
            { opType: "QuantizeLinear", inputs: ["o", "sy", "zy"], outputs: ["yq"] },
            { opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"] },
          ],
          inputs: [{ name: "x", dtype: "float32", dims: [1, 6, 4, 4] }],
          outputs: [{ name: "y", dtype: "float32", dims: [1, 6, 4, 4] }],
          initializers: [
            f32("sa", [], [0.031]), { name: "za", dtype: "int8", dims: [], data: Int8Array.of(3) },
            { name: "cq", dtype: "int8", dims: [1, 6, 1, 1], data: Int8Array.of(-100, -7, 0, 12, 77, 127) },
            f32("sc", [], [0.02]), { name: "zc", dtype: "int8", dims: [], data: Int8Array.of(-1) },
            f32("sy", [], [op === "Mul" ? 0.02 : 0.05]), { name: "zy", dtype: "int8", dims: [], data: Int8Array.of(5) },
          ],
        };
        await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 0.7) * 3), dims: [1, 6, 4, 4] }], { graphOptimizationLevel: level });
      });
    }
  }
});

describe("QDQ Conv -> Relu / Clip -> QuantizeLinear: the activation folded into the output clamp", () => {
  for (const [act, opset] of [["Relu", 17], ["Clip", 17], ["Clip", 10]] as const) {
    for (const level of ["all", "disabled"] as const) {
      it(`${act} (opset ${opset}), onnxruntime graph optimizations ${level}`, async () => {
        const r = rng(opset + act.length);
        const [cin, cout] = [3, 5];
        const actNode = act === "Relu"
          ? { opType: "Relu", inputs: ["c"], outputs: ["a"] }
          : opset >= 11 ? { opType: "Clip", inputs: ["c", "lo", "hi"], outputs: ["a"] }
            : { opType: "Clip", inputs: ["c"], outputs: ["a"], attrs: { min: { float: -0.4 }, max: { float: 0.9 } } };
        const spec: GraphSpec = {
          opset,
          nodes: [
            { opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"] },
            { opType: "DequantizeLinear", inputs: ["xq", "sx", "zx"], outputs: ["xf"] },
            { opType: "DequantizeLinear", inputs: ["wq", "sw", "zw"], outputs: ["wf"] },
            { opType: "Conv", inputs: ["xf", "wf"], outputs: ["c"], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
            actNode,
            { opType: "QuantizeLinear", inputs: ["a", "sy", "zy"], outputs: ["yq"] },
            { opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"] },
          ],
          inputs: [{ name: "x", dtype: "float32", dims: [1, cin, 6, 6] }],
          outputs: [{ name: "y", dtype: "float32", dims: [1, cout, 6, 6] }],
          initializers: [
            f32("sx", [], [0.02]), { name: "zx", dtype: "uint8", dims: [], data: Uint8Array.of(128) },
            { name: "wq", dtype: "int8", dims: [cout, cin, 3, 3], data: randInts(Int8Array, cout * cin * 9, -127, 127, r) },
            f32("sw", [], [0.004]), { name: "zw", dtype: "int8", dims: [], data: Int8Array.of(0) },
            f32("sy", [], [0.01]), { name: "zy", dtype: "uint8", dims: [], data: Uint8Array.of(100) },
            ...(opset >= 11 && act === "Clip" ? [f32("lo", [], [-0.4]), f32("hi", [], [0.9])] : []),
          ],
        };
        const x = Float32Array.from({ length: cin * 36 }, () => (r() - 0.5) * 5);
        await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: x, dims: [1, cin, 6, 6] }], { graphOptimizationLevel: level });
        // dyad ran it as one integer convolution.
        const { dyad } = await import("../helpers.js");
        const m = (await dyad()).loadModel(encodeModel(spec));
        const ops: string[] = [];
        m.run([x], { profile: (op) => ops.push(op) });
        m.dispose();
        expect(ops.filter((op) => op === act || op === "Conv")).toEqual([]);
      });
    }
  }
});
