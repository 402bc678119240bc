// The requantization modes as plain TypeScript references (DESIGN.md §2): short, exact (BigInt where the C
// code uses 64 bits), and slow. The kernels in assembly/requant.ts must equal them bit for bit.

import type { RequantMode } from "./multiplier.js";
import { rdbpot } from "./fixed-point.js";

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

const toI32 = (x: bigint): number => Number(BigInt.asIntN(32, x));
const clampI32 = (x: bigint): number => (x > BigInt(I32_MAX) ? I32_MAX : x < BigInt(I32_MIN) ? I32_MIN : Number(x));

/** gemmlowp SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31 truncated, saturating MIN*MIN. */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === I32_MIN && b === I32_MIN) return I32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return toI32((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, like C
}

/** gemmlowp RoundingDivideByPOT: x / 2^e, rounded half away from zero (exact in plain int32 arithmetic). */
export const roundingDivideByPOT = rdbpot;

/** TFLite MultiplyByQuantizedMultiplier, double rounding (the default build). */
export function requantTflite(acc: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const shifted = toI32(BigInt(acc) << BigInt(left)); // x * (1 << left): wraps like the compiled C
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, multiplier), right);
}

/** TFLite MultiplyByQuantizedMultiplier with TFLITE_SINGLE_ROUNDING; saturates where TFLite asserts. */
export function requantSingle(acc: number, multiplier: number, shift: number): number {
  const total = BigInt(31 - shift);
  return clampI32((BigInt(acc) * BigInt(multiplier) + (1n << (total - 1n))) >> total);
}

/**
 * TFLite's int64 MultiplyByQuantizedMultiplier for the 16x8 kernels: the multiplier reduced to 16 bits,
 * (m + 2^15) >> 16 (0x7FFF at the top), one rounding shift by 15 - shift; saturated to int32.
 */
export function requantTflite16x8(acc: bigint, multiplier: number, shift: number): number {
  const reduced = BigInt(multiplier < 0x7fff0000 ? (multiplier + (1 << 15)) >> 16 : 0x7fff);
  const total = BigInt(15 - shift);
  return clampI32((acc * reduced + (1n << (total - 1n))) >> total);
}

/** ONNX QLinear*: acc * scale in float32, rounded half to even, saturated to int32. */
export function requantFp32(acc: number, scale: number): number {
  const y = Math.fround(Math.fround(acc) * Math.fround(scale));
  const r = Math.round(y);
  const even = r - y === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return even > I32_MAX ? I32_MAX : even < I32_MIN ? I32_MIN : even;
}

/** One accumulator through `mode`; for fp32, `param` is the float multiplier and `shift` is unused. */
export function requantize(mode: RequantMode, acc: number, param: number, shift: number): number {
  if (mode === "tflite") return requantTflite(acc, param, shift);
  if (mode === "single") return requantSingle(acc, param, shift);
  return requantFp32(acc, param);
}

/** The output stage: clamp(r + zeroPoint, qmin, qmax), in exact arithmetic. */
export function outputStage(r: number, zeroPoint: number, qmin: number, qmax: number): number {
  const v = r + zeroPoint;
  return v < qmin ? qmin : v > qmax ? qmax : v;
}
