import { readFileSync } from "fs";
import { Dyad } from "../dist/index.js";
import { convCase, dyadConvModel } from "./conv-models.js";
const A = await Dyad.load(readFileSync("/tmp/unblocked.wasm")), B = await Dyad.load(readFileSync("/tmp/blocked.wasm"));
for (const spec of [{ cin: 32, h: 112, w: 112, cout: 64, k: 3 }, { cin: 128, h: 28, w: 28, cout: 128, k: 3 }]) {
  const c = convCase(spec);
  const ma = dyadConvModel(A, c), mb = dyadConvModel(B, c);
  const ta = [], tb = [];
  for (let i = 0; i < 5; i++) { ma.run([c.input]); mb.run([c.input]); }
  for (let i = 0; i < 40; i++) { let t = performance.now(); ma.run([c.input]); ta.push(performance.now() - t); t = performance.now(); mb.run([c.input]); tb.push(performance.now() - t); }
  ta.sort((x, y) => x - y); tb.sort((x, y) => x - y);
  console.log(JSON.stringify(spec), "unblocked", ta[20].toFixed(2), "blocked", tb[20].toFixed(2));
}
