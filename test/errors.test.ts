// Bad input: every rejection is a typed error that names the argument, raised before any kernel runs.

import { describe, it, expect } from "vitest";
import { QTensor } from "../src/tensor/qtensor.js";
import { Dyad } from "../src/dyad.js";
import { ShapeError, DTypeError, QuantParamError, BufferError, UnsupportedError, MemoryError, LoadError } from "../src/errors.js";
import { loadDyad } from "../src/node.js";
import { dyad } from "./helpers.js";

const w = (shape = [8, 4], extra: Partial<ConstructorParameters<typeof QTensor>[0]> = {}) =>
  new QTensor({ dtype: "int8", shape, scale: 0.1, ...extra });
const io = { input: { dtype: "int8" as const, scale: 0.1, zeroPoint: 0 }, output: { dtype: "int8" as const, scale: 0.2, zeroPoint: 0 } };

describe("matmul create rejects", () => {
  it("weights that are not int8/uint8 QTensors, or of the wrong rank", async () => {
    const d = await dyad();
    expect(() => d.matmul({ ...io, weights: new Int8Array(4) as never })).toThrow(DTypeError);
    expect(() => d.matmul({ ...io, weights: new QTensor({ dtype: "int16", shape: [2, 2] }) })).toThrow(/int16/);
    expect(() => d.matmul({ ...io, weights: w([8]) })).toThrow(ShapeError);
    expect(() => d.matmul({ ...io, weights: w([2, 8, 4]), weightLayout: "nk" })).toThrow(/\[N, K\]/);
    expect(() => d.matmul({ ...io, weights: w(), weightLayout: "kk" as never })).toThrow(ShapeError);
  });
  it("weights quantized along the wrong axis or group-wise", async () => {
    const d = await dyad();
    expect(() => d.matmul({ ...io, weights: w([8, 4], { scale: new Array(8).fill(0.1), axis: 0 }) })).toThrow(/axis 1/);
    expect(() => d.matmul({ ...io, weights: w([8, 4], { scale: new Array(8).fill(0.1), axis: 0, blockSize: 4 }) })).toThrow(UnsupportedError);
  });
  it("non-finite or non-positive scales and out-of-range zero points", async () => {
    const d = await dyad();
    for (const scale of [0, -1, NaN, Infinity, 1e-60]) {
      expect(() => d.matmul({ ...io, weights: w(), input: { dtype: "int8", scale } })).toThrow(/matmul input: scale/);
      expect(() => d.matmul({ ...io, weights: w(), output: { dtype: "int8", scale } })).toThrow(/matmul output: scale/);
    }
    expect(() => d.matmul({ ...io, weights: w(), input: { dtype: "int8", scale: 1, zeroPoint: 128 } })).toThrow(QuantParamError);
    expect(() => d.matmul({ ...io, weights: w(), input: { dtype: "uint8", scale: 1, zeroPoint: -1 } })).toThrow(/uint8 range/);
    expect(() => d.matmul({ ...io, weights: w(), output: { dtype: "int8", scale: 1, zeroPoint: 1.5 } })).toThrow(/zeroPoint/);
  });
  it("dtypes it does not take, bad bias, bad clamps, unknown modes, multipliers too large", async () => {
    const d = await dyad();
    expect(() => d.matmul({ ...io, weights: w(), input: { dtype: "int16" as never, scale: 1 } })).toThrow(DTypeError);
    expect(() => d.matmul({ ...io, weights: w(), output: { dtype: "float32" as never, scale: 1 } })).toThrow(/matmul output: dtype/);
    expect(() => d.matmul({ ...io, weights: w(), bias: [1, 2, 3] })).toThrow(/bias has 3 values/);
    expect(() => d.matmul({ ...io, weights: w(), bias: [1, 2, 3, 2 ** 31] })).toThrow(/bias\[3\]/);
    expect(() => d.matmul({ ...io, weights: w(), clamp: { min: 10, max: 5 } })).toThrow(/greater than/);
    expect(() => d.matmul({ ...io, weights: w(), clamp: { min: -200 } })).toThrow(/clamp.min/);
    expect(() => d.matmul({ ...io, weights: w(), requant: "double" as never })).toThrow(UnsupportedError);
    expect(() => d.matmul({ ...io, weights: w(), output: { dtype: "int8", scale: 1e-12 } })).toThrow(/too large/);
  });
  it("weights larger than the arena's limit", async () => {
    const d = await loadDyad({ memoryLimitBytes: 1 << 20 });
    expect(() => d.matmul({ ...io, weights: new QTensor({ dtype: "int8", shape: [1024, 2048] }) })).toThrow(MemoryError);
    expect(d.memory.usedBytes).toBe(0);
  });
});

describe("matmul run rejects", () => {
  it("wrong shapes, dtypes, buffer sizes and quantization parameters", async () => {
    const d = await dyad();
    const op = d.matmul({ ...io, weights: w() });
    expect(() => op.run({ data: new Int8Array(8), shape: [8] })).toThrow(/\[\.\.\.batch, M, K\] with K = 8/);
    expect(() => op.run({ data: new Int8Array(8), shape: [1, 7] })).toThrow(ShapeError);
    expect(() => op.run({ data: new Int8Array(8), shape: [1, -8] as never })).toThrow(ShapeError);
    expect(() => op.run({ data: new Int8Array(7), shape: [1, 8] })).toThrow(BufferError);
    expect(() => op.run({ data: new Int8Array(17), shape: [2, 8] })).toThrow(/has 16 elements, data has 17/);
    expect(() => op.run({ data: new Uint8Array(8), shape: [1, 8] })).toThrow(/Int8Array/);
    expect(() => op.run(new QTensor({ dtype: "uint8", shape: [1, 8], scale: 0.1 }))).toThrow(DTypeError);
    expect(() => op.run(new QTensor({ dtype: "int8", shape: [1, 8], scale: 0.3 }))).toThrow(/input scale/);
    expect(() => op.run(new QTensor({ dtype: "int8", shape: [1, 8], scale: 0.1, zeroPoint: 4 }))).toThrow(/zero point is 4/);
    expect(() => op.run(null as never)).toThrow(BufferError);
    op.dispose();
    const batched = d.matmul({ ...io, weights: w([2, 8, 4]) });
    expect(() => batched.run({ data: new Int8Array(24), shape: [3, 1, 8] })).toThrow(/batch \[3\] does not match/);
    batched.dispose();
  });
});

describe("matmulF32 rejects", () => {
  it("bad weights, shapes and clamps", async () => {
    const d = await dyad();
    expect(() => d.matmulF32({ weights: new Float64Array(4) as never, shape: [2, 2] })).toThrow(DTypeError);
    expect(() => d.matmulF32({ weights: new Float32Array(3), shape: [2, 2] })).toThrow(BufferError);
    expect(() => d.matmulF32({ weights: new Float32Array(4), shape: [4] })).toThrow(ShapeError);
    expect(() => d.matmulF32({ weights: new Float32Array(4), shape: [2, 2], bias: new Float32Array(3) })).toThrow(/bias/);
    expect(() => d.matmulF32({ weights: new Float32Array(4), shape: [2, 2], clamp: { min: 1, max: 0 } })).toThrow(/min <= max/);
    const op = d.matmulF32({ weights: new Float32Array(4), shape: [2, 2] });
    expect(() => op.run({ data: new Float32Array(3), shape: [1, 3] })).toThrow(ShapeError);
    expect(() => op.run({ data: new Float32Array(3), shape: [1, 2] })).toThrow(BufferError);
    op.dispose();
  });
});

describe("loading rejects", () => {
  it("bytes that are not wasm, or not a dyad build", async () => {
    await expect(Dyad.load(new Uint8Array([1, 2, 3]))).rejects.toThrow(LoadError);
    const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(Dyad.load(empty)).rejects.toThrow(/not a dyad build/);
    await expect(Dyad.load(new URL("file:///nowhere.wasm"))).rejects.toThrow(/dyad\/node/);
  });
});
