// com.microsoft QLinearSoftmax against onnxruntime-web, bit for bit: uint8 and int8, the opset-12 flattened
// rows and the opset-13 axis (last and not last), short and long rows, the usual output quantization
// (1/256), one whose results pass the output type, one past the table's float32 headroom.

import { describe, it, expect } from "vitest";
import { encodeModel, type GraphSpec } from "../../src/formats/onnx/proto.js";
import { ModelFormatError } from "../../src/errors.js";
import { dyad, rng } from "../helpers.js";
import { expectSameAsOrt } from "./ort-compare.js";

interface SoftmaxCase { name: string; dims: number[]; opset: number; axis?: number; sx: number; sy: number; zy: number }

function softmaxModel(c: SoftmaxCase, act: "int8" | "uint8"): GraphSpec {
  const scalar = (name: string, v: number, dtype: "float32" | "int8" | "uint8") => ({
    name, dtype, dims: [] as number[], data: dtype === "float32" ? Float32Array.of(v) : dtype === "int8" ? Int8Array.of(v) : Uint8Array.of(v),
  });
  const zy = act === "int8" ? c.zy - 128 : c.zy;
  const attrs: Record<string, number> = { opset: c.opset };
  if (c.axis !== undefined) attrs.axis = c.axis;
  return {
    opset: 21,
    nodes: [
      { opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"] },
      { opType: "QLinearSoftmax", domain: "com.microsoft", inputs: ["xq", "sx", "zx", "sy", "zy"], outputs: ["yq"], attrs },
      { opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"] },
    ],
    initializers: [scalar("sx", c.sx, "float32"), scalar("zx", act === "uint8" ? 128 : 0, act), scalar("sy", c.sy, "float32"), scalar("zy", zy, act)],
    inputs: [{ name: "x", dtype: "float32", dims: c.dims }],
    outputs: [{ name: "y", dtype: "float32", dims: c.dims }],
  };
}

const CASES: SoftmaxCase[] = [
  { name: "10 classes, opset 13", dims: [3, 10], opset: 13, sx: 0.05, sy: 1 / 256, zy: 0 },
  { name: "1000 classes, opset 13", dims: [2, 1000], opset: 13, sx: 0.1, sy: 1 / 256, zy: 0 },
  { name: "opset 12, the axis and after flattened", dims: [2, 3, 7], opset: 12, axis: 1, sx: 0.2, sy: 1 / 256, zy: 0 },
  { name: "opset 13, a middle axis", dims: [2, 5, 3], opset: 13, axis: 1, sx: 0.08, sy: 1 / 256, zy: 0 },
  // floor(1 / y_scale) = 300: results past the output type (int8 clamps them).
  { name: "an output scale that saturates", dims: [4, 6], opset: 13, sx: 0.3, sy: 1 / 300, zy: 10 },
  // floor(1 / y_scale) = 909 > 148 D: the largest term times it overflows float32 (Infinity, then saturating
  // conversions and a wrapping zero point, as onnxruntime-web computes it).
  { name: "an output scale past the table's headroom", dims: [4, 6], opset: 13, sx: 0.3, sy: 0.0011, zy: 10 },
];

describe("com.microsoft QLinearSoftmax against onnxruntime-web", () => {
  for (const act of ["uint8", "int8"] as const) {
    for (const c of CASES) {
      it(`${act}: ${c.name}`, async () => {
        const r = rng(c.dims.reduce((a, b) => a * b, 1));
        const n = c.dims.reduce((a, b) => a * b, 1);
        const x = Float32Array.from({ length: n }, () => (r() - 0.5) * 12);
        const spec = softmaxModel(c, act);
        const [out] = await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: x, dims: c.dims }]);
        expect(new Set(out.data as Float32Array).size).toBeGreaterThan(3);
      });
    }
  }

  it("needs its opset attribute", async () => {
    const d = await dyad();
    const spec = softmaxModel(CASES[0], "uint8");
    spec.nodes[1] = { ...spec.nodes[1], attrs: {} };
    expect(() => d.loadModel(encodeModel(spec))).toThrow(ModelFormatError);
    expect(() => d.loadModel(encodeModel(spec))).toThrow(/QLinearSoftmax.*opset/);
  });
});
