// The committed Fashion-MNIST models (npm start's W8A8 QDQ file and the float one it was quantized from), one
// image at a time, dyad and onnxruntime-web (one thread) side by side on the same files; the outputs are
// compared before timing.

import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { readIdx } from "../dist/node.js";
import { measureInRounds } from "./measure.js";

const ROOT = new URL("../", import.meta.url);

export async function benchFashionMnist({ dyad, ort, quick, log }) {
  const images = readIdx(new Uint8Array(gunzipSync(readFileSync(new URL("data/fashion-mnist-sample/t10k-images-idx3-ubyte.gz", ROOT)))));
  const x = Float32Array.from(images.data.subarray(0, 784), (v) => v / 255);
  const records = [], lines = [""];
  for (const [file, precision] of [["fashion-mnist-w8a8.onnx", "int8"], ["fashion-mnist-fp32.onnx", "fp32"]]) {
    const bytes = new Uint8Array(readFileSync(new URL(`models/${file}`, ROOT)));
    const suffix = precision === "fp32" ? "-fp32" : "";
    const model = dyad.loadModel(bytes);
    const tasks = [[`dyad${suffix}`, () => { model.run([x]); }]];
    let session = null, same = null;
    if (ort) {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
      const feeds = { x: new ort.Tensor("float32", x, [1, 1, 28, 28]) };
      const theirs = (await session.run(feeds)).logits.data, ours = model.run([x])[0].data;
      same = ours.every((v, i) => Object.is(v, theirs[i]));
      tasks.push([`ort-web${suffix}`, async () => { await session.run(feeds); }]);
    }
    const ms = Object.fromEntries(await measureInRounds(tasks, quick));
    model.dispose();
    await session?.release();
    log?.(`model fashion_mnist (${precision})`);
    for (const [engine, v] of Object.entries(ms)) records.push({ suite: "models", case: "fashion_mnist", engine, ms: v, gops: 0 });
    const peer = ms[`ort-web${suffix}`];
    lines.push(`Fashion-MNIST CNN ${precision} (models/${file}, one image): dyad ${(ms[`dyad${suffix}`] * 1000).toFixed(0)} µs` +
      (peer ? `, onnxruntime-web ${(peer * 1000).toFixed(0)} µs: ${peer >= ms[`dyad${suffix}`] ? `dyad ${(peer / ms[`dyad${suffix}`]).toFixed(2)}x faster` : `onnxruntime-web ${(ms[`dyad${suffix}`] / peer).toFixed(2)}x faster (dyad's float path is the glue between integer ops, not tuned)`}; logits ${same ? "bit-exact" : "differ"}` : ""));
  }
  return { records, lines };
}
