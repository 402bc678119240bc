// The conformance subset every JavaScript runtime must compute identically (the seanet 16x8 cases, the ONNX
// conformance cases dyad runs, hello_world_int8, MobileNetV2 int8 on the dog image as TFLite and as the ONNX file dyad exports; the
// computation is subset-core.mjs). Prints one JSON object: the runtime's name and version and the results.
// Plain ESM on the built Node bundle, runnable by Node, Deno (--allow-read) and Bun alike. `build` says
// whether the relaxed-SIMD build was chosen (it is wherever the engine passes the known-answer probe).
//
// usage: <runtime> test/runtimes/subset.mjs <path to ../shared/corpora/tflm>

import { readFileSync, readdirSync, existsSync } from "node:fs";
import { loadDyad, tfliteToOnnx, QTensor, dynamicQuantizeLinear, decodeOnnxModel, decodeOnnxTensor } from "../../dist/node.bundle.js";
import { runSubset } from "./subset-core.mjs";

const corpora = (typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2))[0];
const seanet = existsSync(`${corpora}/seanet`)
  ? readdirSync(`${corpora}/seanet`).sort().flatMap((family) => readdirSync(`${corpora}/seanet/${family}`)
    .filter((f) => f.endsWith(".tflite")).sort().map((f) => `${family}/${f.replace(".tflite", "")}`))
  : [];
const onnxRoot = `${corpora}/../onnx/node`;
const onnxCases = existsSync(onnxRoot)
  ? readdirSync(onnxRoot).sort().map((name) => ({ name, files: readdirSync(`${onnxRoot}/${name}/test_data_set_0`).sort() }))
  : [];
const dyad = await loadDyad();
const results = await runSubset(dyad, { tfliteToOnnx, QTensor, dynamicQuantizeLinear, decodeOnnxModel, decodeOnnxTensor }, {
  onnx: { cases: onnxCases, bytes: async (path) => new Uint8Array(readFileSync(`${onnxRoot}/${path}`)) },
  seanet,
  bytes: async (path) => (existsSync(`${corpora}/${path}`) ? new Uint8Array(readFileSync(`${corpora}/${path}`)) : null),
  text: async (path) => readFileSync(`${corpora}/${path}`, "utf8"),
});
const runtime = typeof Deno !== "undefined" ? `deno ${Deno.version.deno}` : typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.versions.node}`;
console.log(JSON.stringify({ runtime, build: dyad.build, results }));
