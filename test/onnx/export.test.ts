// TFLite -> ONNX export: the written file runs in onnxruntime-web and in dyad's ONNX importer with the same
// bits, and stays close to dyad's TFLite run (ONNX's fp32 requantization is not TFLite's fixed point, so
// elements may differ by a unit per layer). MobileNetV2 from the corpus, and a synthetic model that uses
// every exported op.

import { describe, it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import * as ort from "onnxruntime-web";
import { tfliteToOnnx } from "../../src/formats/onnx/export-tflite.js";
import { decodeModel } from "../../src/formats/onnx/proto.js";
import { importTflite } from "../../src/formats/tflite/import.js";
import { parseTflite, type TfliteModel, type TfliteOperator, type TfliteTensor } from "../../src/formats/tflite/model.js";
import { Model } from "../../src/graph/model.js";
import { UnsupportedError, DyadError } from "../../src/errors.js";
import { dyad, rng, randInts } from "../helpers.js";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

const DIR = new URL("../../../shared/corpora/tflm/mobilenet_v2/", import.meta.url);

async function ortRun(bytes: Uint8Array, x: ort.Tensor): Promise<ArrayLike<number>> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const out = await session.run({ [session.inputNames[0]]: x });
  await session.release();
  return Object.values(out)[0].data as ArrayLike<number>;
}

const opCounts = (bytes: Uint8Array) => {
  const counts: Record<string, number> = {};
  for (const n of decodeModel(bytes).nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  return counts;
};

const topK = (a: ArrayLike<number>, k: number) =>
  Array.from(a).map((v, i) => [v, i]).sort((p, q) => q[0] - p[0] || p[1] - q[1]).slice(0, k).map(([, i]) => i);

it.skipIf(!existsSync(DIR))("MobileNetV2 exported to ONNX: dyad and onnxruntime-web agree bit for bit, and with the TFLite run's top classes", async () => {
  const d = await dyad();
  const tflite = new Uint8Array(readFileSync(new URL("mobilenet_v2_quantized_1x3x224x224.tflite", DIR)));
  const onnx = tfliteToOnnx(parseTflite(tflite));
  // The layout pass leaves no transposes: the NCHW input feeds the first convolution directly.
  const ops = opCounts(onnx);
  expect(ops.Transpose ?? 0).toBe(0);
  expect(ops).toMatchObject({ QLinearConv: 53, Pad: 18, QLinearAdd: 10, QLinearGlobalAveragePool: 1 });

  const bytes = readFileSync(new URL("dog_input_int8_nchw.bin", DIR));
  const x = new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const theirs = await ortRun(onnx, new ort.Tensor("int8", x, [1, 3, 224, 224]));
  const onnxModel = d.loadModel(onnx), tfliteModel = d.loadModel(tflite);
  const [ours] = onnxModel.run([x]);
  const [reference] = tfliteModel.run([x]);
  expect(Array.from(ours.data as Int8Array)).toEqual(Array.from(theirs));

  const a = reference.data as Int8Array, b = ours.data as Int8Array;
  let differ = 0, maxDiff = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) (differ++, (maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]))));
  const [top5t, top5o] = [topK(a, 5), topK(b, 5)];
  console.log(`MobileNetV2 TFLite top-5 ${top5t}, ONNX top-5 ${top5o}; ${differ}/${a.length} logits differ, max ${maxDiff}`);
  // fp32 requantization drifts by a unit per layer over 52 layers: the top four stay, in order.
  expect(top5o.slice(0, 4)).toEqual(top5t.slice(0, 4));
  expect(top5o.filter((i) => top5t.includes(i)).length).toBeGreaterThanOrEqual(4);
  onnxModel.dispose();
  tfliteModel.dispose();
});

/** A TFLite model held as parsed structures, to export without a TFLite writer. */
function syntheticModel(seed: number): TfliteModel {
  const r = rng(seed);
  const tensors: TfliteTensor[] = [];
  const t = (type: TfliteTensor["type"], shape: number[], scale?: number | number[], zeroPoint = 0, data?: ArrayBufferView, axis = 0): number => {
    const scales = scale === undefined ? null : Array.isArray(scale) ? scale : [scale];
    tensors.push({
      index: tensors.length, name: `t${tensors.length}`, type, shape,
      data: data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null,
      quantization: scales ? { scale: scales, zeroPoint: scales.map((_, i) => (i === 0 ? zeroPoint : 0)), quantizedDimension: axis } : null,
    });
    return tensors.length - 1;
  };
  const scales = (n: number) => Array.from({ length: n }, () => 0.004 + r() * 0.01);
  const operators: TfliteOperator[] = [];
  const op = (name: string, inputs: number[], outputs: number[], options: TfliteOperator["options"] = {}) =>
    operators.push({ index: operators.length, op: name, version: 1, inputs, outputs, options });
  const conv = { padding: 0, stride_w: 2, stride_h: 2, dilation_w_factor: 1, dilation_h_factor: 1 };

  const x = t("float32", [1, 6, 7, 3]);
  const xq = t("int8", [1, 6, 7, 3], 0.05, -3);
  op("QUANTIZE", [x], [xq]);
  const w1 = t("int8", [8, 3, 3, 3], scales(8), 0, randInts(Int8Array, 8 * 27, -127, 127, r));
  const b1 = t("int32", [8], undefined, 0, randInts(Int32Array, 8, -3000, 3000, r));
  const c1 = t("int8", [1, 3, 4, 8], 0.04, 5);
  op("CONV_2D", [xq, w1, b1], [c1], { ...conv, fused_activation_function: 3 }); // SAME, stride 2, RELU6
  const w2 = t("int8", [1, 3, 3, 8], scales(8), 0, randInts(Int8Array, 72, -127, 127, r), 3);
  const b2 = t("int32", [8], undefined, 0, randInts(Int32Array, 8, -3000, 3000, r));
  const c2 = t("int8", [1, 3, 4, 8], 0.05, -10);
  op("DEPTHWISE_CONV_2D", [c1, w2, b2], [c2], { ...conv, stride_w: 1, stride_h: 1, depth_multiplier: 1, fused_activation_function: 1 });
  const sum = t("int8", [1, 3, 4, 8], 0.07, 2);
  op("ADD", [c1, c2], [sum], { fused_activation_function: 0 });
  const pads = t("int32", [4, 2], undefined, 0, Int32Array.of(0, 0, 1, 0, 0, 2, 0, 0));
  const padded = t("int8", [1, 4, 6, 8], 0.07, 2);
  op("PAD", [sum, pads], [padded]);
  const w3 = t("int8", [6, 1, 1, 8], 0.01, 0, randInts(Int8Array, 48, -127, 127, r));
  const b3 = t("int32", [6], undefined, 0, randInts(Int32Array, 6, -2000, 2000, r));
  const c3 = t("int8", [1, 4, 6, 6], 0.06, 0);
  op("CONV_2D", [padded, w3, b3], [c3], { ...conv, padding: 1, stride_w: 1, stride_h: 1, fused_activation_function: 0 });
  const axes = t("int32", [2], undefined, 0, Int32Array.of(1, 2));
  const pooled = t("int8", [1, 1, 1, 6], 0.03, 1);
  op("MEAN", [c3, axes], [pooled], { keep_dims: true });
  const shape = t("int32", [2], undefined, 0, Int32Array.of(1, 6));
  const flat = t("int8", [1, 6], 0.03, 1);
  op("RESHAPE", [pooled, shape], [flat], { new_shape: [1, 6] });
  const w4 = t("int8", [4, 6], 0.02, 0, randInts(Int8Array, 24, -127, 127, r));
  const b4 = t("int32", [4], undefined, 0, randInts(Int32Array, 4, -500, 500, r));
  const fc = t("int8", [1, 4], 0.05, -2);
  op("FULLY_CONNECTED", [flat, w4, b4], [fc], { fused_activation_function: 1, weights_format: 0, keep_num_dims: false });
  const y = t("float32", [1, 4]);
  op("DEQUANTIZE", [fc], [y]);
  return { version: 3, description: "synthetic", byteLength: 0, subgraphs: [{ name: "main", tensors, inputs: [x], outputs: [y], operators }] };
}

describe("TFLite -> ONNX export of every exported op", () => {
  it("QUANTIZE, CONV_2D (SAME, stride 2, RELU6), DEPTHWISE_CONV_2D (RELU), ADD, PAD, CONV_2D (VALID), MEAN, RESHAPE, FULLY_CONNECTED (RELU), DEQUANTIZE", async () => {
    const d = await dyad();
    let worst = 0;
    for (const seed of [1, 2, 3]) {
      const tflite = syntheticModel(seed);
      const onnx = tfliteToOnnx(tflite);
      // One transpose: the float NHWC input, quantized, into the first convolution.
      expect(opCounts(onnx).Transpose).toBe(1);
      const x = Float32Array.from({ length: 6 * 7 * 3 }, (_, i) => Math.sin(i * 0.4 + seed) * 4);
      const theirs = await ortRun(onnx, new ort.Tensor("float32", x, [1, 6, 7, 3]));
      const onnxModel = d.loadModel(onnx);
      const [ours] = onnxModel.run([x]);
      onnxModel.dispose();
      const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
      expect(ours.shape).toEqual([1, 4]);
      expect(bits(ours.data as Float32Array)).toEqual(bits(theirs));

      const { graph, builders } = importTflite(tflite);
      const tfliteModel = new Model(d.runtime, graph, builders);
      const [reference] = tfliteModel.run([x]);
      tfliteModel.dispose();
      const a = reference.data as Float32Array, b = ours.data as Float32Array;
      expect(new Set(a).size).toBeGreaterThan(1); // not a saturated, constant output
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.round(Math.abs(a[i] - b[i]) / 0.05));
    }
    console.log(`synthetic model: TFLite and ONNX outputs differ by at most ${worst} output step(s)`);
    expect(worst).toBeLessThanOrEqual(2);
  });

  it("names the operator it cannot export", () => {
    const model = syntheticModel(1);
    model.subgraphs[0].operators[5] = { ...model.subgraphs[0].operators[5], op: "SOFTMAX" };
    expect(() => tfliteToOnnx(model)).toThrow(UnsupportedError);
    expect(() => tfliteToOnnx(model)).toThrow(/op 5 \(SOFTMAX\)/);
  });

  it.skipIf(!existsSync(DIR))("1000 mutated TFLite files: each exports to a file dyad loads back, or fails with a DyadError", async () => {
    const d = await dyad();
    const src = new Uint8Array(readFileSync(new URL("../hello_world/hello_world_int8.tflite", DIR)));
    const r = rng(4242);
    const outcomes = { exported: 0, rejected: 0 };
    for (let i = 0; i < 1000; i++) {
      const bytes = src.slice();
      for (let f = 1 + Math.floor(r() * 6); f > 0; f--) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8);
      let onnx: Uint8Array;
      try {
        onnx = tfliteToOnnx(bytes);
      } catch (e) {
        if (!(e instanceof DyadError)) throw new Error(`mutation ${i} raised ${(e as Error).name}: ${(e as Error).message}`);
        outcomes.rejected++;
        continue;
      }
      outcomes.exported++;
      // What exports must load back (or be refused by name): never a crash in dyad's own importer.
      try {
        d.loadModel(onnx).dispose();
      } catch (e) {
        if (!(e instanceof DyadError)) throw new Error(`mutation ${i}: the exported file raised ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    console.log(`mutated exports: ${outcomes.exported} exported, ${outcomes.rejected} rejected`);
    expect(outcomes.exported + outcomes.rejected).toBe(1000);
    expect(outcomes.rejected).toBeGreaterThan(25);
    expect(d.memory.usedBytes).toBe(0);
  });
});
