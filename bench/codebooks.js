// Non-uniform 4-bit weights against uniform int4 on real weights: MobileNetV2's 36 conv and FC filters
// (bench/real-weights.js), per output channel. Reconstruction error over all of them (MSE, SQNR) and the
// storage per weight including scales and codebooks. The GEMM cost against int4 is the linear suite's
// dyad-n4 row.

import { fitCodebook, decodeCodebook, uniformInt4, reconstructionError } from "../dist/index.js";
import { mobilenetWeights } from "./real-weights.js";

export function codebookReport() {
  const layers = mobilenetWeights();
  if (!layers) return ["Codebooks: ../shared/corpora is not beside the repository; no real weights to fit."];
  const methods = {
    "uniform int4 (symmetric, scale per channel)": (L) => uniformInt4(L.w, L.shape),
    "k-means codebook (16 int8 levels per channel)": (L) => decodeCodebook(fitCodebook(L.w, L.shape)),
    "powers of two (0, ±1 .. ±64, scale per channel)": (L) => decodeCodebook(fitCodebook(L.w, L.shape, { method: "pow2" })),
  };
  const lines = ["", "Non-uniform 4-bit weights on MobileNetV2's 36 conv/FC filters (per channel):"];
  let weights = 0, channels = 0;
  for (const L of layers) { weights += L.w.length; channels += L.shape[1]; }
  for (const [name, approx] of Object.entries(methods)) {
    let signal = 0, noise = 0;
    const t = performance.now();
    for (const L of layers) {
      const { mse } = reconstructionError(L.w, approx(L));
      signal += L.w.reduce((s, v) => s + v * v, 0);
      noise += mse * L.w.length;
    }
    const extra = name.startsWith("k-means") ? 16 * 8 + 32 : 32; // bits per channel: levels and a float scale
    const bitsPerWeight = 4 + (extra * channels) / weights;
    lines.push(`  ${name.padEnd(48)} MSE ${(noise / weights).toExponential(3)}  SQNR ${(10 * Math.log10(signal / noise)).toFixed(2)} dB  ${bitsPerWeight.toFixed(3)} bits/weight  (fit ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  return lines;
}
