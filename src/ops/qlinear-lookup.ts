// 8-bit elementwise functions as a 256-entry table: com.microsoft QLinearLeakyRelu and QLinearSigmoid, QLinearConcat's
// requantization, and ONNX Clip on int8/uint8 (a clamp in the integer domain). onnxruntime builds the
// same table (contrib_ops/cpu/qlinear_lookup_table.cc, QlinearBuildLookupTable): each input byte dequantized
// in float32, the function applied in float32, then MlasQuantizeLinear (half to even of v / y_scale, plus
// the zero point, saturated). Checked bit for bit against onnxruntime-web.

import type { NodeBuilder } from "../graph/node.js";
import { roundHalfEven } from "../tensor/qtensor.js";
import { DTYPES } from "../tensor/dtype.js";
import { elementCount } from "./graph-tensors.js";

export interface LookupQuant {
  sx: number; zx: number; sy: number; zy: number; unsigned: boolean;
}

/** The table of y-bytes by x-byte for a float32 function `fn` between two 8-bit quantizations. */
export function lookupTable(q: LookupQuant, fn: (x: number) => number): Uint8Array {
  const f = Math.fround;
  const { min, max } = DTYPES[q.unsigned ? "uint8" : "int8"];
  const table = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) {
    const x = q.unsigned ? byte : (byte << 24) >> 24;
    const y = f(fn(f(f(q.sx) * (x - q.zx))));
    const v = roundHalfEven(f(y / f(q.sy))) + q.zy;
    table[byte] = Math.min(max, Math.max(min, v)) & 0xff;
  }
  return table;
}

export function leakyReluTable(q: LookupQuant, alpha: number): Uint8Array {
  const a = Math.fround(alpha);
  return lookupTable(q, (x) => (x >= 0 ? x : a * x));
}

// MLAS's logistic (onnxruntime core/mlas/lib/logistic.cpp, MlasLogisticKernel; Eigen's coefficients): the
// input clamped to [-18, 18], then 0.5 + p(x) / q(x) with odd p of degree 9 and even q of degree 10, clamped to
// [0, 1], every step in float32 (separate multiply and add: the wasm build has no fused multiply-add).
const LOGISTIC_ALPHA = [4.37031012579801e-11, 1.15627324459942e-07, 6.08574864600143e-05, 8.51377133304701e-03, 2.48287947061529e-01].map(Math.fround);
const LOGISTIC_BETA = [6.10247389755681e-13, 5.76102136993427e-09, 6.29106785017040e-06, 1.70198817374094e-03, 1.16817656904453e-01, 9.93151921023180e-01].map(Math.fround);

export function mlasLogistic(x: number): number {
  const f = Math.fround;
  const v = Math.min(18, Math.max(-18, x));
  const v2 = f(v * v);
  let p = LOGISTIC_ALPHA[0];
  for (let i = 1; i < LOGISTIC_ALPHA.length; i++) p = f(f(p * v2) + LOGISTIC_ALPHA[i]);
  p = f(p * v);
  let q = LOGISTIC_BETA[0];
  for (let i = 1; i < LOGISTIC_BETA.length; i++) q = f(f(q * v2) + LOGISTIC_BETA[i]);
  return Math.min(1, Math.max(0, f(f(p / q) + 0.5)));
}

/** com.microsoft QLinearSigmoid's table (contrib_ops/cpu/quantization/qlinear_activations.cc). */
export function sigmoidTable(q: LookupQuant): Uint8Array {
  return lookupTable(q, mlasLogistic);
}

/** ONNX Clip of 8-bit integers: with min > max every element becomes max, which min(max, max(min, v)) gives. */
export function clampTable(min: number, max: number, unsigned: boolean): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, byte) => Math.min(max, Math.max(min, unsigned ? byte : (byte << 24) >> 24)) & 0xff);
}

/** y[i] = table[x[i]] over raw bytes, for any 8-bit dtype (the lookup runs in wasm). */
export function qlinearLookup(table: Uint8Array): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "X"), y = ctx.checkOutputShape(0, ctx.input(0, "X").shape);
    const n = elementCount(x);
    const block = ctx.rt.upload(table, "lookup table");
    return {
      run: () => ctx.rt.lookupU8(ctx.ptr(x.id), block.ptr, ctx.ptr(y.id), n),
      dispose: () => ctx.rt.arena.free(block),
    };
  };
}
