#!/usr/bin/env node
// `npm run profile`: the per-layer profile of MobileNetV2 int8 (../shared/corpora) in dyad: the median time
// of every operator over many runs (Model.run's profile callback), per operator type, and each convolution's
// GOPS against the wasm SIMD128 int8 ceiling (dyad's s8 GEMM at 256^3, as `npm run bench` measures it);
// LiteRT.js on the same file beside it for the whole-model median. Writes docs/perf/mobilenet_v2.md, .json
// and .svg (time per operator, coloured by type). Progress on stderr.

import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadDyad, parseTflite, QTensor } from "../dist/node.js";
import { measureInRounds, median } from "../bench/measure.js";
import { loadLiteRt, LiteRtModel, clearOutOfRangeQuantizedDimension } from "../bench/litert.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DIR = `${ROOT}../shared/corpora/tflm/mobilenet_v2/`;
const OUT = `${ROOT}docs/perf/`;
const RUNS = Number(process.argv[2] ?? 200);
// The analysis is prose, kept beside the page so that the page regenerates whole; update it with the numbers.
const ANALYSIS = existsSync(`${OUT}mobilenet_v2.analysis.md`) ? "\n" + readFileSync(`${OUT}mobilenet_v2.analysis.md`, "utf8") : "";
if (!existsSync(`${DIR}mobilenet_v2_quantized_1x3x224x224.tflite`)) {
  process.stderr.write("profile: ../shared/corpora/tflm/mobilenet_v2 is absent\n");
  process.exit(1);
}
const log = (m) => process.stderr.write(`profile: ${m}\n`);
const bytes = new Uint8Array(readFileSync(`${DIR}mobilenet_v2_quantized_1x3x224x224.tflite`));
const img = readFileSync(`${DIR}dog_input_int8_nchw.bin`);
const input = new Int8Array(img.buffer.slice(img.byteOffset, img.byteOffset + img.length));
const dyad = await loadDyad({ build: "simd" });

// The ceiling: dyad's int8 GEMM (int32 output, no requantization) at 256^3 on operands already in wasm memory,
// as `npm run bench` measures the kernel (the activations' widening to int16 included, as in a 1x1 conv). The
// machine's speed drifts, so it is measured before, between and after the profile, and the fastest counts.
const measureCeiling = async () => {
  const [m, k, n] = [256, 256, 256];
  const rt = dyad.runtime;
  const w = QTensor.quantize(Float32Array.from({ length: k * n }, (_, i) => ((i * 37) % 255 - 127) / 127), [k, n], { dtype: "int8", scale: 1 / 127 });
  const mm = dyad.matmul({ weights: w, input: { dtype: "int8", zeroPoint: 0 }, output: { dtype: "int32" } });
  const a = rt.upload(Int8Array.from({ length: m * k }, (_, i) => (i * 13) % 255 - 127), "ceiling input");
  const out = rt.arena.alloc(m * n * 4, "ceiling output");
  const [[, ms]] = await measureInRounds([["gemm", () => mm.runInto(a.ptr, 1, m, out.ptr)]], false);
  rt.arena.free(out);
  rt.arena.free(a);
  mm.dispose();
  return (2 * m * k * n) / (ms * 1e6);
};
const ceilings = [await measureCeiling()];

const g = parseTflite(bytes).subgraphs[0];
const model = dyad.loadModel(bytes);
const times = g.operators.map(() => []);
for (let r = 0; r < 20; r++) model.run([input]);
for (let r = 0; r < RUNS; r++) {
  model.run([input], { profile: (op, i, ms) => times[i].push(ms) });
  if ((r + 1) % 50 === 0) log(`${r + 1} of ${RUNS} profiled runs`);
}
ceilings.push(await measureCeiling());
const [[, wholeMs]] = await measureInRounds([["dyad", () => { model.run([input]); }]], false);

// LiteRT.js, the whole model, side by side (per-op times are not exposed by its API).
let litert = null;
const lite = await loadLiteRt();
if (lite.liteRt) {
  const lm = await LiteRtModel.load(lite.liteRt, clearOutOfRangeQuantizedDimension(bytes).bytes, model.inputs);
  const t = Object.fromEntries(await measureInRounds([["dyad", () => { model.run([input]); }], ["litert", () => lm.run([input])]], false));
  litert = { version: lite.version, dyadMs: t.dyad, litertMs: t.litert };
  lm.dispose();
  log(`LiteRT.js ${t.litert.toFixed(2)} ms, dyad ${t.dyad.toFixed(2)} ms`);
}
model.dispose();
ceilings.push(await measureCeiling());
const ceiling = Math.max(...ceilings);
log(`ceiling: s8 GEMM 256^3 at ${ceilings.map((c) => c.toFixed(1)).join(", ")} GOPS; the fastest counts`);

const shape = (i) => g.tensors[i].shape;
const rows = g.operators.map((op, i) => {
  const out = shape(op.outputs[0]);
  const ms = median(times[i]);
  let macs = 0, path = "", detail = "";
  const o = op.options;
  if (op.op === "CONV_2D") {
    const [cout, kh, kw, cin] = shape(op.inputs[1]);
    macs = out[0] * out[1] * out[2] * cout * kh * kw * cin;
    const stride = o.stride_h;
    path = kh === 1 && kw === 1 && stride === 1 ? "1x1 GEMM" : kh === 3 && kw === 3 && stride === 1 && cin >= 8 ? "Winograd F(2,3)" : "im2col + GEMM";
    detail = `${kh}x${kw}/${stride} ${cin}->${cout}`;
  } else if (op.op === "DEPTHWISE_CONV_2D") {
    const [, kh, kw, c] = shape(op.inputs[1]);
    macs = out[0] * out[1] * out[2] * c * kh * kw;
    path = "depthwise";
    detail = `${kh}x${kw}/${o.stride_h} ${c}ch`;
  } else if (op.op === "FULLY_CONNECTED") {
    const [n, k] = shape(op.inputs[1]);
    macs = n * k * (out.length ? out.reduce((a, b) => a * b, 1) / n : 1);
    path = "GEMV";
    detail = `${k}->${n}`;
  }
  const gops = macs ? (2 * macs) / (ms * 1e6) : null;
  return { index: i, op: op.op, detail, path, output: out, ms, macs, gops, ofCeiling: gops ? gops / ceiling : null };
});
const total = rows.reduce((a, r) => a + r.ms, 0);
const byType = {};
for (const r of rows) {
  const key = r.path ? `${r.op} (${r.path})` : r.op;
  byType[key] ??= { ops: 0, ms: 0, macs: 0 };
  byType[key].ops++, (byType[key].ms += r.ms), (byType[key].macs += r.macs);
}
const types = Object.entries(byType).sort((a, b) => b[1].ms - a[1].ms);
const report = { date: new Date().toISOString().slice(0, 10), node: process.versions.node, runs: RUNS, ceilingGops: ceiling, ceilings, wholeMs, sumOfOpsMs: total, litert, byType, rows };
mkdirSync(OUT, { recursive: true });
writeFileSync(`${OUT}mobilenet_v2.json`, JSON.stringify(report, null, 1) + "\n");
writeFileSync(`${OUT}mobilenet_v2.svg`, chart(rows));
writeFileSync(`${OUT}mobilenet_v2.md`, markdown(report, types));
log(`wrote ${OUT}mobilenet_v2.{md,json,svg}`);

function markdown(r, types) {
  const f = (x, d = 2) => (x === null ? "" : x.toFixed(d));
  const lines = [
    "# MobileNetV2 int8 in dyad: where the time goes",
    "",
    `Regenerated by \`npm run profile\` (scripts/profile-mobilenet.mjs) on ${r.date}, Node ${r.node}, one thread, the SIMD build; `
      + `../shared/corpora/tflm/mobilenet_v2 on its dog image. Each operator's time is its median over ${r.runs} profiled runs (Model.run's `
      + "profile callback, which adds a timer call per operator); the whole model's median is measured without it.",
    "",
    `- whole model: **${f(r.wholeMs)} ms** (median, unprofiled); sum of the per-operator medians ${f(r.sumOfOpsMs)} ms`,
    r.litert ? `- LiteRT.js ${r.litert.version} on the same file, side by side: ${f(r.litert.litertMs)} ms against dyad's ${f(r.litert.dyadMs)} ms: dyad ${f(r.litert.litertMs / r.litert.dyadMs)}x its speed` : "- LiteRT.js: not installed",
    `- the SIMD128 int8 ceiling: dyad's s8 GEMM kernel at 256^3, ${f(r.ceilingGops, 1)} GOPS (2 operations per multiply-accumulate; the fastest of ${r.ceilings.map((c) => f(c, 1)).join(", ")} measured before, between and after the profile: this machine's speed drifts)`,
    "",
    "## Per operator type",
    "",
    "| type (path) | ops | ms | share | GMAC | GOPS | of ceiling |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...types.map(([k, v]) => `| ${k} | ${v.ops} | ${f(v.ms, 3)} | ${f((100 * v.ms) / r.sumOfOpsMs, 1)}% | ${v.macs ? f(v.macs / 1e9, 3) : ""} | ${v.macs ? f((2 * v.macs) / (v.ms * 1e6), 1) : ""} | ${v.macs ? `${f((200 * v.macs) / (v.ms * 1e6) / r.ceilingGops, 0)}%` : ""} |`),
    "",
    "![time per operator](mobilenet_v2.svg)",
    "",
    "## Per operator",
    "",
    "| # | op | shape | path | output | ms | GOPS | of ceiling |",
    "| ---: | --- | --- | --- | --- | ---: | ---: | ---: |",
    ...r.rows.map((x) => `| ${x.index} | ${x.op} | ${x.detail} | ${x.path} | [${x.output}] | ${f(x.ms, 3)} | ${f(x.gops, 1)} | ${x.ofCeiling === null ? "" : `${f(100 * x.ofCeiling, 0)}%`} |`),
    "",
  ];
  return lines.join("\n") + ANALYSIS;
}

function chart(rows) {
  const W = 900, H = 320, L = 50, R = 10, T = 30, B = 40;
  const max = Math.max(...rows.map((r) => r.ms)) * 1.1;
  const bw = (W - L - R) / rows.length;
  const colour = { CONV_2D: "#c33", DEPTHWISE_CONV_2D: "#36c", ADD: "#393", PAD: "#999", FULLY_CONNECTED: "#c93", MEAN: "#939" };
  const bars = rows.map((r, i) => {
    const h = (r.ms / max) * (H - T - B);
    return `<rect x="${(L + i * bw).toFixed(1)}" y="${(H - B - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour[r.op] ?? "#666"}"><title>#${r.index} ${r.op} ${r.detail} ${r.ms.toFixed(3)} ms</title></rect>`;
  });
  const ticks = Array.from({ length: 5 }, (_, k) => (max * k) / 4);
  const legend = Object.entries(colour).map(([k, c], i) => `<rect x="${L + i * 140}" y="${H - 14}" width="10" height="10" fill="${c}"/><text x="${L + i * 140 + 14}" y="${H - 5}">${k}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<text x="${L}" y="18" font-size="14">MobileNetV2 int8 in dyad: median ms per operator, in model order</text>
${ticks.map((v) => `<line x1="${L}" x2="${W - R}" y1="${H - B - (v / max) * (H - T - B)}" y2="${H - B - (v / max) * (H - T - B)}" stroke="#ddd"/><text x="${L - 4}" y="${H - B - (v / max) * (H - T - B) + 4}" text-anchor="end">${v.toFixed(2)}</text>`).join("\n")}
${bars.join("\n")}
${legend.join("\n")}
</svg>
`;
}

