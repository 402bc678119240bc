// Whole-model benchmark: MobileNetV2 int8 from ../shared/corpora (when present) on its dog image: load time,
// first run, median of 20+ runs after warm-up, peak arena bytes and process RSS.

import { existsSync, readFileSync } from "node:fs";
import { measureInRounds } from "./measure.js";

const DIR = new URL("../../shared/corpora/tflm/mobilenet_v2/", import.meta.url);

export async function benchModels({ dyad, quick, log }) {
  const file = new URL("mobilenet_v2_quantized_1x3x224x224.tflite", DIR);
  if (!existsSync(file)) return { records: [], lines: [`model suite skipped: ${file.pathname} is absent`] };
  const bytes = new Uint8Array(readFileSync(file));
  const img = readFileSync(new URL("dog_input_int8_nchw.bin", DIR));
  const input = new Int8Array(img.buffer.slice(img.byteOffset, img.byteOffset + img.length));
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const model = dyad.loadModel(bytes);
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const [first] = model.run([input]);
  const firstMs = performance.now() - t1;
  const [[, ms]] = await measureInRounds([["dyad", () => { model.run([input]); }]], quick);
  const top = Array.from(first.data).map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([, i]) => i);
  const rss = process.memoryUsage().rss;
  const lines = [
    `MobileNetV2 int8 (84 ops): load ${loadMs.toFixed(1)} ms, first run ${firstMs.toFixed(1)} ms, median ${ms.toFixed(2)} ms`,
    `  activation arena ${model.memory.arenaBytes} bytes (unplanned ${model.memory.unplannedBytes}), wasm memory ${dyad.memory.memoryBytes} bytes, RSS ${(rss / 2 ** 20).toFixed(1)} MiB (+${((rss - rssBefore) / 2 ** 20).toFixed(1)} MiB at load)`,
    `  top-5 classes on the dog image: ${top.join(", ")} (dogs are 151-268)`,
  ];
  model.dispose();
  log?.("model mobilenet_v2");
  return { records: [{ suite: "model", case: "mobilenet_v2", engine: "dyad", ms, gops: 0 }], lines };
}
