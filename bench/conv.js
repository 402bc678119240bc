// The conv suite: dyad's CONV_2D and DEPTHWISE_CONV_2D (TFLite semantics, NHWC) against onnxruntime-web's
// QLinearConv (NCHW, uint8 activations, one thread) on the same weights, interleaved in rounds. The two
// engines round differently (TFLite's double-rounding multiplier vs ONNX's float scale), so outputs may differ
// by one step at ties; speed is what this suite compares. dyad runs into a caller-owned output array (its
// steady-state API: no allocation per run); onnxruntime-web allocates its outputs, because its pre-allocated
// fetches come back as zeros in the wasm backend (1.30), so the fair best it offers is a fresh tensor.

import { convCase, dyadConvModel, ortConvSession } from "./conv-models.js";
import { measureInRounds } from "./measure.js";

export const CONV_SHAPES = [
  { cin: 32, h: 112, w: 112, cout: 64, k: 3 },
  { cin: 128, h: 28, w: 28, cout: 128, k: 3 },
  { cin: 256, h: 14, w: 14, cout: 256, k: 1 },
  { cin: 128, h: 56, w: 56, cout: 128, k: 3, depthwise: true },
];
const QUICK = [CONV_SHAPES[1], CONV_SHAPES[3]];

export async function benchConv({ dyad, ort, quick, log }) {
  const records = [];
  for (const spec of quick ? QUICK : CONV_SHAPES) {
    const c = convCase(spec);
    const name = spec.depthwise ? `${spec.cin}x${spec.h}x${spec.w}x${spec.k}x${spec.k}` : `${spec.cin}x${spec.h}x${spec.w}x${spec.cout}x${spec.k}x${spec.k}`;
    const suite = spec.depthwise ? "depthwise" : "conv";
    const ops = 2 * spec.h * spec.w * spec.cout * spec.k * spec.k * (spec.depthwise ? 1 : spec.cin);
    const model = dyadConvModel(dyad, c);
    const outputs = [new Int8Array(model.outputs[0].shape.reduce((a, b) => a * b, 1))];
    const tasks = [["dyad", () => { model.run([c.input], { outputs }); }]];
    let session = null;
    if (ort) {
      const peer = await ortConvSession(ort, c);
      session = peer.session;
      tasks.push(["ort-web", async () => { await peer.session.run(peer.feed); }]);
    }
    for (const [engine, ms] of await measureInRounds(tasks, quick)) records.push({ suite, case: name, engine, ms, gops: ops / ms / 1e6 });
    log?.(`${suite} ${name}`);
    model.dispose();
    if (session) await session.release();
  }
  return records;
}
