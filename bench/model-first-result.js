// One cold start, in its own process (spawned by bench/models.js): import the engine, load a model file, run
// it once. Prints JSON: milliseconds from this script's start to the engine being ready, to the model being
// loaded and to the first result, and the process RSS after it. A fresh process per measurement is the only
// honest "time to first result": in the bench's own process both engines are already compiled and warm.
//
// usage: node bench/model-first-result.js dyad|ort <model.onnx> <input.bin> <dtype> <dims,comma,separated>

import { readFileSync } from "node:fs";

const t0 = performance.now();
const [engine, modelFile, inputFile, dtype, dimsText] = process.argv.slice(2);
const dims = dimsText.split(",").map(Number);
const raw = readFileSync(inputFile);
const buffer = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length);
const input = dtype === "int8" ? new Int8Array(buffer) : dtype === "uint8" ? new Uint8Array(buffer) : new Float32Array(buffer);
const bytes = new Uint8Array(readFileSync(modelFile));

let ready, loaded, output;
if (engine === "dyad") {
  const { loadDyad } = await import("../dist/node.bundle.js"); // what `import "dyad/node"` loads
  const dyad = await loadDyad();
  ready = performance.now();
  const model = dyad.loadModel(bytes);
  loaded = performance.now();
  output = model.run([input])[0].data;
} else {
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  ready = performance.now(); // onnxruntime-web compiles its wasm inside the first create()
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  loaded = performance.now();
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor(dtype, input, dims) });
  output = Object.values(out)[0].data;
}
const done = performance.now();
let hash = 0;
for (const v of output) hash = (Math.imul(hash, 31) + Number(v)) | 0;
console.log(JSON.stringify({
  engine, readyMs: ready - t0, loadMs: loaded - ready, firstRunMs: done - loaded, firstResultMs: done - t0,
  rssMiB: process.memoryUsage().rss / 2 ** 20, outputHash: hash,
}));
