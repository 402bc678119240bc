// SOFTMAX (TFLite, int8 input, int8 or int16 output): reference/softmax.h, the fixed-point path with gemmlowp's
// exp (quant/gemmlowp.ts). Parameters as tflite-micro softmax_common.cc computes them: PreprocessSoftmaxScaling
// (beta * input scale * 2^(31-5), capped at 2^31 - 1, as a multiplier above one) and the input radius
// CalculateInputRadius(5, left shift) as the smallest difference that still counts.

import { UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { getReciprocal, expOnNegativeValues, mulByPOT } from "../quant/gemmlowp.js";
import { rdbpot, srdhm } from "../quant/fixed-point.js";
import { quantizeMultiplier } from "../quant/multiplier.js";
import { elementCount, expectDType, expectQuant } from "./graph-tensors.js";

const SCALED_DIFF_INTEGER_BITS = 5;
const ACCUMULATION_INTEGER_BITS = 12;

export function softmax(beta: number): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.output(0, "output");
    expectDType(x, ["int8"], "input");
    expectDType(y, ["int8", "int16"], "output");
    ctx.checkOutputShape(0, x.shape);
    const qx = expectQuant(x, "input"), qy = expectQuant(y, "output");
    // The fixed-point path produces probabilities on the grid [type min, type max] = [0, 1): scale 2^-bits.
    const bits = y.dtype === "int16" ? 16 : 8;
    if (qy.zeroPoint[0] !== -(2 ** (bits - 1)) || Math.abs(qy.scale[0] * 2 ** bits - 1) > 1e-6) {
      throw new UnsupportedError(`SOFTMAX output must have scale 1/${2 ** bits} and zero point ${-(2 ** (bits - 1))}, got ${qy.scale[0]} and ${qy.zeroPoint[0]}`);
    }
    const real = Math.min(beta * Math.fround(qx.scale[0]) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
    if (!(real > 1)) throw new UnsupportedError(`SOFTMAX: beta * input scale is too small (${real})`);
    const m = quantizeMultiplier(real);
    const leftShift = m.shift;
    const radius = Math.floor(((2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** leftShift);
    const diffMin = -radius;
    const depth = x.shape[x.shape.length - 1];
    const rows = elementCount(x) / depth;
    const outBits = bits;
    const outMin = y.dtype === "int16" ? -32768 : -128, outMax = y.dtype === "int16" ? 32767 : 127;
    const expOf = (diff: number) => expOnNegativeValues(srdhm(Math.imul(diff, 2 ** leftShift | 0), m.multiplier), SCALED_DIFF_INTEGER_BITS);
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = new Int8Array(buffer, ctx.ptr(x.id), rows * depth);
        const dst = y.dtype === "int16" ? new Int16Array(buffer, ctx.ptr(y.id), rows * depth) : new Int8Array(buffer, ctx.ptr(y.id), rows * depth);
        for (let r = 0; r < rows; r++) {
          const row = r * depth;
          let max = -128;
          for (let c = 0; c < depth; c++) max = Math.max(max, src[row + c]);
          let sum = 0;
          for (let c = 0; c < depth; c++) {
            const diff = src[row + c] - max;
            if (diff >= diffMin) sum = (sum + mulByPOT(expOf(diff), -ACCUMULATION_INTEGER_BITS)) | 0;
          }
          const { scale, bitsOverUnit } = getReciprocal(sum, ACCUMULATION_INTEGER_BITS);
          const exponent = bitsOverUnit + 31 - outBits;
          for (let c = 0; c < depth; c++) {
            const diff = src[row + c] - max;
            if (diff >= diffMin) {
              const v = rdbpot(srdhm(scale, expOf(diff)), exponent) + outMin;
              dst[row + c] = Math.min(outMax, Math.max(outMin, v));
            } else {
              dst[row + c] = outMin;
            }
          }
        }
      },
      dispose: () => {},
    };
  };
}
