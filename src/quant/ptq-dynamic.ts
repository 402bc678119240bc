// Dynamic quantization of float ONNX models (the survey's §III-C: activation ranges computed at run time, per
// input, instead of calibrated ahead): weights are quantized as in static PTQ (b-bit grid, per tensor, channel
// or group, in int8), and each Conv / Gemm / MatMul becomes what onnxruntime's quantize_dynamic writes:
//
//   x -> DynamicQuantizeLinear -> (x_q uint8, x_scale, x_zero_point)
//   ConvInteger(x_q, W_q, x_zero_point) or MatMulInteger(x_q, W_q, x_zero_point) -> int32
//   -> Cast(float) -> Mul(x_scale * w_scale) -> Add(bias)
//
// The integer products run on dyad's integer kernels (and onnxruntime's); the rescale, bias and everything
// between the quantized ops (Relu, pools) stay float. No calibration data is needed.

import { UnsupportedError } from "../errors.js";
import { encodeModel, type GraphSpec, type OnnxModel } from "../formats/onnx/proto.js";
import { toSpec } from "./onnx-spec.js";
import { quantizeWeights, isWeightedNode, outputChannels } from "./weight-grid.js";
import type { PtqReport } from "./ptq.js";

type Node = GraphSpec["nodes"][number];

export function quantizeDynamicOnnx(model: OnnxModel, weightBits: number, perChannel: boolean, groupSize: number): { model: Uint8Array; report: PtqReport } {
  const spec = toSpec(model);
  const consts = new Map(spec.initializers.map((t) => [t.name, t]));
  const report: PtqReport = { activations: [], quantizedNodes: [], removedRelus: 0, packedBytes: 0, weightSqnrDb: 0 };
  let signal = 0, noise = 0;
  const used = new Set<string>();
  const nodes: Node[] = [];
  const dynamic = new Map<string, [string, string, string]>(); // float input -> DynamicQuantizeLinear outputs
  const quantizeInput = (x: string): [string, string, string] => {
    let q = dynamic.get(x);
    if (!q) {
      q = [`${x}_dynamic_quantized`, `${x}_dynamic_scale`, `${x}_dynamic_zero_point`];
      nodes.push({ opType: "DynamicQuantizeLinear", inputs: [x], outputs: [...q] });
      dynamic.set(x, q);
    }
    return q;
  };
  for (const n of spec.nodes) {
    if (!isWeightedNode(n, consts)) { nodes.push(n); continue; }
    const w = consts.get(n.inputs[1])!;
    const name = n.name ?? n.outputs[0];
    const attrs = n.attrs ?? {};
    if (n.opType === "Conv" && ((attrs.group as number | undefined) ?? 1) !== 1) throw new UnsupportedError(`quantize (dynamic): Conv ${name} has group ${attrs.group}; ConvInteger takes group 1`);
    if (n.opType === "Gemm" && (((attrs.transA as number | undefined) ?? 0) !== 0 || ((attrs.alpha as { float: number } | undefined)?.float ?? 1) !== 1 || ((attrs.beta as { float: number } | undefined)?.float ?? 1) !== 1)) {
      throw new UnsupportedError(`quantize (dynamic): Gemm ${name} has transA, alpha or beta; only Y = X W (+ C)`);
    }
    if (n.opType !== "Conv" && w.dims.length !== 2) throw new UnsupportedError(`quantize (dynamic): ${n.opType} ${name} has ${w.dims.length}-D weights; only 2-D`);
    const { transB, channels, inner } = outputChannels(n, w.dims);
    const wf = w.data as Float32Array;
    const { scales, values, signal: s2, noise: n2, packedBytes } = quantizeWeights(wf, channels, inner, weightBits, perChannel, groupSize);
    signal += s2;
    noise += n2;
    const bias = n.inputs[2];
    report.packedBytes += packedBytes + (bias ? 4 * channels : 0);
    report.quantizedNodes.push(name);
    used.add(w.name);
    const [xq, xs, xz] = quantizeInput(n.inputs[0]);
    const out = n.outputs[0], acc = `${out}_int32`;
    const scaleShape = n.opType === "Conv" ? [1, scales.length, 1, 1] : [scales.length];
    if (n.opType === "Conv") {
      spec.initializers.push({ name: `${w.name}_quantized`, dtype: "int8", dims: w.dims, data: values });
      nodes.push({ opType: "ConvInteger", inputs: [xq, `${w.name}_quantized`, xz], outputs: [acc], attrs });
    } else {
      // MatMulInteger takes B as [K, N]: Gemm's transposed weights are transposed back here.
      const [k, nOut] = transB ? [w.dims[1], w.dims[0]] : [w.dims[0], w.dims[1]];
      const kn = transB ? Int8Array.from({ length: values.length }, (_, i) => values[(i % nOut) * k + Math.floor(i / nOut)]) : values;
      spec.initializers.push({ name: `${w.name}_quantized`, dtype: "int8", dims: [k, nOut], data: kn });
      nodes.push({ opType: "MatMulInteger", inputs: [xq, `${w.name}_quantized`, xz], outputs: [acc] });
    }
    spec.initializers.push({ name: `${w.name}_scale`, dtype: "float32", dims: perChannel ? scaleShape : [], data: scales });
    const product = bias ? `${out}_product` : out;
    nodes.push(
      { opType: "Cast", inputs: [acc], outputs: [`${acc}_float`], attrs: { to: 1 } },
      { opType: "Mul", inputs: [xs, `${w.name}_scale`], outputs: [`${out}_scale`] },
      { opType: "Mul", inputs: [`${acc}_float`, `${out}_scale`], outputs: [product] },
    );
    if (bias) {
      const b = consts.get(bias);
      if (n.opType === "Conv" && b) {
        // Conv's bias is [C]; the Add needs it along the channel axis of NCHW.
        spec.initializers.push({ name: `${bias}_nchw`, dtype: "float32", dims: [1, channels, 1, 1], data: Float32Array.from(b.data as Float32Array) });
        used.add(bias);
        nodes.push({ opType: "Add", inputs: [product, `${bias}_nchw`], outputs: [out] });
      } else {
        nodes.push({ opType: "Add", inputs: [product, bias], outputs: [out] });
      }
    }
  }
  if (report.quantizedNodes.length === 0) throw new UnsupportedError("quantize: the model has no Conv, Gemm or MatMul with constant float weights to quantize");
  // Float weights that only the rewritten nodes read are dropped.
  const read = new Set(nodes.flatMap((n) => n.inputs));
  spec.initializers = spec.initializers.filter((t) => !used.has(t.name) || read.has(t.name));
  spec.nodes = nodes;
  report.weightSqnrDb = 10 * Math.log10(signal / noise);
  return { model: encodeModel(spec), report };
}
