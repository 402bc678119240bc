// Simulated ("fake") quantization of a quantized TFLite model (the survey's §II-D, simulated vs integer-only
// inference): every op computes in floating point on dequantized values (weights s_w * q, biases
// s_a * s_w * q, activations s * (q - z)), and each op's output is quantized and at once dequantized with
// its tensor's parameters (round half to even, clamped to the dtype and the fused activation). The integer
// engine computes the same model with integer arithmetic and fixed-point requantization; comparing the two
// outputs' codes shows what integer-only inference changes (usually a code here and there).
//
// Plain loops in JavaScript (float64): a reference, not a fast path. Ops: CONV_2D, DEPTHWISE_CONV_2D,
// FULLY_CONNECTED, ADD, SUB, MUL, PAD, PADV2, MEAN, RESHAPE, SQUEEZE, TRANSPOSE, QUANTIZE, DEQUANTIZE,
// AVERAGE_POOL_2D, MAX_POOL_2D, RELU, RELU6, LOGISTIC, TANH, SOFTMAX; anything else is refused by name.

import { UnsupportedError, ShapeError, BufferError } from "../errors.js";
import type { TfliteModel, TfliteTensor, TfliteOperator } from "../formats/tflite/model.js";
import { fusedActivation, padding } from "../formats/tflite/options.js";
import { window2d } from "../ops/conv-geometry.js";
import { roundHalfEven } from "../tensor/qtensor.js";

/** A tensor's values during simulation: real numbers in NHWC (TFLite) order. */
interface Value { shape: number[]; data: Float64Array }

const RANGES: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767] };

function params(t: TfliteTensor, i: number): [number, number] {
  const q = t.quantization;
  if (!q || q.scale.length === 0) return [1, 0];
  const k = q.scale.length > 1 ? i : 0;
  return [q.scale[k], q.zeroPoint[k] ?? 0];
}

/** The tensor's stored integers as a typed array. */
function ints(t: TfliteTensor): ArrayLike<number> {
  const d = t.data!;
  switch (t.type) {
    case "int8": return new Int8Array(d.buffer, d.byteOffset, d.byteLength);
    case "uint8": return d;
    case "int16": return new Int16Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
    case "int32": return new Int32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
    case "int64": return Array.from(new BigInt64Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)), Number);
    default: throw new UnsupportedError(`simulate: tensor ${t.index} (${t.name}) has type ${t.type}`);
  }
}

/** A constant's real values (per-channel along quantized_dimension). */
function dequantConst(t: TfliteTensor): Value {
  const q = ints(t);
  const axis = t.quantization?.quantizedDimension ?? 0;
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const dim = t.shape[axis] ?? 1;
  const data = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const [s, z] = t.quantization ? params(t, Math.floor(i / inner) % dim) : [1, 0];
    data[i] = s * (q[i] - z);
  }
  return { shape: t.shape, data };
}

/** Quantize then dequantize a value with its output tensor's parameters and the fused activation's bounds. */
function fakeQuant(v: Value, t: TfliteTensor, activation: string = "none"): Value {
  if (!t.quantization || t.quantization.scale.length === 0) return v;
  const [s, z] = params(t, 0);
  let [lo, hi] = RANGES[t.type] ?? [-Infinity, Infinity];
  const q = (r: number) => z + roundHalfEven(r / s);
  if (activation === "relu" || activation === "relu6") lo = Math.max(lo, q(0));
  if (activation === "relu6") hi = Math.min(hi, q(6));
  if (activation === "relu_n1_to_1") { lo = Math.max(lo, q(-1)); hi = Math.min(hi, q(1)); }
  const data = v.data.map((r) => s * (Math.min(hi, Math.max(lo, q(r))) - z));
  return { shape: v.shape, data };
}

function conv(op: TfliteOperator, x: Value, w: Value, b: Value | null, depthwise: boolean): Value {
  const [n, h, wd, cin] = x.shape;
  const [, kh, kw] = w.shape;
  const cout = depthwise ? w.shape[3] : w.shape[0];
  const o = op.options;
  const [sh, sw, dh, dw] = [o.stride_h as number, o.stride_w as number, (o.dilation_h_factor as number) || 1, (o.dilation_w_factor as number) || 1];
  const [wy, wx] = window2d(padding(op), h, wd, kh, kw, sh, sw, dh, dw, `op ${op.index} (${op.op})`);
  const mult = depthwise ? cout / cin : 1;
  const out = new Float64Array(n * wy.out * wx.out * cout);
  for (let b0 = 0; b0 < n; b0++) for (let oy = 0; oy < wy.out; oy++) for (let ox = 0; ox < wx.out; ox++) {
    const at = ((b0 * wy.out + oy) * wx.out + ox) * cout;
    for (let co = 0; co < cout; co++) out[at + co] = b ? b.data[co] : 0;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - wy.padBefore + ky * dh;
      if (iy < 0 || iy >= h) continue;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw - wx.padBefore + kx * dw;
        if (ix < 0 || ix >= wd) continue;
        const px = ((b0 * h + iy) * wd + ix) * cin;
        if (depthwise) {
          const wk = (ky * kw + kx) * cout;
          for (let co = 0; co < cout; co++) out[at + co] += x.data[px + Math.floor(co / mult)] * w.data[wk + co];
        } else {
          for (let co = 0; co < cout; co++) {
            const wk = ((co * kh + ky) * kw + kx) * cin;
            let acc = 0;
            for (let ci = 0; ci < cin; ci++) acc += x.data[px + ci] * w.data[wk + ci];
            out[at + co] += acc;
          }
        }
      }
    }
  }
  return { shape: [n, wy.out, wx.out, cout], data: out };
}

function broadcast(op: TfliteOperator, a: Value, b: Value, f: (x: number, y: number) => number): Value {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array(rank - a.shape.length).fill(1), ...a.shape], pb = [...new Array(rank - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) throw new ShapeError(`op ${op.index} (${op.op}): shapes [${a.shape}] and [${b.shape}] do not broadcast`);
    return Math.max(d, pb[i]);
  });
  const size = shape.reduce((p, q) => p * q, 1);
  const data = new Float64Array(size);
  const idx = (s: number[], i: number) => {
    let off = 0, stride = 1, rem = i;
    const coords = new Array(rank);
    for (let d = rank - 1; d >= 0; d--) { coords[d] = rem % shape[d]; rem = Math.floor(rem / shape[d]); }
    for (let d = rank - 1; d >= 0; d--) { off += (s[d] === 1 ? 0 : coords[d]) * stride; stride *= s[d]; }
    return off;
  };
  for (let i = 0; i < size; i++) data[i] = f(a.data[idx(pa, i)], b.data[idx(pb, i)]);
  return { shape, data };
}

function transpose(x: Value, perm: number[]): Value {
  const shape = perm.map((p) => x.shape[p]);
  const rank = shape.length;
  const strides = x.shape.map((_, d) => x.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const data = new Float64Array(x.data.length);
  const coords = new Array(rank).fill(0);
  for (let i = 0; i < data.length; i++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += coords[d] * strides[perm[d]];
    data[i] = x.data[off];
    for (let d = rank - 1; d >= 0; d--) { if (++coords[d] < shape[d]) break; coords[d] = 0; }
  }
  return { shape, data };
}

/**
 * Runs `model` with simulated quantization on integer inputs (the model's input dtypes); returns each output
 * as the integers its tensor would hold (the fake-quantized values' codes).
 */
export function simulateTflite(model: TfliteModel, inputs: ArrayLike<number>[]): Int32Array[] {
  const g = model.subgraphs[0];
  if (inputs.length !== g.inputs.length) throw new BufferError(`simulate: the model has ${g.inputs.length} inputs, got ${inputs.length}`);
  const values = new Map<number, Value>();
  const get = (op: TfliteOperator, i: number): Value => {
    const id = op.inputs[i];
    const v = values.get(id);
    if (v) return v;
    const t = g.tensors[id];
    if (!t?.data) throw new ShapeError(`simulate: op ${op.index} (${op.op}) reads tensor ${id} before it is computed`);
    const c = dequantConst(t);
    values.set(id, c);
    return c;
  };
  g.inputs.forEach((id, i) => {
    const t = g.tensors[id];
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (inputs[i].length !== size) throw new BufferError(`simulate: input ${i} (${t.name}) needs ${size} values, got ${inputs[i].length}`);
    const [s, z] = params(t, 0);
    values.set(id, { shape: t.shape, data: Float64Array.from(inputs[i], (q) => s * (q - z)) });
  });
  for (const op of g.operators) {
    const out = g.tensors[op.outputs[0]];
    let y: Value;
    let activation = "none";
    switch (op.op) {
      case "CONV_2D": case "DEPTHWISE_CONV_2D":
        activation = fusedActivation(op);
        y = conv(op, get(op, 0), get(op, 1), op.inputs[2] >= 0 ? get(op, 2) : null, op.op === "DEPTHWISE_CONV_2D");
        break;
      case "FULLY_CONNECTED": {
        activation = fusedActivation(op);
        const x = get(op, 0), w = get(op, 1), b = op.inputs[2] >= 0 ? get(op, 2) : null;
        const [nOut, k] = w.shape;
        const rows = x.data.length / k;
        const data = new Float64Array(rows * nOut);
        for (let r = 0; r < rows; r++) for (let j = 0; j < nOut; j++) {
          let acc = b ? b.data[j] : 0;
          for (let kk = 0; kk < k; kk++) acc += x.data[r * k + kk] * w.data[j * k + kk];
          data[r * nOut + j] = acc;
        }
        y = { shape: out.shape, data };
        break;
      }
      case "ADD": case "SUB": case "MUL":
        activation = fusedActivation(op);
        y = broadcast(op, get(op, 0), get(op, 1), op.op === "ADD" ? (p, q) => p + q : op.op === "SUB" ? (p, q) => p - q : (p, q) => p * q);
        break;
      case "PAD": case "PADV2": {
        const x = get(op, 0), pads = Array.from(ints(g.tensors[op.inputs[1]]));
        const fill = op.op === "PADV2" && op.inputs[2] >= 0 ? get(op, 2).data[0] : 0;
        const shape = x.shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]);
        const data = new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(fill);
        const rank = shape.length, coords = new Array(rank).fill(0);
        for (let i = 0; i < x.data.length; i++) {
          let off = 0;
          for (let d = 0; d < rank; d++) off = off * shape[d] + coords[d] + pads[2 * d];
          data[off] = x.data[i];
          for (let d = rank - 1; d >= 0; d--) { if (++coords[d] < x.shape[d]) break; coords[d] = 0; }
        }
        y = { shape, data };
        break;
      }
      case "MEAN": {
        const x = get(op, 0), axes = Array.from(ints(g.tensors[op.inputs[1]])).map((a) => (a < 0 ? a + x.shape.length : a));
        const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const data = new Float64Array(keep.reduce((a, b) => a * b, 1));
        const count = x.data.length / data.length;
        const rank = x.shape.length, coords = new Array(rank).fill(0);
        for (let i = 0; i < x.data.length; i++) {
          let off = 0;
          for (let d = 0; d < rank; d++) off = off * keep[d] + (axes.includes(d) ? 0 : coords[d]);
          data[off] += x.data[i] / count;
          for (let d = rank - 1; d >= 0; d--) { if (++coords[d] < x.shape[d]) break; coords[d] = 0; }
        }
        y = { shape: out.shape, data };
        break;
      }
      case "RESHAPE": case "SQUEEZE": case "QUANTIZE": case "DEQUANTIZE":
        y = { shape: out.shape, data: get(op, 0).data };
        break;
      case "TRANSPOSE":
        y = transpose(get(op, 0), Array.from(ints(g.tensors[op.inputs[1]])));
        break;
      case "RELU": case "RELU6":
        y = get(op, 0);
        activation = op.op === "RELU" ? "relu" : "relu6";
        break;
      case "LOGISTIC": case "TANH": {
        const x = get(op, 0);
        y = { shape: x.shape, data: x.data.map((v) => (op.op === "TANH" ? Math.tanh(v) : 1 / (1 + Math.exp(-v)))) };
        break;
      }
      case "SOFTMAX": {
        const x = get(op, 0), beta = (op.options.beta as number) ?? 1, c = x.shape[x.shape.length - 1];
        const data = new Float64Array(x.data.length);
        for (let r = 0; r < x.data.length; r += c) {
          let m = -Infinity, sum = 0;
          for (let i = 0; i < c; i++) m = Math.max(m, x.data[r + i]);
          for (let i = 0; i < c; i++) sum += (data[r + i] = Math.exp(beta * (x.data[r + i] - m)));
          for (let i = 0; i < c; i++) data[r + i] /= sum;
        }
        y = { shape: x.shape, data };
        break;
      }
      case "AVERAGE_POOL_2D": case "MAX_POOL_2D": {
        activation = fusedActivation(op);
        const x = get(op, 0), [n, h, w, c] = x.shape, o = op.options;
        const [kh, kw, sh, sw] = [o.filter_height as number, o.filter_width as number, o.stride_h as number, o.stride_w as number];
        const [wy, wx] = window2d(padding(op), h, w, kh, kw, sh, sw, 1, 1, `op ${op.index} (${op.op})`);
        const data = new Float64Array(n * wy.out * wx.out * c);
        for (let b = 0; b < n; b++) for (let oy = 0; oy < wy.out; oy++) for (let ox = 0; ox < wx.out; ox++) for (let ch = 0; ch < c; ch++) {
          let acc = op.op === "MAX_POOL_2D" ? -Infinity : 0, count = 0;
          for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
            const iy = oy * sh - wy.padBefore + ky, ix = ox * sw - wx.padBefore + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const v = x.data[((b * h + iy) * w + ix) * c + ch];
            acc = op.op === "MAX_POOL_2D" ? Math.max(acc, v) : acc + v;
            count++;
          }
          data[((b * wy.out + oy) * wx.out + ox) * c + ch] = op.op === "MAX_POOL_2D" ? acc : acc / count;
        }
        y = { shape: [n, wy.out, wx.out, c], data };
        break;
      }
      default:
        throw new UnsupportedError(`simulate: op ${op.index} (${op.op}) has no simulated form`);
    }
    values.set(op.outputs[0], fakeQuant(y, out, activation));
  }
  return g.outputs.map((id) => {
    const t = g.tensors[id], v = values.get(id)!;
    const [s, z] = params(t, 0);
    return Int32Array.from(v.data, (r) => (t.quantization ? z + roundHalfEven(r / s) : Math.round(r)));
  });
}
