// ONNX -> dyad for 4-bit weights: com.microsoft MatMulNBits and the weight-only QDQ pattern
// DequantizeLinear(int4/uint4 initializer) -> MatMul, both on dyad's linear (src/ops/linear.ts): the weights
// stay 4-bit, the float activations are quantized per row at run time (int8, asymmetric), the sums are
// integer and the scales are applied in float32.
//
// onnxruntime computes these in float32 on dequantized weights (its wasm build has no int8 path for them;
// accuracy_level 4 asks for int8 activations, which its x64 build quantizes per block). dyad's results are
// therefore close to, not equal to, onnxruntime's: the activations' 8-bit rounding (tests bound the error).
//
// MatMulNBits (contrib_ops/cpu/quantization/matmul_nbits.cc; docs/ContribOperators.md):
//   A float [..., M, K]; B uint8 [N, K / block_size, block_size / 2]: element (n, k) is nibble k % 2 of byte
//   (n, k / block_size, (k % block_size) / 2), low nibble first; scales float [N, K / block_size];
//   zero_points uint8 [N, ceil(K / block_size / 2)] packed the same way (default 8); bias float [N];
//   attributes K, N, bits (4 here), block_size (a power of 2, at least 16), accuracy_level (ignored).

import { UnsupportedError, ShapeError } from "../../errors.js";
import { QTensor } from "../../tensor/qtensor.js";
import { setNibble } from "../../tensor/dtype.js";
import { linearNode } from "../../ops/linear.js";
import type { OnnxModel, OnnxNode, OnnxTensor } from "./proto.js";
import { describe, type Handler, type Importer } from "./importer.js";
import { graphUses, isDefaultDomain } from "./graph-uses.js";

/** The op a weight-only DequantizeLinear -> MatMul pair becomes: A, W (4-bit initializer), scale, zero point. */
export const WEIGHT_ONLY_MATMUL = "WeightOnlyMatMul";
const DYAD_DOMAIN = "dyad";

/**
 * Rewrites MatMul(A, DequantizeLinear(W)) with W a 4-bit initializer [K, N] (and the DequantizeLinear's only
 * reader this MatMul) into dyad.WeightOnlyMatMul, so that W is never expanded to float.
 */
export function fuseWeightOnlyMatMul(model: OnnxModel): OnnxNode[] {
  const { producer, consumers } = graphUses(model);
  const lowBit = new Map(model.initializers.filter((t) => t.dtype === "int4" || t.dtype === "uint4").map((t) => [t.name, t]));
  const removed = new Set<OnnxNode>();
  const replaced = new Map<OnnxNode, OnnxNode>();
  for (const n of model.nodes) {
    if (!isDefaultDomain(n) || n.opType !== "MatMul") continue;
    const d = producer.get(n.inputs[1]);
    if (!d || !isDefaultDomain(d) || d.opType !== "DequantizeLinear" || consumers.get(d.outputs[0]) !== 1) continue;
    const w = lowBit.get(d.inputs[0]);
    if (!w || w.dims.length !== 2) continue;
    removed.add(d);
    replaced.set(n, {
      ...n, domain: DYAD_DOMAIN, opType: WEIGHT_ONLY_MATMUL,
      inputs: [n.inputs[0], d.inputs[0], d.inputs[1], d.inputs[2] ?? ""],
      attrs: { axis: (d.attrs.axis as number | undefined) ?? 1, block_size: (d.attrs.block_size as number | undefined) ?? 0 },
    });
  }
  return model.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
}

/** The float input A [..., K] of a linear node, in ONNX order, checked. */
function floatInput(im: Importer, node: OnnxNode, k: number) {
  const a = im.logical(im.value(node, 0, "A"));
  if (a.dtype !== "float32") throw new UnsupportedError(`${describe(node)}: A is ${a.dtype}; only float32`);
  if (a.shape.length < 1 || a.shape[a.shape.length - 1] !== k) throw new ShapeError(`${describe(node)}: A [${a.shape}] does not end in K = ${k}`);
  return a;
}

function packNibbles(count: number, value: (e: number) => number): Uint8Array {
  const data = new Uint8Array(Math.ceil(count / 2));
  for (let e = 0; e < count; e++) setNibble(data, e, value(e));
  return data;
}

export const LOWBIT_OPS: Record<string, Handler> = {
  [`${DYAD_DOMAIN}.${WEIGHT_ONLY_MATMUL}`]: (im, node) => {
    const w = im.lowBitInitializer(node.inputs[1]);
    const [k, n] = w.dims;
    const a = floatInput(im, node, k);
    const scale = im.constant(node, 2, "scale")!;
    // A 4-bit zero point is kept aside like the weights; an 8-bit one is an ordinary constant.
    const zp = node.inputs[3] ? (im.lowBit.has(node.inputs[3]) ? Array.from(im.lowBitInitializer(node.inputs[3]).values!) : im.constant(node, 3, "zero_point")) : null;
    const axis = node.attrs.axis as number, blockSize = node.attrs.block_size as number;
    const perTensor = scale.length === 1 && blockSize === 0;
    const weights = new QTensor({
      dtype: w.dtype as "int4" | "uint4", shape: [k, n], data: packNibbles(k * n, (e) => w.values![e]),
      scale, zeroPoint: zp ?? undefined, axis: perTensor ? null : axis < 0 ? axis + 2 : axis, blockSize,
    });
    im.emit(node, [a], [{ dtype: "float32", shape: [...a.shape.slice(0, -1), n] }], linearNode({ weights }));
  },
  "com.microsoft.MatMulNBits": (im, node) => {
    const k = node.attrs.K as number, n = node.attrs.N as number, bits = node.attrs.bits as number | undefined;
    const block = node.attrs.block_size as number;
    if (bits !== undefined && bits !== 4) throw new UnsupportedError(`${describe(node)}: bits = ${bits}; dyad runs 4-bit MatMulNBits`);
    if (!Number.isInteger(k) || !Number.isInteger(n) || k <= 0 || n <= 0) throw new ShapeError(`${describe(node)}: attributes K = ${k} and N = ${n} must be positive integers`);
    if (!Number.isInteger(block) || block < 2 || block % 2 !== 0) throw new UnsupportedError(`${describe(node)}: block_size = ${block}; an even block size is needed`);
    if (node.inputs[4]) throw new UnsupportedError(`${describe(node)}: g_idx (input 4) is not supported`);
    const a = floatInput(im, node, k);
    const blocks = Math.ceil(k / block), blob = block / 2;
    const b = im.constantArray(node, 1, "B")!;
    if (b.length !== n * blocks * blob) throw new ShapeError(`${describe(node)}: B has ${b.length} bytes; [N, K / block_size, block_size / 2] = [${n}, ${blocks}, ${blob}] needs ${n * blocks * blob}`);
    const scales = im.constant(node, 2, "scales")!;
    if (scales.length !== n * blocks) throw new ShapeError(`${describe(node)}: ${scales.length} scales; N x blocks = ${n * blocks} needed`);
    let zeroPoint = (_g: number, _j: number) => 8;
    if (node.inputs[3]) {
      const z = im.value(node, 3, "zero_points");
      if (z.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: zero_points are ${z.dtype}; only packed uint8 is supported`);
      const zb = im.constantArray(node, 3, "zero_points")!;
      const perRow = Math.ceil(blocks / 2);
      if (zb.length !== n * perRow) throw new ShapeError(`${describe(node)}: ${zb.length} zero-point bytes; N x ceil(blocks / 2) = ${n * perRow} needed`);
      zeroPoint = (g, j) => (zb[j * perRow + (g >> 1)] >> (g & 1 ? 4 : 0)) & 15;
    }
    const bias = node.inputs[5] ? Float32Array.from(im.constant(node, 5, "bias")!) : undefined;
    if (bias && bias.length !== n) throw new ShapeError(`${describe(node)}: bias has ${bias.length} values for N = ${n}`);
    // [N][blocks][blob] nibbles -> a uint4 [K, N] tensor in groups of block_size along K.
    const data = packNibbles(k * n, (e) => {
      const kk = Math.floor(e / n), j = e % n;
      const byte = b[j * blocks * blob + Math.floor(kk / block) * blob + ((kk % block) >> 1)];
      return kk & 1 ? byte >> 4 : byte & 15;
    });
    const weights = new QTensor({
      dtype: "uint4", shape: [k, n], data, axis: 0, blockSize: block,
      scale: Array.from({ length: blocks * n }, (_, e) => scales[(e % n) * blocks + Math.floor(e / n)]),
      zeroPoint: Array.from({ length: blocks * n }, (_, e) => zeroPoint(Math.floor(e / n), e % n)),
    });
    im.emit(node, [a], [{ dtype: "float32", shape: [...a.shape.slice(0, -1), n] }], linearNode({ weights, bias }));
  },
};

/** 4-bit initializers are kept aside (graphs carry no 4-bit tensors) for the nodes above; any other reader is refused. */
export function checkLowBitReaders(model: OnnxModel, t: OnnxTensor): void {
  const readers = model.nodes.filter((n) => n.inputs.includes(t.name));
  const other = readers.find((n) => !(n.domain === DYAD_DOMAIN && n.opType === WEIGHT_ONLY_MATMUL && (n.inputs[1] === t.name || n.inputs[3] === t.name) && n.inputs[0] !== t.name && n.inputs[2] !== t.name));
  if (other) throw new UnsupportedError(`onnx: initializer "${t.name}" is ${t.dtype}; dyad reads 4-bit weights only through DequantizeLinear -> MatMul (weight-only quantization), not in ${describe(other)}`);
}
