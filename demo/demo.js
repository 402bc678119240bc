// The demo page's logic: load dyad (the browser bundle, the wasm by its default URL), a model, an input; run
// with the per-operator profile; show the top classes (or the value) and a bar per operator type; for TFLite
// models, the same model with simulated quantization (float arithmetic, fake-quantized tensors) beside the
// integer-only run, and how their output codes differ.

import { Dyad, tfliteToOnnx, parseTflite, simulateTflite } from "../dist/browser.bundle.js";

const $ = (id) => document.getElementById(id);
const CORPORA = "/shared/corpora/tflm";
const status = (text, error = false) => { $("status").textContent = text; $("status").className = error ? "error" : ""; };

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** An image file as the model's int8 NCHW input (resized to the input's H x W, quantized with its parameters). */
async function imageInput(file, info) {
  const [, c, h, w] = info.shape;
  const bitmap = await createImageBitmap(file);
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0, w, h);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const out = new Int8Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) {
    // Pixels in [-1, 1], MobileNetV2's float input range, then quantized.
    const v = rgba[i * 4 + ch] / 127.5 - 1;
    out[ch * h * w + i] = Math.max(-128, Math.min(127, Math.round(v / info.scale) + info.zeroPoint));
  }
  return out;
}

function show(which, title, model, input) {
  const times = new Map();
  const t0 = performance.now();
  const [y] = model.run([input], { profile: (op, _i, ms) => times.set(op, (times.get(op) ?? 0) + ms) });
  const total = performance.now() - t0;
  $(`title-${which}`).textContent = `${title}: ${total.toFixed(1)} ms`;
  const data = y.data;
  if (data.length > 1) {
    const top = Array.from(data.keys()).sort((a, b) => data[b] - data[a] || a - b).slice(0, 5);
    $(`result-${which}`).innerHTML = `<table>${top.map((k, r) => `<tr><td>${r + 1}.</td><td>class <b class="class">${k}</b></td><td>score ${data[k]}</td><td>${k >= 151 && k <= 268 ? "a dog" : ""}</td></tr>`).join("")}</table>`;
  } else {
    const real = y.scale === null ? data[0] : (data[0] - y.zeroPoint) * y.scale;
    $(`result-${which}`).innerHTML = `output <b class="class">${data[0]}</b> (${real.toFixed(4)})`;
  }
  const max = Math.max(...times.values());
  $(`ops-${which}`).innerHTML = `<table>${[...times].sort((a, b) => b[1] - a[1]).map(([op, ms]) => `<tr><td>${op}</td><td><span class="bar" style="width:${(12 * ms / max).toFixed(2)}em"></span> ${ms.toFixed(2)} ms</td></tr>`).join("")}</table>`;
  return top1(data);
}

const top1 = (data) => Array.from(data.keys()).reduce((a, b) => (data[b] > data[a] ? b : a), 0);

/** Simulated quantization of a TFLite model next to the integer run: top classes and the codes' differences. */
function showSimulated(bytes, input, intOutput) {
  const t0 = performance.now();
  const [sim] = simulateTflite(parseTflite(bytes), [input]);
  const ms = performance.now() - t0;
  $("title-c").textContent = `Simulated quantization (float, fake-quant): ${ms.toFixed(0)} ms`;
  let same = 0, largest = 0;
  sim.forEach((v, i) => { const d = Math.abs(v - intOutput[i]); if (d === 0) same++; largest = Math.max(largest, d); });
  const top = Array.from(sim.keys()).sort((a, b) => sim[b] - sim[a] || a - b).slice(0, sim.length > 1 ? 5 : 1);
  $("result-c").innerHTML = (sim.length > 1
    ? `<table>${top.map((k, r) => `<tr><td>${r + 1}.</td><td>class <b class="class">${k}</b></td><td>score ${sim[k]}</td><td>${k >= 151 && k <= 268 ? "a dog" : ""}</td></tr>`).join("")}</table>`
    : `output <b class="class">${sim[0]}</b>`)
    + `<p id="agreement">Against the integer-only run: ${same} of ${sim.length} output codes equal, the largest difference ${largest}; top class ${top1(sim) === top1(intOutput) ? "the same" : "different"}.</p>`;
  $("panel-c").hidden = false;
}

async function run(dyad) {
  status("Running...");
  $("panel-b").hidden = true;
  $("panel-c").hidden = true;
  const file = $("file").files[0];
  let bytes, input;
  if (file) {
    bytes = new Uint8Array(await file.arrayBuffer());
  } else if ($("model").value === "hello") {
    bytes = await fetchBytes(`${CORPORA}/hello_world/hello_world_int8.tflite`);
  } else {
    bytes = await fetchBytes(`${CORPORA}/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite`);
  }
  const model = dyad.loadModel(bytes);
  const info = model.inputs[0];
  if ($("image").files[0] && info.shape.length === 4) input = await imageInput($("image").files[0], info);
  else if (!file && $("model").value === "mobilenet") input = new Int8Array((await fetchBytes(`${CORPORA}/mobilenet_v2/dog_input_int8_nchw.bin`)).buffer);
  else input = new (info.dtype === "uint8" ? Uint8Array : info.dtype === "int16" ? Int16Array : info.dtype === "float32" ? Float32Array : Int8Array)(info.shape.reduce((a, b) => a * b, 1)).fill(info.dtype === "float32" ? 0.5 : 37);
  const label = file ? file.name : $("model").selectedOptions[0].textContent;
  const format = new TextDecoder().decode(bytes.subarray(4, 8)) === "TFL3" ? "TFLite" : "ONNX";
  const first = show("a", `${label} (${format})`, model, input);
  const intOutput = model.run([input])[0].data;
  model.dispose();
  if (format === "TFLite") showSimulated(bytes, input, intOutput);
  if (!file && $("model").value === "mobilenet") {
    const onnx = dyad.loadModel(tfliteToOnnx(bytes));
    show("b", "The same model exported to ONNX", onnx, input);
    onnx.dispose();
    $("panel-b").hidden = false;
  }
  status(`Done: top class ${first}.`);
  document.body.dataset.done = String(first);
}

try {
  const dyad = await Dyad.load();
  status(`dyad loaded (${dyad.kernels.length} kernels). Choose a model and press Run.`);
  $("run").onclick = () => run(dyad).catch((e) => status(`${e.name}: ${e.message}`, true));
} catch (e) {
  status(`${e.name}: ${e.message}`, true);
}
