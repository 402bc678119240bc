// The README's example, as written there, must run.
import { it, expect } from "vitest";
import { readFileSync } from "node:fs";

it("the README example runs", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const code = blocks.find((b) => b.includes("await loadDyad()"))!
    .replace(/^import .*$/m, "")
    .replace(/^const dyad = await loadDyad\(\);$/m, "const dyad = await loadDyad();");
  const mod = await import("../src/node.js");
  const run = new Function("loadDyad", "QTensor", "activationClamp", `return (async () => { ${code}; return y; })();`);
  const y = await run(mod.loadDyad, mod.QTensor, mod.activationClamp);
  expect(y.dtype).toBe("int8");
  expect(y.shape).toEqual([128, 3072]);
  // ReLU6 at scale 0.05 and zero point 4 clamps to [4, 4 + 6 / 0.05].
  const values = Array.from(y.data as Int8Array);
  expect(values.every((v) => v >= 4 && v <= 124)).toBe(true);
});

it("the README's low-bit example runs", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const code = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("createLinear"))!.replace(/^import .*$/m, "");
  const mod = await import("../src/node.js");
  const run = new Function("loadDyad", "QTensor", "fitCodebook", `return (async () => { ${code}; return y; })();`);
  const y = await run(mod.loadDyad, mod.QTensor, mod.fitCodebook);
  expect(y).toBeInstanceOf(Float32Array);
  expect(y.length).toBe(4096);
  expect(y.every((v: number) => Number.isFinite(v))).toBe(true);
  expect(new Set(y).size).toBeGreaterThan(1000);
}, 30_000);
