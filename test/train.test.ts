// The trainer: gradients against finite differences, then a reduced end-to-end run on Fashion-MNIST (a subset,
// one epoch): float training, ONNX export run by dyad, post-training quantization run integer-only (and
// identically in onnxruntime-web), and a few steps of quantization-aware training, with accuracies a broken
// pipeline could not reach.

import { describe, it, expect } from "vitest";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Network } from "../src/train/model.js";
import { softmaxCrossEntropy } from "../src/train/layers.js";
import { loadIdxFile } from "../src/node.js";
import { quantizeOnnx } from "../src/quant/ptq.js";
import { dyad, rng } from "./helpers.js";
import { expectSameAsOrt } from "./onnx/ort-compare.js";

const DATA = fileURLToPath(new URL("../../shared/data/fashion-mnist", import.meta.url));

describe("gradients", () => {
  it("equal finite differences for conv, relu, max pool, dense and softmax cross-entropy", () => {
    const net = new Network([2, 6, 6], [{ conv: 3 }, "relu", "maxpool", "flatten", { dense: 4 }], 3);
    const r = rng(5);
    const batch = 2, x = Float32Array.from({ length: batch * 72 }, () => r() * 2 - 1), labels = [1, 3];
    const loss = () => softmaxCrossEntropy(net.forward(x, batch), labels, batch, 4).loss;
    // Analytic gradients (without updating: a zero learning rate).
    net.trainBatch(x, labels, batch, { kind: "sgd", lr: 0, momentum: 0 });
    let checked = 0;
    for (const p of net.params()) {
      for (const i of [0, 1, Math.floor(p.value.length / 2), p.value.length - 1]) {
        const keep = p.value[i], h = 1e-2;
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

describe.skipIf(!existsSync(DATA))("Fashion-MNIST, reduced: train, export, quantize (PTQ and QAT)", () => {
  it("reaches accuracies a broken pipeline could not, float and integer-only", async () => {
    const d = await dyad();
    const [ti, tl, vi, vl] = await Promise.all(["train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"].map((f) => loadIdxFile(`${DATA}/${f}-ubyte.gz`)));
    const N = 3000, T = 1000;
    const x = Float32Array.from(ti.data.subarray(0, N * 784), (v) => v / 255), y = tl.data.subarray(0, N);
    const xt = Float32Array.from(vi.data.subarray(0, T * 784), (v) => v / 255), yt = vl.data.subarray(0, T);
    const accuracy = (p: ArrayLike<number>) => Array.from(p).filter((c, i) => c === yt[i]).length / T;
    const net = new Network([1, 28, 28], [{ conv: 8 }, "relu", "maxpool", { conv: 16 }, "relu", "maxpool", "flatten", { dense: 10 }], 1);
    const losses = net.fit(x, y, { epochs: 1, batch: 32, optimizer: { kind: "adam", lr: 2e-3 } });
    expect(losses[0]).toBeLessThan(1.2);
    const floatAcc = accuracy(net.predict(xt, T));
    expect(floatAcc).toBeGreaterThan(0.72); // chance is 0.1

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

    // QAT: W4A4 fake quantization, fine-tuned from the float weights for 60 steps.
    net.setQuantization(4, 4);
    const before = accuracy(net.predict(xt, T));
    net.fit(x, y, { epochs: 1, batch: 32, steps: 60, optimizer: { kind: "adam", lr: 5e-4 } });
    const after = accuracy(net.predict(xt, T));
    expect(after).toBeGreaterThan(0.6);
    expect(after).toBeGreaterThanOrEqual(before - 0.02);
    console.log(`Fashion-MNIST reduced: float ${floatAcc}, dyad float ${accuracy(dyadFloat)}, PTQ W8A8 ${int8Acc}, QAT W4A4 ${before} -> ${after}`);
  }, 120_000);
});
