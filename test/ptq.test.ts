// Post-training quantization of a float ONNX CNN into QDQ (src/quant/ptq.ts): dyad runs the result with
// integer ops only (besides the input's QuantizeLinear and the output's DequantizeLinear), onnxruntime-web
// runs the same file with identical outputs, and the outputs stay close to the float model's.

import { describe, it, expect } from "vitest";
import { floatCnn } from "./float-cnn.js";
import { quantizeOnnx } from "../src/quant/ptq.js";
import { BufferError, ShapeError, UnsupportedError } from "../src/errors.js";
import { encodeModel } from "../src/formats/onnx/proto.js";
import { dyad, rng } from "./helpers.js";
import { expectSameAsOrt } from "./onnx/ort-compare.js";
import * as ort from "onnxruntime-web";

const images = (n: number, seed: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => [Float32Array.from({ length: 64 }, () => r())]);
};

describe("post-training quantization of a float ONNX model (QDQ)", () => {
  for (const method of ["minmax", "percentile", "kl", "mse", "moving-average"] as const) {
    for (const activations of ["uint8", "int8"] as const) {
      // KL reads a histogram's shape: it gets more calibration data (24 images leave its histograms sparse).
      it(`${method}, ${activations} activations: integer-only in dyad, identical in onnxruntime-web, close to float`, async () => {
        const d = await dyad();
        const float = floatCnn(1);
        const { model, report } = quantizeOnnx(d, float, { calibration: images(method === "kl" ? 200 : 24, 2), method, activations, granularity: "channel" });
        expect(report.quantizedNodes.length).toBe(4);
        expect(report.removedRelus).toBe(2);
        // dyad: every Conv/Gemm/Add/pool fused into integer ops.
        const m = d.loadModel(model);
        const ops: string[] = [];
        m.run([images(1, 9)[0][0]], { profile: (op) => ops.push(op) });
        m.dispose();
        // Quantize the input, integer ops (MaxPool and Flatten move 8-bit values), dequantize the output.
        expect(ops[0]).toBe("QuantizeLinear");
        expect(ops[ops.length - 1]).toBe("DequantizeLinear");
        expect(ops.filter((op) => /Quantize|Dequantize/.test(op)).length, ops.join()).toBe(2);
        for (const op of ["Conv", "Gemm", "Add", "GlobalAveragePool", "Relu", "QLinearLeakyRelu"]) expect(ops.includes(op), `${op} in ${ops}`).toBe(false);
        const fm = d.loadModel(float);
        for (const [x] of images(6, 5)) {
          const ours = await expectSameAsOrt(model, [{ name: "x", data: x, dims: [1, 1, 8, 8] }], { graphOptimizationLevel: "all" });
          const ref = fm.run([x])[0].data as Float32Array;
          const y = ours[0].data as Float32Array;
          const range = Math.max(...ref) - Math.min(...ref);
          for (let j = 0; j < 10; j++) expect(Math.abs(y[j] - ref[j]), `${method} output ${j}`).toBeLessThan(0.15 * range);
        }
        fm.dispose();
      });
    }
  }

  it("simulated quantization (loadModel simulate) equals onnxruntime-web without its fusions; integer-only differs by a few output codes", async () => {
    const d = await dyad();
    const { model, report } = quantizeOnnx(d, floatCnn(1), { calibration: images(24, 2), method: "percentile" });
    const y = report.activations.find((a) => a.name === "y")!;
    const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "disabled" });
    const simulated = d.loadModel(model, { simulate: true }), integer = d.loadModel(model);
    let largest = 0, equal = 0, total = 0;
    for (const [x] of images(20, 11)) {
      const theirs = (await session.run({ x: new ort.Tensor("float32", x, [1, 1, 8, 8]) })).y.data as Float32Array;
      const sim = simulated.run([x])[0].data as Float32Array, int = integer.run([x])[0].data as Float32Array;
      expect(Array.from(new Uint32Array(sim.buffer))).toEqual(Array.from(new Uint32Array(Float32Array.from(theirs).buffer)));
      const code = (v: number) => Math.round(v / y.scale) + y.zeroPoint;
      sim.forEach((v, j) => { const dc = Math.abs(code(v) - code(int[j])); largest = Math.max(largest, dc); if (dc === 0) equal++; total++; });
    }
    await session.release();
    simulated.dispose();
    integer.dispose();
    console.log(`integer-only vs simulated: ${equal} of ${total} output codes equal, largest difference ${largest}`);
    expect(largest).toBeLessThanOrEqual(4);
    expect(equal / total).toBeGreaterThan(0.5);
    expect(() => d.loadModel(new Uint8Array([0, 0, 0, 0, 84, 70, 76, 51]), { simulate: true })).toThrow(/simulateTflite/);
  });

  for (const [wb, ab] of [[4, 8], [4, 4], [2, 8], [8, 2]] as const) {
    it(`W${wb}A${ab}: weights and activations on ${wb}- and ${ab}-bit grids in 8-bit containers; convolutions stay integer, both engines agree`, async () => {
      const d = await dyad();
      const { model, report } = quantizeOnnx(d, floatCnn(1), { calibration: images(24, 2), weightBits: wb, activationBits: ab, method: "mse" });
      // Inner activations use 2^ab levels; the input and the output keep 8 bits.
      for (const a of report.activations) {
        const inner = a.name !== "x" && a.name !== "y";
        expect(a.zeroPoint, a.name).toBeLessThanOrEqual(inner ? 2 ** ab - 1 : 255);
      }
      const m = d.loadModel(model);
      const ops: string[] = [];
      m.run([images(1, 9)[0][0]], { profile: (op) => ops.push(op) });
      m.dispose();
      expect(ops.filter((op) => op === "Conv" || op === "Gemm"), ops.join()).toEqual([]);
      // The weights really are on the b-bit grid.
      const { decodeModel } = await import("../src/formats/onnx/proto.js");
      const w = decodeModel(model).initializers.find((t) => t.name === "w2_quantized")!;
      expect(Math.max(...Array.from(w.values!, (v) => Math.abs(Number(v))))).toBeLessThanOrEqual(2 ** (wb - 1) - 1);
      for (const [x] of images(4, 13)) await expectSameAsOrt(model, [{ name: "x", data: x, dims: [1, 1, 8, 8] }], { graphOptimizationLevel: "all" });
    });
  }
  it("group-wise W4 (integer group factors of a per-channel step): finer than per channel, integer-only, both engines agree", async () => {
    const d = await dyad();
    const { decodeModel } = await import("../src/formats/onnx/proto.js");
    const float = floatCnn(1);
    const original = decodeModel(float).initializers.find((t) => t.name === "w2")!;
    const error = (granularity: "channel" | "group:4") => {
      const { model, report } = quantizeOnnx(d, float, { calibration: images(8, 2), weightBits: 4, granularity });
      const inits = decodeModel(model).initializers;
      const q = inits.find((t) => t.name === "w2_quantized")!, s = inits.find((t) => t.name === "w2_scale")!;
      const inner = q.values!.length / s.values!.length;
      let e = 0;
      q.values!.forEach((v, i) => { e += (Number(v) * Number(s.values![Math.floor(i / inner)]) - Number(original.values![i])) ** 2; });
      return { model, report, q, inner, e };
    };
    const channel = error("channel"), group = error("group:4");
    expect(group.e).toBeLessThan(channel.e);
    expect(group.report.weightSqnrDb).toBeGreaterThan(channel.report.weightSqnrDb);
    const tensor = quantizeOnnx(d, float, { calibration: images(8, 2), weightBits: 4, granularity: "tensor" }).report;
    expect(channel.report.weightSqnrDb).toBeGreaterThan(tensor.weightSqnrDb);
    // Each run of 4 weights of a channel: q * m with |q| <= 7 and one factor m in 1..15.
    const v = Array.from(group.q.values!, Number);
    for (let g = 0; g < v.length; g += 4) {
      const run = v.slice(g, Math.min(g + 4, Math.ceil((g + 1) / group.inner) * group.inner));
      const m = Array.from({ length: 15 }, (_, i) => i + 1).find((f) => run.every((x) => x % f === 0 && Math.abs(x / f) <= 7));
      expect(m, `group at ${g}: ${run}`).toBeDefined();
    }
    expect(group.report.packedBytes).toBeGreaterThan(channel.report.packedBytes);
    const m = d.loadModel(group.model);
    const ops: string[] = [];
    m.run([images(1, 9)[0][0]], { profile: (op) => ops.push(op) });
    m.dispose();
    expect(ops.filter((op) => op === "Conv" || op === "Gemm"), ops.join()).toEqual([]);
    for (const [x] of images(3, 13)) await expectSameAsOrt(group.model, [{ name: "x", data: x, dims: [1, 1, 8, 8] }], { graphOptimizationLevel: "all" });
    expect(() => quantizeOnnx(d, float, { calibration: images(2, 2), granularity: "group:1" as "group:4" })).toThrow(/granularity must be/);
  });

  for (const [wb, granularity] of [[8, "channel"], [4, "group:8"], [8, "tensor"]] as const) {
    it(`dynamic activations, W${wb} ${granularity}: DynamicQuantizeLinear -> ConvInteger/MatMulInteger, no calibration; identical in onnxruntime-web, close to float`, async () => {
      const d = await dyad();
      const float = floatCnn(2);
      const { model, report } = quantizeOnnx(d, float, { activations: "dynamic", weightBits: wb, granularity });
      expect(report.quantizedNodes.length).toBe(4);
      expect(report.activations).toEqual([]);
      const m = d.loadModel(model), fm = d.loadModel(float);
      const ops: string[] = [];
      m.run([images(1, 9)[0][0]], { profile: (op) => ops.push(op) });
      expect(ops.filter((op) => op === "ConvInteger").length, ops.join()).toBe(3);
      expect(ops.filter((op) => op === "MatMulInteger").length, ops.join()).toBe(1);
      expect(ops.filter((op) => op === "Conv" || op === "Gemm"), ops.join()).toEqual([]);
      for (const [x] of images(4, 21)) {
        const ours = await expectSameAsOrt(model, [{ name: "x", data: x, dims: [1, 1, 8, 8] }], { graphOptimizationLevel: "all" });
        const ref = fm.run([x])[0].data as Float32Array, y = ours[0].data as Float32Array;
        const range = Math.max(...ref) - Math.min(...ref);
        for (let j = 0; j < 10; j++) expect(Math.abs(y[j] - ref[j]), `output ${j}`).toBeLessThan((wb === 8 ? 0.05 : 0.2) * range);
      }
      m.dispose();
      fm.dispose();
    });
  }
  it("dynamic activations refuse bias correction and activation bits other than 8", async () => {
    const d = await dyad();
    expect(() => quantizeOnnx(d, floatCnn(1), { activations: "dynamic", biasCorrection: true })).toThrow(/bias correction needs static/);
    expect(() => quantizeOnnx(d, floatCnn(1), { activations: "dynamic", activationBits: 4 })).toThrow(UnsupportedError);
  });

  it("fixed activation ranges (from QAT) replace the calibrated ones", async () => {
    const d = await dyad();
    const { report } = quantizeOnnx(d, floatCnn(1), { calibration: images(4, 2), ranges: { r1: { min: 0, max: 2.55 } }, activationBits: 8 });
    const a1 = report.activations.find((a) => a.name === "r1");
    expect(a1, report.activations.map((a) => a.name).join()).toBeDefined();
    expect(a1!.scale).toBeCloseTo(0.01, 7);
    expect(a1!.zeroPoint).toBe(0);
  });

  it("refuses weight or activation bits outside 2..8", async () => {
    const d = await dyad();
    expect(() => quantizeOnnx(d, floatCnn(1), { calibration: images(2, 2), weightBits: 1 })).toThrow(/weightBits must be an integer from 2 to 8, got 1/);
    expect(() => quantizeOnnx(d, floatCnn(1), { calibration: images(2, 2), activationBits: 9 })).toThrow(/activationBits/);
  });

  it("bias correction and per-tensor weights also give models both engines agree on", async () => {
    const d = await dyad();
    for (const options of [{ biasCorrection: true }, { granularity: "tensor" as const }]) {
      const { model } = quantizeOnnx(d, floatCnn(3), { calibration: images(16, 4), ...options });
      await expectSameAsOrt(model, [{ name: "x", data: images(1, 8)[0][0], dims: [1, 1, 8, 8] }], { graphOptimizationLevel: "all" });
    }
  });

  it("refuses bad calibration data with typed errors", async () => {
    const d = await dyad();
    expect(() => quantizeOnnx(d, floatCnn(1), { calibration: [] })).toThrow(BufferError);
    expect(() => quantizeOnnx(d, floatCnn(1), { calibration: [[new Float32Array(10)]] })).toThrow(/input 0 \("x"\) must be a Float32Array of 64 values/);
    expect(() => quantizeOnnx(d, floatCnn(1), { calibration: [[new Float32Array(64), new Float32Array(64)]] })).toThrow(ShapeError);
    // A float model with an operator dyad does not run: refused at calibration, naming the node.
    const erf = encodeModel({
      opset: 17,
      nodes: [{ opType: "Gemm", inputs: ["x", "w"], outputs: ["h"], attrs: { transB: 1 } }, { opType: "Erf", inputs: ["h"], outputs: ["y"] }],
      initializers: [{ name: "w", dtype: "float32", dims: [4, 4], data: new Float32Array(16).fill(0.5) }],
      inputs: [{ name: "x", dtype: "float32", dims: [1, 4] }], outputs: [{ name: "y", dtype: "float32", dims: [1, 4] }],
    });
    expect(() => quantizeOnnx(d, erf, { calibration: [[new Float32Array(4)]] })).toThrow(UnsupportedError);
    expect(() => quantizeOnnx(d, erf, { calibration: [[new Float32Array(4)]] })).toThrow(/Erf/);
    // Nothing to quantize: said so.
    const relu = encodeModel({ opset: 17, nodes: [{ opType: "Relu", inputs: ["x"], outputs: ["y"] }], initializers: [], inputs: [{ name: "x", dtype: "float32", dims: [1, 4] }], outputs: [{ name: "y", dtype: "float32", dims: [1, 4] }] });
    expect(() => quantizeOnnx(d, relu, { calibration: [[new Float32Array(4)]] })).toThrow(/no Conv, Gemm or MatMul/);
  });
});
