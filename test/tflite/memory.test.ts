// Long runs leave memory flat: 10,000 runs of a model and 1,000 load/dispose cycles change neither the
// arena's use nor the size of wasm memory, and the JS heap stays within a small bound after collection;
// every corpus model cycled keeps RSS flat too. The long version is `npm run soak` (bench/soak.js).

import { it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { loadDyad } from "../../src/node.js";
// @ts-expect-error: plain JavaScript, shared with the soak benchmark
import { soak } from "../../bench/soak-core.js";
// @ts-expect-error: plain JavaScript, shared with the fuzzer
import { seedModels } from "../fuzz/seeds.mjs";

const MODEL = new URL("../../../shared/corpora/tflm/hello_world/hello_world_int8.tflite", import.meta.url);
const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

it.skipIf(!existsSync(MODEL))("10,000 runs and 1,000 load/dispose cycles keep wasm memory and the JS heap flat", async () => {
  const d = await loadDyad();
  const bytes = new Uint8Array(readFileSync(MODEL));
  const input = [Int8Array.of(-63)];
  // Warm up both paths once so that first-use allocations are not counted.
  let model = d.loadModel(bytes);
  model.run(input);
  model.dispose();
  const wasmBefore = d.memory.memoryBytes;
  const heapBefore = heapAfterGc();

  model = d.loadModel(bytes);
  const used = d.memory.usedBytes;
  for (let i = 0; i < 10_000; i++) model.run(input);
  expect(d.memory.usedBytes).toBe(used);
  model.dispose();
  for (let i = 0; i < 1_000; i++) {
    const m = d.loadModel(bytes);
    m.run(input);
    m.dispose();
  }
  expect(d.memory.usedBytes).toBe(0);
  expect(d.memory.memoryBytes).toBe(wasmBefore);
  const growth = heapAfterGc() - heapBefore;
  expect(growth, `JS heap grew by ${growth} bytes`).toBeLessThan(gc ? 4 << 20 : 64 << 20);
});

it("every corpus model, loaded, run and disposed 20 times over: arena back to 0, wasm memory, RSS and heap flat", async () => {
  const d = await loadDyad();
  const models = seedModels();
  const result = soak({ dyad: d, runModel: null, runs: 0, models, cycles: 20, every: 10 * models.length });
  const g = result.growth.cycles!;
  console.log(`soak (test): ${result.models.length} models x 20 cycles: RSS ${(g.rss / 2 ** 20).toFixed(1)} MiB, heap ${(g.heap / 2 ** 20).toFixed(1)} MiB, wasm ${g.wasm} B`);
  expect(result.models.length).toBeGreaterThan(existsSync(MODEL) ? 50 : 1);
  expect(g.arena).toBe(0);
  expect(d.memory.usedBytes).toBe(0);
  expect(g.wasm).toBe(0);
  expect(g.heap, `JS heap grew by ${g.heap} bytes`).toBeLessThan(gc ? 8 << 20 : 64 << 20);
  expect(g.rss, `RSS grew by ${g.rss} bytes`).toBeLessThan(64 << 20);
}, 120_000);
