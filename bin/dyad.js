#!/usr/bin/env node
// dyad CLI (DESIGN.md §6). `bench` runs the kernel benchmarks; `run` and `inspect` need the model importers
// (TFLite, ONNX), which are not part of this release yet, and say so.

import { writeFile, readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { loadDyad } from "../dist/node.js";
import { benchMatmul } from "../bench/matmul.js";
import { benchKernels } from "../bench/kernels.js";
import { loadOrtWeb } from "../bench/peers.js";
import { formatReport } from "../bench/report.js";

const USAGE = `usage:
  dyad bench [--quick] [--json FILE]   kernel benchmarks, dyad and its peers side by side
  dyad run <model> [--input FILE]... [--json] [--repeat N]
  dyad inspect <model>`;

function fail(message, code = 2) {
  process.stderr.write(`dyad: ${message}\n`);
  process.exit(code);
}

async function bench(args) {
  const quick = args.includes("--quick");
  const jsonAt = args.indexOf("--json");
  const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : null;
  if (jsonAt >= 0 && !jsonFile) fail("--json needs a file name");
  const unknown = args.filter((a, i) => a.startsWith("--") && !["--quick", "--json"].includes(a) && args[i - 1] !== "--json");
  if (unknown.length) fail(`unknown option ${unknown[0]}\n${USAGE}`);

  const dyad = await loadDyad();
  const peer = await loadOrtWeb();
  const wasm = await readFile(new URL("../build/dyad.simd.wasm", import.meta.url));
  console.log(`dyad ${quick ? "quick " : ""}benchmark: Node ${process.versions.node}, one thread, medians of tinybench runs`);
  console.log(`dyad wasm: ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzipped; kernels: ${dyad.kernels.map((k) => k.name).join(", ")}`);
  console.log(peer.ort ? `peer: onnxruntime-web ${peer.version} (wasm, 1 thread)` : `peer: none, ${peer.reason}`);
  const records = await benchMatmul({ dyad, ort: peer.ort, quick, log: (c) => process.stderr.write(`  measured ${c}\n`) });
  console.log("\n" + formatReport(records));
  if (!quick) console.log("\nevery kernel of the table, called directly:\n" + (await benchKernels({ dyad, quick })));
  if (jsonFile) {
    await writeFile(jsonFile, JSON.stringify(records, null, 2) + "\n");
    console.log(`\nwrote ${records.length} records to ${jsonFile}`);
  }
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case "bench":
    await bench(rest);
    break;
  case "run":
  case "inspect":
    fail(`'${command}' needs the TFLite/ONNX model importers, which this build does not have yet`);
    break;
  case undefined:
  case "help":
  case "--help":
  case "-h":
    console.log(USAGE);
    break;
  default:
    fail(`unknown command '${command}'\n${USAGE}`);
}
