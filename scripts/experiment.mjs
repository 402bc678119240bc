// `npm run experiment`: the survey's findings reproduced on Fashion-MNIST with dyad's own code. Trains a small
// CNN in float32 (dyad's trainer on its f32 GEMM), quantizes it post-training (every calibration method,
// per-tensor / per-channel / group-wise weights, 8/4/2 bits) and with quantization-aware training (STE and
// LSQ), then measures every model on the 10,000 test images with dyad's integer-only engine: accuracy, model
// bytes, latency per image, agreement with simulated (fake) quantization, and onnxruntime-web's accuracy on
// the same file. Writes docs/experiments/fashion-mnist.{md,json,svg} and the committed model
// (models/fashion-mnist-w8a8.onnx, the default of `npm start`).
//
//   node scripts/experiment.mjs [--data DIR] [--out DIR] [--models DIR] [--quick]
//   node scripts/experiment.mjs --render     (rewrites the .md and .svg from the committed .json)
//
// --quick: 6,000 training images, one epoch, 1,000 test images (a smoke run; nothing committed is written
// unless --out/--models say where).

import { mkdir, writeFile, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import * as ort from "onnxruntime-web";
import { loadDyad, loadIdxFile, quantizeOnnx, Network } from "../dist/node.js";
import { renderReport, renderChart } from "./experiment-report.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const quick = args.includes("--quick");
if (args.includes("--render")) {
  const dir = option("--out", `${root}docs/experiments`);
  const result = JSON.parse(await readFile(`${dir}/fashion-mnist.json`, "utf8"));
  await writeFile(`${dir}/fashion-mnist.svg`, renderChart(result));
  await writeFile(`${dir}/fashion-mnist.md`, renderReport(result));
  console.log(`rendered ${dir}/fashion-mnist.{md,svg} from its .json`);
  process.exit(0);
}
const dataDir = option("--data", process.env.DYAD_FASHION_MNIST ?? `${root}../shared/data/fashion-mnist`);
const outDir = option("--out", quick ? null : `${root}docs/experiments`);
const modelDir = option("--models", quick ? null : `${root}models`);
if (!existsSync(`${dataDir}/train-images-idx3-ubyte.gz`) && !existsSync(`${dataDir}/train-images-idx3-ubyte`)) {
  console.error(`experiment: no Fashion-MNIST in ${dataDir} (give --data DIR; Debian's dataset-fashion-mnist package has the files)`);
  process.exit(2);
}
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const log = (s) => console.log(`[${elapsed().padStart(6)}] ${s}`);

// ---- data ----
const idx = async (name) => loadIdxFile(existsSync(`${dataDir}/${name}.gz`) ? `${dataDir}/${name}.gz` : `${dataDir}/${name}`);
const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
  ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"].map(idx));
const TRAIN = quick ? 6000 : trainLabels.data.length, TEST = quick ? 1000 : testLabels.data.length, PIXELS = 784;
const x = Float32Array.from(trainImages.data.subarray(0, TRAIN * PIXELS), (v) => v / 255);
const y = trainLabels.data.subarray(0, TRAIN);
const xt = Float32Array.from(testImages.data.subarray(0, TEST * PIXELS), (v) => v / 255);
const yt = testLabels.data.subarray(0, TEST);
const image = (i) => xt.subarray(i * PIXELS, (i + 1) * PIXELS);
log(`Fashion-MNIST from ${dataDir}: ${TRAIN} training, ${TEST} test images`);

const dyad = await loadDyad();

// ---- float training ----
const ARCH = [{ conv: 16 }, "relu", "maxpool", { conv: 32 }, "relu", "maxpool", "flatten", { dense: 10 }];
const SCHEDULE = quick ? [2e-3] : [2e-3, 2e-3, 1e-3, 5e-4, 2.5e-4, 1.25e-4];
const net = new Network([1, 28, 28], ARCH, 1, dyad);
const accuracy = (pred) => { let ok = 0; for (let i = 0; i < TEST; i++) if (pred[i] === yt[i]) ok++; return ok / TEST; };
const trainerAccuracy = (n) => accuracy(n.predict(xt, TEST));
const trainLog = [];
SCHEDULE.forEach((lr, epoch) => {
  const t0 = performance.now();
  const [loss] = net.fit(x, y, { epochs: 1, batch: 64, seed: 7 + epoch, optimizer: { kind: "adam", lr } });
  trainLog.push({ epoch: epoch + 1, lr, loss, seconds: (performance.now() - t0) / 1000 });
  log(`float epoch ${epoch + 1}/${SCHEDULE.length} (lr ${lr}): loss ${loss.toFixed(4)}, ${(performance.now() - t0) / 1000 | 0} s`);
});
const floatOnnx = net.toOnnx();
const snapshot = net.params().map((p) => Float32Array.from(p.value));
const restoreFloat = (n) => n.params().forEach((p, i) => p.value.set(snapshot[i]));

// Per layer: its weights alone on a 4-bit grid per tensor vs per channel (everything else float, in the
// trainer), and how far apart its channels' ranges are (largest / smallest max|w| of a channel).
const layerStudy = [];
for (const [index, layer] of net.layers.entries()) {
  if (layer.kind !== "Conv" && layer.kind !== "Dense") continue;
  const w = layer.weight.value, channels = layer.weight.channels, inner = w.length / channels;
  const amax = Array.from({ length: channels }, (_, c) => w.subarray(c * inner, (c + 1) * inner).reduce((a, v) => Math.max(a, Math.abs(v)), 0));
  const entry = { layer: `${layer.kind} ${layer.kind === "Conv" ? `${layer.cin}->${layer.cout}` : `${layer.inputs}->${layer.outputs}`}`, channelSpread: Math.max(...amax) / Math.min(...amax) };
  for (const mode of ["tensor", "channel"]) {
    const probe = new Network([1, 28, 28], ARCH, 1, dyad);
    probe.params().forEach((p, i) => p.value.set(snapshot[i]));
    const target = probe.layers[index].weight.value;
    let signal = 0, noise = 0;
    target.forEach((v, i) => {
      const step = (mode === "tensor" ? Math.max(...amax) : amax[Math.floor(i / inner)]) / 7;
      const q = step * Math.max(-7, Math.min(7, Math.round(v / step)));
      signal += v * v; noise += (v - q) ** 2;
      target[i] = q;
    });
    entry[mode] = { accuracy: trainerAccuracy(probe), sqnrDb: 10 * Math.log10(signal / noise) };
  }
  layerStudy.push(entry);
  log(`W4 ${entry.layer}: channel ranges spread x${entry.channelSpread.toFixed(2)}; per-tensor ${entry.tensor.accuracy} (${entry.tensor.sqnrDb.toFixed(1)} dB), per-channel ${entry.channel.accuracy} (${entry.channel.sqnrDb.toFixed(1)} dB)`);
}

// Calibration: 512 training images (every 117th; the test set is never seen).
const CALIB = 512;
const calibration = Array.from({ length: CALIB }, (_, i) => { const k = (i * 117) % TRAIN; return [Float32Array.from(x.subarray(k * PIXELS, (k + 1) * PIXELS))]; });

// ---- measuring a model ----
const argmax = (v) => { let b = 0; for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i; return b; };
function predictDyad(model) {
  const pred = new Int32Array(TEST), times = new Float64Array(TEST);
  for (let i = 0; i < TEST; i++) {
    const t0 = performance.now();
    const out = model.run([image(i)])[0].data;
    times[i] = performance.now() - t0;
    pred[i] = argmax(out);
  }
  times.sort();
  return { pred, medianMs: times[TEST >> 1] };
}
async function predictOrt(bytes) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const pred = new Int32Array(TEST);
  for (let i = 0; i < TEST; i++) {
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from(image(i)), [1, 1, 28, 28]) });
    pred[i] = argmax(out.logits.data);
  }
  await session.release();
  return pred;
}
const agreement = (a, b) => { let same = 0; for (let i = 0; i < TEST; i++) if (a[i] === b[i]) same++; return same / TEST; };

const rows = [];
async function measure(row, bytes, packedBytes) {
  const t0 = performance.now();
  const integer = dyad.loadModel(bytes);
  const ops = [];
  integer.run([image(0)], { profile: (op) => ops.push(op) });
  const { pred, medianMs } = predictDyad(integer);
  integer.dispose();
  let agree = null;
  if (row.kind !== "fp32" && row.kind !== "dynamic") {
    const simulated = dyad.loadModel(bytes, { simulate: true });
    agree = agreement(pred, predictDyad(simulated).pred);
    simulated.dispose();
  }
  const ortPred = await predictOrt(bytes);
  const r = {
    ...row, accuracy: accuracy(pred), ortAccuracy: accuracy(ortPred), ortAgreement: agreement(pred, ortPred), agreement: agree,
    fileBytes: bytes.length, packedBytes, latencyMs: medianMs, ops: [...new Set(ops)],
  };
  rows.push(r);
  log(`${row.label.padEnd(38)} acc ${r.accuracy.toFixed(4)}  ort ${r.ortAccuracy.toFixed(4)}  agree ${agree === null ? "  -   " : agree.toFixed(4)}  ${packedBytes} B  ${medianMs.toFixed(3)} ms  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  return r;
}

// ---- fp32 ----
const floatParams = snapshot.reduce((a, p) => a + p.length, 0);
await measure({ kind: "fp32", label: "fp32", weightBits: 32, activationBits: 32 }, floatOnnx, floatParams * 4);

// ---- post-training quantization ----
const METHODS = ["minmax", "percentile", "kl", "mse"];
const ptq = async (wb, ab, granularity, method, extra = {}) => {
  const { model, report } = quantizeOnnx(dyad, floatOnnx, { calibration, method, weightBits: wb, activationBits: ab, granularity, ...extra });
  const gran = granularity.startsWith("group:") ? `group of ${granularity.slice(6)}` : `per-${granularity}`;
  return { row: await measure({ kind: "ptq", label: `PTQ W${wb}A${ab} ${gran}, ${method}`, weightBits: wb, activationBits: ab, granularity, method, weightSqnrDb: report.weightSqnrDb }, model, report.packedBytes), model };
};
let committed = null;
for (const granularity of ["tensor", "channel"]) {
  for (const method of METHODS) {
    const { model } = await ptq(8, 8, granularity, method);
    if (granularity === "channel" && method === "minmax") committed = model;
  }
}
for (const granularity of ["tensor", "channel", "group:16"]) await ptq(4, 8, granularity, "minmax");
for (const method of METHODS) await ptq(4, 4, "channel", method);
for (const granularity of ["channel", "group:16"]) await ptq(2, 8, granularity, "minmax");
{
  // Dynamic quantization: activation ranges per image at run time (no calibration).
  const { model, report } = quantizeOnnx(dyad, floatOnnx, { activations: "dynamic", weightBits: 8, granularity: "channel" });
  await measure({ kind: "dynamic", label: "PTQ W8A8 per-channel, dynamic activations", weightBits: 8, activationBits: 8, granularity: "channel", method: "dynamic", weightSqnrDb: report.weightSqnrDb }, model, report.packedBytes);
}

// ---- quantization-aware training, fine-tuned from the float weights ----
const EPOCH_STEPS = quick ? 100 : 940; // one epoch of 60,000 at batch 64
// 4 bits: one epoch at 2e-4; 2-bit weights move further from the float ones: two epochs, 5e-4 then 1.25e-4.
const QAT_SCHEDULE = { 4: [2e-4], 2: [5e-4, 1.25e-4] };
const qat = async (wb, ab, learnStep) => {
  const q = new Network([1, 28, 28], ARCH, 1, dyad);
  q.params().forEach((p, i) => p.value.set(snapshot[i]));
  q.setQuantization(wb, ab, { learnStep });
  const before = trainerAccuracy(q);
  const t0 = performance.now();
  QAT_SCHEDULE[wb].forEach((lr, e) => q.fit(x, y, { epochs: 1, batch: 64, seed: 99 + e, steps: EPOCH_STEPS, optimizer: { kind: "adam", lr } }));
  const QAT_STEPS = EPOCH_STEPS * QAT_SCHEDULE[wb].length;
  const seconds = (performance.now() - t0) / 1000;
  const fake = trainerAccuracy(q);
  const { model, report } = quantizeOnnx(dyad, q.toOnnx(), { calibration, method: "minmax", weightBits: wb, activationBits: ab, granularity: "channel", ranges: q.activationRanges() });
  const name = learnStep ? "LSQ" : "STE";
  log(`QAT W${wb}A${ab} ${name}: fake-quant accuracy ${before.toFixed(4)} -> ${fake.toFixed(4)} in ${QAT_STEPS} steps (${seconds.toFixed(0)} s)`);
  await measure({ kind: "qat", label: `QAT W${wb}A${ab} per-channel, ${name}`, weightBits: wb, activationBits: ab, granularity: "channel", method: name, weightSqnrDb: report.weightSqnrDb, qat: { steps: QAT_STEPS, schedule: QAT_SCHEDULE[wb], seconds, trainerBefore: before, trainerAfter: fake } }, model, report.packedBytes);
};
await qat(4, 4, false);
await qat(4, 4, true);
await qat(2, 8, false);
await qat(2, 8, true);

const result = {
  date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model,
  train: TRAIN, test: TEST, calibration: CALIB, architecture: ARCH, float: { schedule: SCHEDULE, epochs: trainLog, parameters: floatParams, accuracy: trainerAccuracy(net) }, layerStudy,
  rows, seconds: (performance.now() - started) / 1000,
};
log(`done in ${elapsed()}`);
if (outDir) {
  await mkdir(outDir, { recursive: true });
  await writeFile(`${outDir}/fashion-mnist.json`, JSON.stringify(result, null, 1) + "\n");
  await writeFile(`${outDir}/fashion-mnist.svg`, renderChart(result));
  await writeFile(`${outDir}/fashion-mnist.md`, renderReport(result));
  log(`wrote ${outDir}/fashion-mnist.{md,json,svg}`);
}
if (modelDir && committed) {
  await mkdir(modelDir, { recursive: true });
  await writeFile(`${modelDir}/fashion-mnist-w8a8.onnx`, committed);
  await writeFile(`${modelDir}/fashion-mnist-fp32.onnx`, floatOnnx);
  log(`wrote ${modelDir}/fashion-mnist-w8a8.onnx (${committed.length} bytes) and the float model it came from, fashion-mnist-fp32.onnx (${floatOnnx.length} bytes)`);
}
