// The fuzzer's seeds: every model of the external corpus under 1 MB (TFLite Micro's and the ONNX conformance
// cases'), and the models the repository ships.

import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CORPORA = join(ROOT, "../shared/corpora");
export const MAX_SEED_BYTES = 1 << 20;

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(tflite|onnx)$/.test(name) && statSync(path).size < MAX_SEED_BYTES) out.push(path);
  }
  return out;
}

/** [{ name, bytes }] in a fixed order. */
export function seedModels() {
  const files = [...(existsSync(CORPORA) ? walk(CORPORA) : []), ...walk(join(ROOT, "models"))];
  return files.map((path) => ({ name: relative(ROOT, path), bytes: new Uint8Array(readFileSync(path)) }));
}

/** The regression cases earlier fuzz runs found, committed under test/fuzz/findings. */
export function findingFiles() {
  const dir = join(ROOT, "test/fuzz/findings");
  return existsSync(dir) ? readdirSync(dir).filter((n) => /\.(tflite|onnx)$/.test(n)).sort().map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(join(dir, n))) })) : [];
}
