// com.microsoft QLinearSoftmax as onnxruntime computes it (contrib_ops/cpu/quantization/qlinear_softmax.cc,
// float lookup table): a 256-entry table of exp((i - 255 + shift) * x_scale), in float64 cast to float32,
// with shift = max(0, ln(FLT_MAX / D) - 5) / x_scale so that D terms cannot overflow; per row the table is
// slid so that the row's largest input meets its last entry (uint8), or the input is offset by 127 - max
// (int8); the terms are summed in float32 in order, and each output is
// nearbyint(term * floor(1 / y_scale) / sum) in float32, converted to a 32-bit integer as wasm converts (with
// saturation: a term * scale past FLT_MAX is Infinity, the integer's largest value) and the zero point added
// in 32 bits (wrapping), then for uint8 values above 255 saturated, for int8 clamped to [-128, 127]. That is
// what onnxruntime-web 1.30 does (the int8 clamp differs from the C++ above, which wraps; probed outputs decide).
// Rows run along `axis` with the given strides, which is what the reference's transposes amount to.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { elementCount } from "./graph-tensors.js";
import { roundHalfEven } from "../tensor/qtensor.js";

export interface QLinearSoftmaxParams {
  sx: number; sy: number; zy: number;
  /** Rows: `rows` of `length` elements, element j of row r at outer(r) + j * stride. */
  length: number;
  stride: number;
  /** Row r's first element. */
  rowStart: (r: number) => number;
  rows: number;
}

const FLT_MAX = 3.4028234663852886e38;

/** The float32 table by raw byte (for int8, byte i - 128 holds the entry of i). */
export function softmaxTable(sx: number, length: number, signed: boolean): Float32Array {
  const scale = Math.fround(sx);
  const shift = Math.max(0, Math.log(FLT_MAX / length) - 5) / scale;
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) table[(signed ? i - 128 : i) & 0xff] = Math.exp((i - 255 + shift) * scale);
  return table;
}

/** wasm's saturating float-to-integer conversion (i32.trunc_sat_f32_s / _u) of an integral value. */
function saturate(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

const clampInt8 = (v: number) => (v < -128 ? -128 : v > 127 ? 127 : v);

/** uint8: the 32-bit unsigned sum with the zero point (wrapping), above 255 saturated. */
function unsignedOut(q: number, zy: number): number {
  const vq = (q + zy) >>> 0;
  return vq > 255 ? 255 : vq;
}

export function qlinearSoftmax(p: QLinearSoftmaxParams): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "X"), y = ctx.checkOutputShape(0, ctx.input(0, "X").shape);
    if (elementCount(x) !== p.rows * p.length) throw new ShapeError(`X [${x.shape}] is not ${p.rows} rows of ${p.length}`);
    const signed = x.dtype === "int8";
    const table = softmaxTable(p.sx, p.length, signed);
    const f = Math.fround;
    const ys = Math.floor(f(1 / f(p.sy)));
    const starts = Int32Array.from({ length: p.rows }, (_, r) => p.rowStart(r));
    const total = p.rows * p.length;
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = new Uint8Array(buffer, ctx.ptr(x.id), total), dst = new Uint8Array(buffer, ctx.ptr(y.id), total);
        for (let r = 0; r < p.rows; r++) {
          const s0 = starts[r];
          let max = -Infinity;
          for (let j = 0; j < p.length; j++) {
            const b = src[s0 + j * p.stride];
            max = Math.max(max, signed ? (b << 24) >> 24 : b);
          }
          // uint8: table[255 - max + x]; int8: table[(127 - max + x) & 0xff] (both the largest entry at the max).
          const offset = signed ? 127 - max : 255 - max;
          const term = (b: number) => table[(offset + (signed ? (b << 24) >> 24 : b)) & 0xff];
          let sum = 0;
          for (let j = 0; j < p.length; j++) sum = f(sum + term(src[s0 + j * p.stride]));
          for (let j = 0; j < p.length; j++) {
            const at = s0 + j * p.stride;
            // A zero sum (every term underflowed) is where onnxruntime stops writing; dyad writes the zero point.
            if (sum === 0) {
              dst[at] = p.zy & 0xff;
              continue;
            }
            const v = roundHalfEven(f(f(term(src[at]) * ys) / sum)); // may be Infinity: term * ys past FLT_MAX
            dst[at] = signed ? clampInt8((saturate(v, -2147483648, 2147483647) + p.zy) | 0) & 0xff : unsignedOut(saturate(v, 0, 4294967295), p.zy);
          }
        }
      },
      dispose: () => {},
    };
  };
}
