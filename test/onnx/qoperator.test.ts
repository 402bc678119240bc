// ONNX QOperator models built here with the protobuf writer, run by dyad and by onnxruntime-web (exact on
// int8), compared bit for bit: QuantizeLinear -> QLinearMatMul -> DequantizeLinear chains, MatMulInteger,
// uint8 and int8 activations, per-tensor and per-column weights, Reshape and Flatten glue.

import { describe, it, expect } from "vitest";
import * as ort from "onnxruntime-web";
import { encodeModel, type GraphSpec } from "../../src/formats/onnx/proto.js";
import { UnsupportedError, ModelFormatError } from "../../src/errors.js";
import { dyad, rng, randInts } from "../helpers.js";
import { mlasLogistic } from "../../src/ops/qlinear-lookup.js";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

const scalar = (name: string, dtype: "float32" | "int8" | "uint8", v: number) => ({
  name, dtype, dims: [] as number[],
  data: dtype === "float32" ? Float32Array.of(v) : dtype === "int8" ? Int8Array.of(v) : Uint8Array.of(v),
});

function quantizedLinear(m: number, k: number, n: number, act: "int8" | "uint8", perColumn: boolean, seed: number): GraphSpec {
  const r = rng(seed);
  const w = randInts(Int8Array, k * n, -127, 127, r);
  const za = act === "uint8" ? 128 + Math.floor(r() * 20) : Math.floor(r() * 40) - 20;
  const sb = perColumn ? Array.from({ length: n }, () => 0.002 + r() * 0.01) : [0.006];
  return {
    opset: 21,
    nodes: [
      { opType: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"] },
      { opType: "Reshape", inputs: ["xq", "shape"], outputs: ["xr"] },
      { opType: "QLinearMatMul", inputs: ["xr", "sx", "zx", "w", "sw", "zw", "sy", "zy"], outputs: ["yq"] },
      { opType: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"] },
    ],
    inputs: [{ name: "x", dtype: "float32", dims: [1, m, k] }],
    outputs: [{ name: "y", dtype: "float32", dims: [m, n] }],
    initializers: [
      scalar("sx", "float32", 0.02), scalar("zx", act, za),
      { name: "shape", dtype: "int64", dims: [2], data: BigInt64Array.of(BigInt(m), BigInt(k)) },
      { name: "w", dtype: "int8", dims: [k, n], data: w },
      { name: "sw", dtype: "float32", dims: perColumn ? [n] : [], data: Float32Array.from(sb) },
      { name: "zw", dtype: "int8", dims: perColumn ? [n] : [], data: new Int8Array(perColumn ? n : 1) },
      scalar("sy", "float32", 0.05 + r() * 0.1), scalar("zy", act, act === "uint8" ? 120 : -3),
    ],
  };
}

async function ortRun(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const out = await session.run(feeds);
  await session.release();
  return Object.values(out)[0];
}

describe("ONNX QOperator models against onnxruntime-web", () => {
  for (const act of ["uint8", "int8"] as const) {
    for (const perColumn of [false, true]) {
      it(`Quantize -> Reshape -> QLinearMatMul -> Dequantize, ${act} activations, ${perColumn ? "per-column" : "per-tensor"} weights`, async () => {
        const d = await dyad();
        for (const [m, k, n] of [[1, 16, 8], [5, 37, 19], [33, 64, 40]]) {
          const bytes = encodeModel(quantizedLinear(m, k, n, act, perColumn, m * 100 + k));
          const x = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.7) * 2);
          const theirs = await ortRun(bytes, { x: new ort.Tensor("float32", x, [1, m, k]) });
          const model = d.loadModel(bytes);
          const [ours] = model.run([x]);
          model.dispose();
          expect(ours.shape).toEqual([m, n]);
          const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
          expect(bits(ours.data as Float32Array)).toEqual(bits(theirs.data as Float32Array));
        }
      });
    }
  }

  it("MatMulInteger with zero points on both sides, then Flatten", async () => {
    const d = await dyad();
    const r = rng(8);
    const [m, k, n] = [6, 20, 9];
    const spec: GraphSpec = {
      opset: 21,
      nodes: [
        { opType: "MatMulInteger", inputs: ["a", "b", "za", "zb"], outputs: ["y"] },
        { opType: "Flatten", inputs: ["y"], outputs: ["f"], attrs: { axis: 0 } },
      ],
      inputs: [{ name: "a", dtype: "uint8", dims: [m, k] }],
      outputs: [{ name: "f", dtype: "int32", dims: [1, m * n] }],
      initializers: [
        { name: "b", dtype: "uint8", dims: [k, n], data: randInts(Uint8Array, k * n, 0, 255, r) },
        scalar("za", "uint8", 131), scalar("zb", "uint8", 117),
      ],
    };
    const bytes = encodeModel(spec);
    const a = randInts(Uint8Array, m * k, 0, 255, r);
    const theirs = await ortRun(bytes, { a: new ort.Tensor("uint8", a, [m, k]) });
    const model = d.loadModel(bytes);
    const [ours] = model.run([a]);
    model.dispose();
    expect(Array.from(ours.data as Int32Array)).toEqual(Array.from(theirs.data as Int32Array));
  });

  it("names unsupported nodes and rejects garbage", async () => {
    const d = await dyad();
    const spec: GraphSpec = {
      opset: 21, nodes: [{ opType: "Erf", inputs: ["x"], outputs: ["y"] }],
      inputs: [{ name: "x", dtype: "float32", dims: [2] }], outputs: [{ name: "y", dtype: "float32", dims: [2] }], initializers: [],
    };
    expect(() => d.loadModel(encodeModel(spec))).toThrow(UnsupportedError);
    expect(() => d.loadModel(encodeModel(spec))).toThrow(/\(Erf\)/);
    expect(() => d.loadModel(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]))).toThrow(ModelFormatError);
  });

  it("refuses Clip bounds and Pad values of another dtype than the data, naming the input", async () => {
    const d = await dyad();
    const model = (node: GraphSpec["nodes"][number], init: GraphSpec["initializers"]): Uint8Array => encodeModel({
      opset: 21, nodes: [node], initializers: init,
      inputs: [{ name: "x", dtype: "int8", dims: [2, 3] }], outputs: [{ name: "y", dtype: "int8", dims: [2, 3] }],
    });
    const clip = model({ opType: "Clip", inputs: ["x", "lo"], outputs: ["y"] }, [scalar("lo", "float32", 0.5)]);
    expect(() => d.loadModel(clip)).toThrow(/\(Clip\): min must be int8/);
    const pad = model({ opType: "Pad", inputs: ["x", "p", "v"], outputs: ["y"] }, [
      { name: "p", dtype: "int64", dims: [4], data: BigInt64Array.of(0n, 0n, 0n, 0n) }, scalar("v", "uint8", 200),
    ]);
    expect(() => d.loadModel(pad)).toThrow(/\(Pad\): constant_value must be int8/);
  });
});

describe("ONNX opsets", () => {
  const padModel = (opset: number, attrs: boolean): GraphSpec => ({
    opset,
    nodes: [attrs
      ? { opType: "Pad", inputs: ["x"], outputs: ["y"], attrs: { pads: [0, 1, 0, 2], value: { float: -3 } } }
      : { opType: "Pad", inputs: ["x", "pads", "v"], outputs: ["y"] }],
    inputs: [{ name: "x", dtype: "int8", dims: [2, 3] }],
    outputs: [{ name: "y", dtype: "int8", dims: [2, 6] }],
    initializers: attrs ? [] : [{ name: "pads", dtype: "int64", dims: [4], data: BigInt64Array.of(0n, 1n, 0n, 2n) }, { name: "v", dtype: "int8", dims: [], data: Int8Array.of(-3) }],
  });

  it("Pad reads opset 10's attributes and opset 11's inputs alike", async () => {
    const d = await dyad();
    const x = Int8Array.of(1, 2, 3, 4, 5, 6);
    const want = [-3, 1, 2, 3, -3, -3, -3, 4, 5, 6, -3, -3];
    for (const [opset, attrs] of [[10, true], [13, false]] as const) {
      const model = d.loadModel(encodeModel(padModel(opset, attrs)));
      expect(Array.from(model.run([x])[0].data as Int8Array), `opset ${opset}`).toEqual(want);
      model.dispose();
    }
  });

  it("refuses default-domain opsets outside 10 to 21, naming the opset", async () => {
    const d = await dyad();
    for (const opset of [9, 22]) {
      expect(() => d.loadModel(encodeModel(padModel(opset, opset < 11))), `opset ${opset}`).toThrow(UnsupportedError);
      expect(() => d.loadModel(encodeModel(padModel(opset, opset < 11))), `opset ${opset}`).toThrow(new RegExp(`opset ${opset}; dyad reads opsets 10 to 21`));
    }
  });
});

describe("ONNX reader on mutated files", () => {
  it("2000 mutated models each end in a result or a DyadError", async () => {
    const { DyadError } = await import("../../src/errors.js");
    const d = await dyad();
    const base = encodeModel(quantizedLinear(3, 8, 5, "uint8", true, 1));
    const r = rng(99);
    let loaded = 0, rejected = 0;
    for (let i = 0; i < 2000; i++) {
      let bytes = base.slice();
      if (r() < 0.2) bytes = bytes.subarray(0, Math.floor(r() * bytes.length));
      for (let f = 0, flips = 1 + Math.floor(r() * 6); f < flips && bytes.length; f++) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8);
      try {
        const model = d.loadModel(bytes);
        loaded++;
        try {
          model.run(model.inputs.map((t) => new Float32Array(t.shape.reduce((a, b) => a * b, 1))));
        } catch (e) {
          if (!(e instanceof DyadError)) throw e;
        } finally {
          model.dispose();
        }
      } catch (e) {
        if (!(e instanceof DyadError)) throw new Error(`mutation ${i}: ${(e as Error).name}: ${(e as Error).message}`);
        rejected++;
      }
    }
    expect(loaded + rejected).toBe(2000);
    expect(rejected).toBeGreaterThan(100);
    expect(d.memory.usedBytes).toBe(0);
  });
});

describe("com.microsoft QGemm against onnxruntime-web", () => {
  for (const act of ["uint8", "int8"] as const) {
    for (const [transB, perColumn, withBias] of [[0, false, true], [1, true, true], [1, false, false], [0, true, false]] as const) {
      it(`${act} A, transB=${transB}, ${perColumn ? "per-column" : "per-tensor"} B${withBias ? ", int32 bias" : ""}`, async () => {
        const d = await dyad();
        const r = rng(transB * 10 + (perColumn ? 3 : 0) + (withBias ? 1 : 0) + (act === "int8" ? 100 : 0));
        const [m, k, n] = [7, 45, 19];
        const z = (name: string, v: number) => ({ name, dtype: act, dims: [] as number[], data: act === "uint8" ? Uint8Array.of(v) : Int8Array.of(v) });
        const sb = perColumn ? Float32Array.from({ length: n }, () => 0.002 + r() * 0.01) : Float32Array.of(0.006);
        const spec: GraphSpec = {
          opset: 21,
          nodes: [{
            opType: "QGemm", domain: "com.microsoft", outputs: ["y"], attrs: { transB },
            inputs: ["a", "sa", "za", "b", "sb", "zb", withBias ? "c" : "", "sy", "zy"],
          }],
          inputs: [{ name: "a", dtype: act, dims: [m, k] }],
          outputs: [{ name: "y", dtype: act, dims: [m, n] }],
          initializers: [
            scalar("sa", "float32", 0.021), z("za", act === "uint8" ? 129 : -4),
            { name: "b", dtype: "int8", dims: transB ? [n, k] : [k, n], data: randInts(Int8Array, k * n, -127, 127, r) },
            { name: "sb", dtype: "float32", dims: perColumn ? [n] : [], data: sb },
            { name: "zb", dtype: "int8", dims: perColumn ? [n] : [], data: new Int8Array(perColumn ? n : 1) },
            ...(withBias ? [{ name: "c", dtype: "int32" as const, dims: [n], data: randInts(Int32Array, n, -5000, 5000, r) }] : []),
            scalar("sy", "float32", 0.09), z("zy", act === "uint8" ? 121 : 2),
          ],
        };
        const bytes = encodeModel(spec);
        const [lo, hi] = act === "uint8" ? [0, 255] : [-128, 127];
        const raw = Array.from({ length: m * k }, () => lo + Math.floor(r() * (hi - lo + 1)));
        const a = act === "uint8" ? Uint8Array.from(raw) : Int8Array.from(raw);
        const theirs = await ortRun(bytes, { a: new ort.Tensor(act, a, [m, k]) });
        const model = d.loadModel(bytes);
        const [ours] = model.run([a]);
        model.dispose();
        expect(ours.shape).toEqual(theirs.dims);
        expect(Array.from(ours.data as Uint8Array)).toEqual(Array.from(theirs.data as Uint8Array));
        expect(new Set(ours.data as Uint8Array).size).toBeGreaterThan(20);
      });
    }
  }

  it("names the attributes it does not support", async () => {
    const d = await dyad();
    const spec = (attrs: Record<string, number | { float: number }>): Uint8Array => encodeModel({
      opset: 21,
      nodes: [{ opType: "QGemm", domain: "com.microsoft", outputs: ["y"], attrs, inputs: ["a", "s", "z", "b", "s", "zb", "", "s", "z"] }],
      inputs: [{ name: "a", dtype: "uint8", dims: [2, 3] }], outputs: [{ name: "y", dtype: "uint8", dims: [2, 4] }],
      initializers: [scalar("s", "float32", 0.1), scalar("z", "uint8", 128), scalar("zb", "int8", 0),
        { name: "b", dtype: "int8", dims: [3, 4], data: new Int8Array(12) }],
    });
    expect(() => d.loadModel(spec({ transA: 1 }))).toThrow(/\(com\.microsoft\.QGemm\): attribute transA=1/);
    expect(() => d.loadModel(spec({ alpha: { float: 0.5 } }))).toThrow(/attribute alpha=0\.5/);
  });
});

describe("com.microsoft QLinearAdd and QLinearMul against onnxruntime-web", () => {
  for (const op of ["QLinearAdd", "QLinearMul"] as const) {
    for (const act of ["uint8", "int8"] as const) {
      // The last pair is every byte of A against every byte of B: all 65536 results of the op.
      for (const [sa, sb] of [[[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [4]], [[1, 3, 1], [2, 1, 5]], [[256, 1], [1, 256]]]) {
        it(`${op} ${act} [${sa}], [${sb}]`, async () => {
          const d = await dyad();
          const r = rng(sa.length * 7 + sb.length);
          const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
          const out = sa.map((v, i) => Math.max(v, [...new Array(sa.length - sb.length).fill(1), ...sb][i]));
          const [lo, hi] = act === "uint8" ? [0, 255] : [-128, 127];
          const z = (v: number) => ({ name: "", dtype: act, dims: [] as number[], data: act === "uint8" ? Uint8Array.of(v) : Int8Array.of(v) });
          const spec: GraphSpec = {
            opset: 21,
            nodes: [{ opType: op, domain: "com.microsoft", inputs: ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], outputs: ["c"] }],
            inputs: [{ name: "a", dtype: act, dims: sa }, { name: "b", dtype: act, dims: sb }],
            outputs: [{ name: "c", dtype: act, dims: out }],
            initializers: [
              scalar("sa", "float32", 0.0213), { ...z(act === "uint8" ? 131 : 3), name: "za" },
              scalar("sb", "float32", 0.0371), { ...z(act === "uint8" ? 120 : -7), name: "zb" },
              scalar("sc", "float32", op === "QLinearAdd" ? 0.0512 : 0.0423), { ...z(act === "uint8" ? 126 : 1), name: "zc" },
            ],
          };
          const bytes = encodeModel(spec);
          const gen = (len: number) => {
            const v = len === 256 ? Array.from({ length: 256 }, (_, i) => lo + i) : Array.from({ length: len }, () => lo + Math.floor(r() * (hi - lo + 1)));
            return act === "uint8" ? Uint8Array.from(v) : Int8Array.from(v);
          };
          const a = gen(n(sa)), b = gen(n(sb));
          const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
          const theirs = (await session.run({ a: new ort.Tensor(act, a, sa), b: new ort.Tensor(act, b, sb) })).c;
          await session.release();
          const model = d.loadModel(bytes);
          const [ours] = model.run([a, b]);
          model.dispose();
          expect(ours.shape).toEqual(theirs.dims);
          expect(Array.from(ours.data as Uint8Array)).toEqual(Array.from(theirs.data as Uint8Array));
          expect(new Set(ours.data as Uint8Array).size).toBeGreaterThan(Math.min(20, n(out) / 3)); // not saturated
        });
      }
    }
  }
});

describe("com.microsoft QLinearAdd and QLinearMul with a constant operand against onnxruntime-web", () => {
  for (const op of ["QLinearAdd", "QLinearMul"] as const) {
    it(`${op} int8 of an input and an initializer (per-channel broadcast)`, async () => {
      const d = await dyad();
      const z = (name: string, v: number) => ({ name, dtype: "int8" as const, dims: [] as number[], data: Int8Array.of(v) });
      const spec: GraphSpec = {
        opset: 21,
        nodes: [{ opType: op, domain: "com.microsoft", inputs: ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], outputs: ["c"] }],
        inputs: [{ name: "a", dtype: "int8", dims: [1, 4, 8] }],
        outputs: [{ name: "c", dtype: "int8", dims: [1, 4, 8] }],
        initializers: [
          scalar("sa", "float32", 0.0213), z("za", 3), scalar("sb", "float32", 0.0371), z("zb", -7),
          { name: "b", dtype: "int8", dims: [1, 4, 1], data: Int8Array.of(-128, -20, 33, 127) },
          scalar("sc", "float32", op === "QLinearAdd" ? 0.0512 : 0.0423), z("zc", 1),
        ],
      };
      const bytes = encodeModel(spec);
      const a = Int8Array.from({ length: 32 }, (_, i) => -128 + ((i * 37) % 256));
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
      const theirs = (await session.run({ a: new ort.Tensor("int8", a, [1, 4, 8]) })).c;
      await session.release();
      const model = d.loadModel(bytes);
      for (let run = 0; run < 2; run++) {
        const [ours] = model.run([a]);
        expect(Array.from(ours.data as Int8Array)).toEqual(Array.from(theirs.data as Int8Array));
      }
      model.dispose();
    });
  }
});

describe("com.microsoft QLinearLeakyRelu and QLinearSigmoid against onnxruntime-web", () => {
  const cases = [
    { op: "QLinearLeakyRelu", alpha: 0.01 }, { op: "QLinearLeakyRelu", alpha: 0.2 }, { op: "QLinearLeakyRelu", alpha: 1.7 },
    // Sigmoid: a tight input range (most of the curve), a wide one (saturating both ends), a fine output scale.
    { op: "QLinearSigmoid", sx: 0.0317, sy: 0.0291 }, { op: "QLinearSigmoid", sx: 0.11, sy: 1 / 256 }, { op: "QLinearSigmoid", sx: 0.02, sy: 0.0037 },
  ];
  for (const act of ["uint8", "int8"] as const) {
    for (const c of cases) {
      it(`${c.op} ${act}, ${c.alpha !== undefined ? `alpha ${c.alpha}` : `scales ${c.sx} -> ${c.sy}`}, every input byte`, async () => {
        const d = await dyad();
        const z = (name: string, v: number) => ({ name, dtype: act, dims: [] as number[], data: act === "uint8" ? Uint8Array.of(v) : Int8Array.of(v) });
        const sigmoid = c.op === "QLinearSigmoid";
        const spec: GraphSpec = {
          opset: 21,
          nodes: [{ opType: c.op, domain: "com.microsoft", inputs: ["x", "sx", "zx", "sy", "zy"], outputs: ["y"], attrs: sigmoid ? {} : { alpha: { float: c.alpha! } } }],
          inputs: [{ name: "x", dtype: act, dims: [4, 64] }],
          outputs: [{ name: "y", dtype: act, dims: [4, 64] }],
          initializers: [scalar("sx", "float32", c.sx ?? 0.0317), z("zx", act === "uint8" ? 140 : 12), scalar("sy", "float32", c.sy ?? 0.0291),
            z("zy", sigmoid ? (act === "uint8" ? 0 : -128) : act === "uint8" ? 100 : -30)],
        };
        const bytes = encodeModel(spec);
        const x = act === "uint8" ? Uint8Array.from({ length: 256 }, (_, i) => i) : Int8Array.from({ length: 256 }, (_, i) => i - 128);
        const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
        const theirs = (await session.run({ x: new ort.Tensor(act, x, [4, 64]) })).y;
        await session.release();
        const model = d.loadModel(bytes);
        const [ours] = model.run([x]);
        model.dispose();
        expect(Array.from(ours.data as Uint8Array)).toEqual(Array.from(theirs.data as Uint8Array));
        // Not a constant table: the function is exercised.
        expect(new Set(ours.data as Uint8Array).size).toBeGreaterThan(20);
      });
    }
  }
});

describe("MLAS's logistic, as dyad computes it for QLinearSigmoid's table", () => {
  it("equals onnxruntime-web's float Sigmoid (the same MLAS routine) bit for bit", async () => {
    const n = 4096;
    // Dense around 0, out past the clamp at +-18, and the special values.
    const x = Float32Array.from({ length: n }, (_, i) => (i < n - 4 ? Math.sinh((i / (n - 4) - 0.5) * 8) * 3 : [0, -0, 18, -18][i - n + 4]));
    const spec: GraphSpec = {
      opset: 13,
      nodes: [{ opType: "Sigmoid", inputs: ["x"], outputs: ["y"] }],
      inputs: [{ name: "x", dtype: "float32", dims: [n] }],
      outputs: [{ name: "y", dtype: "float32", dims: [n] }],
      initializers: [],
    };
    const session = await ort.InferenceSession.create(encodeModel(spec), { executionProviders: ["wasm"] });
    const theirs = (await session.run({ x: new ort.Tensor("float32", x, [n]) })).y.data as Float32Array;
    await session.release();
    const ours = Float32Array.from(x, mlasLogistic);
    expect(Array.from(new Uint32Array(ours.buffer))).toEqual(Array.from(new Uint32Array(theirs.buffer, theirs.byteOffset, n)));
  });
});

describe("ONNX glue ops against onnxruntime-web", () => {
  it("Constant, Unsqueeze, Transpose, Squeeze on int8 data", async () => {
    const d = await dyad();
    const spec: GraphSpec = {
      opset: 13,
      nodes: [
        { opType: "Unsqueeze", inputs: ["x", "axes"], outputs: ["u"] },
        { opType: "Transpose", inputs: ["u"], outputs: ["t"], attrs: { perm: [2, 0, 1, 3] } },
        { opType: "Squeeze", inputs: ["t", "sq"], outputs: ["y"] },
      ],
      inputs: [{ name: "x", dtype: "int8", dims: [3, 4, 5] }],
      outputs: [{ name: "y", dtype: "int8", dims: [4, 3, 5] }],
      initializers: [
        { name: "axes", dtype: "int64", dims: [1], data: BigInt64Array.of(1n) },
        { name: "sq", dtype: "int64", dims: [1], data: BigInt64Array.of(2n) },
      ],
    };
    const bytes = encodeModel(spec);
    const x = Int8Array.from({ length: 60 }, (_, i) => i - 30);
    const theirs = await ortRun(bytes, { x: new ort.Tensor("int8", x, [3, 4, 5]) });
    const model = d.loadModel(bytes);
    const [ours] = model.run([x]);
    model.dispose();
    expect(ours.shape).toEqual(theirs.dims);
    expect(Array.from(ours.data as Int8Array)).toEqual(Array.from(theirs.data as Int8Array));
  });

  for (const act of ["int8", "uint8"] as const) {
    it(`Pad and Clip on ${act} data, in ONNX order and between channels-last convolutions`, async () => {
      const d = await dyad();
      const r = rng(act === "int8" ? 31 : 32);
      const [c, h, w] = [3, 6, 7];
      const q = (name: string, v: number) => ({ name, dtype: act, dims: [] as number[], data: act === "int8" ? Int8Array.of(v) : Uint8Array.of(v) });
      const fl = (name: string, v: number) => ({ name, dtype: "float32" as const, dims: [] as number[], data: Float32Array.of(v) });
      const i64 = (name: string, v: number[]) => ({ name, dtype: "int64" as const, dims: [v.length], data: BigInt64Array.from(v.map(BigInt)) });
      const z = act === "int8" ? -7 : 121;
      const spec: GraphSpec = {
        opset: 21,
        nodes: [
          { opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q0"] },
          { opType: "Pad", inputs: ["q0", "p0", "z"], outputs: ["q1"] },
          { opType: "QLinearConv", inputs: ["q1", "s", "z", "w1", "sw", "zw", "s", "z"], outputs: ["q2"], attrs: { kernel_shape: [3, 3] } },
          { opType: "Pad", inputs: ["q2", "p1", "v"], outputs: ["q3"] },
          { opType: "Clip", inputs: ["q3", "lo", "hi"], outputs: ["q4"] },
          { opType: "QLinearConv", inputs: ["q4", "s", "z", "w2", "sw", "zw", "s", "z"], outputs: ["q5"], attrs: { kernel_shape: [1, 1] } },
          { opType: "Clip", inputs: ["q5", "lo"], outputs: ["q6"] },
          { opType: "DequantizeLinear", inputs: ["q6", "s", "z"], outputs: ["y"] },
        ],
        inputs: [{ name: "x", dtype: "float32", dims: [1, c, h, w] }],
        outputs: [{ name: "y", dtype: "float32", dims: [1, c, h + 2, w + 2] }],
        initializers: [
          fl("s", 0.05), q("z", z), fl("sw", 0.01), { name: "zw", dtype: "int8", dims: [], data: Int8Array.of(0) },
          // [N, C, H, W] befores, then afters. p0: H by 1 and 2, W by 2 and 1, in ONNX order. p1 acts on a
          // channels-last value: one channel before, one row before, one column after.
          i64("p0", [0, 0, 1, 2, 0, 0, 2, 1]), i64("p1", [0, 1, 1, 0, 0, 0, 0, 1]),
          q("v", z + 3), q("lo", z - 40), q("hi", z + 60),
          { name: "w1", dtype: "int8", dims: [c, c, 3, 3], data: randInts(Int8Array, c * c * 9, -127, 127, r) },
          { name: "w2", dtype: "int8", dims: [c, c + 1, 1, 1], data: randInts(Int8Array, c * (c + 1), -127, 127, r) },
        ],
      };
      const bytes = encodeModel(spec);
      const x = Float32Array.from({ length: c * h * w }, (_, i) => Math.sin(i * 0.37) * 5);
      const theirs = await ortRun(bytes, { x: new ort.Tensor("float32", x, [1, c, h, w]) });
      const model = d.loadModel(bytes);
      const [ours] = model.run([x]);
      model.dispose();
      expect(ours.shape).toEqual(theirs.dims);
      expect(Array.from(ours.data as Float32Array)).toEqual(Array.from(theirs.data as Float32Array));
      // Not every output sits at a bound: the clip is not all that decides the result.
      expect(new Set(Array.from(ours.data as Float32Array)).size).toBeGreaterThan(10);
    });
  }
});
