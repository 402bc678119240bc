// ONNX float32 operators and the glue of exported models, each as onnxruntime computes it (the ops' files say
// how): Add, Sub, Mul, Div, Cast, MatMul, Gemm, Conv, AveragePool, GlobalAveragePool, Softmax on float32;
// Resize (nearest), Shape, Gather, Concat, Slice on any type; shape arithmetic on constants folded at load.

import { ShapeError, UnsupportedError } from "../../errors.js";
import type { TensorDType } from "../../graph/ir.js";
import { floatBinary, cast, type FloatBinaryOp } from "../../ops/float-elementwise.js";
import { floatMatMul } from "../../ops/float-matmul.js";
import { floatPool, floatGlobalAveragePool } from "../../ops/float-pool.js";
import { floatSoftmax } from "../../ops/float-softmax.js";
import { floatConv } from "../../ops/float-conv.js";
import { resizeNearest, nearestIndices, type CoordinateMode, type NearestMode } from "../../ops/resize-nearest.js";
import { gather } from "../../ops/gather.js";
import { stridedSlice } from "../../ops/strided-slice.js";
import { concatenation } from "../../ops/concat.js";
import { broadcastIndices } from "../../ops/broadcast.js";
import { window2d } from "../../ops/conv-geometry.js";
import { ONNX_DTYPE, type OnnxNode } from "./proto.js";
import { GRAPH_DTYPES, checkFoldSize, TO_NCHW, TO_NHWC, describe, onnxPadding, softmaxRows, type Handler, type Importer, type Value } from "./importer.js";

export const GLUE_OPS: Record<string, Handler> = {
  Add: (im, node) => floatBinaryNode(im, node, "add"),
  Sub: (im, node) => floatBinaryNode(im, node, "sub"),
  Mul: (im, node) => floatBinaryNode(im, node, "mul"),
  Div: (im, node) => floatBinaryNode(im, node, "div"),
  Cast: (im, node) => {
    const x = im.logical(im.value(node, 0, "input"));
    const to = ONNX_DTYPE[node.attrs.to as number] as TensorDType | undefined;
    if (x.constant && to && GRAPH_DTYPES.has(to)) {
      // Shape arithmetic: folded (float32 rounds, integers truncate toward zero).
      im.folded(node.outputs[0], to, x.shape, Array.from(x.constant, (v) => (to === "float32" ? Math.fround(Number(v)) : Math.trunc(Number(v)))));
      return;
    }
    const casts = ["float32", "int32", "int16", "int8", "uint8"];
    if (!to || !casts.includes(to) || !casts.includes(x.dtype) || (to !== "float32" && x.dtype !== "float32" && to !== x.dtype)) {
      throw new UnsupportedError(`${describe(node)}: Cast from ${x.dtype} to ${to ?? `type ${String(node.attrs.to)}`} (between float32 and int32/int16/int8/uint8 only)`);
    }
    im.emit(node, [x], [{ dtype: to, shape: x.shape }], cast());
  },
  MatMul: (im, node) => floatMatMulNode(im, node, false),
  Gemm: (im, node) => floatMatMulNode(im, node, true),
  Conv: (im, node) => {
    const x = im.logical(im.value(node, 0, "X"));
    const w = im.value(node, 1, "W");
    if (x.dtype !== "float32" || w.dtype !== "float32") throw new UnsupportedError(`${describe(node)}: ${x.dtype} x ${w.dtype}; only float32 here (8-bit convolutions run as QLinearConv, ConvInteger or the QDQ form)`);
    if (x.shape.length !== 4 || w.shape.length !== 4) throw new UnsupportedError(`${describe(node)}: only 2-D convolutions (4-D tensors)`);
    const [n, cin, h, wd] = x.shape;
    const [cout, cpg, kh, kw] = w.shape;
    const group = (node.attrs.group as number | undefined) ?? 1;
    if (!Number.isInteger(group) || group < 1 || cin % group !== 0 || cout % group !== 0 || cpg * group !== cin) {
      throw new ShapeError(`${describe(node)}: group ${group} with weights [${w.shape}] does not fit ${cin} input channels`);
    }
    const ints = (name: string, fallback: number[]) => (node.attrs[name] as number[] | undefined) ?? fallback;
    const [strideH, strideW] = ints("strides", [1, 1]), [dilationH, dilationW] = ints("dilations", [1, 1]);
    const padding = onnxPadding(node, h, wd, kh, kw, strideH, strideW, dilationH, dilationW);
    const [row, col] = window2d(padding, h, wd, kh, kw, strideH, strideW, dilationH, dilationW, describe(node));
    const bias = node.inputs[2] ? Float32Array.from(im.constantArray(node, 2, "B")!) : null;
    if (bias && bias.length !== cout) throw new ShapeError(`${describe(node)}: bias of ${bias.length} for ${cout} channels`);
    const weights = Float32Array.from(im.constantArray(node, 1, "W")!);
    const geometry = { kh, kw, strideH, strideW, dilationH, dilationW, row, col };
    const outShape = [n, cout, row.out, col.out];
    if (group === 1) {
      im.emit(node, [x], [{ dtype: "float32", shape: outShape }], floatConv({ weights, bias, cout, ...geometry }));
      return;
    }
    // Grouped and depthwise: one group-1 convolution per group on its channel slice (each output channel sees
    // only its group's inputs, which is the definition; MLAS runs one GEMM per group as well), concatenated.
    const opg = cout / group, k = cpg * kh * kw;
    const i64 = (name: string, v: number[]) => im.folded(`${node.outputs[0]}:${name}`, "int32", [v.length], v);
    const parts: Value[] = [];
    for (let g = 0; g < group; g++) {
      const name = `${node.outputs[0]}:group${g}`;
      const slice = im.emit({ ...node, opType: "Slice", outputs: [`${name}:input`] },
        [x, i64(`${g}:begin`, [0, g * cpg, 0, 0]), i64(`${g}:end`, [n, (g + 1) * cpg, h, wd]), i64(`${g}:strides`, [1, 1, 1, 1])],
        [{ dtype: "float32", shape: [n, cpg, h, wd] }], stridedSlice({ beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false }))[0];
      parts.push(im.emit({ ...node, outputs: [`${name}:output`] }, [slice], [{ dtype: "float32", shape: [n, opg, row.out, col.out] }], floatConv({
        weights: weights.subarray(g * opg * k, (g + 1) * opg * k), bias: bias ? bias.subarray(g * opg, (g + 1) * opg) : null, cout: opg, ...geometry,
      }))[0]);
    }
    im.emit(node, parts, [{ dtype: "float32", shape: outShape }], concatenation(1));
  },
  AveragePool: (im, node) => floatPoolNode(im, node, "average"),
  GlobalAveragePool: (im, node) => {
    const x = im.logical(im.value(node, 0, "X"));
    if (x.dtype !== "float32" || x.shape.length !== 4) throw new UnsupportedError(`${describe(node)}: only 4-D float32 input (8-bit runs as QLinearGlobalAveragePool or its QDQ form)`);
    im.emit(node, [x], [{ dtype: "float32", shape: [x.shape[0], x.shape[1], 1, 1] }], floatGlobalAveragePool());
  },
  Softmax: (im, node, opset) => {
    const x = im.logical(im.value(node, 0, "input"));
    if (x.dtype !== "float32") throw new UnsupportedError(`${describe(node)}: input is ${x.dtype}; only float32 (8-bit runs as QLinearSoftmax or its QDQ form)`);
    im.emit(node, [x], [{ dtype: "float32", shape: x.shape }], floatSoftmax(softmaxRows(node, x.shape, opset)));
  },
  Resize: (im, node, opset) => {
    const x = im.value(node, 0, "X");
    if (opset < 11) throw new UnsupportedError(`${describe(node)}: Resize before opset 11`);
    const mode = (node.attrs.mode as string | undefined) ?? "nearest";
    if (mode !== "nearest") throw new UnsupportedError(`${describe(node)}: mode ${mode} (only nearest)`);
    const coordinate = ((node.attrs.coordinate_transformation_mode as string | undefined) ?? "half_pixel") as CoordinateMode;
    const nearest = ((node.attrs.nearest_mode as string | undefined) ?? "round_prefer_floor") as NearestMode;
    if (coordinate === ("tf_crop_and_resize" as CoordinateMode)) throw new UnsupportedError(`${describe(node)}: coordinate_transformation_mode tf_crop_and_resize`);
    if (node.attrs.axes !== undefined) throw new UnsupportedError(`${describe(node)}: the axes attribute`);
    const logical = x.layout === "nhwc" ? TO_NCHW.map((a) => x.shape[a]) : x.shape;
    const scalesIn = im.constant(node, 2, "scales", true);
    const sizesIn = im.constant(node, 3, "sizes", true);
    const useSizes = !!sizesIn && sizesIn.length > 0;
    if (!useSizes && (!scalesIn || scalesIn.length === 0)) throw new ShapeError(`${describe(node)}: needs scales or sizes`);
    const rank = logical.length;
    if ((useSizes ? sizesIn! : scalesIn!).length !== rank) throw new ShapeError(`${describe(node)}: ${rank} scales or sizes expected`);
    const outSizes = useSizes ? sizesIn! : logical.map((d, i) => Math.floor(Math.fround(d * Math.fround(scalesIn![i]))));
    const scales = useSizes ? outSizes.map((o, i) => Math.fround(o / logical[i])) : scalesIn!.map(Math.fround);
    if (outSizes.some((d) => !(d >= 1))) throw new ShapeError(`${describe(node)}: output sizes [${outSizes}]`);
    const maps = logical.map((d, i) => nearestIndices(d, outSizes[i], scales[i], coordinate, nearest));
    // A channels-last value keeps its layout: the per-axis maps permute like the axes.
    const order = x.layout === "nhwc" ? TO_NHWC : logical.map((_, i) => i);
    const [y] = im.emit(node, [x], [{ dtype: x.dtype, shape: order.map((a) => outSizes[a]), layout: x.layout }], resizeNearest(order.map((a) => maps[a])));
    im.linkQuant(x, y);
  },
  Shape: (im, node) => {
    const x = im.value(node, 0, "data");
    // The ONNX (NCHW) shape of a value stored channels-last.
    const dims = x.layout === "nhwc" ? TO_NCHW.map((a) => x.shape[a]) : x.shape;
    const rank = dims.length;
    const clampAxis = (a: number) => Math.min(rank, Math.max(0, a < 0 ? a + rank : a));
    const start = clampAxis((node.attrs.start as number | undefined) ?? 0), end = clampAxis((node.attrs.end as number | undefined) ?? rank);
    const out = dims.slice(start, Math.max(start, end));
    im.folded(node.outputs[0], "int64", [out.length], out);
  },
  Gather: (im, node) => {
    const data = im.value(node, 0, "data");
    const indices = im.value(node, 1, "indices");
    const raw = im.constant(node, 1, "indices")!;
    const shape = data.layout === "nhwc" ? TO_NCHW.map((a) => data.shape[a]) : data.shape;
    const rank = shape.length;
    const a = (node.attrs.axis as number | undefined) ?? 0;
    if (a < -rank || a >= rank) throw new ShapeError(`${describe(node)}: axis ${a} out of range for rank ${rank}`);
    const axis = a < 0 ? a + rank : a;
    const dim = shape[axis];
    const idx = raw.map((i) => {
      if (!(i >= -dim && i < dim)) throw new ShapeError(`${describe(node)}: index ${i} out of range for a dimension of ${dim}`);
      return i < 0 ? i + dim : i;
    });
    const outShape = [...shape.slice(0, axis), ...indices.shape, ...shape.slice(axis + 1)];
    if (data.constant) {
      checkFoldSize(node, outShape);
      const outer = shape.slice(0, axis).reduce((p, q) => p * q, 1), inner = shape.slice(axis + 1).reduce((p, q) => p * q, 1);
      const values: number[] = [];
      for (let o = 0; o < outer; o++) for (const i of idx) for (let k = 0; k < inner; k++) values.push(Number(data.constant[(o * dim + i) * inner + k]));
      im.folded(node.outputs[0], data.dtype, outShape, values);
      return;
    }
    const x = im.logical(data);
    im.linkQuant(x, im.emit(node, [x], [{ dtype: x.dtype, shape: outShape }], gather(axis, idx, indices.shape))[0]);
  },
  Concat: (im, node) => {
    const xs = node.inputs.map((_, i) => im.value(node, i, `inputs[${i}]`));
    const logical = (v: Value) => (v.layout === "nhwc" ? TO_NCHW.map((a) => v.shape[a]) : v.shape);
    const rank = logical(xs[0]).length;
    const a = node.attrs.axis as number | undefined;
    if (a === undefined || a < -rank || a >= rank) throw new ShapeError(`${describe(node)}: axis ${a} for rank ${rank}`);
    const axis = a < 0 ? a + rank : a;
    if (xs.some((v) => v.dtype !== xs[0].dtype || logical(v).length !== rank || logical(v).some((d, i) => i !== axis && d !== logical(xs[0])[i]))) {
      throw new ShapeError(`${describe(node)}: inputs ${xs.map((v) => `${v.dtype} [${logical(v)}]`).join(", ")} do not concatenate along axis ${axis}`);
    }
    const shape = logical(xs[0]).map((d, i) => (i === axis ? xs.reduce((sum, v) => sum + logical(v)[axis], 0) : d));
    if (xs.every((v) => v.constant)) {
      const outer = shape.slice(0, axis).reduce((p, q) => p * q, 1), inner = shape.slice(axis + 1).reduce((p, q) => p * q, 1);
      const values: number[] = [];
      for (let o = 0; o < outer; o++) for (const v of xs) {
        const block = logical(v)[axis] * inner;
        for (let k = 0; k < block; k++) values.push(Number(v.constant![o * block + k]));
      }
      im.folded(node.outputs[0], xs[0].dtype, shape, values);
      return;
    }
    // 8-bit tensors concatenated as they are must share one quantization (QLinearConcat requantizes).
    const ins = xs.map((v) => (v.constant ? v : im.logical(v)));
    const [y] = im.emit(node, ins, [{ dtype: xs[0].dtype, shape }], concatenation(axis));
    for (const v of ins) if (!v.constant) im.linkQuant(v, y);
  },
  Slice: (im, node) => {
    const x = im.logical(im.value(node, 0, "data"));
    const rank = x.shape.length;
    // Opset 10+: starts, ends, axes, steps as constant inputs.
    const starts = im.constant(node, 1, "starts")!, ends = im.constant(node, 2, "ends")!;
    const axes = (im.constant(node, 3, "axes", true) ?? starts.map((_, i) => i)).map((ax) => (ax < 0 ? ax + rank : ax));
    const steps = im.constant(node, 4, "steps", true) ?? starts.map(() => 1);
    const begin = x.shape.map(() => 0), end = [...x.shape], stride = x.shape.map(() => 1);
    let endMask = 0;
    axes.forEach((ax, j) => {
      if (!(ax >= 0 && ax < rank) || steps[j] === 0) throw new ShapeError(`${describe(node)}: axis ${axes[j]} or step ${steps[j]}`);
      const dim = x.shape[ax], step = steps[j];
      const norm = (v: number) => (v < 0 ? v + dim : v);
      // ONNX clamps: [0, dim] going forward, [-1, dim - 1] going backward (-1: past the first element).
      const [lo, hi] = step > 0 ? [0, dim] : [-1, dim - 1];
      begin[ax] = Math.min(step > 0 ? dim : dim - 1, Math.max(0, norm(Math.max(-1e15, Math.min(1e15, starts[j])))));
      end[ax] = Math.min(hi, Math.max(lo, norm(Math.max(-1e15, Math.min(1e15, ends[j])))));
      stride[ax] = step;
      // STRIDED_SLICE reads a negative end as counted from the back: past the first element is its end mask.
      if (end[ax] === -1) endMask |= 1 << ax;
    });
    const shape = x.shape.map((_, d) => Math.max(0, Math.ceil((end[d] - begin[d]) / stride[d])));
    if (shape.some((d) => d === 0)) throw new UnsupportedError(`${describe(node)}: an empty slice [${shape}]`);
    if (x.constant) {
      const values: number[] = [];
      const walk = (d: number, offset: number) => {
        if (d === rank) return void values.push(Number(x.constant![offset]));
        const inner = x.shape.slice(d + 1).reduce((p, q) => p * q, 1);
        for (let i = 0; i < shape[d]; i++) walk(d + 1, offset + (begin[d] + i * stride[d]) * inner);
      };
      walk(0, 0);
      im.folded(node.outputs[0], x.dtype, shape, values);
      return;
    }
    const i32 = (name: string, v: number[]) => im.add(`${node.outputs[0]}:${name}`, "int32", [rank], new Uint8Array(Int32Array.from(v).buffer), v);
    const [y] = im.emit(node, [x, i32("begin", begin), i32("end", end), i32("strides", stride)], [{ dtype: x.dtype, shape }],
      stridedSlice({ beginMask: 0, endMask, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false }));
    im.linkQuant(x, y);
  },
};

/** Float32 MatMul ([...batch, M, K] x constant [K, N]) and Gemm (constant B, transB, C with beta 1, alpha 1). */
function floatMatMulNode(im: Importer, node: OnnxNode, gemm: boolean): void {
  const a = im.logical(im.value(node, 0, "A"));
  const b = im.value(node, 1, "B");
  if (a.dtype !== "float32" || b.dtype !== "float32") {
    throw new UnsupportedError(`${describe(node)}: ${a.dtype} x ${b.dtype}; only float32 here (8-bit products run through QLinearMatMul, MatMulInteger or the QDQ form)`);
  }
  const bValues = im.constantArray(node, 1, "B")!;
  if (b.shape.length !== 2) throw new UnsupportedError(`${describe(node)}: B must be a constant 2-D matrix, got [${b.shape}]`);
  const attr = (name: string, fallback: number) => (node.attrs[name] as number | undefined) ?? fallback;
  if (gemm && (attr("transA", 0) !== 0 || attr("alpha", 1) !== 1 || (node.inputs[2] && attr("beta", 1) !== 1))) {
    throw new UnsupportedError(`${describe(node)}: transA, alpha other than 1 and beta other than 1 are not supported`);
  }
  if (gemm && a.shape.length !== 2) throw new ShapeError(`${describe(node)}: A must be 2-D, got [${a.shape}]`);
  const transB = gemm && attr("transB", 0) === 1;
  const [k, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (a.shape[a.shape.length - 1] !== k) throw new ShapeError(`${describe(node)}: [${a.shape}] x [${b.shape}] do not chain`);
  const src = Float32Array.from(bValues);
  const kn = transB ? Float32Array.from({ length: k * n }, (_, i) => src[(i % n) * k + Math.floor(i / n)]) : src;
  let c: { values: Float32Array; shape: number[] } | null = null;
  if (gemm && node.inputs[2]) {
    const cv = im.value(node, 2, "C");
    if (cv.dtype !== "float32") throw new UnsupportedError(`${describe(node)}: C is ${cv.dtype}; only float32`);
    c = { values: Float32Array.from(im.constantArray(node, 2, "C")!), shape: cv.shape };
  }
  const shape = [...a.shape.slice(0, -1), n];
  im.emit(node, [a], [{ dtype: "float32", shape }], floatMatMul({ b: kn, k, n, c }));
}

/** MaxPool / AveragePool on a float32 NCHW tensor (2-D; no ceil_mode or dilations). */
export function floatPoolNode(im: Importer, node: OnnxNode, kind: "max" | "average"): void {
  const x = im.logical(im.value(node, 0, "X"));
  if (x.dtype !== "float32" || x.shape.length !== 4) throw new UnsupportedError(`${describe(node)}: only 4-D float32 input here, got ${x.dtype} [${x.shape}]`);
  if (node.outputs[1]) throw new UnsupportedError(`${describe(node)}: the Indices output is not supported`);
  const kernel = node.attrs.kernel_shape as number[] | undefined;
  if (!kernel || kernel.length !== 2) throw new UnsupportedError(`${describe(node)}: attribute kernel_shape must have 2 values (2-D pooling), got ${JSON.stringify(kernel)}`);
  if (((node.attrs.ceil_mode as number | undefined) ?? 0) !== 0) throw new UnsupportedError(`${describe(node)}: attribute ceil_mode = 1 is not supported`);
  if (((node.attrs.dilations as number[] | undefined) ?? [1, 1]).some((d) => d !== 1)) throw new UnsupportedError(`${describe(node)}: dilations other than 1`);
  const [sh, sw] = (node.attrs.strides as number[] | undefined) ?? [1, 1];
  const [n, c, h, w] = x.shape;
  const padding = onnxPadding(node, h, w, kernel[0], kernel[1], sh, sw, 1, 1);
  const [rows, cols] = window2d(padding, h, w, kernel[0], kernel[1], sh, sw, 1, 1, describe(node));
  const whole = kind === "average" && kernel[0] === h && kernel[1] === w && rows.out === 1 && cols.out === 1 && rows.padBefore === 0 && cols.padBefore === 0;
  // onnxruntime averages a kernel over the whole unpadded image as its global average pool (its order of sums).
  if (whole) return void im.emit(node, [x], [{ dtype: "float32", shape: [n, c, 1, 1] }], floatGlobalAveragePool());
  im.emit(node, [x], [{ dtype: "float32", shape: [n, c, rows.out, cols.out] }], floatPool({
    kind, kernel: [kernel[0], kernel[1]], strides: [sh, sw], padBegin: [rows.padBefore, cols.padBefore],
    padEnd: [(rows.out - 1) * sh + kernel[0] - h - rows.padBefore, (cols.out - 1) * sw + kernel[1] - w - cols.padBefore].map((v) => Math.max(0, v)) as [number, number],
    countIncludePad: ((node.attrs.count_include_pad as number | undefined) ?? 0) !== 0,
  }));
}

/** Add, Sub, Mul, Div of two constants (shape arithmetic), with broadcasting; integer division truncates. */
function foldBinary(im: Importer, node: OnnxNode, op: FloatBinaryOp, a: Value, b: Value): void {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (sh: number[]) => [...new Array(rank - sh.length).fill(1), ...sh];
  const [pa, pb] = [pad(a.shape), pad(b.shape)];
  if (pa.some((d, i) => d !== pb[i] && d !== 1 && pb[i] !== 1)) throw new ShapeError(`${describe(node)}: [${a.shape}] and [${b.shape}] do not broadcast`);
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  checkFoldSize(node, shape);
  const [ia, ib] = broadcastIndices(a.shape, b.shape, shape);
  const float = a.dtype === "float32";
  const f = (v: number) => (float ? Math.fround(v) : v);
  const values = Array.from(ia, (i, k) => {
    const [x, y] = [Number(a.constant![i]), Number(b.constant![ib[k]])];
    if (op === "div" && !float && y === 0) throw new ShapeError(`${describe(node)}: integer division by zero`);
    return f(op === "add" ? x + y : op === "sub" ? x - y : op === "mul" ? x * y : float ? x / y : Math.trunc(x / y));
  });
  im.folded(node.outputs[0], a.dtype, shape, values);
}

/** Add, Sub, Mul, Div of float32 tensors (values of the run or constants), with broadcasting. */
function floatBinaryNode(im: Importer, node: OnnxNode, op: FloatBinaryOp): void {
  const a = im.logical(im.value(node, 0, "A")), b = im.logical(im.value(node, 1, "B"));
  if (a.constant && b.constant && a.dtype === b.dtype && (a.dtype === "int64" || a.dtype === "int32" || a.dtype === "float32")) {
    foldBinary(im, node, op, a, b);
    return;
  }
  if (a.dtype !== "float32" || b.dtype !== "float32") {
    throw new UnsupportedError(`${describe(node)}: ${a.dtype} and ${b.dtype} operands; only float32 here (8-bit ${node.opType} runs through its QDQ or com.microsoft form)`);
  }
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...new Array(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(a.shape), pad(b.shape)];
  const shape = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) throw new ShapeError(`${describe(node)}: [${a.shape}] and [${b.shape}] do not broadcast`);
    return d === 1 ? pb[i] : d;
  });
  im.emit(node, [a, b], [{ dtype: "float32", shape }], floatBinary(op));
}
