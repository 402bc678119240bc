// `npm run size`: prints the size budgets (bench/sizes.js says what is measured); --json FILE also writes the
// numbers. Exits 1 when a budget is exceeded.

import { writeFileSync } from "node:fs";
import { measureSizes } from "../bench/sizes.js";

const KB = 1024;
const rows = await measureSizes();
for (const r of rows) {
  const ok = r.gzipped <= r.budget ? "ok" : "OVER";
  console.log(`${r.what.padEnd(48)} ${String(r.bytes).padStart(8)} B  ${String(r.gzipped).padStart(7)} B gzipped  (budget ${r.budget / KB} KB: ${ok})`);
}
const at = process.argv.indexOf("--json");
if (at >= 0) writeFileSync(process.argv[at + 1], JSON.stringify(rows, null, 2) + "\n");
if (rows.some((r) => r.gzipped > r.budget)) process.exitCode = 1;
