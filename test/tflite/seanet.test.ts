// TFLite Micro's SEANet per-layer integration cases (int16 activations, 16x8 mode): every case must match its
// golden bit-exactly (upstream allows +-1). The summary line reports exact matches per family.

import { describe, it, expect, afterAll } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dyad } from "../helpers.js";

const ROOT = new URL("../../../shared/corpora/tflm/seanet/", import.meta.url);
const families = existsSync(ROOT) ? readdirSync(ROOT).sort() : [];
const csv = (url: URL) => Int16Array.from(readFileSync(url, "utf8").trim().split(/[,\s]+/).map(Number));
const tally: Record<string, { cases: number; exact: number; elements: number; exactElements: number }> = {};

describe.skipIf(families.length === 0)("seanet (16x8) goldens", () => {
  for (const family of families) {
    const dir = new URL(`${family}/`, ROOT);
    const cases = readdirSync(dir).filter((f) => f.endsWith(".tflite")).map((f) => f.replace(".tflite", ""));
    for (const name of cases.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))) {
      it(`${family}/${name} matches its golden exactly`, async () => {
        const d = await dyad();
        const model = d.loadModel(new Uint8Array(readFileSync(new URL(`${name}.tflite`, dir))));
        const inputs = model.inputs.map((_, i) => csv(new URL(`${name}_input${i}_int16.csv`, dir)));
        const golden = csv(new URL(`${name}_golden_int16.csv`, dir));
        const got = model.run(inputs)[0].data as Int16Array;
        model.dispose();
        const t = (tally[family] ??= { cases: 0, exact: 0, elements: 0, exactElements: 0 });
        let same = 0, maxDiff = 0;
        for (let i = 0; i < golden.length; i++) {
          if (got[i] === golden[i]) same++;
          maxDiff = Math.max(maxDiff, Math.abs(got[i] - golden[i]));
        }
        t.cases++;
        t.elements += golden.length;
        t.exactElements += same;
        if (same === golden.length) t.exact++;
        expect(got.length).toBe(golden.length);
        expect(maxDiff, `${same}/${golden.length} exact, largest difference ${maxDiff}`).toBe(0);
      });
    }
  }
  afterAll(() => {
    const lines = Object.entries(tally).map(([f, t]) => `${f}: ${t.exact}/${t.cases} cases exact, ${t.exactElements}/${t.elements} elements`);
    console.log(`seanet exact matches -> ${lines.join("; ")}`);
  });
});
