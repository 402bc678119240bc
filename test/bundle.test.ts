// `dyad/node` resolves to dist/node.bundle.js (one file, dependencies inlined: a third of the import time of
// the module tree). It must export what dist/node.js exports and run the same.

import { it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";

const BUNDLE = new URL("../dist/node.bundle.js", import.meta.url);
const TREE = new URL("../dist/node.js", import.meta.url);
const MODEL = new URL("../../shared/corpora/tflm/hello_world/hello_world_int8.tflite", import.meta.url);

it.skipIf(!existsSync(BUNDLE) || !existsSync(MODEL))("the bundled Node entry exports and computes what the module tree does", async () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  expect(pkg.exports["./node"].default).toBe("./dist/node.bundle.js");
  const [bundle, tree] = [await import(BUNDLE.href), await import(TREE.href)];
  expect(Object.keys(bundle).sort()).toEqual(Object.keys(tree).sort());
  const run = async (m: typeof tree) => {
    const d = await m.loadDyad();
    const model = d.loadModel(new Uint8Array(readFileSync(MODEL)));
    const out = Array.from(model.run([Int8Array.of(37)])[0].data as Int8Array);
    model.dispose();
    return out;
  };
  expect(await run(bundle)).toEqual(await run(tree));
  // The bundle's errors are its own classes, still named and typed.
  const d = await bundle.loadDyad();
  expect(() => d.loadModel(new Uint8Array(16))).toThrow(bundle.ModelFormatError);
});

it("stays within its size budgets: the wasm <= 100 KB gzipped, the JavaScript to run a model <= 150 KB gzipped", async () => {
  const { spawnSync } = await import("node:child_process");
  const json = `${process.env.TMPDIR ?? "/tmp"}/dyad-size-${process.pid}.json`;
  const r = spawnSync(process.execPath, [new URL("../scripts/size.mjs", import.meta.url).pathname, "--json", json], { encoding: "utf8" });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  const rows = JSON.parse(readFileSync(json, "utf8")) as { what: string; gzipped: number; budget: number }[];
  (await import("node:fs")).unlinkSync(json);
  expect(rows.filter((row) => row.what.endsWith(".wasm")).map((row) => row.what)).toEqual(["build/dyad.relaxed.wasm", "build/dyad.simd.wasm"]);
  for (const row of rows) expect(row.gzipped, row.what).toBeLessThanOrEqual(row.budget);
});

it("keeps the core free of top-level await and of node: imports (only the Node entry has them)", async () => {
  const { readdirSync, statSync } = await import("node:fs");
  const { join } = await import("node:path");
  const src = new URL("../src/", import.meta.url).pathname;
  const files: string[] = [];
  const walk = (dir: string) => readdirSync(dir).forEach((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : files.push(join(dir, f))));
  walk(src);
  const offenders = files.filter((f) => !f.endsWith("/src/node.ts") && /from\s+["']node:|import\(["']node:|require\(["']node:/.test(readFileSync(f, "utf8")));
  expect(offenders).toEqual([]);
  // esbuild refuses top-level await when told the target lacks it; the core must build that way.
  const { build } = await import("esbuild");
  const r = await build({
    entryPoints: [new URL("../dist/index.js", import.meta.url).pathname], bundle: true, write: false, format: "esm",
    platform: "browser", supported: { "top-level-await": false }, logLevel: "silent",
  });
  expect(r.errors).toEqual([]);
});
