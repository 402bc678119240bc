// LiteRT.js (@litertjs/core: the TFLite interpreter with XNNPACK, compiled to wasm) as a bench peer, on the
// same .tflite file as dyad, one thread. Two things stand between it and Node: it is written for browsers and
// workers (it loads its wasm glue with importScripts and looks for `self`), and its documented Tensor API has
// no int8 dtype (its dtype table has float32, int32 and uint8 only), so an int8 model is fed through the
// low-level binding that its own loadAndCompile and Tensor call (`liteRt.liteRtWasm`: loadModel,
// compileModel, LiteRtTensorBuffer.createManaged, lock/unlock, compiledModel.run).
//
// LiteRT refuses a per-channel quantized tensor whose quantized_dimension is past its rank (MobileNetV2's
// biases carry 3 for rank 1), which TFLite's reference kernels ignore; `clearOutOfRangeQuantizedDimension`
// sets those to 0 in a copy, and the bench says how many it changed.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { runInThisContext } from "node:vm";
import { pathToFileURL } from "node:url";
import { FlatBufferView } from "../dist/formats/tflite/flatbuffer.js";
import { MODEL, SUBGRAPH, TENSOR, QUANTIZATION, TFLITE_IDENTIFIER } from "../dist/formats/tflite/schema.js";

const require = createRequire(import.meta.url);

/** Loads LiteRT.js for one thread, or returns { liteRt: null, reason }. */
export async function loadLiteRt() {
  let dir;
  try {
    const main = require.resolve("@litertjs/core");
    dir = main.slice(0, main.lastIndexOf("@litertjs/core") + "@litertjs/core".length);
  } catch (e) {
    return { liteRt: null, reason: `@litertjs/core is not installed (${e.code ?? e.message})` };
  }
  globalThis.self ??= globalThis;
  // importScripts(url): the emscripten glue, evaluated with a CommonJS-like scope; it defines ModuleFactory.
  globalThis.importScripts ??= (file) => {
    const code = readFileSync(file, "utf8");
    const fn = runInThisContext(`(function (require, __filename, __dirname, module, exports) {${code}\nreturn ModuleFactory;})`, { filename: file });
    const m = { exports: {} };
    globalThis.ModuleFactory = fn(require, file, dirname(file), m, m.exports);
  };
  globalThis.Module ??= { print: () => {}, printErr: () => {} };
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const warn = console.warn;
  console.warn = () => {};
  try {
    const lrt = await import(pathToFileURL(join(dir, pkg.module ?? "dist/index.js")).href);
    const liteRt = await lrt.loadLiteRt(join(dir, "wasm/"));
    return { liteRt, version: pkg.version };
  } finally {
    console.warn = warn;
  }
}

/** A copy of the model with every out-of-range per-channel quantized_dimension set to 0, and how many. */
export function clearOutOfRangeQuantizedDimension(bytes) {
  const copy = bytes.slice();
  const root = new FlatBufferView(copy).root(TFLITE_IDENTIFIER, "tflite model");
  let cleared = 0;
  for (const g of root.tables(MODEL.subgraphs, "subgraphs")) {
    for (const t of g.tables(SUBGRAPH.tensors, "tensors")) {
      const q = t.table(TENSOR.quantization, "quantization");
      if (!q || q.float32s(QUANTIZATION.scale, "scale").length <= 1) continue;
      const at = q.position(QUANTIZATION.quantizedDimension);
      if (at !== null && q.int32(QUANTIZATION.quantizedDimension) >= t.int32s(TENSOR.shape, "shape").length) {
        new DataView(copy.buffer, copy.byteOffset).setInt32(at, 0, true);
        cleared++;
      }
    }
  }
  return { bytes: copy, cleared };
}

const ELEMENT_TYPES = { int8: 9, uint8: 3, int16: 7, int32: 2, float32: 1 };

/**
 * A compiled model on LiteRT's CPU accelerator (XNNPACK and the TFLite kernels), one thread. `inputs`:
 * dyad's TensorInfo of each input (the static shapes and dtypes of the file), used to build the input
 * buffers' tensor types.
 */
export class LiteRtModel {
  static async load(liteRt, bytes, inputs) {
    const m = new LiteRtModel();
    const w = (m.w = liteRt.liteRtWasm);
    const envObj = liteRt.getDefaultEnvironment();
    m.env = envObj.liteRtEnvironment;
    m.ptr = w._malloc(bytes.byteLength); // must outlive the model
    w.HEAPU8.set(bytes, m.ptr);
    m.model = w.loadModel(m.env, m.ptr, bytes.byteLength);
    m.compiled = await w.compileModel(m.env, m.model, { environment: envObj, accelerator: "wasm", cpuOptions: { numThreads: 1 }, gpuOptions: {}, webNNOptions: {} });
    m.types = inputs.map((t) => {
      const dims = new w.VectorInt32();
      for (const d of t.shape) dims.push_back(d);
      const layout = w.LiteRtLayout.create(dims);
      dims.delete();
      const type = w.LiteRtRankedTensorType.create({ value: ELEMENT_TYPES[t.dtype] }, layout);
      layout.delete();
      return type;
    });
    return m;
  }

  /** One inference; the outputs as Int8Array copies of their bytes. */
  async run(inputs) {
    const w = this.w;
    const buffers = inputs.map((data, i) => {
      const b = w.LiteRtTensorBuffer.createManaged(this.env, w.LiteRtTensorBufferType.HOST_MEMORY, this.types[i], this.types[i].bytes());
      const p = b.lock(w.LiteRtTensorBufferLockMode.WRITE);
      w.HEAPU8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), p);
      b.unlock();
      return b;
    });
    let outs;
    try {
      outs = await this.compiled.run(0, buffers);
    } finally {
      for (const b of buffers) b.delete();
    }
    return outs.map((o) => {
      const p = o.lock(w.LiteRtTensorBufferLockMode.READ);
      const r = new Int8Array(w.HEAPU8.slice(p, p + o.size()).buffer);
      o.unlock();
      o.delete();
      return r;
    });
  }

  dispose() {
    for (const t of this.types) t.delete();
    this.compiled.delete();
    this.model.delete();
    this.w._free(this.ptr);
  }
}
