// Whole-model benchmark: MobileNetV2 int8 from ../shared/corpora (when present) on its dog image: load time,
// first run, median of 20+ runs after warm-up, peak arena bytes and process RSS. Then the same model exported
// to ONNX by dyad, one file for both engines: dyad and onnxruntime-web (one thread) side by side in this
// process for the median, and each started cold in fresh processes for the time to a first result; and the
// same cold start for a small model (hello_world exported to ONNX), where start-up is all there is.

import { existsSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tfliteToOnnx } from "../dist/node.js";
import { measureInRounds, median } from "./measure.js";
import { LiteRtModel, clearOutOfRangeQuantizedDimension } from "./litert.js";

const DIR = new URL("../../shared/corpora/tflm/mobilenet_v2/", import.meta.url);

export async function benchModels({ dyad, ort, liteRt, quick, log }) {
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
  const peer = liteRt ? await liteRtPeer(liteRt, bytes, model, [input], first.data) : null;
  const timed = Object.fromEntries(await measureInRounds([
    ["dyad", () => { model.run([input]); }],
    ...(peer ? [["litert", () => peer.model.run([input])]] : []),
  ], quick));
  const ms = timed.dyad;
  const top = Array.from(first.data).map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([, i]) => i);
  const rss = process.memoryUsage().rss;
  const lines = [
    `MobileNetV2 int8 (84 ops): load ${loadMs.toFixed(1)} ms, first run ${firstMs.toFixed(1)} ms, median ${ms.toFixed(2)} ms`,
    ...(peer ? liteRtLines(peer, { loadMs, firstMs, ms }, timed.litert) : [`  LiteRT.js: not measured (${liteRt === null ? "@litertjs/core is not installed" : "not loaded"})`]),
    `  activation arena ${model.memory.arenaBytes} bytes (unplanned ${model.memory.unplannedBytes}), wasm memory ${dyad.memory.memoryBytes} bytes, RSS ${(rss / 2 ** 20).toFixed(1)} MiB (${rss >= rssBefore ? "+" : ""}${((rss - rssBefore) / 2 ** 20).toFixed(1)} MiB at load)`,
    `  top-5 classes on the dog image: ${top.join(", ")} (dogs are 151-268)`,
  ];
  model.dispose();
  peer?.model.dispose();
  log?.("model mobilenet_v2");
  const records = [
    { suite: "models", case: "mobilenet_v2", engine: "dyad", ms, gops: 0 },
    { suite: "models", case: "mobilenet_v2_first_run", engine: "dyad", ms: firstMs, gops: 0 },
    { suite: "models", case: "mobilenet_v2_load", engine: "dyad", ms: loadMs, gops: 0 },
  ];
  if (peer) {
    records.push(
      { suite: "models", case: "mobilenet_v2", engine: "litert", ms: timed.litert, gops: 0 },
      { suite: "models", case: "mobilenet_v2_first_run", engine: "litert", ms: peer.firstMs, gops: 0 },
      { suite: "models", case: "mobilenet_v2_load", engine: "litert", ms: peer.loadMs, gops: 0 },
    );
  }
  if (ort) {
    const onnx = await benchOnnxMobileNet({ dyad, ort, quick, bytes, input, log });
    records.push(...onnx.records);
    lines.push(...onnx.lines);
    const small = benchSmallColdStart({ quick, log });
    records.push(...small.records);
    lines.push(...small.lines);
  } else {
    lines.push("ONNX MobileNetV2 against onnxruntime-web skipped: onnxruntime-web is not installed");
  }
  return { records, lines };
}

/** LiteRT.js on the same file (the out-of-range quantized dimensions cleared in a copy): load, first run, outputs compared. */
async function liteRtPeer(liteRt, bytes, dyadModel, inputs, dyadOutput) {
  const fixed = clearOutOfRangeQuantizedDimension(bytes);
  let t = performance.now();
  const model = await LiteRtModel.load(liteRt, fixed.bytes, dyadModel.inputs);
  const loadMs = performance.now() - t;
  t = performance.now();
  const [out] = await model.run(inputs);
  const firstMs = performance.now() - t;
  let differ = 0, max = 0;
  for (let i = 0; i < out.length; i++) {
    const d = Math.abs(out[i] - dyadOutput[i]);
    if (d) differ++;
    max = Math.max(max, d);
  }
  return { model, loadMs, firstMs, differ, max, count: out.length, cleared: fixed.cleared };
}

function liteRtLines(peer, ours, litertMs) {
  return [
    `  LiteRT.js on the same file: load ${peer.loadMs.toFixed(1)} ms, first run ${peer.firstMs.toFixed(1)} ms, median ${litertMs.toFixed(2)} ms${peer.cleared ? ` (${peer.cleared} out-of-range per-channel quantized_dimension cleared to 0 in memory, which TFLite's reference ignores and LiteRT refuses)` : ""}`,
    `  dyad vs LiteRT.js: median ${(litertMs / ours.ms).toFixed(2)}x, first run ${(peer.firstMs / ours.firstMs).toFixed(2)}x, load ${(peer.loadMs / ours.loadMs).toFixed(2)}x (above 1: dyad faster)`,
    `  outputs: ${peer.differ} of ${peer.count} differ from dyad's (max ${peer.max}); dyad equals the TFLite reference kernels, LiteRT.js (XNNPACK) requantizes in one fp32 rounding`,
  ];
}

const CHILD = fileURLToPath(new URL("./model-first-result.js", import.meta.url));

/** Cold starts in fresh processes; medians of each field. */
function coldStarts(engine, file, inputFile, runs, dims = "1,3,224,224") {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, [CHILD, engine, file, inputFile, "int8", dims], { encoding: "utf8" });
    results.push(JSON.parse(out.trim().split("\n").pop()));
  }
  const field = (k) => median(results.map((r) => r[k]));
  return { readyMs: field("readyMs"), loadMs: field("loadMs"), firstRunMs: field("firstRunMs"), firstResultMs: field("firstResultMs"), rssMiB: field("rssMiB"), hashes: new Set(results.map((r) => r.outputHash)) };
}

async function benchOnnxMobileNet({ dyad, ort, quick, bytes, input, log }) {
  const onnx = tfliteToOnnx(bytes);
  const dir = mkdtempSync(join(tmpdir(), "dyad-bench-"));
  const [file, inputFile] = [join(dir, "mobilenet_v2.onnx"), join(dir, "dog.bin")];
  writeFileSync(file, onnx);
  writeFileSync(inputFile, input);

  // Warm, in this process: both runtimes already compiled by the kernel suites.
  let t = performance.now();
  const model = dyad.loadModel(onnx);
  const dyadLoadMs = performance.now() - t;
  t = performance.now();
  const session = await ort.InferenceSession.create(onnx, { executionProviders: ["wasm"] });
  const ortLoadMs = performance.now() - t;
  const feeds = { [session.inputNames[0]]: new ort.Tensor("int8", input, [1, 3, 224, 224]) };
  const ours = model.run([input])[0].data;
  const theirs = Object.values(await session.run(feeds))[0].data;
  const exact = ours.length === theirs.length && ours.every((v, i) => v === theirs[i]);
  const timed = await measureInRounds([
    ["dyad", () => { model.run([input]); }],
    ["ort-web", async () => { await session.run(feeds); }],
  ], quick);
  const ms = Object.fromEntries(timed);
  model.dispose();
  await session.release();
  log?.("model mobilenet_v2 (onnx)");

  const runs = quick ? 1 : 3;
  let cold;
  try {
    cold = { dyad: coldStarts("dyad", file, inputFile, runs), ort: coldStarts("ort", file, inputFile, runs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log?.("model mobilenet_v2 (onnx, cold starts)");
  const sameAcross = cold.dyad.hashes.size === 1 && cold.ort.hashes.size === 1 && [...cold.dyad.hashes][0] === [...cold.ort.hashes][0];
  const coldLine = (name, c) =>
    `  ${name.padEnd(8)} ready ${c.readyMs.toFixed(0)} ms, load ${c.loadMs.toFixed(0)} ms, first run ${c.firstRunMs.toFixed(0)} ms: first result ${c.firstResultMs.toFixed(0)} ms, RSS ${c.rssMiB.toFixed(0)} MiB`;
  const lines = [
    "",
    `MobileNetV2 exported to ONNX by dyad (${onnx.length} bytes), the same file in both engines; outputs ${exact && sameAcross ? "bit-exact" : "DIFFER"}`,
    `  median run: dyad ${ms.dyad.toFixed(2)} ms, onnxruntime-web ${ms["ort-web"].toFixed(2)} ms: dyad ${(ms["ort-web"] / ms.dyad).toFixed(2)}x faster`,
    `  load (warm process): dyad ${dyadLoadMs.toFixed(1)} ms, onnxruntime-web ${ortLoadMs.toFixed(1)} ms`,
    `  cold start in a fresh process (median of ${runs}):`,
    coldLine("dyad", cold.dyad),
    coldLine("ort-web", cold.ort),
    `  to first result: dyad ${(cold.ort.firstResultMs / cold.dyad.firstResultMs).toFixed(2)}x faster`,
  ];
  const records = [
    { suite: "models", case: "mobilenet_v2_onnx", engine: "dyad", ms: ms.dyad, gops: 0 },
    { suite: "models", case: "mobilenet_v2_onnx", engine: "ort-web", ms: ms["ort-web"], gops: 0 },
    { suite: "models", case: "mobilenet_v2_onnx_first_result", engine: "dyad", ms: cold.dyad.firstResultMs, gops: 0, rssMiB: cold.dyad.rssMiB },
    { suite: "models", case: "mobilenet_v2_onnx_first_result", engine: "ort-web", ms: cold.ort.firstResultMs, gops: 0, rssMiB: cold.ort.rssMiB },
  ];
  return { records, lines };
}

const HELLO = new URL("../../shared/corpora/tflm/hello_world/hello_world_int8.tflite", import.meta.url);

/** hello_world (three FULLY_CONNECTED layers) exported to ONNX: each engine's cold start to a first result. */
function benchSmallColdStart({ quick, log }) {
  if (!existsSync(HELLO)) return { records: [], lines: [] };
  const dir = mkdtempSync(join(tmpdir(), "dyad-bench-"));
  const [file, inputFile] = [join(dir, "hello_world.onnx"), join(dir, "x.bin")];
  writeFileSync(file, tfliteToOnnx(new Uint8Array(readFileSync(HELLO))));
  writeFileSync(inputFile, Int8Array.of(37));
  const runs = quick ? 1 : 5;
  let cold;
  try {
    cold = { dyad: coldStarts("dyad", file, inputFile, runs, "1,1"), ort: coldStarts("ort", file, inputFile, runs, "1,1") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log?.("model hello_world (onnx, cold starts)");
  const same = cold.dyad.hashes.size === 1 && cold.ort.hashes.size === 1 && [...cold.dyad.hashes][0] === [...cold.ort.hashes][0];
  const line = (name, c) => `  ${name.padEnd(8)} ready ${c.readyMs.toFixed(0)} ms, load ${c.loadMs.toFixed(0)} ms, first run ${c.firstRunMs.toFixed(1)} ms: first result ${c.firstResultMs.toFixed(0)} ms, RSS ${c.rssMiB.toFixed(0)} MiB`;
  return {
    records: [
      // The cold start's RSS after load rides along (a field past DESIGN.md §6's, which readers may ignore).
      { suite: "models", case: "hello_world_onnx_first_result", engine: "dyad", ms: cold.dyad.firstResultMs, gops: 0, rssMiB: cold.dyad.rssMiB },
      { suite: "models", case: "hello_world_onnx_first_result", engine: "ort-web", ms: cold.ort.firstResultMs, gops: 0, rssMiB: cold.ort.rssMiB },
    ],
    lines: [
      "",
      `A small model, hello_world exported to ONNX, cold in fresh processes (median of ${runs}); outputs ${same ? "equal" : "DIFFER"}:`,
      line("dyad", cold.dyad),
      line("ort-web", cold.ort),
      `  to first result: dyad ${(cold.ort.firstResultMs / cold.dyad.firstResultMs).toFixed(2)}x faster`,
    ],
  };
}
