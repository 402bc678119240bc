// com.microsoft QLinearAveragePool against onnxruntime-web, bit for bit: kernels, strides, explicit and
// automatic pads, count_include_pad, the whole-image kernel (onnxruntime's global pool shortcut), int8 and
// uint8, NCHW input, channels_last input, and after a QLinearConv (channels-last inside dyad).

import { describe, it, expect } from "vitest";
import { encodeModel, type GraphSpec } from "../../src/formats/onnx/proto.js";
import { UnsupportedError, ShapeError } from "../../src/errors.js";
import { dyad, rng } from "../helpers.js";
import { expectSameAsOrt } from "./ort-compare.js";

interface PoolCase {
  name: string; c: number; h: number; w: number; kernel: [number, number]; strides?: [number, number];
  pads?: number[]; autoPad?: string; countIncludePad?: number; channelsLast?: boolean; afterConv?: boolean;
  /** The output scale equal to the input's: averages of integers land on halves, ties that only the exact
   *  float32 steps round the same way. */
  ties?: boolean;
}

function outSize(size: number, k: number, s: number, before: number, after: number, autoPad?: string): number {
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") return Math.ceil(size / s);
  if (autoPad === "VALID") return Math.floor((size - k) / s) + 1;
  return Math.floor((size + before + after - k) / s) + 1;
}

function poolModel(p: PoolCase, act: "int8" | "uint8"): GraphSpec {
  const scalar = (name: string, v: number, dtype: "float32" | "int8" | "uint8") => ({
    name, dtype, dims: [] as number[], data: dtype === "float32" ? Float32Array.of(v) : dtype === "int8" ? Int8Array.of(v) : Uint8Array.of(v),
  });
  const [s0, s1] = p.strides ?? [1, 1];
  const [pt, pl, pb, pr] = p.pads ?? [0, 0, 0, 0];
  const oh = outSize(p.h, p.kernel[0], s0, pt, pb, p.autoPad), ow = outSize(p.w, p.kernel[1], s1, pl, pr, p.autoPad);
  const attrs: Record<string, number | number[] | string> = { kernel_shape: p.kernel, strides: [s0, s1] };
  if (p.pads) attrs.pads = p.pads;
  if (p.autoPad) attrs.auto_pad = p.autoPad;
  if (p.countIncludePad !== undefined) attrs.count_include_pad = p.countIncludePad;
  if (p.channelsLast) attrs.channels_last = 1;
  const zx = act === "uint8" ? 128 : 0, zy = act === "uint8" ? 120 : -7;
  const nodes: GraphSpec["nodes"] = [{ opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"] }];
  const init: GraphSpec["initializers"] = [scalar("sx", 0.05, "float32"), scalar("zx", zx, act), scalar("sy", p.ties ? 0.05 : 0.043, "float32"), scalar("zy", zy, act)];
  let pooled = "xq";
  if (p.afterConv) {
    const r = rng(3);
    init.push(
      { name: "w", dtype: "int8", dims: [p.c, p.c, 1, 1], data: Int8Array.from({ length: p.c * p.c }, () => Math.floor(r() * 255) - 127) },
      scalar("sw", 0.01, "float32"), scalar("zw", 0, "int8"),
    );
    nodes.push({ opType: "QLinearConv", inputs: ["xq", "sx", "zx", "w", "sw", "zw", "sx", "zx"], outputs: ["cq"] });
    pooled = "cq";
  }
  nodes.push(
    { opType: "QLinearAveragePool", domain: "com.microsoft", inputs: [pooled, "sx", "zx", "sy", "zy"], outputs: ["yq"], attrs },
    { opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"] },
  );
  const dims = (h: number, w: number) => (p.channelsLast ? [1, h, w, p.c] : [1, p.c, h, w]);
  return {
    opset: 21, nodes, initializers: init,
    inputs: [{ name: "x", dtype: "float32", dims: dims(p.h, p.w) }],
    outputs: [{ name: "y", dtype: "float32", dims: dims(oh, ow) }],
  };
}

const CASES: PoolCase[] = [
  { name: "2x2 stride 2", c: 5, h: 6, w: 8, kernel: [2, 2], strides: [2, 2] },
  { name: "3x3 stride 1 pads 1, padding not counted", c: 3, h: 7, w: 5, kernel: [3, 3], pads: [1, 1, 1, 1] },
  { name: "3x3 stride 1 pads 1, padding counted", c: 3, h: 7, w: 5, kernel: [3, 3], pads: [1, 1, 1, 1], countIncludePad: 1 },
  { name: "3x3 stride 2 uneven pads", c: 4, h: 9, w: 8, kernel: [3, 3], strides: [2, 2], pads: [1, 0, 0, 2] },
  { name: "5x3 kernel, strides 1x2", c: 2, h: 9, w: 9, kernel: [5, 3], strides: [1, 2] },
  { name: "SAME_UPPER 3x3 stride 2", c: 3, h: 7, w: 6, kernel: [3, 3], strides: [2, 2], autoPad: "SAME_UPPER" },
  { name: "SAME_LOWER 2x2 stride 1", c: 3, h: 5, w: 5, kernel: [2, 2], autoPad: "SAME_LOWER" },
  { name: "VALID 3x3 stride 2", c: 3, h: 8, w: 7, kernel: [3, 3], strides: [2, 2], autoPad: "VALID" },
  { name: "2x2 stride 1, ties", c: 4, h: 8, w: 8, kernel: [2, 2], ties: true },
  { name: "3x3 stride 1 pads 1, ties", c: 4, h: 8, w: 8, kernel: [3, 3], pads: [1, 1, 1, 1], ties: true },
  { name: "a kernel over the whole image (the global pool shortcut)", c: 6, h: 7, w: 7, kernel: [7, 7] },
  { name: "channels_last input", c: 5, h: 6, w: 6, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], channelsLast: true },
  { name: "after a QLinearConv (channels-last inside dyad)", c: 8, h: 9, w: 7, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], afterConv: true },
];

describe("com.microsoft QLinearAveragePool against onnxruntime-web", () => {
  for (const act of ["uint8", "int8"] as const) {
    for (const p of CASES) {
      it(`${act}: ${p.name}`, async () => {
        const r = rng(p.h * 31 + p.w);
        const n = p.c * p.h * p.w;
        const x = Float32Array.from({ length: n }, () => (r() - 0.5) * (act === "uint8" ? 12 : 6));
        if (p.ties) for (let i = 0; i < n; i++) x[i] = Math.round(x[i] / 0.05) * 0.05; // on the quantization grid
        const spec = poolModel(p, act);
        await expectSameAsOrt(encodeModel(spec), [{ name: "x", data: x, dims: spec.inputs[0].dims as number[] }]);
      });
    }
  }

  it("refuses ceil_mode, 1-D or 3-D kernels and pads past the kernel at load, naming them", async () => {
    const d = await dyad();
    const base = poolModel({ name: "", c: 2, h: 6, w: 6, kernel: [2, 2] }, "int8");
    const withAttrs = (attrs: Record<string, number | number[]>) => encodeModel({
      ...base, nodes: base.nodes.map((nd) => (nd.opType === "QLinearAveragePool" ? { ...nd, attrs: { ...nd.attrs, ...attrs } } : nd)),
    });
    expect(() => d.loadModel(withAttrs({ ceil_mode: 1 }))).toThrow(UnsupportedError);
    expect(() => d.loadModel(withAttrs({ ceil_mode: 1 }))).toThrow(/ceil_mode/);
    expect(() => d.loadModel(withAttrs({ kernel_shape: [2] }))).toThrow(/kernel_shape/);
    expect(() => d.loadModel(withAttrs({ pads: [2, 0, 0, 0] }))).toThrow(ShapeError);
  });
});
