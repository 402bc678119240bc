// Elementwise unary ops of TFLite in TypeScript, each with the reference's integer arithmetic:
//   RELU, RELU6, RELU_N1_TO_1  QuantizedReluX (reference/activations, micro kernels/activations_common.cc):
//                              clamp(zp_out + MBQM(x - zp_in, s_in/s_out), act_min, act_max)
//   QUANTIZE                   float32 -> int: clamp(round(x / scale) + zp) (AffineQuantize, float division,
//                              half away from zero); int -> int: Requantize with MBQM(s_in/s_out)
//   DEQUANTIZE                 float(scale * (x - zp)), the product in double (reference/dequantize.h)
//   LOGISTIC, TANH (int8)      TFLite's 256-entry table (LUTPopulate in kernels/internal/common.h)
//   HARD_SWISH (int8)          the 16-bit fixed-point reference (reference/hard_swish.h)
// MBQM is TFLite's double-rounding MultiplyByQuantizedMultiplier.

import { UnsupportedError } from "../errors.js";
import type { GraphTensor } from "../graph/ir.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { mbqm } from "../quant/fixed-point.js";
import { quantizeMultiplier } from "../quant/multiplier.js";
import { DTYPES } from "../tensor/dtype.js";
import { elementCount, expectDType, expectQuant } from "./graph-tensors.js";

type Ints = Int8Array | Uint8Array | Int16Array;
type Arrays = Ints | Float32Array;

function view(buffer: ArrayBuffer, t: GraphTensor, ptr: number): Arrays {
  const n = elementCount(t);
  switch (t.dtype) {
    case "int8": return new Int8Array(buffer, ptr, n);
    case "uint8": return new Uint8Array(buffer, ptr, n);
    case "int16": return new Int16Array(buffer, ptr, n);
    case "float32": return new Float32Array(buffer, ptr, n);
    default: throw new UnsupportedError(`tensor ${t.id} (${t.name}): ${t.dtype} is not supported here`);
  }
}

/** Builds an op that maps every element of input 0 through `f` (made once, at build time) into output 0. */
function elementwise(make: (x: GraphTensor, y: GraphTensor) => (v: number) => number): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.output(0, "output");
    ctx.checkOutputShape(0, x.shape);
    const f = make(x, y);
    const n = elementCount(x);
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = view(buffer, x, ctx.ptr(x.id)), dst = view(buffer, y, ctx.ptr(y.id));
        for (let i = 0; i < n; i++) dst[i] = f(src[i]);
      },
      dispose: () => {},
    };
  };
}

const intRange = (t: GraphTensor) => DTYPES[t.dtype as "int8" | "uint8" | "int16"];

/** RELU, RELU6, RELU_N1_TO_1 on int8/uint8/int16. */
export function relu(kind: Exclude<FusedActivation, "none">): NodeBuilder {
  return elementwise((x, y) => {
    expectDType(x, ["int8", "uint8", "int16"], "input");
    expectDType(y, [x.dtype], "output");
    const qx = expectQuant(x, "input"), qy = expectQuant(y, "output");
    const m = quantizeMultiplier(Math.fround(qx.scale[0]) / Math.fround(qy.scale[0]));
    const { min, max } = activationClamp(kind, qy.scale[0], qy.zeroPoint[0], y.dtype as "int8" | "uint8" | "int16");
    const zx = qx.zeroPoint[0], zy = qy.zeroPoint[0];
    return (v) => Math.min(max, Math.max(min, zy + mbqm(v - zx, m.multiplier, m.shift)));
  });
}

export function quantize(): NodeBuilder {
  return elementwise((x, y) => {
    expectDType(x, ["float32", "int8", "uint8", "int16"], "input");
    expectDType(y, ["int8", "uint8", "int16"], "output");
    const qy = expectQuant(y, "output");
    const { min, max } = intRange(y);
    const sy = Math.fround(qy.scale[0]), zy = qy.zeroPoint[0];
    if (x.dtype === "float32") {
      return (v) => {
        const q = Math.fround(v / sy);
        const r = Math.sign(q) * Math.round(Math.abs(q)) + zy;
        return Number.isNaN(r) ? zy : Math.min(max, Math.max(min, r));
      };
    }
    const qx = expectQuant(x, "input");
    const m = quantizeMultiplier(Math.fround(qx.scale[0]) / sy);
    const zx = qx.zeroPoint[0];
    return (v) => Math.min(max, Math.max(min, zy + mbqm(v - zx, m.multiplier, m.shift)));
  });
}

export function dequantize(): NodeBuilder {
  return elementwise((x, y) => {
    expectDType(x, ["int8", "uint8", "int16"], "input");
    expectDType(y, ["float32"], "output");
    const qx = expectQuant(x, "input");
    const s = Math.fround(qx.scale[0]), z = qx.zeroPoint[0];
    return (v) => Math.fround(s * (v - z));
  });
}

/** LOGISTIC and TANH on int8 through TFLite's table: each of the 256 inputs dequantized, transformed, requantized. */
export function lookupActivation(fn: (v: number) => number): NodeBuilder {
  return elementwise((x, y) => {
    expectDType(x, ["int8"], "input");
    expectDType(y, ["int8"], "output");
    const qx = expectQuant(x, "input"), qy = expectQuant(y, "output");
    const sx = Math.fround(qx.scale[0]), zx = qx.zeroPoint[0], zy = qy.zeroPoint[0];
    const inverse = Math.fround(1 / Math.fround(qy.scale[0]));
    const lut = new Int8Array(256);
    for (let v = -128; v <= 127; v++) {
      const dequantized = Math.fround(sx * (v - zx));
      const transformed = Math.fround(fn(dequantized));
      const scaled = Math.fround(transformed * inverse);
      const rescaled = Math.sign(scaled) * Math.round(Math.abs(scaled));
      lut[v + 128] = Math.min(127, Math.max(-128, rescaled + zy));
    }
    return (v) => lut[v + 128];
  });
}

export const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

// ---- HARD_SWISH: 16-bit fixed point, as reference/hard_swish.h with the parameters of HardSwishPrepare ----

const I16_MIN = -32768, I16_MAX = 32767;
const sat16 = (v: number) => Math.min(I16_MAX, Math.max(I16_MIN, v));
/** gemmlowp SaturatingRoundingDoublingHighMul on int16: (a*b + nudge) / 2^15, truncated. */
function srdhm16(a: number, b: number): number {
  if (a === I16_MIN && b === I16_MIN) return I16_MAX;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return Math.trunc((ab + nudge) / 32768);
}
/** SaturatingDoublingHighMul: like srdhm16 but rounding toward zero (SQDMULH). */
function sdhm16(a: number, b: number): number {
  if (a === I16_MIN && b === I16_MIN) return I16_MAX;
  return Math.trunc((a * b) / 32768);
}
function rdbpot16(x: number, e: number): number {
  const mask = (1 << e) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}
/** DownScaleInt32ToInt16Multiplier. */
const toInt16Multiplier = (m: number) => (m >= 2147483647 - (1 << 15) ? I16_MAX : (m + (1 << 15)) >> 16);

export function hardSwish(): NodeBuilder {
  return elementwise((x, y) => {
    expectDType(x, ["int8"], "input");
    expectDType(y, ["int8"], "output");
    const qx = expectQuant(x, "input"), qy = expectQuant(y, "output");
    const hires = Math.fround(Math.fround(1 / 128) * Math.fround(qx.scale[0]));
    const out = quantizeMultiplier(Math.fround(hires / Math.fround(qy.scale[0])));
    if (out.shift > 0) throw new UnsupportedError("HARD_SWISH output multiplier above one");
    const relu = quantizeMultiplier(Math.fround(hires / Math.fround(3 / 32768)));
    const outM = toInt16Multiplier(out.multiplier), reluM = toInt16Multiplier(relu.multiplier);
    const zx = qx.zeroPoint[0], zy = qy.zeroPoint[0];
    return (v) => {
      const input = (v - zx) << 16 >> 16;
      const hiresInput = (input * 128) << 16 >> 16;
      const preshift = srdhm16(hiresInput, outM);
      let r = hiresInput;
      if (relu.shift > 0) r = sat16(r * 2 ** (relu.shift - 1));
      r = srdhm16(r, reluM);
      if (relu.shift > 0) r = sat16(r * 2);
      if (relu.shift < 0) r = rdbpot16(r, -relu.shift);
      r = (r + (1 << 15)) >> 1;
      const pre = sdhm16(r, preshift);
      const o = rdbpot16(pre, -out.shift) + zy;
      return Math.min(127, Math.max(-128, o));
    };
  });
}
