// `npm run size`: the budgets of issue "runs everywhere": each .wasm <= 100 KB gzipped, and the JavaScript
// needed to run a model <= 150 KB gzipped (parsers included), measured on the built files: the wasm, the Node
// bundle as shipped, and the same entry minified (what a web bundler would ship). Prints a table; --json FILE
// also writes the numbers.

import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const KB = 1024;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const rows = [];
for (const file of readdirSync(new URL("../build/", import.meta.url)).filter((f) => f.endsWith(".wasm"))) {
  const bytes = readFileSync(new URL(`../build/${file}`, import.meta.url));
  rows.push({ what: `build/${file}`, bytes: bytes.length, gzipped: gz(bytes), budget: 100 * KB });
}
const bundle = readFileSync(new URL("../dist/node.bundle.js", import.meta.url));
rows.push({ what: "dist/node.bundle.js (Node entry, all formats)", bytes: bundle.length, gzipped: gz(bundle), budget: 150 * KB });
const minified = await build({
  entryPoints: [new URL("../dist/node.js", import.meta.url).pathname], bundle: true, minify: true, write: false,
  format: "esm", platform: "node", logLevel: "error",
});
const min = minified.outputFiles[0].contents;
rows.push({ what: "the same, minified", bytes: min.length, gzipped: gz(min), budget: 150 * KB });

for (const r of rows) {
  const ok = r.gzipped <= r.budget ? "ok" : "OVER";
  console.log(`${r.what.padEnd(48)} ${String(r.bytes).padStart(8)} B  ${String(r.gzipped).padStart(7)} B gzipped  (budget ${r.budget / KB} KB: ${ok})`);
}
const at = process.argv.indexOf("--json");
if (at >= 0) writeFileSync(process.argv[at + 1], JSON.stringify(rows, null, 2) + "\n");
if (rows.some((r) => r.gzipped > r.budget)) process.exitCode = 1;
