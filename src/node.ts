// The Node entry: loads the SIMD build that ships inside the package from disk.
import { readFile } from "node:fs/promises";
import { Dyad, DEFAULT_WASM_URL } from "./dyad.js";
import type { RuntimeOptions } from "./runtime/runtime.js";

export * from "./index.js";

/** Loads dyad in Node from the package's own build/dyad.simd.wasm. */
export async function loadDyad(options: RuntimeOptions = {}): Promise<Dyad> {
  return Dyad.load(await readFile(DEFAULT_WASM_URL!), options); // Node modules always have a file URL
}
