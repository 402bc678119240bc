// ONNX -> dyad graph. This file: the 8-bit and quantization operators (Quantize/DequantizeLinear,
// DynamicQuantizeLinear, QLinearConv (regular, depthwise, grouped), ConvInteger, QLinearMatMul, MatMulInteger,
// the com.microsoft QLinear* and dynamic-quantization operators), the layout-keeping moves (Reshape, Flatten,
// Transpose, Squeeze, Unsqueeze, Pad, Clip, MaxPool, Relu, Identity, Constant), and importOnnx, which fuses QDQ
// patterns and Conv+Clip first; glue-ops.ts has the float32 operators and the any-type glue, importer.ts the
// shared machinery. Each entry infers its outputs' dtypes and shapes (ONNX files seldom list them) and returns
// the builder. No math here.
//
// Layout: ONNX is NCHW, dyad's convolutions NHWC. A 4-D value produced by a convolution stays NHWC in memory
// (`layout: "nhwc"`, its graph tensor shaped NHWC); ops that need ONNX's order (matmul, reshape, per-axis
// quantization, graph outputs) get a TRANSPOSE back, and a convolution whose input is in ONNX order gets one
// forward. Each conversion is made once per value. Elementwise per-tensor ops keep the layout they are given.
// Any op not listed fails at load, naming the node, its op type and domain.

import { sameShape } from "../../tensor/shape.js";
import { ModelFormatError, UnsupportedError, ShapeError } from "../../errors.js";
import type { Graph, TensorDType } from "../../graph/ir.js";
import { DTYPES } from "../../tensor/dtype.js";
import type { NodeBuilder, NodeContext } from "../../graph/node.js";
import { MatMul } from "../../ops/matmul.js";
import { transpose, pad } from "../../ops/data-movement.js";
import { conv2d, type Conv2DOptions } from "../../ops/conv2d.js";
import { depthwiseConv2d } from "../../ops/depthwise-conv2d.js";
import { floatRelu, floatClip } from "../../ops/float-elementwise.js";
import { stridedSlice } from "../../ops/strided-slice.js";
import { pool } from "../../ops/pooling.js";
import { dynamicMatMul, dynamicQuantizeLinearOp } from "../../ops/dynamic-matmul.js";
import { convInteger } from "../../ops/conv-integer.js";
import { concatenation } from "../../ops/concat.js";
import { quantizeLinear, dequantizeConstant, dequantizeLinear, type AffineParams } from "../../ops/affine.js";
import { QTensor } from "../../tensor/qtensor.js";
import { decodeModel, type NumericArray, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from "./proto.js";
import { window2d } from "../../ops/conv-geometry.js";
import { qlinearBinary, type QLinearBinaryOp } from "../../ops/qlinear-binary.js";
import { qlinearLookup, leakyReluTable, sigmoidTable, lookupTable, clampTable, type LookupQuant } from "../../ops/qlinear-lookup.js";
import { qlinearConcat } from "../../ops/qlinear-concat.js";
import { qlinearAveragePool } from "../../ops/qlinear-average-pool.js";
import { qlinearSoftmax } from "../../ops/qlinear-softmax.js";
import { qlinearGlobalAveragePool } from "../../ops/qlinear-global-pool.js";
import { fuseQdq } from "./qdq.js";
import { checkAttributes } from "./attributes.js";
import { fuseConvClip, FUSED_CLIP_ATTR } from "./fuse-clip.js";
import { Importer, GRAPH_DTYPES, MIN_OPSET, MAX_OPSET, TO_NHWC, TO_NCHW, describe, tensorBytes, opKey, onnxPadding, softmaxRows, type Handler, type Value } from "./importer.js";
import { GLUE_OPS, floatPoolNode } from "./glue-ops.js";
import { LOWBIT_OPS, fuseWeightOnlyMatMul, checkLowBitReaders } from "./lowbit-ops.js";

function affineParams(im: Importer, node: OnnxNode, x: Value, zpDtype: string | null): AffineParams {
  const scale = Float32Array.from(im.constant(node, 1, "scale")!);
  const zps = im.constant(node, 2, "zero_point", true);
  const zeroPoint = zps ? Int32Array.from(zps) : new Int32Array(scale.length);
  let axis: number | null = null;
  let blockSize = 0;
  if (scale.length > 1 || im.value(node, 1, "scale").shape.length > 1) {
    const a = (node.attrs.axis as number | undefined) ?? 1;
    const rank = x.shape.length;
    axis = a < 0 ? a + rank : a;
    blockSize = (node.attrs.block_size as number | undefined) ?? 0;
    if (!(axis >= 0 && axis < rank)) throw new ShapeError(`${describe(node)}: axis ${a} is out of range for a rank-${rank} input`);
    if (!(Number.isInteger(blockSize) && blockSize >= 0)) throw new ShapeError(`${describe(node)}: block_size ${blockSize}`);
    // One scale per index of the axis, or per block of it (the scale tensor is x with that axis divided).
    const dim = x.shape[axis], size = x.shape.reduce((p, q) => p * q, 1);
    const want = blockSize > 0 ? (dim ? (size / dim) * Math.ceil(dim / blockSize) : 0) : dim;
    if (scale.length !== want) throw new ShapeError(`${describe(node)}: ${scale.length} scales for an input [${x.shape}] quantized along axis ${axis}${blockSize ? ` in blocks of ${blockSize}` : ""}; it needs ${want}`);
  }
  if (zpDtype !== null && zps && zeroPoint.length !== scale.length) throw new ShapeError(`${describe(node)}: ${scale.length} scales, ${zeroPoint.length} zero points`);
  return { scale, zeroPoint, axis, blockSize };
}

const ONNX_TYPE_NAMES: Record<number, TensorDType> = { 2: "uint8", 3: "int8", 5: "int16" };

const QUANT_OPS: Record<string, Handler> = {
  Identity: (im, node) => {
    const x = im.value(node, 0, "input");
    im.reshaped(node, x, x.shape, x.layout);
  },
  QuantizeLinear: (im, node) => {
    let x = im.value(node, 0, "x");
    if (perAxis(im, node)) x = im.logical(x);
    if (x.dtype !== "float32") throw new UnsupportedError(`${describe(node)}: input dtype ${x.dtype}; only float32`);
    const zpName = node.inputs[2];
    const out: TensorDType = zpName ? im.value(node, 2, "zero_point").dtype : ONNX_TYPE_NAMES[(node.attrs.output_dtype as number) ?? 2] ?? "uint8";
    if (!["int8", "uint8", "int16"].includes(out)) throw new UnsupportedError(`${describe(node)}: output dtype ${out} is not supported in graphs yet`);
    const params = affineParams(im, node, x, out);
    const [y] = im.emit(node, [x], [{ dtype: out, shape: x.shape, layout: x.layout }], quantizeLinear(params));
    if (params.axis === null) im.tensor(y).quant = { scale: params.scale, zeroPoint: params.zeroPoint, axis: null };
  },
  DequantizeLinear: (im, node) => {
    let x = im.value(node, 0, "x");
    if (perAxis(im, node)) x = im.logical(x);
    // Constants fold at import, int32 ones (QDQ biases) included; values of the run are 8- or 16-bit.
    const types = x.constant ? ["int8", "uint8", "int16", "int32"] : ["int8", "uint8", "int16"];
    if (!types.includes(x.dtype)) throw new UnsupportedError(`${describe(node)}: input dtype ${x.dtype} is not supported in graphs yet`);
    const params = affineParams(im, node, x, x.dtype);
    if (x.constant) im.folded(node.outputs[0], "float32", x.shape, dequantizeConstant(x.constant, x.shape, params));
    else im.emit(node, [x], [{ dtype: "float32", shape: x.shape, layout: x.layout }], dequantizeLinear(params));
  },
  QLinearMatMul: (im, node) => matmulNode(im, node, true),
  MatMulInteger: (im, node) => {
    // A zero point computed at run time (DynamicQuantizeLinear's) takes the dynamic path.
    const za = node.inputs[2] ? im.value(node, 2, "a_zero_point") : null;
    if (za && !za.constant) dynamicMatmulNode(im, node, "MatMulInteger");
    else matmulNode(im, node, false);
  },
  DynamicQuantizeLinear: (im, node) => {
    const x = im.logical(im.value(node, 0, "x"));
    if (x.dtype !== "float32") throw new UnsupportedError(`${describe(node)}: x is ${x.dtype}; only float32`);
    im.emit(node, [x], [{ dtype: "uint8", shape: x.shape }, { dtype: "float32", shape: [] }, { dtype: "uint8", shape: [] }], dynamicQuantizeLinearOp());
  },
  "com.microsoft.DynamicQuantizeMatMul": (im, node) => dynamicMatmulNode(im, node, "DynamicQuantizeMatMul"),
  "com.microsoft.MatMulIntegerToFloat": (im, node) => dynamicMatmulNode(im, node, "MatMulIntegerToFloat"),
  QLinearConv: (im, node) => convNode(im, node),
  "com.microsoft.QLinearGlobalAveragePool": (im, node) => {
    const x = im.value(node, 0, "X");
    const num = (i: number, role: string) => im.constant(node, i, role, true);
    const [sx, zx, sy, zy] = [im.constant(node, 1, "x_scale")!, num(2, "x_zero_point"), im.constant(node, 3, "y_scale")!, num(4, "y_zero_point")];
    if ((x.dtype !== "int8" && x.dtype !== "uint8") || x.shape.length !== 4) throw new UnsupportedError(`${describe(node)}: only 4-D int8/uint8 input`);
    // channels_last = 1 means the ONNX tensor itself is NHWC; an "nhwc" value is NCHW stored as NHWC.
    const channelsLast = (node.attrs.channels_last as number | undefined) === 1 || x.layout === "nhwc";
    const [n, d1, , d3] = x.shape;
    const shape = channelsLast ? [n, 1, 1, d3] : [n, d1, 1, 1];
    im.emit(node, [x], [{ dtype: x.dtype, shape, layout: x.layout }], qlinearGlobalAveragePool({
      sx: sx[0], zx: zx ? zx[0] : 0, sy: sy[0], zy: zy ? zy[0] : 0, channelsLast,
    }));
  },
  "com.microsoft.QLinearAveragePool": (im, node) => {
    const x = im.value(node, 0, "X");
    const num = (i: number, role: string) => im.constant(node, i, role, true);
    const [sx, zx, sy, zy] = [im.constant(node, 1, "x_scale")!, num(2, "x_zero_point"), im.constant(node, 3, "y_scale")!, num(4, "y_zero_point")];
    if ((x.dtype !== "int8" && x.dtype !== "uint8") || x.shape.length !== 4) throw new UnsupportedError(`${describe(node)}: only 4-D (2-D pooling) int8/uint8 input`);
    const kernel = node.attrs.kernel_shape as number[] | undefined;
    if (!kernel || kernel.length !== 2) throw new UnsupportedError(`${describe(node)}: attribute kernel_shape must have 2 values (2-D pooling), got ${JSON.stringify(kernel)}`);
    if (((node.attrs.ceil_mode as number | undefined) ?? 0) !== 0) throw new UnsupportedError(`${describe(node)}: attribute ceil_mode = 1 is not supported`);
    const strides = (node.attrs.strides as number[] | undefined) ?? [1, 1];
    const channelsLast = (node.attrs.channels_last as number | undefined) === 1 || x.layout === "nhwc";
    const [n, d1, d2, d3] = x.shape;
    const [c, h, w] = channelsLast ? [d3, d1, d2] : [d1, d2, d3];
    const [kh, kw] = kernel, [sh, sw] = strides;
    if (kernel.some((k) => !(k >= 1)) || strides.length !== 2 || strides.some((s) => !(s >= 1))) throw new ShapeError(`${describe(node)}: kernel_shape ${kernel} / strides ${strides}`);
    const autoPad = (node.attrs.auto_pad as string | undefined) ?? "NOTSET";
    let pads: number[];
    if (autoPad === "NOTSET") pads = (node.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
    else if (autoPad === "VALID") pads = [0, 0, 0, 0];
    else if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      const same = (size: number, k: number, s: number) => {
        const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
        return autoPad === "SAME_UPPER" ? [Math.floor(total / 2), total - Math.floor(total / 2)] : [Math.ceil(total / 2), total - Math.ceil(total / 2)];
      };
      const [t, b] = same(h, kh, sh), [l, r] = same(w, kw, sw);
      pads = [t, l, b, r];
    } else throw new UnsupportedError(`${describe(node)}: attribute auto_pad = ${autoPad}`);
    if (pads.length !== 4 || pads.some((v, i) => !(v >= 0) || v >= (i % 2 === 0 ? kh : kw))) {
      throw new ShapeError(`${describe(node)}: pads ${pads} for kernel ${kernel}`);
    }
    const oh = Math.floor((h + pads[0] + pads[2] - kh) / sh) + 1, ow = Math.floor((w + pads[1] + pads[3] - kw) / sw) + 1;
    if (oh < 1 || ow < 1) throw new ShapeError(`${describe(node)}: kernel ${kernel} does not fit the ${h}x${w} input with pads ${pads}`);
    const shape = channelsLast ? [n, oh, ow, c] : [n, c, oh, ow];
    const q = { sx: sx[0], zx: zx ? zx[0] : 0, sy: sy[0], zy: zy ? zy[0] : 0, channelsLast };
    // onnxruntime's own shortcut: a kernel over the whole image without padding is its global average pool.
    const global = kh === h && kw === w && pads.every((v) => v === 0);
    const [yv] = im.emit(node, [x], [{ dtype: x.dtype, shape, layout: x.layout }], global ? qlinearGlobalAveragePool(q) : qlinearAveragePool({
      ...q, kernel: [kh, kw], strides: [sh, sw], padBegin: [pads[0], pads[1]], padEnd: [pads[2], pads[3]],
      countIncludePad: ((node.attrs.count_include_pad as number | undefined) ?? 0) !== 0,
    }));
    im.tensor(yv).quant = { scale: Float32Array.of(q.sy), zeroPoint: Int32Array.of(q.zy), axis: null };
  },
  "com.microsoft.QLinearSoftmax": (im, node) => {
    const x = im.logical(im.value(node, 0, "X"));
    const num = (i: number, role: string) => im.constant(node, i, role, true);
    const [sx, sy, zy] = [im.constant(node, 1, "X_scale")!, im.constant(node, 3, "y_scale")!, num(4, "y_zero_point")];
    if (x.dtype !== "int8" && x.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: X is ${x.dtype}; only int8 and uint8`);
    const opset = node.attrs.opset as number | undefined;
    if (opset === undefined) throw new ModelFormatError(`${describe(node)}: attribute opset is required`);
    const q = { sx: sx[0], sy: sy[0], zy: zy ? zy[0] : 0 };
    const [yv] = im.emit(node, [x], [{ dtype: x.dtype, shape: x.shape, layout: x.layout }], qlinearSoftmax({ ...q, ...softmaxRows(node, x.shape, opset) }));
    im.tensor(yv).quant = { scale: Float32Array.of(q.sy), zeroPoint: Int32Array.of(q.zy), axis: null };
  },
  Clip: (im, node) => {
    const x = im.value(node, 0, "input");
    if (x.dtype === "float32") {
      // Opset 6-10: min and max attributes; 11 on: optional inputs.
      const bound = (i: number, role: string, fallback: number) => (node.attrs[role] as number | undefined) ?? im.constant(node, i, role, true)?.[0] ?? fallback;
      const xl = im.logical(x);
      im.emit(node, [xl], [{ dtype: "float32", shape: xl.shape }], floatClip(bound(1, "min", -Infinity), bound(2, "max", Infinity)));
      return;
    }
    if (x.dtype !== "int8" && x.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: only float32, int8 and uint8 Clip`);
    const { min: lo, max: hi } = DTYPES[x.dtype];
    for (const [i, role] of [[1, "min"], [2, "max"]] as const) {
      if (node.inputs[i] && im.value(node, i, role).dtype !== x.dtype) throw new ShapeError(`${describe(node)}: ${role} must be ${x.dtype} like the input`);
    }
    const min = im.constant(node, 1, "min", true)?.[0] ?? lo, max = im.constant(node, 2, "max", true)?.[0] ?? hi;
    const [y] = im.emit(node, [x], [{ dtype: x.dtype, shape: x.shape, layout: x.layout }], qlinearLookup(clampTable(min, max, x.dtype === "uint8")));
    im.linkQuant(x, y);
  },
  Pad: (im, node) => {
    const x = im.value(node, 0, "data");
    const mode = (node.attrs.mode as string | undefined) ?? "constant";
    if (mode !== "constant" || node.inputs[3]) throw new UnsupportedError(`${describe(node)}: only constant padding of every axis`);
    // Opset 10 carries pads and value as attributes; 11 on, as inputs.
    const raw = (node.attrs.pads as number[] | undefined) ?? im.constant(node, 1, "pads")!;
    const rank = x.shape.length;
    if (raw.length !== 2 * rank) throw new ShapeError(`${describe(node)}: ${raw.length} pads for rank ${rank}`);
    if (x.dtype !== "int8" && x.dtype !== "uint8" && x.dtype !== "float32") throw new UnsupportedError(`${describe(node)}: only float32, int8 and uint8 Pad`);
    if (node.inputs[2] && im.value(node, 2, "constant_value").dtype !== x.dtype) throw new ShapeError(`${describe(node)}: constant_value must be ${x.dtype} like the data`);
    const value = (node.attrs.value as number | undefined) ?? im.constant(node, 2, "constant_value", true)?.[0] ?? 0;
    if (x.dtype !== "float32") {
      const { min: vmin, max: vmax } = DTYPES[x.dtype];
      if (!Number.isInteger(value) || value < vmin || value > vmax) throw new ShapeError(`${describe(node)}: pad value ${value} is not a ${x.dtype}`);
    }
    // ONNX pads: all befores, then all afters, in ONNX's axis order; stored NHWC they permute like the axes.
    const order = x.layout === "nhwc" ? TO_NHWC : x.shape.map((_, i) => i);
    const pairs = order.flatMap((a) => [raw[a], raw[a + rank]]);
    const padsValue = im.add(`${node.outputs[0]}:pads`, "int32", [rank, 2], new Uint8Array(Int32Array.from(pairs).buffer), pairs);
    const fill = x.dtype === "uint8" ? Uint8Array.of(value) : x.dtype === "int8" ? Int8Array.of(value) : Float32Array.of(value);
    const valueValue = im.add(`${node.outputs[0]}:value`, x.dtype, [], new Uint8Array(fill.buffer), [value]);
    const shape = x.shape.map((d, i) => d + pairs[2 * i] + pairs[2 * i + 1]);
    const [y] = im.emit(node, [x, padsValue, valueValue], [{ dtype: x.dtype, shape, layout: x.layout }], pad(true));
    im.linkQuant(x, y);
  },
  Transpose: (im, node) => {
    const x = im.logical(im.value(node, 0, "data"));
    const perm = (node.attrs.perm as number[] | undefined) ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    const permValue = im.add(`${node.outputs[0]}:perm`, "int32", [perm.length], new Uint8Array(Int32Array.from(perm).buffer), perm);
    im.linkQuant(x, im.emit(node, [x, permValue], [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }], transpose())[0]);
  },
  Squeeze: (im, node) => {
    const x = im.logical(im.value(node, 0, "data"));
    const axes = ((node.attrs.axes as number[] | undefined) ?? im.constant(node, 1, "axes", true) ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])))
      .map((a) => (a < 0 ? a + x.shape.length : a));
    if (axes.some((a) => x.shape[a] !== 1)) throw new ShapeError(`${describe(node)}: cannot squeeze axes [${axes}] of [${x.shape}]`);
    im.reshaped(node, x, x.shape.filter((_, i) => !axes.includes(i)));
  },
  Unsqueeze: (im, node) => {
    const x = im.logical(im.value(node, 0, "data"));
    const raw = (node.attrs.axes as number[] | undefined) ?? im.constant(node, 1, "axes")!;
    const rank = x.shape.length + raw.length;
    const axes = raw.map((a) => (a < 0 ? a + rank : a));
    const shape: number[] = [];
    for (let i = 0, j = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[j++]);
    im.reshaped(node, x, shape);
  },
  Constant: (im, node) => {
    const t = node.attrs.value as OnnxTensor | undefined;
    if (!t || typeof t !== "object" || !GRAPH_DTYPES.has(t.dtype) || t.values === null) {
      throw new UnsupportedError(`${describe(node)}: only tensor-valued constants of dyad's dtypes`);
    }
    im.add(node.outputs[0], t.dtype as TensorDType, t.dims, tensorBytes(t, t.dtype as TensorDType), t.values);
  },
  "com.microsoft.QGemm": (im, node) => qgemmNode(im, node),
  "com.microsoft.QLinearAdd": (im, node) => qlinearBinaryNode(im, node, "add"),
  "com.microsoft.QLinearMul": (im, node) => qlinearBinaryNode(im, node, "mul"),
  "com.microsoft.QLinearConcat": (im, node) => {
    const [sy, zy] = [im.constant(node, 0, "Y_scale")!, im.constant(node, 1, "Y_zero_point")!];
    const count = (node.inputs.length - 2) / 3;
    if (!Number.isInteger(count) || count < 1) throw new ShapeError(`${describe(node)}: inputs must be Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) triples`);
    const dtype = im.value(node, 1, "Y_zero_point").dtype;
    if (dtype !== "int8" && dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: ${dtype} output; only int8 and uint8`);
    let xs = Array.from({ length: count }, (_, k) => im.value(node, 2 + 3 * k, `X${k}`));
    if (xs.some((x) => x.dtype !== dtype)) throw new UnsupportedError(`${describe(node)}: inputs must all be ${dtype}`);
    // All channels-last: join as stored, the axis mapped; otherwise in ONNX's order.
    const nhwc = xs.every((x) => x.layout === "nhwc");
    if (!nhwc) xs = xs.map((x) => im.logical(x));
    const rank = xs[0].shape.length;
    const raw = node.attrs.axis as number | undefined;
    if (raw === undefined || raw < -rank || raw >= rank) throw new ShapeError(`${describe(node)}: axis ${raw} for rank ${rank}`);
    const logicalAxis = raw < 0 ? raw + rank : raw;
    const axis = nhwc ? TO_NHWC.indexOf(logicalAxis) : logicalAxis;
    const tables = xs.map((_, k) => {
      const [sx, zx] = [im.constant(node, 3 + 3 * k, `X${k}_scale`)!, im.constant(node, 4 + 3 * k, `X${k}_zero_point`)!];
      if (Math.fround(sx[0]) === Math.fround(sy[0]) && zx[0] === zy[0]) return null;
      return lookupTable({ sx: sx[0], zx: zx[0], sy: sy[0], zy: zy[0], unsigned: dtype === "uint8" }, (v) => v);
    });
    const shape = xs[0].shape.map((d, i) => (i === axis ? xs.reduce((a, x) => a + (x.shape[i] ?? 0), 0) : d));
    const [y] = im.emit(node, xs, [{ dtype, shape, layout: nhwc ? "nhwc" : null }], qlinearConcat(axis, tables));
    im.tensor(y).quant = { scale: Float32Array.of(sy[0]), zeroPoint: Int32Array.of(zy[0]), axis: null };
  },
  "com.microsoft.QLinearLeakyRelu": (im, node) => {
    const alpha = (node.attrs.alpha as number | undefined) ?? 0.01;
    qlinearTableNode(im, node, (q) => leakyReluTable(q, alpha));
  },
  "com.microsoft.QLinearSigmoid": (im, node) => qlinearTableNode(im, node, sigmoidTable),
  Reshape: (im, node) => {
    const x = im.logical(im.value(node, 0, "data"));
    const spec = im.constant(node, 1, "shape")!;
    const allowZero = (node.attrs.allowzero as number | undefined) === 1;
    const shape = spec.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const total = x.shape.reduce((a, b) => a * b, 1);
    const out = shape.map((d) => (d === -1 ? total / known : d));
    if (out.reduce((a, b) => a * b, 1) !== total || out.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`${describe(node)}: cannot reshape [${x.shape}] to [${spec}]`);
    }
    im.reshaped(node, x, out);
  },
  MaxPool: (im, node) => {
    if (im.value(node, 0, "X").dtype === "float32") return floatPoolNode(im, node, "max");
    const x = im.nhwc(im.value(node, 0, "X"));
    if (x.dtype !== "int8" && x.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: X is ${x.dtype}; only int8 and uint8 (float MaxPool is not supported yet)`);
    if (node.outputs[1]) throw new UnsupportedError(`${describe(node)}: the Indices output is not supported`);
    const kernel = node.attrs.kernel_shape as number[] | undefined;
    if (!kernel || kernel.length !== 2) throw new UnsupportedError(`${describe(node)}: attribute kernel_shape must have 2 values (2-D pooling), got ${JSON.stringify(kernel)}`);
    if (((node.attrs.ceil_mode as number | undefined) ?? 0) !== 0) throw new UnsupportedError(`${describe(node)}: attribute ceil_mode = 1 is not supported`);
    const dilations = (node.attrs.dilations as number[] | undefined) ?? [1, 1];
    if (dilations.some((d) => d !== 1)) throw new UnsupportedError(`${describe(node)}: attribute dilations ${dilations} (only 1)`);
    const [sh, sw] = (node.attrs.strides as number[] | undefined) ?? [1, 1];
    const [n, h, w, c] = x.shape;
    const padding = onnxPadding(node, h, w, kernel[0], kernel[1], sh, sw, 1, 1);
    const [rows, cols] = window2d(padding, h, w, kernel[0], kernel[1], sh, sw, 1, 1, describe(node));
    const [y] = im.emit(node, [x], [{ dtype: x.dtype, shape: [n, rows.out, cols.out, c], layout: "nhwc" }],
      pool("max", { padding, strideH: sh, strideW: sw, filterH: kernel[0], filterW: kernel[1], activation: "none" }));
    im.linkQuant(x, y);
  },
  Relu: (im, node) => {
    const x = im.value(node, 0, "X");
    if (x.dtype === "float32") {
      im.emit(node, [im.logical(x)], [{ dtype: "float32", shape: im.logical(x).shape }], floatRelu());
      return;
    }
    // Relu of int8 (opset 14) is max(x, 0) of the integers themselves, whatever they quantize.
    if (x.dtype !== "int8") throw new UnsupportedError(`${describe(node)}: X is ${x.dtype}; only float32 and int8`);
    im.linkQuant(x, im.emit(node, [x], [{ dtype: x.dtype, shape: x.shape, layout: x.layout }], qlinearLookup(clampTable(0, 127, false)))[0]);
  },
  ConvInteger: (im, node) => {
    const x = im.nhwc(im.value(node, 0, "x"));
    const w = im.value(node, 1, "w");
    const wv = im.constantArray(node, 1, "w")!;
    if (x.dtype !== "int8" && x.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: x is ${x.dtype}; only int8 and uint8`);
    if (w.dtype !== "int8") throw new UnsupportedError(`${describe(node)}: w is ${w.dtype}; only int8 (symmetric) weights`);
    const zw = im.constant(node, 3, "w_zero_point", true);
    if (zw && zw.some((z) => z !== 0)) throw new UnsupportedError(`${describe(node)}: w_zero_point must be 0`);
    if (x.shape.length !== 4 || w.shape.length !== 4) throw new UnsupportedError(`${describe(node)}: only 2-D convolutions (4-D tensors)`);
    const [n, h, wd, cin] = x.shape;
    const [cout, cpg, kh, kw] = w.shape;
    if (((node.attrs.group as number | undefined) ?? 1) !== 1 || cpg !== cin) throw new UnsupportedError(`${describe(node)}: only group 1 with weights of ${cin} input channels`);
    const ints = (name: string, fallback: number[]) => (node.attrs[name] as number[] | undefined) ?? fallback;
    const [strideH, strideW] = ints("strides", [1, 1]), [dilationH, dilationW] = ints("dilations", [1, 1]);
    const padding = onnxPadding(node, h, wd, kh, kw, strideH, strideW, dilationH, dilationW);
    const [row, col] = window2d(padding, h, wd, kh, kw, strideH, strideW, dilationH, dilationW, describe(node));
    const inputs = [x];
    let zeroPointInput = -1;
    if (node.inputs[2]) {
      const zx = im.value(node, 2, "x_zero_point");
      if (zx.dtype !== x.dtype || zx.shape.reduce((a, b) => a * b, 1) !== 1) throw new ShapeError(`${describe(node)}: x_zero_point must be one ${x.dtype}`);
      inputs.push(zx);
      zeroPointInput = 1;
    }
    const filter = relayoutFilter(wv instanceof Int8Array ? wv : Int8Array.from(wv), cout, cin, kh, kw, false);
    im.emit(node, inputs, [{ dtype: "int32", shape: [n, row.out, col.out, cout], layout: "nhwc" }], convInteger({
      filter, cout, kh, kw, strideH, strideW, dilationH, dilationW, row, col, zeroPointInput,
    }));
  },
  Flatten: (im, node) => {
    const x = im.logical(im.value(node, 0, "input"));
    const a = (node.attrs.axis as number | undefined) ?? 1;
    const axis = a < 0 ? a + x.shape.length : a;
    const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
    im.reshaped(node, x, [outer, x.shape.reduce((p, q) => p * q, 1) / outer]);
  },
};

const OPS: Record<string, Handler> = { ...QUANT_OPS, ...GLUE_OPS, ...LOWBIT_OPS };

/** com.microsoft QLinearAdd / QLinearMul: A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp. */
/** A com.microsoft 8-bit elementwise function (X, X_scale, X_zero_point, Y_scale, Y_zero_point) as a table. */
function qlinearTableNode(im: Importer, node: OnnxNode, table: (q: LookupQuant) => Uint8Array): void {
  const x = im.value(node, 0, "X");
  const num = (i: number, role: string) => im.constant(node, i, role, true);
  const [sx, zx, sy, zy] = [im.constant(node, 1, "X_scale")!, num(2, "X_zero_point"), im.constant(node, 3, "Y_scale")!, num(4, "Y_zero_point")];
  if (x.dtype !== "int8" && x.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: X is ${x.dtype}; only int8 and uint8`);
  const q = { sx: sx[0], zx: zx ? zx[0] : 0, sy: sy[0], zy: zy ? zy[0] : 0, unsigned: x.dtype === "uint8" };
  const [y] = im.emit(node, [x], [{ dtype: x.dtype, shape: x.shape, layout: x.layout }], qlinearLookup(table(q)));
  im.tensor(y).quant = { scale: Float32Array.of(q.sy), zeroPoint: Int32Array.of(q.zy), axis: null };
}

function qlinearBinaryNode(im: Importer, node: OnnxNode, op: QLinearBinaryOp): void {
  let a = im.value(node, 0, "A"), b = im.value(node, 3, "B");
  const num = (i: number, role: string) => im.constant(node, i, role, true);
  const [sa, za, sb, zb, sc, zc] = [im.constant(node, 1, "A_scale")!, num(2, "A_zero_point"), im.constant(node, 4, "B_scale")!, num(5, "B_zero_point"), im.constant(node, 6, "C_scale")!, num(7, "C_zero_point")];
  if (a.dtype !== b.dtype || (a.dtype !== "int8" && a.dtype !== "uint8")) throw new UnsupportedError(`${describe(node)}: inputs ${a.dtype} and ${b.dtype}; only matching int8 or uint8`);
  // Same shape and memory order: elementwise as stored. Otherwise broadcast in ONNX's order.
  const same = a.layout === b.layout && sameShape(a.shape, b.shape);
  if (!same) [a, b] = [im.logical(a), im.logical(b)];
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...new Array(rank - s.length).fill(1), ...s];
  const shape = pad(a.shape).map((d, i) => Math.max(d, pad(b.shape)[i]));
  const params = { sa: sa[0], za: za ? za[0] : 0, sb: sb[0], zb: zb ? zb[0] : 0, sc: sc[0], zc: zc ? zc[0] : 0 };
  const [c] = im.emit(node, [a, b], [{ dtype: a.dtype, shape, layout: same ? a.layout : null }], qlinearBinary(op, params));
  im.tensor(c).quant = { scale: Float32Array.of(params.sc), zeroPoint: Int32Array.of(params.zc), axis: null };
}

/** Whether a Quantize/DequantizeLinear node has more than one scale (per axis or blocked). */
function perAxis(im: Importer, node: OnnxNode): boolean {
  const scale = im.value(node, 1, "scale");
  return scale.shape.length > 0 && scale.shape.reduce((a, b) => a * b, 1) > 1;
}

/**
 * QLinearConv (ONNX, NCHW, opset 10+): group 1 runs as CONV_2D, group = input channels as DEPTHWISE_CONV_2D,
 * both NHWC with the weights re-laid once and the ONNX fp32 requantization; int8 symmetric weights, per tensor
 * or per output channel; int8 or uint8 activations.
 */
function convNode(im: Importer, node: OnnxNode): void {
  const x = im.nhwc(im.value(node, 0, "x"));
  const w = im.value(node, 3, "w");
  const wv = im.constantArray(node, 3, "w")!;
  const num = (i: number, role: string) => im.constant(node, i, role, true);
  const [sx, zx, sw, zw, sy, zy] = [im.constant(node, 1, "x_scale")!, num(2, "x_zero_point"), im.constant(node, 4, "w_scale")!, num(5, "w_zero_point"), im.constant(node, 6, "y_scale")!, num(7, "y_zero_point")];
  if (x.dtype !== "int8" && x.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: x is ${x.dtype}; only int8 and uint8`);
  if (w.dtype !== "int8") throw new UnsupportedError(`${describe(node)}: weights are ${w.dtype}; only int8 (symmetric) weights are supported`);
  if (zw && zw.some((z) => z !== 0)) throw new UnsupportedError(`${describe(node)}: weight zero points must be 0`);
  if (x.shape.length !== 4 || w.shape.length !== 4) throw new UnsupportedError(`${describe(node)}: only 2-D convolutions (4-D tensors)`);
  const [, h, wd, cin] = x.shape;
  const [cout, cinPerGroup, kh, kw] = w.shape;
  const group = (node.attrs.group as number | undefined) ?? 1;
  if (!Number.isInteger(group) || group < 1 || cin % group !== 0 || cout % group !== 0 || cinPerGroup * group !== cin) {
    throw new ShapeError(`${describe(node)}: group ${group} with weights [${w.shape}] does not fit ${cin} input channels`);
  }
  const depthwise = group > 1 && cinPerGroup === 1;
  const ints = (name: string, fallback: number[]) => (node.attrs[name] as number[] | undefined) ?? fallback;
  const [strideH, strideW] = ints("strides", [1, 1]);
  const [dilationH, dilationW] = ints("dilations", [1, 1]);
  const padding = onnxPadding(node, h, wd, kh, kw, strideH, strideW, dilationH, dilationW);
  if (group > 1 && !depthwise) {
    groupedConv(im, node, { x, wv, sw, sx, zx, sy, zy, group, padding, strideH, strideW, dilationH, dilationW });
    return;
  }
  // Weights re-laid once: ONNX [Cout, Cin/g, KH, KW] -> [Cout, KH, KW, Cin] (conv) or [1, KH, KW, Cout] (depthwise).
  const filter = relayoutFilter(wv instanceof Int8Array ? wv : Int8Array.from(wv), cout, cinPerGroup, kh, kw, depthwise);
  const filterShape = depthwise ? [1, kh, kw, cout] : [cout, kh, kw, cin];
  const filterValue = im.add(`${node.outputs[0]}:filter`, "int8", filterShape, new Uint8Array(filter.buffer, filter.byteOffset, filter.byteLength), null);
  im.tensor(filterValue).quant = {
    scale: Float32Array.from(sw), zeroPoint: new Int32Array(sw.length), axis: sw.length > 1 ? (depthwise ? 3 : 0) : null,
  };
  const inputs = [x, filterValue];
  if (node.inputs[8]) inputs.push(im.value(node, 8, "B"));
  convEmit(im, node, inputs, { sx, zx, sy, zy, padding, strideH, strideW, dilationH, dilationW, depthMultiplier: depthwise ? cout / cin : 0 }, cout);
}

/**
 * Emits the integer convolution of `inputs` (NHWC input, dyad-layout filter, optional bias) with the ONNX fp32
 * requantization and a fused Clip if the node carries one; sets the input's and output's quantization.
 * depthMultiplier 0 means a regular convolution.
 */
function convEmit(im: Importer, node: OnnxNode, inputs: Value[], g: {
  sx: number[]; zx: number[] | null; sy: number[]; zy: number[] | null; padding: Conv2DOptions["padding"];
  strideH: number; strideW: number; dilationH: number; dilationW: number; depthMultiplier?: number;
}, cout: number): Value {
  const x = inputs[0];
  const [n, h, wd] = x.shape;
  const [, kh, kw] = im.tensor(inputs[1]).shape;
  im.setQuant(x, { scale: Float32Array.of(g.sx[0]), zeroPoint: Int32Array.of(g.zx ? g.zx[0] : 0), axis: null });
  const outDtype = (node.inputs[7] ? im.value(node, 7, "y_zero_point").dtype : "uint8") as TensorDType;
  if (outDtype !== x.dtype) throw new UnsupportedError(`${describe(node)}: input ${x.dtype} and output ${outDtype} differ`);
  const fusedClip = node.attrs[FUSED_CLIP_ATTR] as number[] | undefined;
  const opts: Conv2DOptions = {
    padding: g.padding, strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW, activation: "none", requant: "fp32",
    clamp: fusedClip ? { min: fusedClip[0], max: fusedClip[1] } : undefined,
  };
  const builder = g.depthMultiplier ? depthwiseConv2d({ ...opts, depthMultiplier: g.depthMultiplier }) : conv2d(opts);
  const [rows, cols] = window2d(g.padding, h, wd, kh, kw, g.strideH, g.strideW, g.dilationH, g.dilationW, describe(node));
  const [y] = im.emit(node, inputs, [{ dtype: outDtype, shape: [n, rows.out, cols.out, cout], layout: "nhwc" }], builder);
  im.tensor(y).quant = { scale: Float32Array.of(g.sy[0]), zeroPoint: Int32Array.of(g.zy ? g.zy[0] : 0), axis: null };
  return y;
}

/**
 * A grouped QLinearConv (1 < group < channels) as `group` convolutions of group 1 on channel slices of the input,
 * concatenated along the channels: each group's output channels see only its input channels, which is the
 * definition, and each runs on the regular convolution (whose results do not depend on the other groups).
 */
function groupedConv(im: Importer, node: OnnxNode, g: {
  x: Value; wv: NumericArray; sw: number[]; sx: number[]; zx: number[] | null; sy: number[]; zy: number[] | null; group: number;
  padding: Conv2DOptions["padding"]; strideH: number; strideW: number; dilationH: number; dilationW: number;
}): void {
  const w = im.value(node, 3, "w");
  const [cout, cpg, kh, kw] = w.shape;
  const [n, h, wd] = g.x.shape;
  const opg = cout / g.group;
  const bias = node.inputs[8] ? im.constantArray(node, 8, "B") : null;
  const out = node.outputs[0];
  const int32Bytes = (a: ArrayLike<number>) => new Uint8Array(Int32Array.from(a).buffer);
  const parts: Value[] = [];
  for (let k = 0; k < g.group; k++) {
    const name = `${out}:group${k}`;
    // x[..., k * cpg : (k + 1) * cpg] (channels last).
    const slice = im.emit({ ...node, opType: "Slice", outputs: [`${name}:input`] }, [
      g.x,
      im.add(`${name}:begin`, "int32", [4], int32Bytes([0, 0, 0, k * cpg])),
      im.add(`${name}:end`, "int32", [4], int32Bytes([n, h, wd, (k + 1) * cpg])),
      im.add(`${name}:strides`, "int32", [4], int32Bytes([1, 1, 1, 1])),
    ], [{ dtype: g.x.dtype, shape: [n, h, wd, cpg], layout: "nhwc" }], stridedSlice({ beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false }))[0];
    im.linkQuant(g.x, slice);
    const wk = g.wv.slice(k * opg * cpg * kh * kw, (k + 1) * opg * cpg * kh * kw);
    const filter = relayoutFilter(wk instanceof Int8Array ? wk : Int8Array.from(wk), opg, cpg, kh, kw, false);
    const filterValue = im.add(`${name}:filter`, "int8", [opg, kh, kw, cpg], new Uint8Array(filter.buffer, filter.byteOffset, filter.byteLength), null);
    const scales = g.sw.length > 1 ? g.sw.slice(k * opg, (k + 1) * opg) : g.sw;
    im.tensor(filterValue).quant = { scale: Float32Array.from(scales), zeroPoint: new Int32Array(scales.length), axis: scales.length > 1 ? 0 : null };
    const inputs = [slice, filterValue];
    if (bias) inputs.push(im.add(`${name}:bias`, "int32", [opg], int32Bytes(bias.slice(k * opg, (k + 1) * opg))));
    parts.push(convEmit(im, { ...node, outputs: [`${name}:output`] }, inputs, g, opg));
  }
  const [y] = im.emit(node, parts, [{ dtype: parts[0].dtype, shape: [...parts[0].shape.slice(0, 3), cout], layout: "nhwc" }], concatenation(3));
  im.tensor(y).quant = { scale: Float32Array.of(g.sy[0]), zeroPoint: Int32Array.of(g.zy ? g.zy[0] : 0), axis: null };
}

/** ONNX [Cout, Cin, KH, KW] -> dyad's [Cout, KH, KW, Cin], or for depthwise [Cout, 1, KH, KW] -> [1, KH, KW, Cout]. */
function relayoutFilter(src: Int8Array, cout: number, cin: number, kh: number, kw: number, depthwise: boolean): Int8Array {
  const taps = kh * kw;
  if (taps === 1 && !depthwise) return src; // 1x1: [Cout, Cin, 1, 1] is already [Cout, 1, 1, Cin] in memory
  const dst = new Int8Array(src.length);
  for (let o = 0, s = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let t = 0; t < taps; t++, s++) dst[depthwise ? t * cout + o : (o * taps + t) * cin + i] = src[s];
    }
  }
  return dst;
}

/**
 * A constant int8/uint8 weight operand with per-tensor or per-column (`columnAxis`, N columns) scales and
 * zero points; a single scale or zero point beside a per-column other is repeated over the columns.
 */
function constantWeights(b: Value, values: NumericArray, sb: number[], zb: number[] | null, n: number, columnAxis: number): QTensor {
  const perColumn = sb.length > 1 || (zb !== null && zb.length > 1);
  const Ctor = b.dtype === "int8" ? Int8Array : Uint8Array;
  return new QTensor({
    dtype: b.dtype as "int8" | "uint8", shape: b.shape,
    data: values instanceof Ctor ? values : Ctor.from(values),
    scale: perColumn ? (sb.length > 1 ? sb : new Array(n).fill(sb[0])) : sb[0],
    zeroPoint: zb ? (perColumn && zb.length === 1 ? new Array(n).fill(zb[0]) : zb) : undefined,
    axis: perColumn ? columnAxis : null,
  });
}

/** A [..., K] times a constant [K, N] gives [..., N]: the output's shape checked before the weights are packed. */
function checkMatMulOutput(ctx: NodeContext, k: number, n: number): void {
  const x = ctx.input(0, "A");
  if (x.shape.length < 2 || x.shape[x.shape.length - 1] !== k) throw new ShapeError(`A [${x.shape}] does not chain with B [${k}, ${n}]`);
  ctx.checkOutputShape(0, [...x.shape.slice(0, -1), n]);
}

/** QLinearMatMul (requantized, ONNX fp32 semantics) and MatMulInteger (int32), with constant B. */
function matmulNode(im: Importer, node: OnnxNode, qlinear: boolean): void {
  const a = im.logical(im.value(node, 0, "a"));
  const bIndex = qlinear ? 3 : 1;
  const b = im.value(node, bIndex, "b");
  const bValues = im.constantArray(node, bIndex, "b")!;
  for (const [v, role] of [[a, "a"], [b, "b"]] as const) {
    if (v.dtype !== "int8" && v.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: ${role} is ${v.dtype}; only int8 and uint8`);
  }
  if (a.shape.length < 2 || b.shape.length < 2) throw new UnsupportedError(`${describe(node)}: 1-D operands are not supported`);
  const [k, n] = b.shape.slice(-2);
  if (a.shape[a.shape.length - 1] !== k) throw new ShapeError(`${describe(node)}: [${a.shape}] x [${b.shape}] do not chain`);
  const bBatch = b.shape.slice(0, -2);
  const aBatch = a.shape.slice(0, -2);
  if (bBatch.length > 0 && !sameShape(bBatch, aBatch)) throw new UnsupportedError(`${describe(node)}: batched B must match A's batch`);
  const num = (i: number, role: string) => im.constant(node, i, role, true);
  const [sa, za, sb, zb, sy, zy] = qlinear
    ? [im.constant(node, 1, "a_scale")!, num(2, "a_zero_point"), im.constant(node, 4, "b_scale")!, num(5, "b_zero_point"), im.constant(node, 6, "y_scale")!, num(7, "y_zero_point")]
    : [[1], num(2, "a_zero_point"), [1], num(3, "b_zero_point"), null, null];
  if (sa.length !== 1 || (za && za.length !== 1)) throw new UnsupportedError(`${describe(node)}: per-row quantization of a is not supported`);
  const weights = constantWeights(b, bValues, sb, zb, n, b.shape.length - 1);
  const outDtype: TensorDType = qlinear ? (im.value(node, 7, "y_zero_point").dtype as TensorDType) : "int32";
  const m = a.shape[a.shape.length - 2];
  const batches = aBatch.reduce((p, q) => p * q, 1);
  const builder: NodeBuilder = (ctx) => {
    checkMatMulOutput(ctx, k, n);
    const mm = new MatMul(ctx.rt, {
      weights, requant: "fp32",
      input: { dtype: a.dtype as "int8" | "uint8", scale: sa[0], zeroPoint: za ? za[0] : 0 },
      output: qlinear ? { dtype: outDtype as "int8" | "uint8", scale: sy![0], zeroPoint: zy ? zy[0] : 0 } : { dtype: "int32" },
    });
    const x = ctx.input(0, "a"), y = ctx.output(0, "y");
    return { run: () => mm.runInto(ctx.ptr(x.id), batches, m, ctx.ptr(y.id)), dispose: () => mm.dispose() };
  };
  im.emit(node, [a], [{ dtype: outDtype, shape: [...aBatch, m, n] }], builder);
}

/**
 * MatMul with A quantized at run time (src/ops/dynamic-matmul.ts): com.microsoft DynamicQuantizeMatMul
 * (A, B, b_scale, b_zero_point, bias), MatMulIntegerToFloat (A, B, a_scale, b_scale, a_zero_point,
 * b_zero_point, bias) and MatMulInteger (A, B, a_zero_point, b_zero_point) whose a_zero_point is not a
 * constant. B is a constant 2-D int8/uint8 matrix, per tensor or per column.
 */
function dynamicMatmulNode(im: Importer, node: OnnxNode, kind: "DynamicQuantizeMatMul" | "MatMulIntegerToFloat" | "MatMulInteger"): void {
  const a = im.logical(im.value(node, 0, "A"));
  const b = im.value(node, 1, "B");
  const bValues = im.constantArray(node, 1, "B")!;
  const want = kind === "DynamicQuantizeMatMul" ? ["float32"] : ["int8", "uint8"];
  if (!want.includes(a.dtype)) throw new UnsupportedError(`${describe(node)}: A is ${a.dtype}; only ${want.join(" and ")}`);
  if (b.dtype !== "int8" && b.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: B is ${b.dtype}; only int8 and uint8`);
  if (a.shape.length < 2 || b.shape.length !== 2) throw new UnsupportedError(`${describe(node)}: A must have 2 or more dimensions and B 2, got [${a.shape}] and [${b.shape}]`);
  const [k, n] = b.shape;
  if (a.shape[a.shape.length - 1] !== k) throw new ShapeError(`${describe(node)}: [${a.shape}] x [${b.shape}] do not chain`);
  const num = (i: number, role: string) => im.constant(node, i, role, true);
  const [sbIndex, zbIndex, biasIndex] = kind === "DynamicQuantizeMatMul" ? [2, 3, 4] : kind === "MatMulIntegerToFloat" ? [3, 5, 6] : [-1, 3, -1];
  const sb = sbIndex >= 0 ? num(sbIndex, "b_scale")! : [1];
  const zb = num(zbIndex, "b_zero_point");
  const bias = biasIndex >= 0 && node.inputs[biasIndex] ? Float32Array.from(num(biasIndex, "bias")!) : null;
  if (bias && bias.length !== n) throw new ShapeError(`${describe(node)}: bias has ${bias.length} values for ${n} columns`);
  if (sb.length !== 1 && sb.length !== n) throw new ShapeError(`${describe(node)}: ${sb.length} B scales for ${n} columns`);
  // The node's inputs in dyad: A, then a_scale and a_zero_point when given (constants or values of the run).
  const inputs = [a];
  let aScaleInput = -1, aZeroPointInput = -1;
  const runtime = (i: number, role: string) => {
    if (!node.inputs[i]) return -1;
    inputs.push(im.value(node, i, role));
    return inputs.length - 1;
  };
  if (kind === "MatMulIntegerToFloat") aScaleInput = runtime(2, "a_scale");
  if (kind !== "DynamicQuantizeMatMul") aZeroPointInput = runtime(kind === "MatMulIntegerToFloat" ? 4 : 2, "a_zero_point");
  const weights = constantWeights(b, bValues, sb, zb, n, 1);
  const aBatch = a.shape.slice(0, -2);
  const m = a.shape[a.shape.length - 2];
  const output = kind === "MatMulInteger" ? "int32" : "float";
  im.emit(node, inputs, [{ dtype: output === "int32" ? "int32" : "float32", shape: [...aBatch, m, n] }], dynamicMatMul({
    weights, bScale: Float32Array.from(sb), bias, m, batches: aBatch.reduce((p, q) => p * q, 1), output, aScaleInput, aZeroPointInput,
  }));
}

/**
 * com.microsoft QGemm (A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp; transA, transB, alpha) with a
 * constant B and a quantized output: Y = requant(A B + C), the int32 bias C added to the accumulator before
 * onnxruntime's fp32 requantization by a_scale * b_scale / y_scale, per column when B is per column.
 */
function qgemmNode(im: Importer, node: OnnxNode): void {
  const a = im.logical(im.value(node, 0, "A"));
  const b = im.value(node, 3, "B");
  const bValues = im.constantArray(node, 3, "B")!;
  const transA = (node.attrs.transA as number | undefined) ?? 0, transB = (node.attrs.transB as number | undefined) ?? 0;
  const alpha = (node.attrs.alpha as number | undefined) ?? 1;
  if (transA !== 0) throw new UnsupportedError(`${describe(node)}: attribute transA=${transA} (only 0)`);
  if (alpha !== 1) throw new UnsupportedError(`${describe(node)}: attribute alpha=${alpha} (only 1)`);
  if (!node.inputs[7]) throw new UnsupportedError(`${describe(node)}: a float output (no y_scale) is not supported`);
  for (const [v, role] of [[a, "A"], [b, "B"]] as const) {
    if (v.dtype !== "int8" && v.dtype !== "uint8") throw new UnsupportedError(`${describe(node)}: ${role} is ${v.dtype}; only int8 and uint8`);
  }
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShapeError(`${describe(node)}: A [${a.shape}] and B [${b.shape}] must be 2-D`);
  const [k, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  const [m] = a.shape;
  if (a.shape[1] !== k) throw new ShapeError(`${describe(node)}: A [${a.shape}] and B [${b.shape}]${transB ? " (transposed)" : ""} do not chain`);
  const num = (i: number, role: string) => im.constant(node, i, role, true);
  const [sa, za, sb, zb, sy, zy] = [im.constant(node, 1, "a_scale")!, num(2, "a_zero_point"), im.constant(node, 4, "b_scale")!, num(5, "b_zero_point"), im.constant(node, 7, "y_scale")!, num(8, "y_zero_point")];
  if (sa.length !== 1 || (za && za.length !== 1)) throw new UnsupportedError(`${describe(node)}: per-row quantization of A is not supported`);
  let bias: number[] | undefined;
  if (node.inputs[6]) {
    const c = im.value(node, 6, "C");
    bias = im.constant(node, 6, "C")!;
    if (c.dtype !== "int32" || bias.length !== n) throw new UnsupportedError(`${describe(node)}: C must be a constant int32 bias of ${n} values, got ${c.dtype} [${c.shape}]`);
  }
  const weights = constantWeights(b, bValues, sb, zb, n, transB ? 0 : 1);
  const outDtype = im.value(node, 8, "y_zero_point").dtype;
  if (outDtype !== "int8" && outDtype !== "uint8") throw new UnsupportedError(`${describe(node)}: output ${outDtype}; only int8 and uint8`);
  const builder: NodeBuilder = (ctx) => {
    checkMatMulOutput(ctx, k, n);
    const mm = new MatMul(ctx.rt, {
      weights, weightLayout: transB ? "nk" : "kn", bias, requant: "fp32",
      input: { dtype: a.dtype as "int8" | "uint8", scale: sa[0], zeroPoint: za ? za[0] : 0 },
      output: { dtype: outDtype, scale: sy[0], zeroPoint: zy ? zy[0] : 0 },
    });
    const x = ctx.input(0, "A"), y = ctx.output(0, "Y");
    return { run: () => mm.runInto(ctx.ptr(x.id), 1, m, ctx.ptr(y.id)), dispose: () => mm.dispose() };
  };
  const [y] = im.emit(node, [a], [{ dtype: outDtype, shape: [m, n] }], builder);
  im.tensor(y).quant = { scale: Float32Array.of(sy[0]), zeroPoint: Int32Array.of(zy ? zy[0] : 0), axis: null };
}

function dim(d: number | string, where: string): number {
  if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
    throw new UnsupportedError(`${where}: dimension ${d} is not fixed; dyad needs static shapes (set them before export)`);
  }
  return d;
}

/**
 * The shapes and dtypes the file declares (value_info, graph outputs) against what the import inferred from
 * the inputs: a ShapeError naming the value and both shapes. Symbolic dimensions match any size; values the
 * import folded away or never made are not compared.
 */
function checkDeclared(im: Importer, declared: OnnxValueInfo[]): void {
  for (const d of declared) {
    const v = im.lookup(d.name);
    if (!v || !d.hasShape) continue;
    const shape = v.layout === "nhwc" ? TO_NCHW.map((a) => v.shape[a]) : v.shape;
    const fits = d.shape.length === shape.length && d.shape.every((dim, i) => typeof dim === "string" || dim === shape[i]);
    if (!fits) throw new ShapeError(`onnx: value "${d.name}" is declared [${d.shape}]; its producer computes [${shape}]`);
    if (GRAPH_DTYPES.has(d.dtype) && d.dtype !== v.dtype) throw new ShapeError(`onnx: value "${d.name}" is declared ${d.dtype}; its producer computes ${v.dtype}`);
  }
}

/** `fuse: false` keeps QDQ models' Quantize/DequantizeLinear pairs and runs the ops between them in float. */
export function importOnnx(bytes: Uint8Array, options: { fuse?: boolean } = {}): { graph: Graph; builders: NodeBuilder[] } {
  let model: OnnxModel;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new ModelFormatError(`onnx: the file does not decode as an ONNX ModelProto: ${(e as Error).message}`);
  }
  if (model.outputs.length === 0) throw new ModelFormatError("onnx: the graph has no outputs");
  if (!(model.opset >= MIN_OPSET && model.opset <= MAX_OPSET)) {
    throw new UnsupportedError(`onnx: the model imports default-domain opset ${model.opset}; dyad reads opsets ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  for (const node of model.nodes) checkAttributes(node, describe(node));
  if (options.fuse !== false) {
    model = { ...model, nodes: fuseWeightOnlyMatMul(model) };
    model = { ...model, nodes: fuseQdq(model) };
  }
  model = { ...model, nodes: fuseConvClip(model) };
  const missing = model.nodes.filter((n) => !OPS[opKey(n)]);
  if (missing.length > 0) {
    throw new UnsupportedError(`onnx: unsupported nodes: ${missing.slice(0, 8).map(describe).join(", ")}${missing.length > 8 ? `, and ${missing.length - 8} more` : ""}`);
  }
  const im = new Importer();
  for (const t of model.initializers) {
    if ((t.dtype === "int4" || t.dtype === "uint4") && t.values !== null) {
      checkLowBitReaders(model, t);
      im.lowBit.set(t.name, t);
      continue;
    }
    if (!GRAPH_DTYPES.has(t.dtype) || t.values === null) throw new UnsupportedError(`onnx: initializer "${t.name}" has dtype ${t.dtype}, which dyad does not load`);
    im.add(t.name, t.dtype as TensorDType, t.dims, tensorBytes(t, t.dtype as TensorDType), t.values);
  }
  const inputs = model.inputs.map((v) => {
    if (!GRAPH_DTYPES.has(v.dtype)) throw new UnsupportedError(`onnx: input "${v.name}" has dtype ${v.dtype}`);
    return im.add(v.name, v.dtype as TensorDType, v.shape.map((d) => dim(d, `onnx input "${v.name}"`)), null).id;
  });
  for (const node of model.nodes) OPS[opKey(node)](im, node, model.opset);
  checkDeclared(im, [...model.valueInfo, ...model.outputs]);
  const outputs = model.outputs.map((v) => {
    const value = im.lookup(v.name);
    if (!value) throw new ShapeError(`onnx: output "${v.name}" is not produced by any node`);
    const out = im.logical(value);
    // Graph outputs keep their ONNX names even when a layout conversion produced them.
    im.tensor(out).name = v.name;
    return out.id;
  });
  return { graph: { tensors: im.tensors, nodes: im.nodes, inputs, outputs }, builders: im.builders };
}
