// The conformance subset's computation, shared by every runtime (subset.mjs reads files with node:fs, the
// browser page with fetch, the workerd worker from its bundled data modules): per case the FNV-1a hash and
// length of the output bytes. `lib` holds the package's tfliteToOnnx and QTensor; `io.bytes(path)` and
// `io.text(path)` read a file under the corpora folder; `io.seanet` lists "family/name" cases.
//
// The ONNX cases are the backend conformance cases dyad runs (onnx-node-core.mjs): `io.onnx` = { cases:
// [{ name, files }], bytes(path) } under corpora/onnx/node; each records its outputs' hash and whether they
// equal the expected outputs.
//
// The linear cases run the W4A8/W8A8 dynamic-quantization layers: on engines with relaxed SIMD they take the
// relaxed build's kernels (dyad.build says which), so equal hashes prove the builds agree bit for bit.

import { loadOnnxCase, unsupportedReason, runOnnxNode, matchesExpected } from "./onnx-node-core.mjs";

export async function runSubset(dyad, lib, io) {
  const { tfliteToOnnx, QTensor } = lib;
  const results = {};
  const fnv1a = (bytes) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
    return h.toString(16).padStart(8, "0");
  };
  const record = (name, data) => {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    results[name] = `${fnv1a(bytes)}:${bytes.length}`;
  };
  const csv = async (path) => Int16Array.from((await io.text(path)).trim().split(/[,\s]+/).map(Number));

  for (const kase of io.seanet) {
    const model = dyad.loadModel(await io.bytes(`seanet/${kase}.tflite`));
    const inputs = await Promise.all(model.inputs.map((_, i) => csv(`seanet/${kase}_input${i}_int16.csv`)));
    record(`seanet/${kase}`, model.run(inputs)[0].data);
    model.dispose();
  }
  const hello = await io.bytes("hello_world/hello_world_int8.tflite");
  if (hello) {
    const model = dyad.loadModel(hello);
    record("hello_world", Int8Array.from([-128, -63, 0, 64, 127], (q) => model.run([Int8Array.of(q)])[0].data[0]));
    model.dispose();
  }
  const mobilenet = await io.bytes("mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite");
  if (mobilenet) {
    const raw = await io.bytes("mobilenet_v2/dog_input_int8_nchw.bin");
    const input = new Int8Array(raw.buffer, raw.byteOffset, raw.length);
    for (const [name, file] of [["mobilenet_v2", mobilenet], ["mobilenet_v2_onnx", tfliteToOnnx(mobilenet)]]) {
      const model = dyad.loadModel(file);
      const out = model.run([input])[0].data;
      record(name, out);
      results[`${name}_top5`] = Array.from(out.keys()).sort((a, b) => out[b] - out[a] || a - b).slice(0, 5).join(",");
      model.dispose();
    }
  }
  for (const c of io.onnx?.cases ?? []) {
    const model = await io.onnx.bytes(`${c.name}/model.onnx`);
    const data = new Map();
    for (const f of c.files) data.set(f, await io.onnx.bytes(`${c.name}/test_data_set_0/${f}`));
    const kase = loadOnnxCase(lib, model, c.files, (f) => data.get(f));
    if (unsupportedReason(kase.node, kase.inputs, kase.outputs)) continue;
    const outputs = runOnnxNode(dyad, lib, kase.node, kase.inputs);
    record(`onnx/${c.name}`, Float64Array.from(outputs.flatMap((o) => Array.from(o.values))));
    results[`onnx/${c.name}/expected`] = matchesExpected(outputs, kase.outputs) ?? "equal";
  }
  linearCases(dyad, QTensor, record);
  return results;
}

function linearCases(dyad, QTensor, record) {
  let seed = 12345;
  const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  // Group sizes: multiples of 4 (relaxed kernels where available), per channel, and 6 (SIMD kernels everywhere).
  for (const [dtype, k, n, block] of [
    ["int4", 256, 40, 32], ["uint4", 100, 9, 32], ["int4", 64, 17, 0], ["uint4", 256, 24, 128], ["int4", 60, 9, 6], ["int8", 96, 16, 32],
  ]) {
    const bits = dtype.endsWith("4") ? 4 : 8;
    const [lo, hi] = dtype === "int4" ? [-8, 7] : dtype === "uint4" ? [0, 15] : [-128, 127];
    const count = block ? Math.ceil(k / block) * n : n;
    const values = Array.from({ length: k * n }, () => lo + Math.floor(next() * (hi - lo + 1)));
    const data = bits === 4 ? new Uint8Array((k * n) / 2) : Int8Array.from(values);
    if (bits === 4) values.forEach((v, e) => { data[e >> 1] |= (v & 15) << (e & 1 ? 4 : 0); });
    const w = new QTensor({
      dtype, shape: [k, n], data, axis: block ? 0 : 1, blockSize: block,
      scale: Array.from({ length: count }, () => 0.001 + next() * 0.05),
      zeroPoint: Array.from({ length: count }, () => (dtype === "int8" ? 0 : lo + Math.floor(next() * (hi - lo + 1)))),
    });
    const bias = Float32Array.from({ length: n }, () => next() - 0.5);
    for (const activations of ["asymmetric", "symmetric"]) {
      const op = dyad.createLinear({ weights: w, bias, activations });
      for (const m of [1, 3, 8]) {
        const x = Float32Array.from({ length: m * k }, (_, i) => (next() * 2 - 1) * (i % 7 === 0 ? 40 : 1));
        record(`linear/${dtype}x${k}x${n}/g${block}/${activations}/m${m}`, op.run(x));
      }
      op.dispose();
    }
  }
}
