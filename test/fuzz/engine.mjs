// A coverage-guided fuzzer for dyad's model loading and running. Coverage is V8's own precise block coverage
// (the inspector protocol's Profiler.takePreciseCoverage, counters reset at each take), restricted to dyad's
// scripts: a mutated file that executes a block of dyad no earlier case reached joins the corpus and is
// mutated further. (@jazzer.js/core, the maintained libFuzzer binding for Node, cannot load here: its only
// Linux build needs glibc 2.38 and this Debian 12 machine has 2.36; its older versions download their
// binary at install. V8's coverage gives the same feedback signal without a native addon.)
//
// The contract each case is held to: loadModel + run + dispose end in a result or a DyadError; no other
// exception (a wasm trap is a RuntimeError), no case slower than `slowMs`, no arena memory left in use.

import { Session } from "node:inspector";
import { mutatorFor } from "./mutate.mjs";
import { modelInputs } from "../../bench/model-inputs.js";
import { rng } from "../rng.mjs";

/**
 * One case: load, run, dispose. Returns { outcome: "ran" | "rejected", code } or throws nothing; a contract
 * violation is returned as { outcome: "finding", kind, message }.
 */
export function runCase(dyad, DyadError, bytes, options = {}) {
  const first = runOnce(dyad, DyadError, bytes, options);
  // A slow case is timed once more: a shared machine's pause is not a finding, a case slow twice is.
  return first.kind === "slow" ? runOnce(dyad, DyadError, bytes, options) : first;
}

function runOnce(dyad, DyadError, bytes, { slowMs = 1000, maxMemoryBytes = 64 << 20 } = {}) {
  // dyad's time: the harness's own work (making the inputs) is left out.
  let harnessMs = 0;
  const t0 = performance.now();
  let result;
  try {
    const model = dyad.loadModel(bytes, { maxMemoryBytes });
    try {
      const t1 = performance.now();
      const inputs = modelInputs(model, bytes.length);
      harnessMs = performance.now() - t1;
      model.run(inputs);
      result = { outcome: "ran" };
    } finally {
      model.dispose();
    }
  } catch (e) {
    if (e instanceof DyadError) result = { outcome: "rejected", code: e.code };
    else result = { outcome: "finding", kind: "exception", message: `${e?.name}: ${e?.message}`, stack: e?.stack };
  }
  const ms = performance.now() - t0 - harnessMs;
  if (result.outcome !== "finding" && ms > slowMs) result = { outcome: "finding", kind: "slow", message: `${ms.toFixed(0)} ms (limit ${slowMs})` };
  if (result.outcome !== "finding" && dyad.memory.usedBytes !== 0) {
    result = { outcome: "finding", kind: "leak", message: `${dyad.memory.usedBytes} arena bytes still in use after dispose()` };
  }
  return { ...result, ms };
}

/** Block coverage of the scripts whose URL passes `filter`, since the last call. */
export class Coverage {
  constructor(filter) {
    this.filter = filter;
    this.session = new Session();
    this.session.connect();
    this.post("Profiler.enable");
    this.post("Profiler.startPreciseCoverage", { callCount: true, detailed: true });
  }

  post(method, params) {
    let out, error;
    this.session.post(method, params, (e, r) => ((error = e), (out = r)));
    if (error) throw error;
    return out;
  }

  /** Keys of the blocks executed since the last take. */
  take() {
    const keys = [];
    for (const script of this.post("Profiler.takePreciseCoverage").result) {
      if (!this.filter(script.url)) continue;
      for (const fn of script.functions) {
        for (const r of fn.ranges) if (r.count > 0) keys.push(`${script.scriptId}:${r.startOffset}:${r.endOffset}`);
      }
    }
    return keys;
  }

  close() {
    this.post("Profiler.stopPreciseCoverage");
    this.session.disconnect();
  }
}

export class Fuzzer {
  /**
   * `seeds`: [{ name, bytes }]; `filter`: which script URLs count as dyad's. `onCase(i, bytes, result)` sees
   * every case (progress, findings).
   */
  constructor({ dyad, DyadError, seeds, seed = 1, filter, slowMs = 1000, maxMemoryBytes = 64 << 20 }) {
    this.dyad = dyad;
    this.DyadError = DyadError;
    this.rand = rng(seed);
    this.options = { slowMs, maxMemoryBytes };
    this.coverage = new Coverage(filter);
    this.seen = new Set();
    this.corpus = [];
    this.stats = { cases: 0, ran: 0, rejected: 0, findings: 0, corpus: 0, blocks: 0, codes: {}, maxMs: 0 };
    for (const s of seeds) this.add(s.name, s.bytes, mutatorFor(s.bytes), this.execute(s.bytes));
  }

  execute(bytes) {
    this.coverage.take(); // whatever ran in between does not count
    const result = runCase(this.dyad, this.DyadError, bytes, this.options);
    let fresh = 0;
    for (const k of this.coverage.take()) if (!this.seen.has(k)) (this.seen.add(k), fresh++);
    this.stats.cases++;
    this.stats.maxMs = Math.max(this.stats.maxMs, result.ms);
    if (result.outcome === "ran") this.stats.ran++;
    else if (result.outcome === "rejected") (this.stats.rejected++, (this.stats.codes[result.code] = (this.stats.codes[result.code] ?? 0) + 1));
    else this.stats.findings++;
    this.stats.blocks = this.seen.size;
    return { ...result, fresh };
  }

  add(name, bytes, mutate, result) {
    this.corpus.push({ name, bytes, mutate, picks: 0 });
    this.stats.corpus = this.corpus.length;
    return result;
  }

  /** One mutated case; returns { bytes, from, result }. Inputs that reached new blocks join the corpus. */
  step() {
    // Newer entries are picked more often: they are where the untried paths are.
    const n = this.corpus.length;
    const index = this.rand() < 0.5 ? n - 1 - Math.floor(this.rand() * Math.min(n, 16)) : Math.floor(this.rand() * n);
    const parent = this.corpus[index];
    parent.picks++;
    const bytes = parent.mutate(parent.bytes, this.rand);
    const result = this.execute(bytes);
    if (result.fresh > 0 && result.outcome !== "finding") this.add(`${parent.name}+${this.stats.cases}`, bytes, parent.mutate, result);
    return { bytes, from: parent.name, result };
  }

  close() {
    this.coverage.close();
  }
}
