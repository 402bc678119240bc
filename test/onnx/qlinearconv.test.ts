// ONNX QLinearConv (NCHW in the file, NHWC inside dyad) against onnxruntime-web, bit for bit: regular and
// depthwise (also with a depth multiplier) and grouped convolutions, strides, explicit and automatic pads,
// per-channel weights, int8 and uint8 activations, and conv -> conv chains that stay channels-last between.

import { describe, it, expect } from "vitest";
import { encodeModel, type GraphSpec } from "../../src/formats/onnx/proto.js";
import { rng, randInts } from "../helpers.js";
import { expectSameAsOrt } from "./ort-compare.js";

interface ConvSpec {
  cin: number; cout: number; h: number; w: number; k: number; stride: number; group: number;
  pads?: number[]; act: "int8" | "uint8"; perChannel: boolean; chain?: boolean;
}

function convModel(c: ConvSpec, seed: number): GraphSpec {
  const r = rng(seed);
  const zx = c.act === "uint8" ? 120 : -5, zy = c.act === "uint8" ? 130 : 3;
  const scalar = (name: string, v: number, dtype: "float32" | "int8" | "uint8") => ({
    name, dtype, dims: [] as number[], data: dtype === "float32" ? Float32Array.of(v) : dtype === "int8" ? Int8Array.of(v) : Uint8Array.of(v),
  });
  const conv = (prefix: string, cin: number) => {
    const cpg = cin / c.group;
    const w = randInts(Int8Array, c.cout * cpg * c.k * c.k, -127, 127, r);
    const sw = c.perChannel ? Float32Array.from({ length: c.cout }, () => 0.003 + r() * 0.01) : Float32Array.of(0.006);
    const attrs: Record<string, number | number[]> = { group: c.group, strides: [c.stride, c.stride], kernel_shape: [c.k, c.k] };
    if (c.pads) attrs.pads = c.pads;
    return {
      init: [
        { name: `${prefix}w`, dtype: "int8" as const, dims: [c.cout, cpg, c.k, c.k], data: w },
        { name: `${prefix}sw`, dtype: "float32" as const, dims: c.perChannel ? [c.cout] : [], data: sw },
        { name: `${prefix}zw`, dtype: "int8" as const, dims: c.perChannel ? [c.cout] : [], data: new Int8Array(c.perChannel ? c.cout : 1) },
        { name: `${prefix}b`, dtype: "int32" as const, dims: [c.cout], data: randInts(Int32Array, c.cout, -3000, 3000, r) },
      ],
      attrs,
    };
  };
  const first = conv("a", c.cin);
  const nodes: GraphSpec["nodes"] = [
    { opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"] },
    { opType: "QLinearConv", inputs: ["xq", "sx", "zx", "aw", "asw", "azw", "sy", "zy", "ab"], outputs: ["yq"], attrs: first.attrs },
  ];
  const init = [scalar("sx", 0.03, "float32"), scalar("zx", zx, c.act), scalar("sy", 0.09, "float32"), scalar("zy", zy, c.act), ...first.init];
  let last = "yq";
  if (c.chain) {
    const second = conv("b", c.cout);
    nodes.push({ opType: "QLinearConv", inputs: ["yq", "sy", "zy", "bw", "bsw", "bzw", "sy", "zy", "bb"], outputs: ["zq"], attrs: second.attrs });
    init.push(...second.init);
    last = "zq";
  }
  nodes.push({ opType: "DequantizeLinear", inputs: [last, "sy", "zy"], outputs: ["y"] });
  const [pt, pl, pb, pr] = c.pads ?? [0, 0, 0, 0];
  let [oh, ow] = [Math.floor((c.h + pt + pb - c.k) / c.stride) + 1, Math.floor((c.w + pl + pr - c.k) / c.stride) + 1];
  if (c.chain) [oh, ow] = [Math.floor((oh + pt + pb - c.k) / c.stride) + 1, Math.floor((ow + pl + pr - c.k) / c.stride) + 1];
  return {
    opset: 21, nodes, initializers: init,
    inputs: [{ name: "x", dtype: "float32", dims: [1, c.cin, c.h, c.w] }],
    outputs: [{ name: "y", dtype: "float32", dims: [1, c.cout, oh, ow] }],
  };
}

describe("QLinearConv against onnxruntime-web", () => {
  const cases: ConvSpec[] = [
    { cin: 8, cout: 16, h: 9, w: 7, k: 3, stride: 1, group: 1, pads: [1, 1, 1, 1], act: "uint8", perChannel: true },
    { cin: 3, cout: 8, h: 12, w: 12, k: 3, stride: 2, group: 1, pads: [1, 1, 1, 1], act: "int8", perChannel: true },
    { cin: 16, cout: 24, h: 5, w: 6, k: 1, stride: 1, group: 1, act: "uint8", perChannel: false },
    { cin: 5, cout: 7, h: 8, w: 8, k: 3, stride: 1, group: 1, pads: [0, 1, 2, 1], act: "int8", perChannel: false },
    { cin: 16, cout: 16, h: 10, w: 9, k: 3, stride: 1, group: 16, pads: [1, 1, 1, 1], act: "uint8", perChannel: true },
    { cin: 12, cout: 12, h: 11, w: 11, k: 3, stride: 2, group: 12, pads: [1, 1, 1, 1], act: "int8", perChannel: true },
    { cin: 8, cout: 8, h: 6, w: 6, k: 3, stride: 1, group: 1, pads: [1, 1, 1, 1], act: "uint8", perChannel: true, chain: true },
    // Grouped: 4 groups of 4 -> 6 channels (ResNeXt-like), 2 groups with a 1x1 kernel (ShuffleNet-like), a
    // depth multiplier of 2 (group = input channels, two outputs each), and a grouped chain.
    { cin: 16, cout: 24, h: 7, w: 9, k: 3, stride: 1, group: 4, pads: [1, 1, 1, 1], act: "uint8", perChannel: true },
    { cin: 12, cout: 12, h: 6, w: 5, k: 1, stride: 1, group: 2, act: "int8", perChannel: false },
    { cin: 6, cout: 12, h: 8, w: 8, k: 3, stride: 2, group: 6, pads: [1, 1, 1, 1], act: "int8", perChannel: true },
    { cin: 8, cout: 8, h: 6, w: 7, k: 3, stride: 1, group: 2, pads: [1, 1, 1, 1], act: "int8", perChannel: true, chain: true },
  ];
  cases.forEach((c, i) => {
    it(`${c.group === c.cin ? "depthwise" : c.group > 1 ? `grouped (${c.group})` : "conv"} ${c.cin}->${c.cout} ${c.h}x${c.w} k${c.k} s${c.stride}${c.pads ? ` pads [${c.pads}]` : ""} ${c.act}${c.perChannel ? " per-channel" : ""}${c.chain ? " (chained)" : ""}`, async () => {
      const bytes = encodeModel(convModel(c, 100 + i));
      const x = Float32Array.from({ length: c.cin * c.h * c.w }, (_, j) => Math.sin(j * 0.37) * 2.5);
      await expectSameAsOrt(bytes, [{ name: "x", data: x, dims: [1, c.cin, c.h, c.w] }]);
    });
  });
});

describe("a small QOperator CNN against onnxruntime-web", () => {
  it("Quantize -> QLinearConv -> QLinearConv (depthwise) -> QLinearAdd (residual) -> QLinearGlobalAveragePool -> Flatten -> QLinearMatMul -> Dequantize", async () => {
    const r = rng(77);
    const [c, h, w, classes] = [8, 10, 10, 5];
    const u8 = (name: string, v: number) => ({ name, dtype: "uint8" as const, dims: [] as number[], data: Uint8Array.of(v) });
    const fl = (name: string, v: number | number[], dims: number[] = []) => ({ name, dtype: "float32" as const, dims, data: Float32Array.from(Array.isArray(v) ? v : [v]) });
    const spec: GraphSpec = {
      opset: 21,
      nodes: [
        { opType: "QuantizeLinear", inputs: ["x", "s0", "z0"], outputs: ["q0"] },
        { opType: "QLinearConv", inputs: ["q0", "s0", "z0", "w1", "sw1", "zw1", "s1", "z1", "b1"], outputs: ["q1"], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
        { opType: "QLinearConv", inputs: ["q1", "s1", "z1", "w2", "sw2", "zw2", "s2", "z2", "b2"], outputs: ["q2"], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3], group: c } },
        { opType: "QLinearAdd", domain: "com.microsoft", inputs: ["q1", "s1", "z1", "q2", "s2", "z2", "s3", "z3"], outputs: ["q3"] },
        { opType: "QLinearGlobalAveragePool", domain: "com.microsoft", inputs: ["q3", "s3", "z3", "s4", "z4"], outputs: ["q4"], attrs: { channels_last: 0 } },
        { opType: "Flatten", inputs: ["q4"], outputs: ["q5"] },
        { opType: "QLinearMatMul", inputs: ["q5", "s4", "z4", "wf", "swf", "zwf", "s6", "z6"], outputs: ["q6"] },
        { opType: "DequantizeLinear", inputs: ["q6", "s6", "z6"], outputs: ["y"] },
      ],
      inputs: [{ name: "x", dtype: "float32", dims: [1, c, h, w] }],
      outputs: [{ name: "y", dtype: "float32", dims: [1, classes] }],
      initializers: [
        fl("s0", 0.03), u8("z0", 128),
        { name: "w1", dtype: "int8", dims: [c, c, 3, 3], data: randInts(Int8Array, c * c * 9, -127, 127, r) },
        fl("sw1", Array.from({ length: c }, () => 0.004 + r() * 0.004), [c]), { name: "zw1", dtype: "int8", dims: [c], data: new Int8Array(c) },
        fl("s1", 0.08), u8("z1", 120), { name: "b1", dtype: "int32", dims: [c], data: randInts(Int32Array, c, -2000, 2000, r) },
        { name: "w2", dtype: "int8", dims: [c, 1, 3, 3], data: randInts(Int8Array, c * 9, -127, 127, r) },
        fl("sw2", Array.from({ length: c }, () => 0.01 + r() * 0.01), [c]), { name: "zw2", dtype: "int8", dims: [c], data: new Int8Array(c) },
        fl("s2", 0.06), u8("z2", 131), { name: "b2", dtype: "int32", dims: [c], data: randInts(Int32Array, c, -2000, 2000, r) },
        fl("s3", 0.1), u8("z3", 125), fl("s4", 0.04), u8("z4", 127),
        { name: "wf", dtype: "int8", dims: [c, classes], data: randInts(Int8Array, c * classes, -127, 127, r) },
        fl("swf", 0.01), { name: "zwf", dtype: "int8", dims: [], data: Int8Array.of(0) }, fl("s6", 0.05), u8("z6", 128),
      ],
    };
    const bytes = encodeModel(spec);
    const x = Float32Array.from({ length: c * h * w }, (_, i) => Math.sin(i * 0.21) * 3);
    await expectSameAsOrt(bytes, [{ name: "x", data: x, dims: [1, c, h, w] }]);
  });
});

describe("com.microsoft QLinearConcat against onnxruntime-web", () => {
  for (const act of ["uint8", "int8"] as const) {
    it(`${act}: channels-last convolution outputs joined as stored, and joined with an input in ONNX order`, async () => {
      const r = rng(act === "int8" ? 5 : 6);
      const [c, h, w] = [3, 5, 6];
      const q = (name: string, v: number) => ({ name, dtype: act, dims: [] as number[], data: act === "uint8" ? Uint8Array.of(v) : Int8Array.of(v) });
      const fl = (name: string, v: number) => ({ name, dtype: "float32" as const, dims: [] as number[], data: Float32Array.of(v) });
      const zero = act === "uint8" ? 128 : 0;
      const spec: GraphSpec = {
        opset: 21,
        nodes: [
          { opType: "QuantizeLinear", inputs: ["x", "s0", "z0"], outputs: ["q0"] },
          { opType: "QLinearConv", inputs: ["q0", "s0", "z0", "w1", "sw", "zw", "s1", "z1"], outputs: ["a"], attrs: { kernel_shape: [1, 1] } },
          { opType: "QLinearConv", inputs: ["q0", "s0", "z0", "w2", "sw", "zw", "s2", "z2"], outputs: ["b"], attrs: { kernel_shape: [1, 1] } },
          // Same scale and zero point as the output for `a` (a copy), different ones for `b` (a table).
          { opType: "QLinearConcat", domain: "com.microsoft", inputs: ["s1", "z1", "a", "s1", "z1", "b", "s2", "z2"], outputs: ["ab"], attrs: { axis: 1 } },
          { opType: "QLinearConcat", domain: "com.microsoft", inputs: ["s3", "z3", "q0", "s0", "z0", "a", "s1", "z1"], outputs: ["xa"], attrs: { axis: -1 } },
          { opType: "DequantizeLinear", inputs: ["ab", "s1", "z1"], outputs: ["y1"] },
          { opType: "DequantizeLinear", inputs: ["xa", "s3", "z3"], outputs: ["y2"] },
        ],
        inputs: [{ name: "x", dtype: "float32", dims: [1, c, h, w] }],
        outputs: [{ name: "y1", dtype: "float32", dims: [1, 2 * c, h, w] }, { name: "y2", dtype: "float32", dims: [1, c, h, 2 * w] }],
        initializers: [
          fl("s0", 0.04), q("z0", zero + 3), fl("s1", 0.05), q("z1", zero - 9), fl("s2", 0.11), q("z2", zero + 14), fl("s3", 0.07), q("z3", zero - 2),
          fl("sw", 0.01), { name: "zw", dtype: "int8", dims: [], data: Int8Array.of(0) },
          { name: "w1", dtype: "int8", dims: [c, c, 1, 1], data: randInts(Int8Array, c * c, -127, 127, r) },
          { name: "w2", dtype: "int8", dims: [c, c, 1, 1], data: randInts(Int8Array, c * c, -127, 127, r) },
        ],
      };
      const bytes = encodeModel(spec);
      const x = Float32Array.from({ length: c * h * w }, (_, i) => Math.sin(i * 0.53) * 4);
      const ours = await expectSameAsOrt(bytes, [{ name: "x", data: x, dims: [1, c, h, w] }]);
      expect(ours.map((o) => o.shape)).toEqual([[1, 2 * c, h, w], [1, c, h, 2 * w]]);
    });
  }
});
