#!/usr/bin/env node
// `npm run soak [-- --runs N --cycles N]`: 10,000 MobileNetV2 runs, then 1,000 load/run/dispose cycles of
// every corpus model (and the repository's), with RSS, JS heap (after GC) and wasm memory sampled; checks
// them against the bounds below and writes docs/reliability-soak.json and an SVG of the samples.

import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { loadDyad } from "../dist/node.js";
import { soak } from "./soak-core.js";
import { seedModels } from "../test/fuzz/seeds.mjs";

/** The bounds the soak holds memory to (growth from the first sample of a phase to its last). */
export const BOUNDS = { heap: 8 << 20, rss: 48 << 20, wasm: 0, arena: 0 };

const { values } = parseArgs({ options: { runs: { type: "string" }, cycles: { type: "string" }, out: { type: "string" } }, strict: true });
const runs = Number(values.runs ?? 10_000), cycles = Number(values.cycles ?? 1_000);
if (!globalThis.gc) process.stderr.write("soak: run with node --expose-gc for heap figures after collection (npm run soak does)\n");
const root = fileURLToPath(new URL("../", import.meta.url));
const mobilenet = `${root}../shared/corpora/tflm/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite`;
const dyad = await loadDyad();
const runModel = existsSync(mobilenet) ? { name: "mobilenet_v2", bytes: new Uint8Array(readFileSync(mobilenet)) } : null;
const models = [...seedModels(), ...(runModel ? [runModel] : [])];
const t0 = performance.now();
const result = soak({ dyad, runModel, runs, models, cycles, every: 500, log: (m) => process.stderr.write(`soak: ${m} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`) });
const seconds = (performance.now() - t0) / 1000;
const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const verdict = (g) => g && Object.entries(BOUNDS).every(([k, bound]) => Math.abs(g[k]) <= bound);
const summary = {
  date: new Date().toISOString().slice(0, 10), node: process.versions.node, seconds: Math.round(seconds), runs: runModel ? runs : 0, runModel: runModel?.name ?? null,
  cycles, models: result.models.length, skipped: result.skipped, bounds: BOUNDS, growth: result.growth,
  flat: { runs: result.growth.runs ? verdict(result.growth.runs) : null, cycles: verdict(result.growth.cycles) }, samples: result.samples,
};
for (const [phase, g] of Object.entries(result.growth)) {
  if (!g) continue;
  console.log(`${phase}: RSS ${mib(g.rss)} (peak +${mib(g.maxRss)}), JS heap ${mib(g.heap)}, wasm memory ${g.wasm} B, arena ${g.arena} B -> ${verdict(g) ? "flat" : "NOT FLAT"} (bounds: heap ${mib(BOUNDS.heap)}, RSS ${mib(BOUNDS.rss)}, wasm and arena 0)`);
}
console.log(`${summary.runs} runs of ${summary.runModel}, ${cycles} cycles of ${result.models.length} models (${result.skipped} refused by dyad, not cycled), ${summary.seconds} s`);
const out = values.out ?? `${root}docs/reliability-soak`;
writeFileSync(`${out}.json`, JSON.stringify(summary, null, 1) + "\n");
writeFileSync(`${out}.svg`, chart(result.samples));
console.log(`wrote ${out}.json and ${out}.svg`);
if (!summary.flat.cycles || summary.flat.runs === false) process.exitCode = 1;

/** RSS and JS heap (MiB) over the samples, the runs phase then the cycles phase. */
function chart(samples) {
  const W = 720, H = 300, L = 60, R = 20, T = 30, B = 50;
  const max = Math.max(...samples.map((s) => s.rss)) / 2 ** 20 * 1.1;
  const x = (i) => L + (i / Math.max(1, samples.length - 1)) * (W - L - R);
  const y = (v) => T + (1 - v / 2 ** 20 / max) * (H - T - B);
  const line = (key, color) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${samples.map((s, i) => `${x(i).toFixed(1)},${y(s[key]).toFixed(1)}`).join(" ")}"/>`;
  const split = samples.findIndex((s) => s.phase === "cycles");
  const ticks = Array.from({ length: 5 }, (_, k) => (max * k) / 4);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<text x="${L}" y="18" font-size="14">dyad soak: process RSS and JS heap (after GC), MiB</text>
${ticks.map((v) => `<line x1="${L}" x2="${W - R}" y1="${y(v * 2 ** 20)}" y2="${y(v * 2 ** 20)}" stroke="#ddd"/><text x="${L - 6}" y="${y(v * 2 ** 20) + 4}" text-anchor="end">${v.toFixed(0)}</text>`).join("\n")}
${split > 0 ? `<line x1="${x(split)}" x2="${x(split)}" y1="${T}" y2="${H - B}" stroke="#999" stroke-dasharray="4"/>` : ""}
<text x="${L}" y="${H - B + 18}">${split > 0 ? "model runs" : ""}</text><text x="${split > 0 ? x(split) + 4 : L}" y="${H - B + 18}">load/run/dispose cycles</text>
<text x="${(L + W) / 2}" y="${H - 8}" text-anchor="middle">samples, in order (one per 500 runs or cycles)</text>
${line("rss", "#c33")}${line("heap", "#36c")}
<text x="${W - R - 150}" y="${T + 14}" fill="#c33">RSS</text><text x="${W - R - 100}" y="${T + 14}" fill="#36c">JS heap</text>
</svg>
`;
}
