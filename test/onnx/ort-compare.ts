// Runs one ONNX file in onnxruntime-web (wasm, one thread) and in dyad and expects every output to be the
// same: shapes equal, float32 outputs equal bit for bit, integer outputs value for value.

import { expect } from "vitest";
import * as ort from "onnxruntime-web";
import type { ModelOutput } from "../../src/graph/model.js";
import { dyad } from "../helpers.js";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

export interface Feed {
  name: string;
  data: Float32Array | Int8Array | Uint8Array;
  dims: number[];
}

const DTYPE = (a: Feed["data"]) => (a instanceof Float32Array ? "float32" : a instanceof Int8Array ? "int8" : "uint8");
const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

/** Feeds in the model's input order; returns dyad's outputs after the comparison. */
export async function expectSameAsOrt(bytes: Uint8Array, feeds: Feed[], options: ort.InferenceSession.SessionOptions = {}): Promise<ModelOutput[]> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], ...options });
  const theirs = await session.run(Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor(DTYPE(f.data), f.data, f.dims)])));
  const names = session.outputNames;
  await session.release();
  const model = (await dyad()).loadModel(bytes);
  const ours = model.run(feeds.map((f) => f.data));
  model.dispose();
  expect(ours.length).toBe(names.length);
  names.forEach((name, k) => {
    const t = theirs[name];
    expect(ours[k].shape, name).toEqual(t.dims);
    if (t.type === "float32") expect(bits(ours[k].data as Float32Array), name).toEqual(bits(t.data as Float32Array));
    else expect(Array.from(ours[k].data, Number), name).toEqual(Array.from(t.data as ArrayLike<number | bigint>, Number));
  });
  return ours;
}
