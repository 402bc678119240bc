// The soak: many runs of one model, then load/run/dispose cycles of every model, with the arena's use, the
// size of wasm memory, the JS heap (after collection, when --expose-gc allows it) and the process RSS
// sampled as it goes. Shared by the soak benchmark (bench/soak.js) and the memory test.

const ARRAYS = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array, int64: BigInt64Array };

/** Deterministic inputs for a model's inputs (floats in [-1, 1), integers over their byte range). */
export function inputsFor(model, seed = 1) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / 2 ** 24;
  return model.inputs.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const data = new ARRAYS[t.dtype](n);
    for (let i = 0; i < n; i++) {
      const u = next();
      data[i] = t.dtype === "float32" ? u * 2 - 1 : t.dtype === "int64" ? BigInt(Math.floor(u * 256) - 128) : Math.floor(u * 256) - (t.dtype === "uint8" ? 0 : 128);
    }
    return data;
  });
}

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
