// The Fashion-MNIST experiment's report (Markdown) and chart (SVG), written from its measured rows. The
// verdicts on the survey's claims are computed from the numbers, so a rerun that measures differently
// says so.

const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(2)}%`);
const points = (v) => `${v >= 0 ? "+" : ""}${(100 * v).toFixed(2)}`;
const find = (rows, f) => rows.find(f);
const ptqRow = (rows, wb, ab, granularity, method) => find(rows, (r) => r.kind === "ptq" && r.weightBits === wb && r.activationBits === ab && r.granularity === granularity && r.method === method);
const qatRow = (rows, wb, ab, method) => find(rows, (r) => r.kind === "qat" && r.weightBits === wb && r.activationBits === ab && r.method === method);
const bestPtq = (rows, wb, ab) => rows.filter((r) => r.kind === "ptq" && r.weightBits === wb && r.activationBits === ab).reduce((a, b) => (!a || b.accuracy > a.accuracy ? b : a), null);

/** The claims of the survey (Gholami et al. 2021) this experiment can test, each with a verdict from the rows. */
export function verdicts(result) {
  const rows = result.rows, fp32 = rows[0].accuracy, out = [];
  const w8 = rows.filter((r) => r.kind === "ptq" && r.weightBits === 8 && r.activationBits === 8);
  const worst8 = w8.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
  out.push({
    claim: "PTQ at 8 bits is about as accurate as fp32 (§III-F, §IV: 8-bit PTQ usually costs little)",
    holds: fp32 - worst8.accuracy <= 0.01,
    evidence: `all ${w8.length} W8A8 rows are within ${points(worst8.accuracy - fp32)} points of fp32 (${pct(fp32)}); the worst is ${worst8.label}`,
  });
  const t4 = ptqRow(rows, 4, 8, "tensor", "minmax"), c4 = ptqRow(rows, 4, 8, "channel", "minmax");
  const t8 = ptqRow(rows, 8, 8, "tensor", "minmax"), c8 = ptqRow(rows, 8, 8, "channel", "minmax");
  out.push({
    claim: "Per-channel weight scales beat per-tensor ones, the more so at low bits (§III-D)",
    holds: c4.accuracy > t4.accuracy && c4.accuracy - t4.accuracy >= c8.accuracy - t8.accuracy,
    evidence: `W4A8 min/max: per-channel ${pct(c4.accuracy)} vs per-tensor ${pct(t4.accuracy)} (${points(c4.accuracy - t4.accuracy)}), ${c4.accuracy < t4.accuracy ? "though" : "and"} the per-channel weights are closer to the float ones (SQNR ${c4.weightSqnrDb.toFixed(1)} vs ${t4.weightSqnrDb.toFixed(1)} dB); at W8A8 the gap is ${points(c8.accuracy - t8.accuracy)}${result.layerStudy ? `. The channels' ranges are close (largest over smallest max|w| per layer: ${result.layerStudy.map((l) => `×${l.channelSpread.toFixed(1)}`).join(", ")}; per-channel scales pay off when they differ by orders of magnitude, as after batch-norm folding), and one layer at a time (table above) per-channel is the more accurate in ${result.layerStudy.filter((l) => l.channel.accuracy > l.tensor.accuracy).length} of ${result.layerStudy.length} layers` : ""}`,
  });
  const g4 = ptqRow(rows, 4, 8, "group:16", "minmax"), g2 = ptqRow(rows, 2, 8, "group:16", "minmax"), c2 = ptqRow(rows, 2, 8, "channel", "minmax");
  out.push({
    claim: "Finer (group-wise) granularity helps further at low bits (§III-D, sub-channel quantization)",
    holds: g4.accuracy >= c4.accuracy && g2.accuracy >= c2.accuracy,
    evidence: `groups of 16 vs per-channel: W4A8 ${pct(g4.accuracy)} vs ${pct(c4.accuracy)}, W2A8 ${pct(g2.accuracy)} vs ${pct(c2.accuracy)}, for ${g4.packedBytes - c4.packedBytes} more bytes at 4 bits`,
  });
  const m = (method) => ptqRow(rows, 4, 4, "channel", method);
  const mm = m("minmax"), pc = m("percentile"), kl = m("kl"), mse = m("mse");
  out.push({
    claim: "Clipping calibration (percentile, KL) beats min/max when activations get few bits (§III-B)",
    holds: pc.accuracy > mm.accuracy && kl.accuracy > mm.accuracy,
    evidence: `W4A4 per-channel: min/max ${pct(mm.accuracy)}, percentile ${pct(pc.accuracy)}, KL ${pct(kl.accuracy)}, MSE ${pct(mse.accuracy)}; at W8A8 the four span ${points(Math.max(...METHODS8(rows)) - Math.min(...METHODS8(rows)))} points`,
  });
  const dyn = find(rows, (r) => r.kind === "dynamic"), static8 = ptqRow(rows, 8, 8, "channel", "minmax");
  if (dyn) {
    out.push({
      claim: "Dynamic quantization (ranges per input at run time) is as accurate as static (within 0.1 point), at a run-time cost (§III-C)",
      holds: dyn.accuracy >= static8.accuracy - 0.001 && dyn.latencyMs > static8.latencyMs,
      evidence: `W8A8 per-channel: dynamic ${pct(dyn.accuracy)} in ${dyn.latencyMs.toFixed(3)} ms vs static min/max ${pct(static8.accuracy)} in ${static8.latencyMs.toFixed(3)} ms per image`,
    });
  }
  for (const [wb, ab] of [[4, 4], [2, 8]]) {
    // Like for like: QAT's weights are per channel, so the baseline is the best per-channel PTQ.
    const base = rows.filter((r) => r.kind === "ptq" && r.weightBits === wb && r.activationBits === ab && r.granularity === "channel").reduce((a, b) => (!a || b.accuracy > a.accuracy ? b : a), null);
    const best = bestPtq(rows, wb, ab), ste = qatRow(rows, wb, ab, "STE"), lsq = qatRow(rows, wb, ab, "LSQ");
    const qbest = [ste, lsq].reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    const lost = fp32 - base.accuracy, recovered = lost > 0 ? (qbest.accuracy - base.accuracy) / lost : 0;
    out.push({
      claim: `QAT recovers most of what PTQ loses at W${wb}A${ab} (§IV-A)`,
      holds: lost > 0 ? recovered > 0.5 : qbest.accuracy >= base.accuracy - 0.002,
      evidence: (lost > 0
        ? `per-channel PTQ at best (${base.label}) ${pct(base.accuracy)}, ${points(-lost)} from fp32; QAT (per channel) STE ${pct(ste.accuracy)}, LSQ ${pct(lsq.accuracy)}: ${recovered >= 1 ? "all of the loss recovered (QAT beats fp32 here)" : `${(100 * recovered).toFixed(0)}% of the loss recovered`}`
        : `PTQ loses nothing here (${pct(base.accuracy)}); QAT STE ${pct(ste.accuracy)}, LSQ ${pct(lsq.accuracy)}`)
        + (best !== base ? `; the best PTQ of any granularity is ${best.label} at ${pct(best.accuracy)}` : ""),
    });
  }
  return out;
}
const METHODS8 = (rows) => rows.filter((r) => r.kind === "ptq" && r.weightBits === 8 && r.granularity === "channel").map((r) => r.accuracy);

export function renderReport(result) {
  const rows = result.rows, fp32 = rows[0];
  const crossCheck = Math.max(...rows.map((r) => Math.abs(r.accuracy - r.ortAccuracy)));
  const integerOnly = rows.filter((r) => r.kind === "ptq" || r.kind === "qat").every((r) => !r.ops.some((op) => op === "Conv" || op === "Gemm"));
  const lines = [
    "# Quantizing a Fashion-MNIST CNN with dyad",
    "",
    "Generated by `npm run experiment` (scripts/experiment.mjs); every number below is measured by that run. The",
    "survey is Gholami et al., \"A Survey of Quantization Methods for Efficient Neural Network Inference\" (2021).",
    "",
    `Run: ${result.date.slice(0, 10)}, Node ${result.node}, ${result.cpus} cores (${result.cpu}); the whole experiment took ${(result.seconds / 60).toFixed(1)} minutes.`,
    "",
    "## Setup",
    "",
    `- Data: Fashion-MNIST, the official split: ${result.train} training and ${result.test} test images, pixels / 255.`,
    `- Model: ${describeArch(result.architecture)}; ${result.float.parameters} parameters. Trained by dyad's trainer (src/train/, convolutions as im2col on dyad's float32 GEMM) with Adam, batch 64, ${result.float.epochs.length} epochs, learning rates ${result.float.schedule.join(", ")}; ${result.float.epochs.map((e) => e.seconds.toFixed(0)).join(" + ")} s.`,
    `- PTQ: \`quantizeOnnx\` (= \`dyad quantize\`) on ${result.calibration} training images; weights symmetric on a b-bit grid (per tensor, per output channel, or groups of 16 along the input with integer factors 1..15 of the channel step), activations asymmetric on 2^b levels, biases int32. The output is an ONNX QDQ file.`,
    "- QAT: from the fp32 weights, one epoch at 4 bits (940 steps, batch 64, Adam 2e-4) and two at 2 bits (5e-4, then 1.25e-4), with fake quantization in the forward pass: weights per channel, activations after each ReLU with the clipped straight-through estimator (STE: range from a moving min/max; LSQ: the step learned, Esser et al. 2019). Exported through the same `quantizeOnnx` with the learned activation ranges.",
    "- Each row is measured by **dyad's integer-only engine** on all test images (batch 1): the file is loaded, every Conv/Gemm/Relu/pool runs as an integer op (only the input's QuantizeLinear and the logits' DequantizeLinear are float), and",
    "  - the dynamic row quantizes each convolution's and the dense layer's input at run time (DynamicQuantizeLinear -> ConvInteger / MatMulInteger -> float rescale), so its Relu, pools and rescaling are float; it has no fake-quant twin;",
    "  - *agreement* is the fraction of test images on which it predicts the same class as the same file run as simulated (fake) quantization (`loadModel(file, { simulate: true })`: Q/DQ kept, float32 in between);",
    "  - *ort-web* is onnxruntime-web 1.30's accuracy on the same file (the cross-check);",
    "  - *weight SQNR* is the weights' signal-to-quantization-noise ratio over all layers, 10·log10(Σw² / Σ(w - ŵ)²);",
    "  - *bytes* are the parameters at their widths (b bits per weight, 4 bits per group factor, float32 scales, int32 biases); *file* is the QDQ ONNX file, which stores weights in int8 containers;",
    "  - *latency* is the median time of one `model.run` per image (one thread).",
    "",
    "## Results",
    "",
    "| model | accuracy | vs fp32 | agreement int vs fake | ort-web | weight SQNR | bytes | file | latency |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.label} | ${pct(r.accuracy)} | ${r.kind === "fp32" ? "" : points(r.accuracy - fp32.accuracy)} | ${r.agreement === null ? "" : pct(r.agreement)} | ${pct(r.ortAccuracy)} | ${r.weightSqnrDb === undefined ? "" : `${r.weightSqnrDb.toFixed(1)} dB`} | ${r.packedBytes.toLocaleString("en")} | ${r.fileBytes.toLocaleString("en")} | ${r.latencyMs.toFixed(3)} ms |`),
    "",
    `fp32 is dyad's float path on the trainer's exported ONNX file. Cross-check: the largest difference between dyad's and onnxruntime-web's accuracy on a file is ${(100 * crossCheck).toFixed(2)} points${crossCheck <= 0.001 ? " (within ±0.1%)" : " (more than ±0.1%)"}; every static PTQ and QAT file ran ${integerOnly ? "with no float Conv or Gemm" : "with float convolutions in some rows (see the JSON)"}.`,
    "",
    "![accuracy against bits](fashion-mnist.svg)",
    "",
    ...(result.layerStudy ? [
      "Per tensor or per channel, layer by layer: one layer's weights on the 4-bit grid, everything else float (the trainer's accuracy on the test images):",
      "",
      "| layer | channel range spread | per-tensor accuracy | SQNR | per-channel accuracy | SQNR |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
      ...result.layerStudy.map((l) => `| ${l.layer} | ×${l.channelSpread.toFixed(2)} | ${pct(l.tensor.accuracy)} | ${l.tensor.sqnrDb.toFixed(1)} dB | ${pct(l.channel.accuracy)} | ${l.channel.sqnrDb.toFixed(1)} dB |`),
      "",
    ] : []),
    "## What the numbers say about the survey's claims",
    "",
    ...verdicts(result).map((v) => `- **${v.holds ? "Supported" : "Not supported"}** — ${v.claim}: ${v.evidence}.`),
    "",
    "The raw numbers (every row, the ops each file ran, QAT's before/after accuracies in the trainer) are in fashion-mnist.json.",
    "",
  ];
  return lines.join("\n");
}

function describeArch(arch) {
  return arch.map((l) => (typeof l === "string" ? l : "conv" in l ? `conv3x3(${l.conv})` : `dense(${l.dense})`)).join(" → ");
}

/** Accuracy against bits: one line per method, categories ordered by total bits. */
export function renderChart(result) {
  const rows = result.rows, cats = [["W8A8", 8, 8], ["W4A8", 4, 8], ["W2A8", 2, 8], ["W4A4", 4, 4]];
  const series = [
    { name: "PTQ per-tensor, min/max", color: "#999", at: (w, a) => ptqRow(rows, w, a, "tensor", "minmax") },
    { name: "PTQ per-channel, min/max", color: "#1f77b4", at: (w, a) => ptqRow(rows, w, a, "channel", "minmax") },
    { name: "PTQ per-channel, best calibration", color: "#17becf", dash: "6,4", at: (w, a) => rows.filter((r) => r.kind === "ptq" && r.weightBits === w && r.activationBits === a && r.granularity === "channel").reduce((x, y) => (!x || y.accuracy > x.accuracy ? y : x), null) },
    { name: "PTQ groups of 16, min/max", color: "#2ca02c", at: (w, a) => ptqRow(rows, w, a, "group:16", "minmax") },
    { name: "QAT, STE", color: "#d62728", at: (w, a) => qatRow(rows, w, a, "STE") },
    { name: "QAT, LSQ", color: "#ff7f0e", at: (w, a) => qatRow(rows, w, a, "LSQ") },
  ];
  const W = 720, H = 420, left = 60, right = 230, top = 30, bottom = 50;
  const accs = rows.map((r) => r.accuracy);
  const lo = Math.max(0, Math.floor(Math.min(...accs) * 10) / 10), hi = Math.min(1, Math.ceil(Math.max(...accs) * 20) / 20);
  const tick = hi - lo > 0.5 ? 0.1 : 0.05;
  const X = (i) => left + ((W - left - right) * (i + 0.5)) / cats.length, Y = (v) => top + ((H - top - bottom) * (hi - v)) / (hi - lo);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14">Fashion-MNIST test accuracy, dyad integer-only (fp32 dashed)</text>`];
  for (let v = lo; v <= hi + 1e-9; v += tick) {
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eee"/>`, `<text x="${left - 6}" y="${Y(v) + 4}" text-anchor="end">${(100 * v).toFixed(0)}%</text>`);
  }
  cats.forEach(([c], i) => parts.push(`<text x="${X(i)}" y="${H - bottom + 20}" text-anchor="middle">${c}</text>`));
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 10}" text-anchor="middle">weight / activation bits</text>`);
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${Y(rows[0].accuracy)}" y2="${Y(rows[0].accuracy)}" stroke="black" stroke-dasharray="5,4"/>`);
  series.forEach((s, k) => {
    const pts = cats.map(([, w, a], i) => { const r = s.at(w, a); return r ? [X(i), Y(r.accuracy)] : null; });
    let path = "";
    pts.forEach((p, i) => { if (p) path += `${path && pts[i - 1] ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`; });
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`);
    pts.forEach((p) => { if (p) parts.push(`<circle cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="3.5" fill="${s.color}"/>`); });
    const ly = top + 20 * k;
    parts.push(`<line x1="${W - right + 15}" x2="${W - right + 35}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`, `<text x="${W - right + 40}" y="${ly + 4}">${s.name}</text>`);
  });
  parts.push("</svg>", "");
  return parts.join("\n");
}
