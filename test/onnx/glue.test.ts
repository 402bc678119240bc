// The glue of exported models against onnxruntime-web, bit for bit: shape arithmetic folded at load (Shape ->
// Gather -> Unsqueeze -> Concat -> Reshape, with Cast and Mul on the way), Slice (negative indices, steps,
// backwards, ends past the axis), Gather with constant indices, Concat of values and constants, Clip, on float32
// and on quantized int8 tensors; float MatMul/Gemm, pooling, Softmax and Pad; Resize (nearest).

import { describe, it } from "vitest";
import { encodeModel, type GraphSpec } from "../../src/formats/onnx/proto.js";
import { expectSameAsOrt } from "./ort-compare.js";

const i64 = (name: string, v: number[], dims = [v.length]) => ({ name, dtype: "int64" as const, dims, data: BigInt64Array.from(v.map(BigInt)) });
const x24 = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.3) * 4);

async function run(nodes: GraphSpec["nodes"], outputs: GraphSpec["outputs"], initializers: GraphSpec["initializers"] = [], opset = 17): Promise<void> {
  const spec: GraphSpec = { opset, nodes, inputs: [{ name: "x", dtype: "float32", dims: [2, 3, 4] }], outputs, initializers };
  await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: x24, dims: [2, 3, 4] }]);
}

describe("ONNX glue against onnxruntime-web", () => {
  it("folds Shape -> Gather -> Unsqueeze -> Concat (with Cast and Mul) into a constant Reshape target", async () => {
    await run([
      { opType: "Shape", inputs: ["x"], outputs: ["s"] },
      { opType: "Gather", inputs: ["s", "zero"], outputs: ["n"], attrs: { axis: 0 } },
      { opType: "Unsqueeze", inputs: ["n", "axes"], outputs: ["n1"] },
      { opType: "Cast", inputs: ["n1"], outputs: ["n1f"], attrs: { to: 1 } },
      { opType: "Cast", inputs: ["n1f"], outputs: ["n1i"], attrs: { to: 7 } },
      { opType: "Mul", inputs: ["n1i", "one"], outputs: ["n2"] },
      { opType: "Concat", inputs: ["n2", "minus1"], outputs: ["target"], attrs: { axis: 0 } },
      { opType: "Reshape", inputs: ["x", "target"], outputs: ["r"] },
      { opType: "Relu", inputs: ["r"], outputs: ["y"] },
    ], [{ name: "y", dtype: "float32", dims: [2, 12] }], [i64("zero", [0], []), i64("axes", [0]), i64("one", [1]), i64("minus1", [-1])]);
  });

  const slices: [string, number[], number[], number[], number[], number[]][] = [
    ["a middle range", [0, 1], [2, 3], [1, 2], [1, 1], [2, 2, 2]],
    ["negative indices and an end past the axis", [-2, -3], [1e18, -1], [1, 2], [1, 1], [2, 2, 2]],
    ["every other element", [0, 1], [3, 4], [1, 2], [2, 2], [2, 2, 2]],
    ["backwards to the first element", [-1, 3], [-1e18, -5], [1, 2], [-1, -1], [2, 3, 4]],
    ["backwards by two", [2], [0], [2], [-2], [2, 3, 1]],
  ];
  for (const [name, starts, ends, axes, steps, dims] of slices) {
    it(`Slice: ${name}`, async () => {
      await run([{ opType: "Slice", inputs: ["x", "st", "en", "ax", "sp"], outputs: ["y"] }], [{ name: "y", dtype: "float32", dims }],
        [i64("st", starts), i64("en", ends), i64("ax", axes), i64("sp", steps)]);
    });
  }

  it("Gather with constant indices (negative, repeated, two-dimensional) along an inner axis", async () => {
    await run([{ opType: "Gather", inputs: ["x", "idx"], outputs: ["y"], attrs: { axis: 2 } }], [{ name: "y", dtype: "float32", dims: [2, 3, 2, 2] }],
      [i64("idx", [3, 0, -1, 1], [2, 2])]);
  });

  it("Concat of a value, a constant and the value again; Clip with bounds as inputs and as opset-10 attributes", async () => {
    await run([
      { opType: "Concat", inputs: ["x", "c", "x"], outputs: ["y"], attrs: { axis: 1 } },
      { opType: "Clip", inputs: ["y", "lo", "hi"], outputs: ["z"] },
      { opType: "Clip", inputs: ["x", "", "hi"], outputs: ["w"] },
    ], [{ name: "z", dtype: "float32", dims: [2, 7, 4] }, { name: "w", dtype: "float32", dims: [2, 3, 4] }],
    [{ name: "c", dtype: "float32", dims: [2, 1, 4], data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
      { name: "lo", dtype: "float32", dims: [], data: Float32Array.of(-1.5) }, { name: "hi", dtype: "float32", dims: [], data: Float32Array.of(2.25) }]);
    await run([{ opType: "Clip", inputs: ["x"], outputs: ["y"], attrs: { min: { float: -0.5 }, max: { float: 3 } } }], [{ name: "y", dtype: "float32", dims: [2, 3, 4] }], [], 10);
  });

  it("Slice, Gather and Concat on quantized int8 data keep the quantization", async () => {
    await run([
      { opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q"] },
      { opType: "Slice", inputs: ["q", "st", "en", "ax", "sp"], outputs: ["qs"] },
      { opType: "Gather", inputs: ["q", "idx"], outputs: ["qg"], attrs: { axis: 1 } },
      { opType: "Concat", inputs: ["qs", "qg"], outputs: ["qc"], attrs: { axis: 1 } },
      { opType: "DequantizeLinear", inputs: ["qc", "s", "z"], outputs: ["y"] },
    ], [{ name: "y", dtype: "float32", dims: [2, 3, 4] }],
    [{ name: "s", dtype: "float32", dims: [], data: Float32Array.of(0.05) }, { name: "z", dtype: "int8", dims: [], data: Int8Array.of(3) },
      i64("st", [1]), i64("en", [3]), i64("ax", [1]), i64("sp", [1]), i64("idx", [0])]);
  });
});

describe("float32 MatMul and Gemm against onnxruntime-web", () => {
  const mat = (name: string, rows: number, cols: number, seed: number) => ({
    name, dtype: "float32" as const, dims: [rows, cols], data: Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37 + seed) * 1.7),
  });
  // K across MLAS's 256-deep blocks: one block, a block and a bit, three blocks.
  for (const k of [40, 300, 700]) {
    it(`MatMul [2, 3, ${k}] x [${k}, 9] and Gemm (transB, C per column) [5, ${k}] x [9, ${k}]^T`, async () => {
      const xa = Float32Array.from({ length: 6 * k }, (_, i) => Math.cos(i * 0.11) * 2.3);
      const xb = Float32Array.from({ length: 5 * k }, (_, i) => Math.sin(i * 0.07) * 1.9);
      const spec: GraphSpec = {
        opset: 17,
        nodes: [
          { opType: "MatMul", inputs: ["a", "w"], outputs: ["y"] },
          { opType: "Gemm", inputs: ["b", "wt", "c"], outputs: ["z"], attrs: { transB: 1 } },
          { opType: "Gemm", inputs: ["b", "w"], outputs: ["u"] },
        ],
        inputs: [{ name: "a", dtype: "float32", dims: [2, 3, k] }, { name: "b", dtype: "float32", dims: [5, k] }],
        outputs: [{ name: "y", dtype: "float32", dims: [2, 3, 9] }, { name: "z", dtype: "float32", dims: [5, 9] }, { name: "u", dtype: "float32", dims: [5, 9] }],
        initializers: [mat("w", k, 9, 1), mat("wt", 9, k, 2), { name: "c", dtype: "float32", dims: [9], data: Float32Array.from({ length: 9 }, (_, j) => j * 0.31 - 1) }],
      };
      await expectSameAsOrt(encodeModel(spec), [{ name: "a", data: xa, dims: [2, 3, k] }, { name: "b", data: xb, dims: [5, k] }]);
    });
  }
});

describe("float32 pooling against onnxruntime-web", () => {
  const pools: [string, Record<string, number | number[] | string>][] = [
    ["3x3 stride 2 pads 1", { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    ["3x3 stride 1 pads 1, padding counted", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }],
    ["2x2 stride 2", { kernel_shape: [2, 2], strides: [2, 2] }],
    ["5x3 SAME_UPPER", { kernel_shape: [5, 3], auto_pad: "SAME_UPPER" }],
    ["7x7 over the whole image", { kernel_shape: [7, 9] }],
  ];
  const out = (a: Record<string, number | number[] | string>) => {
    const [kh, kw] = a.kernel_shape as number[], [sh, sw] = (a.strides as number[] | undefined) ?? [1, 1];
    if (a.auto_pad) return [1, 3, Math.ceil(7 / sh), Math.ceil(9 / sw)];
    const [t, l, b, r] = (a.pads as number[] | undefined) ?? [0, 0, 0, 0];
    return [1, 3, Math.floor((7 + t + b - kh) / sh) + 1, Math.floor((9 + l + r - kw) / sw) + 1];
  };
  const x = Float32Array.from({ length: 3 * 7 * 9 }, (_, i) => Math.sin(i * 1.7) * 3 + Math.cos(i * 0.3));
  for (const [name, attrs] of pools) {
    it(`MaxPool and AveragePool ${name}`, async () => {
      const dims = out(attrs);
      const spec: GraphSpec = {
        opset: 17,
        nodes: [{ opType: "MaxPool", inputs: ["x"], outputs: ["m"], attrs: { ...attrs, count_include_pad: undefined } as never }, { opType: "AveragePool", inputs: ["x"], outputs: ["a"], attrs }],
        inputs: [{ name: "x", dtype: "float32", dims: [1, 3, 7, 9] }],
        outputs: [{ name: "m", dtype: "float32", dims }, { name: "a", dtype: "float32", dims }],
        initializers: [],
      };
      // MaxPool has no count_include_pad.
      spec.nodes[0].attrs = Object.fromEntries(Object.entries(attrs).filter(([key]) => key !== "count_include_pad"));
      await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: x, dims: [1, 3, 7, 9] }]);
    });
  }
  for (const [h, w] of [[7, 7], [14, 14], [1, 3], [10, 10], [56, 56], [3, 5]]) {
    it(`GlobalAveragePool over ${h}x${w}`, async () => {
      const spec: GraphSpec = {
        opset: 17,
        nodes: [{ opType: "GlobalAveragePool", inputs: ["x"], outputs: ["y"] }],
        inputs: [{ name: "x", dtype: "float32", dims: [2, 5, h, w] }],
        outputs: [{ name: "y", dtype: "float32", dims: [2, 5, 1, 1] }],
        initializers: [],
      };
      await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: Float32Array.from({ length: 10 * h * w }, (_, i) => Math.sin(i * 0.77) * 5), dims: [2, 5, h, w] }]);
    });
  }
});

describe("float32 Softmax against onnxruntime-web (MLAS's exp and sums)", () => {
  const cases: [string, number[], number, number | undefined][] = [
    ["1000 classes", [2, 1000], 17, undefined],
    ["3 values (no vector step)", [4, 3], 17, -1],
    ["13 values (a step of eight, one of four, one left)", [3, 13], 17, 1],
    ["a middle axis", [2, 7, 5], 17, 1],
    ["opset 12: the axis and after flattened", [2, 3, 6], 12, 1],
    ["large and tiny values (the exp's clamp)", [2, 10], 17, -1],
  ];
  for (const [name, dims, opset, axis] of cases) {
    it(name, async () => {
      const n = dims.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: n }, (_, i) => (name.startsWith("large") ? (i % 3 === 0 ? 95 : -110) + i : Math.sin(i * 0.91) * 6 + (i % 7)));
      const spec: GraphSpec = {
        opset,
        nodes: [{ opType: "Softmax", inputs: ["x"], outputs: ["y"], attrs: axis === undefined ? {} : { axis } }],
        inputs: [{ name: "x", dtype: "float32", dims }],
        outputs: [{ name: "y", dtype: "float32", dims }],
        initializers: [],
      };
      await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: x, dims }]);
    });
  }
});

describe("float32 Pad against onnxruntime-web", () => {
  it("constant padding on every side with a value, and with the default 0", async () => {
    const spec: GraphSpec = {
      opset: 17,
      nodes: [{ opType: "Pad", inputs: ["x", "pads", "v"], outputs: ["y"] }, { opType: "Pad", inputs: ["x", "pads"], outputs: ["z"] }],
      inputs: [{ name: "x", dtype: "float32", dims: [2, 3, 4] }],
      outputs: [{ name: "y", dtype: "float32", dims: [3, 5, 7] }, { name: "z", dtype: "float32", dims: [3, 5, 7] }],
      initializers: [i64("pads", [1, 0, 2, 0, 2, 1]), { name: "v", dtype: "float32", dims: [], data: Float32Array.of(-1.25) }],
    };
    await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: x24, dims: [2, 3, 4] }]);
  });
});

describe("Resize (nearest) against onnxruntime-web", () => {
  const coordinate = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"];
  const nearest = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];
  const x = Float32Array.from({ length: 2 * 3 * 5 }, (_, i) => i * 0.5 - 3);
  const targets: [string, { sizes?: number[]; scales?: number[] }, number[]][] = [
    ["sizes up (7x9)", { sizes: [1, 2, 7, 9] }, [1, 2, 7, 9]],
    ["scales x2", { scales: [1, 1, 2, 2] }, [1, 2, 6, 10]],
    ["scales down (0.7)", { scales: [1, 1, 0.7, 0.7] }, [1, 2, 2, 3]],
    ["sizes to one row", { sizes: [1, 2, 1, 4] }, [1, 2, 1, 4]],
  ];
  for (const c of coordinate) {
    for (const [name, target, dims] of targets) {
      it(`${c}, ${name}, every nearest mode`, async () => {
        const nodes: GraphSpec["nodes"] = nearest.map((nm, k) => ({
          opType: "Resize", inputs: ["x", "", target.scales ? "scales" : "", target.sizes ? "sizes" : ""], outputs: [`y${k}`],
          attrs: { mode: "nearest", coordinate_transformation_mode: c, nearest_mode: nm },
        }));
        const spec: GraphSpec = {
          opset: 17, nodes,
          inputs: [{ name: "x", dtype: "float32", dims: [1, 2, 3, 5] }],
          outputs: nearest.map((_, k) => ({ name: `y${k}`, dtype: "float32" as const, dims })),
          initializers: [
            ...(target.scales ? [{ name: "scales", dtype: "float32" as const, dims: [4], data: Float32Array.from(target.scales) }] : []),
            ...(target.sizes ? [i64("sizes", target.sizes)] : []),
          ],
        };
        await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: x, dims: [1, 2, 3, 5] }]);
      });
    }
  }
});

describe("Resize (nearest) of quantized channels-last data against onnxruntime-web", () => {
  it("QLinearConv (1x1) -> Resize x2 -> DequantizeLinear: the resize runs on the int8 NHWC tensor", async () => {
    const w = Int8Array.from({ length: 9 }, (_, i) => (i * 37) % 200 - 100);
    const spec: GraphSpec = {
      opset: 17,
      nodes: [
        { opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q"] },
        { opType: "QLinearConv", inputs: ["q", "s", "z", "w", "sw", "zw", "s2", "z"], outputs: ["c"] },
        { opType: "Resize", inputs: ["c", "", "scales"], outputs: ["r"], attrs: { mode: "nearest" } },
        { opType: "DequantizeLinear", inputs: ["r", "s2", "z"], outputs: ["y"] },
      ],
      inputs: [{ name: "x", dtype: "float32", dims: [1, 3, 4, 5] }],
      outputs: [{ name: "y", dtype: "float32", dims: [1, 3, 8, 10] }],
      initializers: [
        { name: "s", dtype: "float32", dims: [], data: Float32Array.of(0.05) }, { name: "z", dtype: "int8", dims: [], data: Int8Array.of(-4) },
        { name: "w", dtype: "int8", dims: [3, 3, 1, 1], data: w }, { name: "sw", dtype: "float32", dims: [], data: Float32Array.of(0.01) },
        { name: "zw", dtype: "int8", dims: [], data: Int8Array.of(0) }, { name: "s2", dtype: "float32", dims: [], data: Float32Array.of(0.03) },
        { name: "scales", dtype: "float32", dims: [4], data: Float32Array.of(1, 1, 2, 2) },
      ],
    };
    await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: Float32Array.from({ length: 60 }, (_, i) => Math.sin(i) * 3), dims: [1, 3, 4, 5] }]);
  });
});

describe("float32 Conv against onnxruntime-web", () => {
  const convs: [string, number, number, number, Record<string, number[]>][] = [
    ["3x3 pads 1, bias", 4, 6, 3, { pads: [1, 1, 1, 1] }],
    ["1x1, no padding", 16, 8, 1, {}],
    ["3x3 stride 2 dilation 2, K = 270 (two blocks)", 30, 5, 3, { strides: [2, 2], dilations: [2, 2], pads: [2, 2, 2, 2] }],
    ["5x5, K = 800 (four blocks)", 32, 3, 5, { pads: [2, 2, 2, 2] }],
  ];
  // MLAS's k stride follows the shape: more pixels than depth, and few pixels with a deep K.
  const shaped: [string, number, number, number, Record<string, number[]>, number, number][] = [
    ["5x5 on 15x20 (N 300 >= K 200)", 8, 4, 5, { pads: [2, 2, 2, 2] }, 15, 20],
    ["3x3 on 2x3 (N 6, K 1152)", 128, 3, 3, { pads: [1, 1, 1, 1] }, 2, 3],
  ];
  // Grouped: depthwise 3x3, two groups, a depth multiplier of 2.
  const grouped: [string, number, number, number, Record<string, number[]>, number, number, number][] = [
    ["depthwise 3x3 pads 1 (group 8)", 8, 8, 3, { pads: [1, 1, 1, 1] }, 9, 8, 8],
    ["two groups, 3x3 stride 2", 8, 6, 3, { strides: [2, 2], pads: [1, 1, 1, 1] }, 9, 8, 2],
    ["depth multiplier 2 (group 4)", 4, 8, 3, { pads: [1, 1, 1, 1] }, 9, 8, 4],
  ];
  for (const [name, cin, cout, k, attrs, h, w, group] of [...convs.map((c) => [...c, 9, 8, 1] as const), ...shaped.map((c) => [...c, 1] as const), ...grouped]) {
    it(name, async () => {
      const sH = attrs.strides?.[0] ?? 1, dil = attrs.dilations?.[0] ?? 1, p = attrs.pads?.[0] ?? 0;
      const oh = Math.floor((h + 2 * p - (k - 1) * dil - 1) / sH) + 1, ow = Math.floor((w + 2 * p - (k - 1) * dil - 1) / sH) + 1;
      const spec: GraphSpec = {
        opset: 17,
        nodes: [{ opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"], attrs: { kernel_shape: [k, k], group, ...attrs } }],
        inputs: [{ name: "x", dtype: "float32", dims: [2, cin, h, w] }],
        outputs: [{ name: "y", dtype: "float32", dims: [2, cout, oh, ow] }],
        initializers: [
          { name: "w", dtype: "float32", dims: [cout, cin / group, k, k], data: Float32Array.from({ length: cout * (cin / group) * k * k }, (_, i) => Math.sin(i * 0.41) * 0.8) },
          { name: "b", dtype: "float32", dims: [cout], data: Float32Array.from({ length: cout }, (_, i) => i * 0.13 - 0.3) },
        ],
      };
      await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: Float32Array.from({ length: 2 * cin * h * w }, (_, i) => Math.cos(i * 0.23) * 2), dims: [2, cin, h, w] }]);
    });
  }
});
