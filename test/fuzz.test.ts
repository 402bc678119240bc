// Fuzzing in the test suite: a short, seeded run of the coverage-guided fuzzer (test/fuzz/engine.mjs) over
// every corpus model, the regression cases earlier runs found, and the two files of the hardening issue
// (an ADD whose output claims a shape broadcasting cannot produce, an ADD reading a tensor that does not
// exist). Contract: each case ends in a result or a DyadError, within a second, with no arena memory left.

import { describe, it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { DyadError, ShapeError, ModelFormatError } from "../src/errors.js";
import { dyad } from "./helpers.js";
// @ts-expect-error: plain JavaScript harness
import { Fuzzer, runCase } from "./fuzz/engine.mjs";
// @ts-expect-error: plain JavaScript harness
import { seedModels, findingFiles } from "./fuzz/seeds.mjs";
// @ts-expect-error: plain JavaScript harness
import { tfliteFields } from "./fuzz/mutate.mjs";

const ADD = new URL("../../shared/corpora/tflm/seanet/add/add12.tflite", import.meta.url);

/** The flatbuffer fields of add12.tflite: its tensors' shapes and the operator's input indices. */
function addFields(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const i32 = (tfliteFields(bytes) as [number, string][]).filter(([, kind]) => kind === "i32").map(([at]) => at);
  return { dv, i32 };
}

describe("fuzzing loadModel + run", () => {
  it("a seeded run of 2,500 mutated models: every case a result or a DyadError, under a second, no memory left", async () => {
    const d = await dyad();
    const seeds = seedModels();
    const fuzzer = new Fuzzer({ dyad: d, DyadError, seeds, seed: 20261207, filter: (url: string) => url.includes("/src/") && !url.includes("node_modules") });
    const findings: string[] = [];
    for (let i = 0; i < 2500; i++) {
      const { from, result } = fuzzer.step();
      if (result.outcome === "finding") findings.push(`${result.kind} from ${from}: ${result.message}`);
    }
    fuzzer.close();
    const s = fuzzer.stats;
    console.log(`fuzz: ${s.cases} cases (${seeds.length} seeds), ${s.ran} ran, ${s.rejected} rejected ${JSON.stringify(s.codes)}, corpus ${s.corpus}, ${s.blocks} blocks covered, slowest case ${s.maxMs.toFixed(0)} ms`);
    expect(findings).toEqual([]);
    expect(s.cases).toBe(seeds.length + 2500);
    // The mutations reach past the parsers: models load and run, and rejections come from several checks.
    if (seeds.length > 10) {
      expect(s.ran).toBeGreaterThan(100);
      expect(Object.keys(s.codes).length).toBeGreaterThanOrEqual(4);
      expect(s.corpus).toBeGreaterThan(seeds.length);
    }
    expect(d.memory.usedBytes).toBe(0);
  }, 120_000);

  it("the regression cases of earlier fuzz runs each end in a result or a DyadError within a second", async () => {
    const d = await dyad();
    const files = findingFiles();
    for (const f of files) {
      const r = runCase(d, DyadError, f.bytes, { slowMs: 1000 });
      expect(r.outcome, `${f.name}: ${r.message}`).not.toBe("finding");
    }
  });

  it.skipIf(!existsSync(ADD))("an ADD whose output claims [32513, 2, 80, 16] for inputs of [1, 2, 80, 16] is a ShapeError naming op, index and both shapes", async () => {
    const d = await dyad();
    const bytes = new Uint8Array(readFileSync(ADD));
    const { dv, i32 } = addFields(bytes);
    // The three tensors' shapes are [1, 2, 80, 16]; the output's leading 1 is the third such run.
    const leading = i32.filter((at) => dv.getInt32(at, true) === 1 && dv.getInt32(at + 4, true) === 2 && dv.getInt32(at + 8, true) === 80);
    const model = d.loadModel(bytes);
    const outName = model.outputs[0].name;
    model.dispose();
    const messages: string[] = [];
    for (const at of leading) {
      const b = bytes.slice();
      new DataView(b.buffer).setInt32(at, 32513, true);
      expect(() => d.loadModel(b).dispose()).toThrow(ShapeError);
      try {
        d.loadModel(b);
      } catch (e) {
        messages.push((e as Error).message);
      }
    }
    // Two inputs and the output: each mutation is refused; the output's names it, its index and both shapes.
    expect(messages.length).toBe(3);
    const output = messages.filter((m) => m.includes(`"${outName}") is declared [32513, 2, 80, 16]; the op computes [1, 2, 80, 16] from its inputs`));
    expect(output.length).toBe(1);
    expect(output[0]).toMatch(/^op 0 \(ADD\): output 0 \(tensor \d+/);
    const hit = output.length;
    expect(hit).toBe(1);
    expect(d.memory.usedBytes).toBe(0);
  });

  it.skipIf(!existsSync(ADD))("an ADD whose input index names a tensor that does not exist, or is -1, is a typed error", async () => {
    const d = await dyad();
    const bytes = new Uint8Array(readFileSync(ADD));
    const m = d.loadModel(bytes);
    m.dispose();
    // The operator's inputs [0, 1]: a vector of two int32 whose values are 0 and 1.
    const { dv, i32 } = addFields(bytes);
    const inputs = i32.filter((at) => dv.getInt32(at, true) === 0 && i32.includes(at + 4) && dv.getInt32(at + 4, true) === 1);
    expect(inputs.length).toBeGreaterThan(0);
    for (const at of inputs) {
      for (const [value, type] of [[99, ModelFormatError], [-1, ShapeError]] as const) {
        const b = bytes.slice();
        new DataView(b.buffer).setInt32(at + 4, value, true);
        let error: unknown = null;
        try {
          d.loadModel(b).dispose();
        } catch (e) {
          error = e;
        }
        expect(error, `input index ${value}`).toBeInstanceOf(DyadError);
        if (error instanceof type) expect((error as Error).message).toMatch(value === 99 ? /tensor index 99 is out of range/ : /input 1 \(input2\) is missing/);
      }
    }
  });
});
