// Simulated quantization of TFLite models (src/quant/simulate-tflite.ts) against dyad's integer-only runs:
// the same model, float arithmetic with fake-quantized tensors on one side, integers and fixed-point
// requantization on the other. They agree to a few codes; where TFLite rounds twice they may differ by more.

import { describe, it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseTflite } from "../../src/formats/tflite/model.js";
import { simulateTflite } from "../../src/quant/simulate-tflite.js";
import { BufferError } from "../../src/errors.js";
import { dyad } from "../helpers.js";

const TFLM = fileURLToPath(new URL("../../../shared/corpora/tflm", import.meta.url));
const HELLO = `${TFLM}/hello_world/hello_world_int8.tflite`;
const MOBILENET = `${TFLM}/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite`;

describe("simulated quantization (fake-quant) of TFLite models", () => {
  it.skipIf(!existsSync(HELLO))("hello_world: within 3 codes of the integer-only run on every input, equal on most (233 of 256 here)", async () => {
    const d = await dyad();
    const bytes = new Uint8Array(readFileSync(HELLO));
    const model = d.loadModel(bytes), parsed = parseTflite(bytes);
    let equal = 0;
    for (let q = -128; q <= 127; q++) {
      const [sim] = simulateTflite(parsed, [Int8Array.of(q)]);
      const int = Number(model.run([Int8Array.of(q)])[0].data[0]);
      expect(Math.abs(sim[0] - int), `input ${q}`).toBeLessThanOrEqual(3);
      if (sim[0] === int) equal++;
    }
    expect(equal).toBeGreaterThan(220);
    expect(equal).toBeLessThan(256); // the two arithmetics do differ somewhere
    model.dispose();
    expect(() => simulateTflite(parsed, [])).toThrow(BufferError);
    expect(() => simulateTflite(parsed, [Int8Array.of(1, 2)])).toThrow(/needs 1 values, got 2/);
  });
  it.skipIf(!existsSync(MOBILENET))("MobileNetV2 on the dog image: the same top class, every code within 16 of the integer run", async () => {
    const d = await dyad();
    const bytes = new Uint8Array(readFileSync(MOBILENET));
    const raw = readFileSync(`${TFLM}/mobilenet_v2/dog_input_int8_nchw.bin`);
    const input = new Int8Array(raw.buffer, raw.byteOffset, raw.length);
    const [sim] = simulateTflite(parseTflite(bytes), [input]);
    const model = d.loadModel(bytes);
    const out = model.run([input])[0].data as Int8Array;
    model.dispose();
    const top = (a: ArrayLike<number>) => Array.from({ length: a.length }, (_, i) => i).sort((x, y) => a[y] - a[x] || x - y).slice(0, 4);
    expect(top(sim)).toEqual(top(out));
    let largest = 0;
    sim.forEach((v, i) => { largest = Math.max(largest, Math.abs(v - out[i])); });
    expect(largest).toBeGreaterThan(0); // fixed-point requantization is not float rounding
    expect(largest).toBeLessThanOrEqual(16);
  }, 30_000);
});
