// ONNX Softmax on float32 as onnxruntime computes it (core/mlas/lib/compute.cpp, MlasComputeSoftmax, its
// portable kernels as the wasm build compiles them: multiply-adds as a multiply then an add, no FMA):
// per row the maximum; each exp(x - max) from MLAS's range reduction (x * log2(e) rounded with the 1.5 * 2^23
// bias, a two-part ln 2) and its degree-6 polynomial, scaled by 2^m built in the exponent bits; the sum in
// four lanes (two vectors per step of eight, then one per four), lanes added as (l0 + l2) + (l1 + l3), then
// the leftovers one by one; the outputs multiplied by 1 / sum. Rows run along `axis` with the given strides.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { elementCount } from "./graph-tensors.js";

const f = Math.fround;
const hex = (mantissa: string, exp: number) => f((parseInt(mantissa.replace(".", ""), 16) / 16 ** (mantissa.length - 2)) * 2 ** exp);
const LOWER_RANGE_SUM_EXP = f(-88.3762626647949);
const ROUNDING_BIAS = f(12582912); // 1.5 * 2^23 (MLAS_ROUNDING_BIAS_MAGIC)
const LOG2_RECIPROCAL = f(1.44269504088896341);
const LOG2_HIGH = f(-6.93145752e-1);
const LOG2_LOW = f(-1.42860677e-6);
const POLY = [hex("1.694000", -10), hex("1.125edc", -7), hex("1.555b5a", -5), hex("1.555450", -3), hex("1.fffff6", -2), hex("1.000000", 0)];
const MAXIMUM_EXPONENT = 0x3f800000;

const bits = new Float32Array(1), ints = new Int32Array(bits.buffer);

/** MlasComputeSumExpVector for one lane: exp(x + negativeMaximum). */
export function mlasSumExp(x: number, negativeMaximum: number): number {
  let v = Math.max(LOWER_RANGE_SUM_EXP, f(x + negativeMaximum));
  const biased = f(f(v * LOG2_RECIPROCAL) + ROUNDING_BIAS);
  const m = f(biased - ROUNDING_BIAS);
  v = f(f(m * LOG2_HIGH) + v);
  v = f(f(m * LOG2_LOW) + v);
  bits[0] = biased;
  ints[0] = ((ints[0] << 23) + MAXIMUM_EXPONENT) | 0;
  const scale = bits[0];
  let p = POLY[0];
  for (let i = 1; i < POLY.length; i++) p = f(f(p * v) + POLY[i]);
  p = f(f(p * v) + POLY[5]);
  return f(p * scale);
}

export interface FloatSoftmaxSpec {
  rows: number;
  length: number;
  stride: number;
  rowStart: (r: number) => number;
}

export function floatSoftmax(p: FloatSoftmaxSpec): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.checkOutputShape(0, ctx.input(0, "input").shape);
    const total = p.rows * p.length;
    if (elementCount(x) !== total) throw new ShapeError(`input [${x.shape}] is not ${p.rows} rows of ${p.length}`);
    const starts = Int32Array.from({ length: p.rows }, (_, r) => p.rowStart(r));
    const e = new Float32Array(p.length);
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = new Float32Array(buffer, ctx.ptr(x.id), total), dst = new Float32Array(buffer, ctx.ptr(y.id), total);
        for (let r = 0; r < p.rows; r++) {
          const s0 = starts[r];
          let max = -3.4028234663852886e38;
          for (let j = 0; j < p.length; j++) max = Math.max(max, src[s0 + j * p.stride]);
          const neg = -max;
          for (let j = 0; j < p.length; j++) e[j] = mlasSumExp(src[s0 + j * p.stride], neg);
          // Four lanes: eight at a time as two vectors added in turn, then four at a time.
          const lane = [0, 0, 0, 0];
          let j = 0;
          if (p.length >= 4) {
            for (; j + 8 <= p.length; j += 8) {
              for (let l = 0; l < 4; l++) lane[l] = f(lane[l] + e[j + l]);
              for (let l = 0; l < 4; l++) lane[l] = f(lane[l] + e[j + 4 + l]);
            }
            for (; j + 4 <= p.length; j += 4) for (let l = 0; l < 4; l++) lane[l] = f(lane[l] + e[j + l]);
          }
          let sum = f(f(lane[0] + lane[2]) + f(lane[1] + lane[3]));
          for (; j < p.length; j++) sum = f(sum + e[j]);
          const scale = f(1 / sum);
          for (let k = 0; k < p.length; k++) dst[s0 + k * p.stride] = f(scale * e[k]);
        }
      },
      dispose: () => {},
    };
  };
}
