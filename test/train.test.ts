// The trainer: gradients against finite differences, then a reduced end-to-end run on Fashion-MNIST (a subset,
// one epoch): float training, ONNX export run by dyad, post-training quantization run integer-only (and
// identically in onnxruntime-web), and a few steps of quantization-aware training, with accuracies a broken
// pipeline could not reach.

import { describe, it, expect } from "vitest";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Network } from "../src/train/model.js";
import { softmaxCrossEntropy, FakeQuant } from "../src/train/layers.js";
import { loadIdxFile } from "../src/node.js";
import { quantizeOnnx } from "../src/quant/ptq.js";
import { dyad, rng } from "./helpers.js";
import { expectSameAsOrt } from "./onnx/ort-compare.js";

const DATA = fileURLToPath(new URL("../../shared/data/fashion-mnist", import.meta.url));

describe("gradients", () => {
  it.each([["plain loops", false, "maxpool"], ["dyad's float32 GEMM", true, "maxpool"], ["dyad's float32 GEMM", true, "avgpool"]] as const)("equal finite differences for conv, relu, pool, dense and softmax cross-entropy (%s, %s)", async (_, useEngine, pool) => {
    const net = new Network([2, 6, 6], [{ conv: 3 }, "relu", pool, "flatten", { dense: 4 }], 3, useEngine ? await dyad() : null);
    const r = rng(5);
    const batch = 2, x = Float32Array.from({ length: batch * 72 }, () => r() * 2 - 1), labels = [1, 3];
    const loss = () => softmaxCrossEntropy(net.forward(x, batch), labels, batch, 4).loss;
    // Analytic gradients (without updating: a zero learning rate).
    net.trainBatch(x, labels, batch, { kind: "sgd", lr: 0, momentum: 0 });
    let checked = 0;
    for (const p of net.params()) {
      for (const i of [0, 1, Math.floor(p.value.length / 2), p.value.length - 1]) {
        const keep = p.value[i], h = 1e-3;
        p.value[i] = keep + h; const up = loss();
        p.value[i] = keep - h; const down = loss();
        p.value[i] = keep;
        const numeric = (up - down) / (2 * h);
        expect(p.grad[i], `${p.name}[${i}]`).toBeCloseTo(numeric, 2);
        checked++;
      }
    }
    expect(checked).toBe(16);
  });
});

describe("fake quantization", () => {
  it("LSQ: the step's gradient is round(v/s) - v/s inside the range and qmax - z above it (Esser et al. 2019), scaled by 1/sqrt(features * qmax)", () => {
    const fq = new FakeQuant();
    fq.bits = 2;
    fq.learnStep = true;
    fq.forward(Float32Array.of(0, 3), 1, [2], true); // the first batch starts the step: (3 - 0) / 3 = 1, zero point 0
    expect(fq.step.value[0]).toBe(1);
    expect(fq.range()).toEqual({ min: 0, max: 3 });
    const y = fq.forward(Float32Array.of(0.4, 5), 1, [2], true);
    expect(Array.from(y)).toEqual([0, 3]);
    const dx = fq.backward(Float32Array.of(1, 1), 1);
    expect(Array.from(dx)).toEqual([1, 0]); // clipped straight-through: nothing passes above the range
    expect(fq.step.grad[0]).toBeCloseTo((Math.round(0.4) - 0.4 + 3) / Math.sqrt(2 * 3), 6);
    expect(fq.params()).toEqual([fq.step]);
  });
});

describe.skipIf(!existsSync(DATA))("Fashion-MNIST, reduced: train, export, quantize (PTQ and QAT)", () => {
  it("reaches accuracies a broken pipeline could not, float and integer-only", async () => {
    const d = await dyad();
    const [ti, tl, vi, vl] = await Promise.all(["train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"].map((f) => loadIdxFile(`${DATA}/${f}-ubyte.gz`)));
    const N = 6000, T = 1000; // 300 steps of 20 images
    const x = Float32Array.from(ti.data.subarray(0, N * 784), (v) => v / 255), y = tl.data.subarray(0, N);
    const xt = Float32Array.from(vi.data.subarray(0, T * 784), (v) => v / 255), yt = vl.data.subarray(0, T);
    const accuracy = (p: ArrayLike<number>) => Array.from(p).filter((c, i) => c === yt[i]).length / T;
    const net = new Network([1, 28, 28], [{ conv: 8 }, "relu", "maxpool", { conv: 16 }, "relu", "maxpool", "flatten", { dense: 10 }], 1, d);
    const losses = net.fit(x, y, { epochs: 1, batch: 20, optimizer: { kind: "adam", lr: 2e-3 } });
    expect(losses[0]).toBeLessThan(0.9);
    const floatAcc = accuracy(net.predict(xt, T));
    expect(floatAcc).toBeGreaterThan(0.8); // chance is 0.1

    // The exported float model in dyad predicts what the trainer does.
    const onnx = net.toOnnx();
    const model = d.loadModel(onnx);
    const sample = (i: number) => xt.subarray(i * 784, (i + 1) * 784);
    const predictWith = (m: ReturnType<typeof d.loadModel>) => Int32Array.from({ length: T }, (_, i) => {
      const logits = m.run([sample(i)])[0].data as Float32Array;
      return logits.indexOf(Math.max(...logits));
    });
    const dyadFloat = predictWith(model);
    model.dispose();
    expect(accuracy(dyadFloat)).toBeCloseTo(floatAcc, 2);

    // PTQ W8A8 (per channel, min/max) on 100 calibration images: integer-only within 2 points of float.
    const calibration = Array.from({ length: 100 }, (_, i) => [Float32Array.from(x.subarray(i * 784, (i + 1) * 784))]);
    const { model: int8 } = quantizeOnnx(d, onnx, { calibration, method: "minmax" });
    const q = d.loadModel(int8);
    const int8Acc = accuracy(predictWith(q));
    q.dispose();
    expect(int8Acc).toBeGreaterThan(floatAcc - 0.02);
    await expectSameAsOrt(int8, [{ name: "x", data: Float32Array.from(sample(0)), dims: [1, 1, 28, 28] }], { graphOptimizationLevel: "all" });

    // PTQ W4A8 per channel: still far above chance, a few points under float at most.
    const { model: w4 } = quantizeOnnx(d, onnx, { calibration, method: "minmax", weightBits: 4 });
    const q4 = d.loadModel(w4);
    const w4Acc = accuracy(predictWith(q4));
    q4.dispose();
    expect(w4Acc).toBeGreaterThan(floatAcc - 0.04);

    // QAT: W4A4 fake quantization, fine-tuned from the float weights for 60 steps, with the moving-average
    // ranges (STE) and with learned steps (LSQ); each exported through quantizeOnnx with the ranges it
    // learned, run integer-only: it predicts what the trainer's fake quantization did on nearly every image.
    const floatWeights = net.params().map((p) => Float32Array.from(p.value));
    const results: string[] = [];
    for (const learnStep of [false, true]) {
      const qat = new Network([1, 28, 28], [{ conv: 8 }, "relu", "maxpool", { conv: 16 }, "relu", "maxpool", "flatten", { dense: 10 }], 1, d);
      qat.params().forEach((p, i) => p.value.set(floatWeights[i]));
      qat.setQuantization(4, 4, { learnStep });
      const before = accuracy(qat.predict(xt, T));
      qat.fit(x, y, { epochs: 1, batch: 32, steps: 60, optimizer: { kind: "adam", lr: 5e-4 } });
      const fake = qat.predict(xt, T), after = accuracy(fake);
      expect(after).toBeGreaterThan(0.78);
      expect(after).toBeGreaterThanOrEqual(before - 0.02);
      const ranges = qat.activationRanges();
      expect(Object.keys(ranges).length).toBe(2); // the two ReLUs
      const { model: exported } = learnStep
        ? qat.toQuantizedOnnx(d, { calibration })
        : quantizeOnnx(d, qat.toOnnx(), { calibration, weightBits: 4, activationBits: 4, ranges });
      const qm = d.loadModel(exported);
      const integer = predictWith(qm);
      qm.dispose();
      const agree = Array.from(integer).filter((c, i) => c === fake[i]).length / T;
      expect(agree).toBeGreaterThan(0.95);
      expect(accuracy(integer)).toBeGreaterThan(after - 0.03);
      results.push(`QAT W4A4 ${learnStep ? "LSQ" : "STE"} ${before} -> ${after} (integer-only ${accuracy(integer)}, agreement ${agree})`);
    }
    console.log(`Fashion-MNIST reduced: float ${floatAcc}, dyad float ${accuracy(dyadFloat)}, PTQ W8A8 ${int8Acc}, W4A8 ${w4Acc}; ${results.join("; ")}`);
  }, 120_000);
});
