// The size budgets of DESIGN/issue "runs everywhere": each .wasm <= 100 KB gzipped, and the JavaScript needed
// to run a model <= 150 KB gzipped (parsers included), measured on the built files: each wasm build, the Node
// bundle as shipped, and the same entry minified (what a web bundler would ship; needs esbuild, a development
// dependency, else that row is left out). `npm run size` prints them; `dyad bench --json` records them.

import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";

const KB = 1024;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

export async function measureSizes() {
  const rows = [];
  for (const file of readdirSync(new URL("../build/", import.meta.url)).filter((f) => f.endsWith(".wasm")).sort()) {
    const bytes = readFileSync(new URL(`../build/${file}`, import.meta.url));
    rows.push({ what: `build/${file}`, bytes: bytes.length, gzipped: gz(bytes), budget: 100 * KB });
  }
  const bundle = readFileSync(new URL("../dist/node.bundle.js", import.meta.url));
  rows.push({ what: "dist/node.bundle.js (Node entry, all formats)", bytes: bundle.length, gzipped: gz(bundle), budget: 150 * KB });
  let esbuild = null;
  try {
    esbuild = await import("esbuild");
  } catch {
    // not installed: no minified row
  }
  if (esbuild) {
    const minified = await esbuild.build({
      entryPoints: [new URL("../dist/node.js", import.meta.url).pathname], bundle: true, minify: true, write: false,
      format: "esm", platform: "node", logLevel: "error",
    });
    const min = minified.outputFiles[0].contents;
    rows.push({ what: "the same, minified", bytes: min.length, gzipped: gz(min), budget: 150 * KB });
  }
  return rows;
}

/** The rows as benchmark records (DESIGN.md §6 fields, plus the sizes). */
export function sizeRecords(rows) {
  return rows.map((r) => ({ suite: "size", case: r.what, engine: "dyad", ms: 0, gops: 0, bytes: r.bytes, gzipped: r.gzipped, budget: r.budget }));
}
