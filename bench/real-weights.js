// Real weights for the quantization reports: MobileNetV2's CONV_2D and FULLY_CONNECTED filters from
// ../shared/corpora (int8, per output channel), dequantized to float32 and laid out as a MatMul's B [K, N]
// (K = kh * kw * Cin, N = Cout). Depthwise filters are left out (9 weights per channel).

import { readFileSync, existsSync } from "node:fs";
import { parseTflite } from "../dist/index.js";

export const MOBILENET = new URL("../../shared/corpora/tflm/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite", import.meta.url);

/** [{ name, shape: [K, N], w: Float32Array }], or null when the corpora are not beside the repository. */
export function mobilenetWeights() {
  if (!existsSync(MOBILENET)) return null;
  const model = parseTflite(new Uint8Array(readFileSync(MOBILENET)));
  const g = model.subgraphs[0];
  const layers = [];
  for (const op of g.operators.filter((o) => o.op === "CONV_2D" || o.op === "FULLY_CONNECTED")) {
    const t = g.tensors[op.inputs[1]];
    if (!t.data || !t.quantization) continue;
    const n = t.shape[0], k = t.shape.slice(1).reduce((a, b) => a * b, 1);
    const q = new Int8Array(t.data.buffer, t.data.byteOffset, n * k);
    const w = new Float32Array(k * n);
    for (let j = 0; j < n; j++) {
      const s = t.quantization.scale[t.quantization.scale.length > 1 ? j : 0];
      for (let kk = 0; kk < k; kk++) w[kk * n + j] = Math.fround(s * q[j * k + kk]);
    }
    layers.push({ name: `${op.op.toLowerCase()} ${op.index} (${t.name})`, shape: [k, n], w });
  }
  return layers;
}
