// The Node entry: loads a build that ships inside the package from disk: the relaxed-SIMD one when the
// engine passes the known-answer probe (Node 22+), else the SIMD one (Node 20).
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { readIdx, type IdxArray } from "./data/idx.js";
import { Dyad, DEFAULT_WASM_URL, RELAXED_WASM_URL, chooseBuild, type BuildChoice } from "./dyad.js";
import type { RuntimeOptions } from "./runtime/runtime.js";

export * from "./index.js";

/** Loads dyad in Node from the package's own build/dyad.{simd,relaxed}.wasm; `build` forces one. */
export async function loadDyad(options: RuntimeOptions & { build?: BuildChoice } = {}): Promise<Dyad> {
  const url = chooseBuild(options.build) === "relaxed" ? RELAXED_WASM_URL : DEFAULT_WASM_URL;
  return Dyad.load(await readFile(url!), options); // Node modules always have a file URL
}

/** Reads an IDX file (MNIST, Fashion-MNIST), gzip-compressed or not. */
export async function loadIdxFile(path: string): Promise<IdxArray> {
  const bytes = new Uint8Array(await readFile(path));
  return readIdx(bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes);
}
