// The conformance subset every JavaScript runtime must compute identically (issue: runs everywhere): the
// seanet 16x8 cases, hello_world_int8, MobileNetV2 int8 on the dog image (TFLite, and the ONNX file dyad
// exports from it). Prints one JSON object:
// runtime name and version, and per case the FNV-1a hash and length of the output bytes. Plain ESM on the
// built bundle, runnable by Node, Deno (--allow-read) and Bun alike.
//
// usage: <runtime> test/runtimes/subset.mjs <path to ../shared/corpora/tflm>

import { readFileSync, readdirSync, existsSync } from "node:fs";
import { loadDyad, tfliteToOnnx } from "../../dist/node.bundle.js";

const corpora = (typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2))[0];
const dyad = await loadDyad();
const results = {};

function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}
function record(name, data) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  results[name] = `${fnv1a(bytes)}:${bytes.length}`;
}
const csv = (file) => Int16Array.from(readFileSync(file, "utf8").trim().split(/[,\s]+/).map(Number));

const seanet = `${corpora}/seanet`;
if (existsSync(seanet)) {
  for (const family of readdirSync(seanet).sort()) {
    for (const file of readdirSync(`${seanet}/${family}`).filter((f) => f.endsWith(".tflite")).sort()) {
      const name = file.replace(".tflite", "");
      const model = dyad.loadModel(new Uint8Array(readFileSync(`${seanet}/${family}/${file}`)));
      const inputs = model.inputs.map((_, i) => csv(`${seanet}/${family}/${name}_input${i}_int16.csv`));
      record(`seanet/${family}/${name}`, model.run(inputs)[0].data);
      model.dispose();
    }
  }
}

const hello = `${corpora}/hello_world/hello_world_int8.tflite`;
if (existsSync(hello)) {
  const model = dyad.loadModel(new Uint8Array(readFileSync(hello)));
  record("hello_world", Int8Array.from([-128, -63, 0, 64, 127], (q) => model.run([Int8Array.of(q)])[0].data[0]));
  model.dispose();
}

const mobilenet = `${corpora}/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite`;
if (existsSync(mobilenet)) {
  const bytes = new Uint8Array(readFileSync(mobilenet));
  const raw = readFileSync(`${corpora}/mobilenet_v2/dog_input_int8_nchw.bin`);
  const input = new Int8Array(raw.buffer, raw.byteOffset, raw.length);
  for (const [name, file] of [["mobilenet_v2", bytes], ["mobilenet_v2_onnx", tfliteToOnnx(bytes)]]) {
    const model = dyad.loadModel(file);
    const out = model.run([input])[0].data;
    record(name, out);
    results[`${name}_top5`] = Array.from(out.keys()).sort((a, b) => out[b] - out[a] || a - b).slice(0, 5).join(",");
    model.dispose();
  }
}

const runtime = typeof Deno !== "undefined" ? `deno ${Deno.version.deno}` : typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.versions.node}`;
console.log(JSON.stringify({ runtime, results }));
