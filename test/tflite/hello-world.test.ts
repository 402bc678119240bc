// TFLite Micro's hello_world_int8: three int8 FULLY_CONNECTED layers that approximate sin(x). Upstream's
// expectation: |sin(x) - dequantized output| <= 0.05 on the given inputs.

import { it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { dyad } from "../helpers.js";

const DIR = new URL("../../../shared/corpora/tflm/hello_world/", import.meta.url);

it.skipIf(!existsSync(DIR))("hello_world_int8 approximates sin(x) within 0.05", async () => {
  const d = await dyad();
  const model = d.loadModel(new Uint8Array(readFileSync(new URL("hello_world_int8.tflite", DIR))));
  const rows = readFileSync(new URL("expectations.csv", DIR), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  expect(rows.length).toBe(4);
  for (const [q, , want, tol] of rows) {
    const [y] = model.run([Int8Array.of(q)]);
    const got = (y.data[0] as number - y.zeroPoint!) * y.scale!;
    expect(Math.abs(got - want), `input ${q}`).toBeLessThanOrEqual(tol);
  }
  // Identical across runs.
  const once = () => Array.from(model.run([Int8Array.of(-63)])[0].data as Int8Array);
  expect(once()).toEqual(once());
  model.dispose();
});

it.skipIf(!existsSync(DIR))("runs into caller-owned output arrays, and checks them before running", async () => {
  const d = await dyad();
  const model = d.loadModel(new Uint8Array(readFileSync(new URL("hello_world_int8.tflite", DIR))));
  const out = new Int8Array(1);
  for (const q of [-128, -63, 0, 90, 127]) {
    const [fresh] = model.run([Int8Array.of(q)]);
    const [into] = model.run([Int8Array.of(q)], { outputs: [out] });
    expect(into.data).toBe(out);
    expect(out[0]).toBe(fresh.data[0]);
    expect(into.shape).toEqual(fresh.shape);
  }
  const before = out[0];
  expect(() => model.run([Int8Array.of(1)], { outputs: [] })).toThrow(/expected 1 output arrays/);
  expect(() => model.run([Int8Array.of(1)], { outputs: [new Uint8Array(1)] })).toThrow(/model output 0 .*expected int8 data .*got Uint8Array/);
  expect(() => model.run([Int8Array.of(1)], { outputs: [new Int8Array(2)] })).toThrow(/model output 0 .*needs 1 elements, got 2/);
  expect(out[0]).toBe(before);
  model.dispose();
});
