// Run-time input checks on a model (the committed Fashion-MNIST W8A8 file: one float32 input [1, 1, 28, 28],
// one float32 output [1, 10]): each misuse is a typed error or a defined behaviour.

import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { BufferError, DTypeError, MemoryError, ShapeError, StateError } from "../src/errors.js";
import { dyad, rng } from "./helpers.js";

const MODEL = new Uint8Array(readFileSync(new URL("../models/fashion-mnist-w8a8.onnx", import.meta.url)));

function image(seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: 28 * 28 }, () => r());
}

describe("Model.run input checks", () => {
  it("refuses the wrong length, the wrong typed-array kind, a missing input and a wrong count, naming the input", async () => {
    const model = (await dyad()).loadModel(MODEL);
    const name = model.inputs[0].name;
    expect(() => model.run([new Float32Array(783)])).toThrow(BufferError);
    expect(() => model.run([new Float32Array(783)])).toThrow(/784 elements, got 783/);
    expect(() => model.run([new Float64Array(784) as unknown as Float32Array])).toThrow(DTypeError);
    expect(() => model.run([new Uint8Array(784) as unknown as Float32Array])).toThrow(/expected float32 data \(Float32Array\), got Uint8Array/);
    expect(() => model.run({ wrong: image(1) })).toThrow(new RegExp(`model input 0 \\(${name}\\).*got undefined`));
    expect(() => model.run([])).toThrow(ShapeError);
    expect(() => model.run([image(1), image(2)])).toThrow(/expected 1 inputs/);
    model.dispose();
  });

  it("refuses NaN and infinities in float inputs by default (naming the element), and runs them when allowed", async () => {
    const model = (await dyad()).loadModel(MODEL);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = image(3);
      x[417] = bad;
      expect(() => model.run([x])).toThrow(BufferError);
      expect(() => model.run([x])).toThrow(new RegExp(`element 417 is ${bad}`));
      const [y] = model.run([x], { allowNonFinite: true });
      expect(y.data.length).toBe(10); // quantizing maps NaN to the zero point and saturates infinities
      expect(Array.from(y.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
    model.dispose();
  });

  it("an input array may also receive the output; two overlapping output arrays are refused", async () => {
    const d = await dyad();
    const model = d.loadModel(MODEL);
    const expected = model.run([image(4)])[0].data;
    const buffer = new Float32Array(784);
    buffer.set(image(4));
    const out = buffer.subarray(0, 10);
    // out is a view on the input's memory: the input is read before the run, the output written after.
    const [y] = model.run([buffer], { outputs: [out] });
    expect(y.data).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(expected as Float32Array));
    expect(() => model.run([image(4)], { outputs: [new Float32Array(9)] })).toThrow(BufferError);
    model.dispose();
    expect(d.memory.usedBytes).toBe(0);
  });

  it("run() and dispose() after dispose(): a StateError and a no-op", async () => {
    const d = await dyad();
    const model = d.loadModel(MODEL);
    model.dispose();
    expect(() => model.run([image(5)])).toThrow(StateError);
    expect(() => model.run([image(5)])).toThrow(/after dispose\(\)/);
    expect(() => model.dispose()).not.toThrow();
    expect(d.memory.usedBytes).toBe(0);
  });

  it("concurrent async callers on one model each get their own results; a re-entrant run (from a profile callback) is a StateError", async () => {
    const d = await dyad();
    const model = d.loadModel(MODEL);
    const images = Array.from({ length: 12 }, (_, i) => image(100 + i));
    const sequential = images.map((x) => Array.from(model.run([x])[0].data as Float32Array));
    const concurrent = await Promise.all(images.map(async (x, i) => {
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      return Array.from(model.run([x])[0].data as Float32Array);
    }));
    expect(concurrent).toEqual(sequential);
    expect(() => model.run([images[0]], { profile: () => model.run([images[1]]) })).toThrow(StateError);
    // The model still runs correctly after the refused re-entry.
    expect(Array.from(model.run([images[2]])[0].data as Float32Array)).toEqual(sequential[2]);
    model.dispose();
  });

  it("maxMemoryBytes: a model past it is a MemoryError at load, before anything is allocated", async () => {
    const d = await dyad();
    const before = d.memory.usedBytes;
    expect(() => d.loadModel(MODEL, { maxMemoryBytes: 4096 })).toThrow(MemoryError);
    expect(() => d.loadModel(MODEL, { maxMemoryBytes: 4096 })).toThrow(/maxMemoryBytes = 4096/);
    expect(d.memory.usedBytes).toBe(before);
    expect(() => d.loadModel(MODEL, { maxMemoryBytes: -1 })).toThrow(MemoryError);
    // Enough for its activations and weights, not for what packing them takes: refused while building.
    expect(() => d.loadModel(MODEL, { maxMemoryBytes: 40_000 })).toThrow(MemoryError);
    expect(d.memory.usedBytes).toBe(before);
    d.loadModel(MODEL, { maxMemoryBytes: 1 << 20 }).dispose();
  });
});
