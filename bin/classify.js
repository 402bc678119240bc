// `dyad classify`: an image classifier over IDX files (MNIST / Fashion-MNIST format), integer-only. The
// default — what `npm start` runs — is the committed Fashion-MNIST model (models/fashion-mnist-w8a8.onnx,
// trained and quantized by `npm run experiment`) on the 10,000 test images of ../shared/data/fashion-mnist,
// or on the 100 bundled in data/fashion-mnist-sample when that is not there.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadDyad, loadIdxFile } from "../dist/node.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DEFAULT_MODEL = `${ROOT}models/fashion-mnist-w8a8.onnx`;
const DATA_DIRS = [`${ROOT}../shared/data/fashion-mnist`, `${ROOT}data/fashion-mnist-sample`];
const FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/**
 * `values`/`positionals` as the CLI parsed them ([model] --images --labels --limit --json); usage(message)
 * exits with a usage error, fail(message) with a model or input error, readModel(file) reads a model file.
 */
export async function classify({ values, positionals }, { fail, usage, readModel }) {
  const file = positionals[0] ?? DEFAULT_MODEL;
  let images = values.images, labels = values.labels;
  if (!images) {
    const dir = DATA_DIRS.find((d) => existsSync(`${d}/t10k-images-idx3-ubyte.gz`));
    if (!dir) fail("classify: no --images, and neither ../shared/data/fashion-mnist nor data/fashion-mnist-sample is there");
    images = `${dir}/t10k-images-idx3-ubyte.gz`;
    labels ??= `${dir}/t10k-labels-idx1-ubyte.gz`;
  }
  const limit = Number(values.limit ?? Infinity);
  if (!(limit >= 1)) usage("--limit needs a positive number");

  const t0 = performance.now();
  const dyad = await loadDyad();
  const model = dyad.loadModel(await readModel(file));
  const loadMs = performance.now() - t0;
  const idx = await loadIdxFile(images);
  if (idx.dims.length !== 3) fail(`classify: ${images} must hold images [count, rows, cols], got dims [${idx.dims}]`);
  const [count0, rows, cols] = idx.dims;
  const input = model.inputs[0];
  const size = input.shape.reduce((a, b) => a * b, 1);
  if (model.inputs.length !== 1 || input.dtype !== "float32" || size !== rows * cols || input.shape[0] !== 1) {
    fail(`classify: the model's input ${input.name} is ${input.dtype} [${input.shape}]; the images are [${rows}, ${cols}] (fed as pixel / 255 in a batch of 1)`);
  }
  const truth = labels ? (await loadIdxFile(labels)).data : null;
  if (truth && truth.length < count0) fail(`classify: ${labels} has ${truth.length} labels for ${count0} images`);
  const count = Math.min(count0, limit);
  const classes = model.outputs[0].shape.reduce((a, b) => a * b, 1);
  const names = classes === 10 && file === DEFAULT_MODEL ? FASHION : Array.from({ length: classes }, (_, i) => `class ${i}`);

  // Operators the model runs (one profiled image), then every image timed on its own.
  const x = new Float32Array(size);
  const fill = (i) => { for (let k = 0; k < size; k++) x[k] = idx.data[i * size + k] / 255; };
  fill(0);
  const ops = [];
  model.run([x], { profile: (op) => ops.push(op) });
  const pred = new Int32Array(count), times = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    fill(i);
    const t = performance.now();
    const y = model.run([x])[0].data;
    times[i] = performance.now() - t;
    let best = 0;
    for (let c = 1; c < y.length; c++) if (y[c] > y[best]) best = c;
    pred[i] = best;
  }
  model.dispose();
  times.sort();
  const median = times[count >> 1], p90 = times[Math.floor(count * 0.9)];
  const correct = truth ? pred.reduce((a, p, i) => a + (p === truth[i] ? 1 : 0), 0) : null;
  // Integer ops and moves of 8-bit data (TRANSPOSE is the NCHW -> NHWC layout pass's); anything else is float.
  const floatOps = ops.filter((op) => !/^(Q|MatMulInteger|ConvInteger|MaxPool|Flatten|Reshape|TRANSPOSE|DequantizeLinear$)/.test(op));

  if (values.json) {
    console.log(JSON.stringify({ model: file, images, count, accuracy: truth ? correct / count : null, medianMs: median, p90Ms: p90, loadMs, ops }));
    return;
  }
  console.log(`model ${file.startsWith(ROOT) ? file.slice(ROOT.length) : file}: loaded in ${loadMs.toFixed(1)} ms; runs ${ops.join(" -> ")}`);
  console.log(floatOps.length ? `float operators: ${floatOps.join(", ")}` : "integer-only: every layer runs on integers (the input is quantized once, the logits dequantized once)");
  console.log(`images ${images.startsWith(ROOT) ? images.slice(ROOT.length) : images}: ${count} of ${count0}`);
  if (truth) {
    console.log(`accuracy ${(100 * correct / count).toFixed(2)}% (${correct} / ${count})`);
    const per = names.map((name, c) => {
      let n = 0, ok = 0;
      for (let i = 0; i < count; i++) if (truth[i] === c) { n++; if (pred[i] === c) ok++; }
      return n ? `${name} ${(100 * ok / n).toFixed(0)}%` : null;
    }).filter(Boolean);
    console.log(`per class: ${per.join(", ")}`);
  }
  console.log(`latency per image (batch 1, one thread): median ${(median * 1000).toFixed(0)} µs, p90 ${(p90 * 1000).toFixed(0)} µs`);
  const show = Math.min(count, 8);
  console.log(`first ${show}: ${Array.from(pred.subarray(0, show), (p, i) => `${names[p]}${truth ? (p === truth[i] ? " ✓" : ` ✗ (${names[truth[i]]})`) : ""}`).join("; ")}`);
}
