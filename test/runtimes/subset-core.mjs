// The conformance subset's computation, shared by every runtime (subset.mjs reads files with node:fs, the
// browser page with fetch, the workerd worker from its bundled data modules): per case the FNV-1a hash and
// length of the output bytes. `io.bytes(path)` and `io.text(path)` read a file under the corpora folder;
// `io.seanet` lists "family/name" cases.

export async function runSubset(dyad, tfliteToOnnx, io) {
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
  return results;
}
