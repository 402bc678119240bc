#!/usr/bin/env node
// The long fuzz run (`npm run fuzz -- --minutes N [--seed S] [--json FILE]`): the coverage-guided fuzzer of
// engine.mjs in a worker thread, watched from here. Each case's bytes sit in shared memory before it runs,
// so a case that hangs (no progress for --hang-seconds) is saved and the worker restarted with the next
// seed. Findings (contract violations: an exception other than DyadError, a wasm trap, a case over a
// second, arena memory left in use) are written to test/fuzz/findings/ as regression cases, deduplicated by
// their message. Progress on stderr every 10 s; a summary (and --json FILE) at the end.

import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { writeFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

const FINDINGS = fileURLToPath(new URL("./findings/", import.meta.url));
const SLOT = 4 << 20; // bytes of the shared case buffer (seeds are under 1 MB; mutations may grow them)

if (isMainThread) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const v = args[i + 1];
    if (v === undefined || v.startsWith("--")) fail(`${name} needs a value`);
    return v;
  };
  function fail(message) {
    process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- [--minutes N] [--seed S] [--hang-seconds N] [--json FILE]\n`);
    process.exit(2);
  }
  const known = new Set(["--minutes", "--seed", "--hang-seconds", "--json"]);
  args.forEach((a, i) => { if (a.startsWith("--") && !known.has(a)) fail(`unknown option ${a}`); void i; });
  const minutes = Number(opt("--minutes", 5)), hangSeconds = Number(opt("--hang-seconds", 10));
  let seed = Number(opt("--seed", 1));
  if (!(minutes > 0) || !(hangSeconds > 0) || !Number.isInteger(seed)) fail("--minutes and --hang-seconds must be positive, --seed an integer");
  const jsonFile = opt("--json", null);

  const shared = new SharedArrayBuffer(SLOT + 16);
  const header = new Int32Array(shared, 0, 4); // [cases done, length of the current case, 0, 0]
  const current = new Uint8Array(shared, 16);
  const end = Date.now() + minutes * 60_000;
  const totals = { cases: 0, ran: 0, rejected: 0, findings: 0, hangs: 0, workers: 0, codes: {}, corpus: 0, blocks: 0, minutes };
  const found = new Map();
  mkdirSync(FINDINGS, { recursive: true });

  const save = (kind, message, bytes, ext) => {
    const key = `${kind}: ${message.replace(/\d+/g, "N").slice(0, 160)}`;
    if (found.has(key)) return;
    const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
    const file = `${kind}-${hash}.${ext}`;
    writeFileSync(FINDINGS + file, bytes);
    found.set(key, { kind, message, file });
    process.stderr.write(`fuzz: finding ${kind} -> test/fuzz/findings/${file}: ${message}\n`);
  };
  const extOf = (bytes) => (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === "TFL3" ? "tflite" : "onnx");

  const start = () => new Promise((resolve) => {
    totals.workers++;
    let last = { stats: null };
    // Each worker runs at most five minutes: a fresh corpus from the next seed, and the current build of dyad.
    const worker = new Worker(new URL(import.meta.url), { workerData: { shared, seed, until: Math.min(end, Date.now() + 5 * 60_000) } });
    let beat = Atomics.load(header, 0), since = Date.now();
    const watch = setInterval(() => {
      const now = Atomics.load(header, 0);
      if (now !== beat) (beat = now), (since = Date.now());
      else if (Date.now() - since > hangSeconds * 1000) {
        const bytes = current.slice(0, Atomics.load(header, 1));
        totals.hangs++;
        save("hang", `no progress for ${hangSeconds} s`, bytes, extOf(bytes));
        clearInterval(watch);
        worker.terminate();
      }
    }, 500);
    worker.on("message", (m) => {
      if (m.type === "finding") save(m.kind, m.message, m.bytes, extOf(m.bytes));
      else if (m.type === "stats") {
        last.stats = m.stats;
        process.stderr.write(`fuzz: ${((end - Date.now()) / 60_000).toFixed(1)} min left; worker ${totals.workers}: ${m.stats.cases} cases, corpus ${m.stats.corpus}, ${m.stats.blocks} blocks, ${found.size} findings\n`);
      }
    });
    worker.on("exit", () => {
      clearInterval(watch);
      const s = last.stats;
      if (s) {
        for (const k of ["cases", "ran", "rejected", "findings"]) totals[k] += s[k];
        for (const [c, n] of Object.entries(s.codes)) totals.codes[c] = (totals.codes[c] ?? 0) + n;
        totals.corpus = Math.max(totals.corpus, s.corpus), totals.blocks = Math.max(totals.blocks, s.blocks);
      }
      seed++;
      resolve();
    });
  });
  while (Date.now() < end) await start();
  const summary = { ...totals, unique: [...found.values()] };
  console.log(JSON.stringify(summary, null, 2));
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(summary, null, 2) + "\n");
} else {
  const { loadDyad, DyadError } = await import("../../dist/node.js");
  const { Fuzzer } = await import("./engine.mjs");
  const { seedModels } = await import("./seeds.mjs");
  const { shared, seed, until } = workerData;
  const header = new Int32Array(shared, 0, 4), current = new Uint8Array(shared, 16);
  const dyad = await loadDyad();
  const fuzzer = new Fuzzer({ dyad, DyadError, seeds: seedModels(), seed, filter: (url) => url.includes("/dist/") && !url.includes("node_modules") });
  const report = () => parentPort.postMessage({ type: "stats", stats: fuzzer.stats });
  let lastReport = Date.now();
  // The case's bytes go into shared memory before it runs: engine.step mutates, then calls execute.
  const execute = fuzzer.execute.bind(fuzzer);
  fuzzer.execute = (bytes) => {
    const n = Math.min(bytes.length, SLOT);
    current.set(bytes.subarray(0, n));
    Atomics.store(header, 1, n);
    const result = execute(bytes);
    Atomics.add(header, 0, 1);
    return result;
  };
  while (Date.now() < until) {
    const { bytes, result } = fuzzer.step();
    if (result.outcome === "finding") parentPort.postMessage({ type: "finding", kind: result.kind, message: result.message, bytes });
    if (Date.now() - lastReport > 10_000) (report(), (lastReport = Date.now()));
  }
  report();
  fuzzer.close();
}
