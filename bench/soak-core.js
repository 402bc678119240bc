// The soak: many runs of one model, then load/run/dispose cycles of every model, with the arena's use, the
// size of wasm memory, the JS heap (after collection, when --expose-gc allows it) and the process RSS
// sampled as it goes. Shared by the soak benchmark (bench/soak.js) and the memory test.

import { modelInputs as inputsFor } from "./model-inputs.js";

function sample(dyad, phase, step) {
  const gc = globalThis.gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { phase, step, rss: m.rss, heap: m.heapUsed, wasm: dyad.memory.memoryBytes, arena: dyad.memory.usedBytes };
}

/**
 * `runModel`: { name, bytes } run `runs` times; `models`: [{ name, bytes }] each loaded, run and disposed
 * `cycles` times. Returns the samples and, per phase, the growth from its first sample to its last.
 */
export function soak({ dyad, runModel, runs, models, cycles, every = 500, log = () => {} }) {
  const samples = [];
  // Warm-up: each model once, so that first-use allocations (V8's compiled code, the arena's first growth)
  // are not counted as growth.
  const loadable = models.filter((m) => {
    try {
      const model = dyad.loadModel(m.bytes);
      model.run(inputsFor(model));
      model.dispose();
      return true;
    } catch {
      return false;
    }
  });
  let step = 0;
  if (runModel) {
    const model = dyad.loadModel(runModel.bytes);
    const inputs = inputsFor(model);
    model.run(inputs);
    samples.push(sample(dyad, "runs", 0));
    for (let i = 1; i <= runs; i++) {
      model.run(inputs);
      if (i % every === 0) {
        samples.push(sample(dyad, "runs", i));
        log(`runs of ${runModel.name}: ${i} of ${runs}`);
      }
    }
    model.dispose();
  }
  samples.push(sample(dyad, "cycles", 0));
  const total = cycles * loadable.length;
  for (let c = 1; c <= cycles; c++) {
    for (const m of loadable) {
      const model = dyad.loadModel(m.bytes);
      model.run(inputsFor(model, c));
      model.dispose();
      step++;
    }
    if ((c * loadable.length) % every < loadable.length || c === cycles) {
      samples.push(sample(dyad, "cycles", c));
      log(`load/run/dispose cycles: ${c * loadable.length} of ${total} (${loadable.length} models)`);
    }
  }
  const growth = (phase) => {
    const s = samples.filter((x) => x.phase === phase);
    if (s.length < 2) return null;
    const [a, b] = [s[0], s[s.length - 1]];
    return { rss: b.rss - a.rss, heap: b.heap - a.heap, wasm: b.wasm - a.wasm, arena: b.arena - a.arena, maxRss: Math.max(...s.map((x) => x.rss)) - a.rss };
  };
  return { samples, models: loadable.map((m) => m.name), skipped: models.length - loadable.length, growth: { runs: growth("runs"), cycles: growth("cycles") } };
}
