// Post-training quantization of float ONNX models into the QDQ format (static activation ranges): the model
// runs in float on calibration data (in dyad), an observer per activation tensor proposes its range
// (calibrate.ts), weights are quantized symmetric int8 per tensor or per output channel, biases int32 with
// scale s_x * s_w, and QuantizeLinear -> DequantizeLinear pairs go around every quantized tensor, as
// onnxruntime's quantizer writes them. dyad then fuses DQ -> Conv/Gemm/MatMul/Add/pool -> Q into integer
// ops, and onnxruntime runs the same file.
//
// - Quantized ops: Conv, Gemm, MatMul (constant weights), Add; MaxPool, AveragePool, GlobalAveragePool,
//   Flatten, Reshape carry their input's parameters (they only move or average values); other ops stay
//   float between a DequantizeLinear and the next QuantizeLinear.
// - A Relu that is the only reader of a quantized op's output is removed: its output's range starts at 0, so
//   the quantization clamps what the Relu would have (as onnxruntime's QDQ quantizer does).
// - The graph's outputs are calibrated by min/max whatever the method (clipping logits clips the answer).
// - Bias correction (optional): the mean shift the weight rounding causes on each output channel over the
//   calibration set, E[x (W - Ŵ)], is added to the float bias before it is quantized.

import { UnsupportedError, ShapeError, BufferError, QuantParamError } from "../errors.js";
import { decodeModel, encodeModel, type GraphSpec, type TensorInit } from "../formats/onnx/proto.js";
import { toSpec } from "./onnx-spec.js";
import { quantizeWeights, isWeightedNode, outputChannels } from "./weight-grid.js";
import { quantizeDynamicOnnx } from "./ptq-dynamic.js";
import { roundHalfEven } from "../tensor/qtensor.js";
import { Observer, paramsFromRange, type CalibrationMethod } from "./calibrate.js";
import type { Dyad } from "../dyad.js";

export interface PtqOptions {
  /** Calibration samples: each the model's float inputs, in order (not needed for dynamic activations). */
  calibration?: Float32Array[][];
  method?: CalibrationMethod;
  /** Percentile for method "percentile". */
  percentile?: number;
  /**
   * Activations: "uint8" (default) or "int8", static ranges from calibration (asymmetric), or "dynamic":
   * ranges computed at run time per input (DynamicQuantizeLinear -> ConvInteger/MatMulInteger, as
   * onnxruntime's quantize_dynamic writes; see ptq-dynamic.ts).
   */
  activations?: "uint8" | "int8" | "dynamic";
  /**
   * Weight scales: per output channel (default), one per tensor, or "group:N" — per channel, with each run of
   * N consecutive weights of a channel (along its flattened input dimension) on its own step, an integer
   * multiple m (1..15) of the channel's step (two-level scales as in VS-Quant, Dai et al. 2021). q * m fits
   * int8 for weights of <= 4 bits, so the file stays a per-channel QDQ model that runs integer-only; the
   * packed size counts b bits per weight and 4 per group. At 8 bits m is always 1 (per channel).
   */
  granularity?: "tensor" | "channel" | `group:${number}`;
  /** Bits of the weight grid, 2 to 8 (default 8): symmetric, stored in int8 with |q| <= 2^(b-1) - 1. */
  weightBits?: number;
  /**
   * Bits of the activation grid, 2 to 8 (default 8): asymmetric, 2^b levels stored in 8-bit containers; below
   * 8 a Clip to the representable range precedes each QuantizeLinear of an operator's output (dyad folds it
   * into a Conv's output clamp). The model's input and output stay at 8 bits.
   */
  activationBits?: number;
  biasCorrection?: boolean;
  /**
   * Fixed activation ranges by tensor name (e.g. learned by quantization-aware training); they replace the
   * calibrated range of those tensors.
   */
  ranges?: Record<string, { min: number; max: number }>;
}

export interface PtqReport {
  /** Tensors that got Q/DQ pairs, with their scale and zero point. */
  activations: { name: string; scale: number; zeroPoint: number }[];
  /** Nodes whose weights were quantized. */
  quantizedNodes: string[];
  /** Relu nodes folded into their producer's output range. */
  removedRelus: number;
  /** Signal-to-quantization-noise ratio of all quantized weights together, in dB. */
  weightSqnrDb: number;
  /**
   * The parameters at their quantized widths: b bits per weight, 4 bits per group factor, 4 bytes per weight
   * scale and per int32 bias (what a packed file would hold; the QDQ file stores int8 containers).
   */
  packedBytes: number;
}

const CARRY = new Set(["MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape"]);
const FREE = new Set(["Add"]);

/** Quantizes a float ONNX model: QDQ with static ranges, or dynamic activations (ptq-dynamic.ts); returns the file and what was done. */
export function quantizeOnnx(dyad: Dyad, bytes: Uint8Array, options: PtqOptions): { model: Uint8Array; report: PtqReport } {
  const model = decodeModel(bytes);
  const weightBits = options.weightBits ?? 8, activationBits = options.activationBits ?? 8;
  for (const [what, b] of [["weightBits", weightBits], ["activationBits", activationBits]] as const) {
    if (!Number.isInteger(b) || b < 2 || b > 8) throw new QuantParamError(`quantize: ${what} must be an integer from 2 to 8, got ${b}`);
  }
  const granularity = options.granularity ?? "channel";
  const groupSize = granularity.startsWith("group:") ? Number(granularity.slice(6)) : 0;
  if (!(granularity === "tensor" || granularity === "channel" || (Number.isInteger(groupSize) && groupSize >= 2))) {
    throw new QuantParamError(`quantize: granularity must be "tensor", "channel" or "group:N" with an integer N >= 2, got "${granularity}"`);
  }
  if (options.activations === "dynamic") {
    if (options.biasCorrection) throw new UnsupportedError("quantize: bias correction needs static activations (calibration data); dynamic quantization has none");
    if (activationBits !== 8) throw new UnsupportedError("quantize: dynamic activations are 8-bit (DynamicQuantizeLinear)");
    return quantizeDynamicOnnx(model, weightBits, granularity !== "tensor", groupSize);
  }
  const calib = options.calibration;
  if (!Array.isArray(calib) || calib.length === 0) throw new BufferError("quantize: the calibration set is empty");
  calib.forEach((sample, i) => {
    if (!Array.isArray(sample) || sample.length !== model.inputs.length) throw new ShapeError(`quantize: calibration sample ${i} has ${sample?.length} inputs, the model ${model.inputs.length}`);
    sample.forEach((x, j) => {
      const dims = model.inputs[j].shape;
      const size = dims.every((d) => typeof d === "number") ? (dims as number[]).reduce((a, b) => a * b, 1) : -1;
      if (!(x instanceof Float32Array) || (size >= 0 && x.length !== size)) throw new ShapeError(`quantize: calibration sample ${i}, input ${j} ("${model.inputs[j].name}") must be a Float32Array of ${size} values (shape [${dims}]), got ${x?.length}`);
    });
  });
  const spec = toSpec(model);
  const consts = new Map(spec.initializers.map((t) => [t.name, t]));
  const readers = (name: string) => spec.nodes.filter((n) => n.inputs.includes(name));

  // Which tensors to quantize, and the Relus to fold.
  const quantized = new Set<string>();
  const carries = new Map<string, string>(); // output -> input whose parameters it carries
  const removed = new Set<GraphSpec["nodes"][number]>();
  const rename = new Map<string, string>(); // a folded Relu's input -> its output
  const weighted: GraphSpec["nodes"] = [];
  for (const n of spec.nodes) {
    if (isWeightedNode(n, consts)) {
      weighted.push(n);
      quantized.add(n.inputs[0]);
      const rs = readers(n.outputs[0]);
      const out = spec.outputs.some((o) => o.name === n.outputs[0]);
      if (rs.length === 1 && rs[0].opType === "Relu" && !out) {
        removed.add(rs[0]);
        rename.set(n.outputs[0], rs[0].outputs[0]);
        quantized.add(rs[0].outputs[0]);
      } else {
        quantized.add(n.outputs[0]);
      }
    }
  }
  if (weighted.length === 0) throw new UnsupportedError("quantize: the model has no Conv, Gemm or MatMul with constant float weights to quantize");
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of spec.nodes) {
      if (removed.has(n) || n.domain) continue;
      const x = rename.get(n.inputs[0]) ?? n.inputs[0];
      if (CARRY.has(n.opType) && quantized.has(x) && !carries.has(n.outputs[0])) {
        quantized.add(n.outputs[0]);
        carries.set(n.outputs[0], x);
        grew = true;
      }
      if (FREE.has(n.opType) && n.inputs.every((i) => quantized.has(rename.get(i) ?? i) || consts.has(i)) && !quantized.has(n.outputs[0])) {
        n.inputs.filter((i) => consts.has(i)).forEach((i) => quantized.add(i));
        quantized.add(n.outputs[0]);
        grew = true;
      }
    }
  }
  // Apply the Relu folds: the producer writes the Relu's output name.
  for (const n of spec.nodes) n.outputs = n.outputs.map((o) => rename.get(o) ?? o);
  spec.nodes = spec.nodes.filter((n) => !removed.has(n));

  // Calibrate: the float model with every quantized activation as an extra output. The folded Relus are
  // back in for this run (their ranges start at 0).
  const floatNames = [...quantized].filter((t) => !consts.has(t));
  const calibSpec: GraphSpec = {
    ...toSpec(model),
    outputs: [...floatNames.map((name) => ({ name, dtype: "float32", dims: null }))],
  };
  // Graph outputs keep their whole range (min/max): clipping logits would clip the answer itself.
  const isOutput = (t: string) => spec.outputs.some((o) => o.name === t);
  const inputNames = new Set(spec.inputs.map((i) => i.name));
  const bitsOf = (t: string) => (isOutput(t) || inputNames.has(t) ? 8 : activationBits);
  const observers = new Map(floatNames.map((t) => [t, new Observer({ method: isOutput(t) ? "minmax" : options.method ?? "minmax", percentile: options.percentile, symmetric: false, bits: bitsOf(t) })]));
  const runner = dyad.loadModel(encodeModel(calibSpec));
  const weightedInputs = weighted.map((n) => n.inputs[0]);
  const sums = new Map<string, { sum: Float64Array; count: number }>(); // mean input per weighted node, for bias correction
  try {
    for (const sample of calib) {
      const outs = runner.run(sample);
      floatNames.forEach((t, i) => {
        observers.get(t)!.observe(outs[i].data as Float32Array);
        if (options.biasCorrection && weightedInputs.includes(t)) {
          const d = outs[i].data as Float32Array;
          const s = sums.get(t) ?? { sum: new Float64Array(d.length), count: 0 };
          d.forEach((v, k) => { s.sum[k] += v; });
          s.count++;
          sums.set(t, s);
        }
      });
    }
  } finally {
    runner.dispose();
  }
  const signed = options.activations === "int8";
  const params = new Map<string, { scale: number; zeroPoint: number }>();
  const paramsOf = (t: string): { scale: number; zeroPoint: number } => {
    if (params.has(t)) return params.get(t)!;
    let p: { scale: number; zeroPoint: number };
    if (carries.has(t)) {
      p = paramsOf(carries.get(t)!);
    } else {
      const fixed = options.ranges?.[t];
      const q = consts.has(t)
        ? new Observer({ symmetric: false }).observe(Float32Array.from(consts.get(t)!.data as Float32Array)).params()
        : fixed ? paramsFromRange(fixed, bitsOf(t), false) : observers.get(t)!.params();
      // int8 activations: the same grid shifted by 128 (asymmetric, signed).
      p = { scale: q.scale, zeroPoint: signed ? q.zeroPoint - 128 : q.zeroPoint };
    }
    params.set(t, p);
    return p;
  };

  // Rewrite: weights and biases as quantized initializers behind DequantizeLinear; Q -> DQ pairs.
  const out: GraphSpec = { ...spec, nodes: [], initializers: spec.initializers.filter((t) => !weighted.some((n) => n.inputs[1] === t.name || n.inputs[2] === t.name)) };
  const actType = signed ? "int8" : "uint8";
  const zpData = (z: number) => (signed ? Int8Array.of(z) : Uint8Array.of(z));
  const report: PtqReport = { activations: [], quantizedNodes: [], removedRelus: removed.size, packedBytes: 0, weightSqnrDb: 0 };
  let signal = 0, noise = 0;
  // A tensor that carries its input's parameters shares its initializers too (engines see the same pair).
  const root = (t: string): string => (carries.has(t) ? root(carries.get(t)!) : t);
  const qdq = (t: string, source: string, target = t): GraphSpec["nodes"] => {
    const p = paramsOf(t), r = root(t);
    if (!out.initializers.some((i) => i.name === `${r}_scale`)) {
      out.initializers.push({ name: `${r}_scale`, dtype: "float32", dims: [], data: Float32Array.of(p.scale) }, { name: `${r}_zero_point`, dtype: actType, dims: [], data: zpData(p.zeroPoint) });
    }
    report.activations.push({ name: t, ...p });
    const nodes: GraphSpec["nodes"] = [];
    const bits = bitsOf(root(t));
    if (bits < 8 && !carries.has(t) && !inputNames.has(t)) {
      // 2^b levels in an 8-bit container: clip to the representable reals first (the container's offset
      // is 0 for uint8, -128 for int8).
      const low = signed ? -128 : 0;
      const lo = p.scale * (low - p.zeroPoint), hi = p.scale * (low + 2 ** bits - 1 - p.zeroPoint);
      out.initializers.push({ name: `${t}_clip_min`, dtype: "float32", dims: [], data: Float32Array.of(lo) }, { name: `${t}_clip_max`, dtype: "float32", dims: [], data: Float32Array.of(hi) });
      nodes.push({ opType: "Clip", inputs: [source, `${t}_clip_min`, `${t}_clip_max`], outputs: [`${t}_clipped`] });
      source = `${t}_clipped`;
    }
    nodes.push(
      { opType: "QuantizeLinear", inputs: [source, `${r}_scale`, `${r}_zero_point`], outputs: [`${t}_quantized`] },
      { opType: "DequantizeLinear", inputs: [`${t}_quantized`, `${r}_scale`, `${r}_zero_point`], outputs: [target] },
    );
    return nodes;
  };
  // Graph inputs keep their names (Q reads them, readers take the DQ's output); a node's quantized output is
  // renamed `<t>_float` so that the DQ can produce `<t>` for the readers.
  const inputQ = new Set(spec.inputs.map((i) => i.name).filter((i) => quantized.has(i)));
  const read = (i: string) => (inputQ.has(i) ? `${i}_dequantized` : i);
  const float = (t: string) => `${t}_float`;
  for (const name of inputQ) out.nodes.push(...qdq(name, name, read(name)));
  for (const t of [...quantized].filter((t) => consts.has(t))) {
    // A constant operand of Add: its quantized values behind a DequantizeLinear.
    const p = paramsOf(t);
    const c = consts.get(t)!;
    const q = Float32Array.from(c.data as Float32Array, (v) => Math.min(signed ? 127 : 255, Math.max(signed ? -128 : 0, roundHalfEven(v / p.scale) + p.zeroPoint)));
    out.initializers = out.initializers.filter((i) => i.name !== t);
    out.initializers.push({ name: `${t}_quantized`, dtype: actType, dims: c.dims, data: signed ? Int8Array.from(q) : Uint8Array.from(q) },
      { name: `${t}_scale`, dtype: "float32", dims: [], data: Float32Array.of(p.scale) }, { name: `${t}_zero_point`, dtype: actType, dims: [], data: zpData(p.zeroPoint) });
    out.nodes.push({ opType: "DequantizeLinear", inputs: [`${t}_quantized`, `${t}_scale`, `${t}_zero_point`], outputs: [t] });
  }
  for (const n of spec.nodes) {
    const node = { ...n, inputs: n.inputs.map(read), outputs: n.outputs.map((o) => (quantized.has(o) ? float(o) : o)) };
    if (weighted.includes(n)) {
      const w = consts.get(n.inputs[1])!;
      const { axis, channels, inner } = outputChannels(n, w.dims);
      const wf = w.data as Float32Array;
      const perChannel = granularity !== "tensor";
      const { scales: ws, values: wq, signal: s2, noise: n2, packedBytes } = quantizeWeights(wf, channels, inner, weightBits, perChannel, groupSize);
      signal += s2;
      noise += n2;
      report.packedBytes += packedBytes + 4 * (n.inputs[2] || options.biasCorrection ? channels : 0);
      out.initializers.push({ name: `${w.name}_quantized`, dtype: "int8", dims: w.dims, data: wq },
        { name: `${w.name}_scale`, dtype: "float32", dims: perChannel ? [channels] : [], data: ws },
        { name: `${w.name}_zero_point`, dtype: "int8", dims: perChannel ? [channels] : [], data: new Int8Array(perChannel ? channels : 1) });
      out.nodes.push({ opType: "DequantizeLinear", inputs: [`${w.name}_quantized`, `${w.name}_scale`, `${w.name}_zero_point`], outputs: [`${w.name}_dequantized`], attrs: perChannel ? { axis } : {} });
      node.inputs = [...node.inputs];
      node.inputs[1] = `${w.name}_dequantized`;
      const sx = paramsOf(n.inputs[0]).scale;
      const biasName = n.inputs[2];
      if (biasName || options.biasCorrection) {
        const b = biasName ? (consts.get(biasName)!.data as Float32Array) : new Float32Array(n.opType === "Conv" ? w.dims[0] : channels);
        const bf = Float64Array.from(b);
        if (options.biasCorrection && sums.has(n.inputs[0])) correctBias(bf, n, w, wf, wq, ws, perChannel, sums.get(n.inputs[0])!);
        const bs = Float32Array.from(bf, (_, c) => Math.fround(sx * ws[perChannel ? c : 0]));
        const bq = Int32Array.from(bf, (v, c) => roundHalfEven(v / bs[c]));
        const bn = biasName ?? `${n.outputs[0]}_bias`;
        out.initializers.push({ name: `${bn}_quantized`, dtype: "int32", dims: [bf.length], data: bq },
          { name: `${bn}_scale`, dtype: "float32", dims: [bf.length], data: bs }, { name: `${bn}_zero_point`, dtype: "int32", dims: [bf.length], data: new Int32Array(bf.length) });
        out.nodes.push({ opType: "DequantizeLinear", inputs: [`${bn}_quantized`, `${bn}_scale`, `${bn}_zero_point`], outputs: [`${bn}_dequantized`], attrs: { axis: 0 } });
        node.inputs[2] = `${bn}_dequantized`;
        if (n.opType === "MatMul") {
          // MatMul has no bias input: an Add after it.
          node.inputs = node.inputs.slice(0, 2);
          const mid = `${n.outputs[0]}_product`;
          const target = node.outputs[0];
          node.outputs = [mid];
          out.nodes.push(node, { opType: "Add", inputs: [mid, `${bn}_dequantized`], outputs: [target] });
          report.quantizedNodes.push(n.name ?? n.outputs[0]);
          for (const o of n.outputs.filter((o) => quantized.has(o))) out.nodes.push(...qdq(o, float(o)));
          continue;
        }
      }
      report.quantizedNodes.push(n.name ?? n.outputs[0]);
    }
    out.nodes.push(node);
    for (const o of n.outputs.filter((o) => quantized.has(o))) out.nodes.push(...qdq(o, float(o)));
  }
  report.weightSqnrDb = 10 * Math.log10(signal / noise);
  return { model: encodeModel(out), report };
}

/** b += E[x] (W - Ŵ) per output channel (the expected error of the rounded weights, from the mean input). */
function correctBias(b: Float64Array, n: GraphSpec["nodes"][number], w: TensorInit, wf: Float32Array, wq: Int8Array, ws: Float32Array, perChannel: boolean, mean: { sum: Float64Array; count: number }): void {
  const x = Float64Array.from(mean.sum, (v) => v / mean.count);
  if (n.opType === "Conv") {
    // The mean over positions of each input channel stands for E[x] at every tap.
    const [cout, cinG, kh, kw] = w.dims;
    const cin = cinG; // grouped convolutions keep their bias uncorrected beyond group 1's channels
    const plane = x.length / cin;
    const chanMean = Array.from({ length: cin }, (_, c) => { let s = 0; for (let i = 0; i < plane; i++) s += x[c * plane + i]; return s / plane; });
    for (let o = 0; o < cout; o++) {
      let e = 0;
      for (let c = 0; c < cinG; c++) for (let t = 0; t < kh * kw; t++) {
        const i = ((o * cinG + c) * kh * kw) + t;
        e += chanMean[c] * (wf[i] - wq[i] * ws[perChannel ? o : 0]);
      }
      b[o] += e;
    }
    return;
  }
  // Gemm / MatMul: x is [rows, K]; the mean row.
  const { transB } = outputChannels(n, w.dims);
  const [d0, d1] = w.dims;
  const [k, nOut] = transB ? [d1, d0] : [d0, d1];
  const rows = x.length / k;
  const xm = Array.from({ length: k }, (_, kk) => { let s = 0; for (let r = 0; r < rows; r++) s += x[r * k + kk]; return s / rows; });
  for (let j = 0; j < nOut; j++) {
    let e = 0;
    for (let kk = 0; kk < k; kk++) {
      const i = transB ? j * k + kk : kk * nOut + j;
      e += xm[kk] * (wf[i] - wq[i] * ws[perChannel ? j : 0]);
    }
    b[j] += e;
  }
}
