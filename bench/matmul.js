// The matmul suite: dyad int8 (uint8 activations x int8 weights, ONNX QLinearMatMul semantics), dyad fp32 and
// onnxruntime-web's QLinearMatMul and MatMul, side by side in one run, interleaved in rounds per shape. Before
// timing, dyad's int8 output is checked against onnxruntime-web's, element for element.

import { QTensor } from "../dist/index.js";
import { measureInRounds } from "./measure.js";
import { ortQLinearMatMul, ortMatMulF32 } from "./peers.js";

/** [M, K, N] */
export const MATMUL_SHAPES = [
  [256, 256, 256], [512, 512, 512], [1024, 1024, 1024],
  [1, 1024, 1024], [1, 4096, 4096],
  [128, 768, 768], [128, 768, 3072],
];
export const MATMUL_SHAPES_QUICK = [[256, 256, 256], [1, 1024, 1024], [128, 768, 768]];

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

export async function benchMatmul({ dyad, ort, quick, log }) {
  const records = [];
  for (const [m, k, n] of quick ? MATMUL_SHAPES_QUICK : MATMUL_SHAPES) {
    const shape = `${m}x${k}x${n}`;
    const ops = 2 * m * k * n;
    const r = lcg(m * 31 + k * 7 + n);
    const w8 = Int8Array.from({ length: k * n }, () => Math.floor(r() * 256) - 128);
    const a8 = Uint8Array.from({ length: m * k }, () => Math.floor(r() * 256));
    const wf = Float32Array.from(w8, (v) => v / 64);
    const af = Float32Array.from(a8, (v) => v / 128);
    const q = { m, k, n, weights: w8, sa: 0.02, za: 128, sw: 0.005, sy: 0.02 * 0.005 * 128 * Math.sqrt(k) / 4, zy: 128 };

    const int8 = dyad.matmul({
      weights: new QTensor({ dtype: "int8", shape: [k, n], data: w8, scale: q.sw }),
      input: { dtype: "uint8", scale: q.sa, zeroPoint: q.za },
      output: { dtype: "uint8", scale: q.sy, zeroPoint: q.zy },
      requant: "fp32",
    });
    const fp32 = dyad.matmulF32({ weights: wf, shape: [k, n] });
    const xq = { data: a8, shape: [m, k] };
    const xf = { data: af, shape: [m, k] };

    const tasks = [["dyad", () => { int8.run(xq); }], ["dyad-fp32", () => { fp32.run(xf); }]];
    const sessions = [];
    if (ort) {
      const s8 = await ortQLinearMatMul(ort, q);
      const sf = await ortMatMulF32(ort, { m, k, n, weights: wf });
      sessions.push(s8, sf);
      const feed8 = { a: new ort.Tensor("uint8", a8, [m, k]) };
      const feedf = { a: new ort.Tensor("float32", af, [m, k]) };
      const theirs = (await s8.run(feed8)).y.data;
      const ours = int8.run(xq).data;
      const diff = ours.findIndex((v, i) => v !== theirs[i]);
      if (diff >= 0) throw new Error(`${shape}: dyad and onnxruntime-web differ at element ${diff}: ${ours[diff]} vs ${theirs[diff]}`);
      tasks.push(["ort-web", async () => { await s8.run(feed8); }], ["ort-web-fp32", async () => { await sf.run(feedf); }]);
    }
    for (const [engine, ms] of await measureInRounds(tasks, quick)) {
      records.push({ suite: "matmul", case: shape, engine, ms, gops: ops / ms / 1e6 });
    }
    log?.(shape);
    int8.dispose();
    fp32.dispose();
    for (const s of sessions) await s.release();
  }
  return records;
}
