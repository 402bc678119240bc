import { readFileSync } from "node:fs";
import { loadDyad } from "./dist/node.js";
import { decodeModel } from "./dist/formats/onnx/proto.js";
const bytes = new Uint8Array(readFileSync("/tmp/m.onnx"));
const d = await loadDyad();
for (let i = 0; i < 3; i++) {
  let t = performance.now(); decodeModel(bytes); const dec = performance.now() - t;
  t = performance.now(); const m = d.loadModel(bytes); const all = performance.now() - t; m.dispose();
  console.log("decode", dec.toFixed(1), "load", all.toFixed(1));
}
