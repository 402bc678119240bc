// Validation of the quantization arguments that ops share: activation and output parameters, clamps.

import { DTypeError, QuantParamError } from "../errors.js";
import { DTYPES } from "../tensor/dtype.js";

export type ActivationDType = "int8" | "uint8";

export interface ActivationQuant {
  dtype: ActivationDType;
  /** Required unless the output is int32. */
  scale?: number;
  zeroPoint?: number;
}

export interface Int8OutputQuant {
  dtype: ActivationDType;
  scale: number;
  zeroPoint?: number;
}

export interface Int32Output {
  dtype: "int32";
}

export type OutputQuant = Int8OutputQuant | Int32Output;

export function checkActivationDType(dtype: unknown, what: string): asserts dtype is ActivationDType {
  if (dtype !== "int8" && dtype !== "uint8") throw new DTypeError(`${what}: dtype must be int8 or uint8, got ${String(dtype)}`);
}

export function checkScale(scale: unknown, what: string): number {
  if (typeof scale !== "number" || !Number.isFinite(scale) || !(scale > 0) || !(Math.fround(scale) > 0)) {
    throw new QuantParamError(`${what}: scale must be a finite positive float32, got ${String(scale)}`);
  }
  return Math.fround(scale);
}

export function checkZeroPoint(zp: unknown, dtype: ActivationDType, what: string): number {
  const { min, max } = DTYPES[dtype];
  if (zp === undefined) return 0;
  if (typeof zp !== "number" || !Number.isInteger(zp) || zp < min || zp > max) {
    throw new QuantParamError(`${what}: zeroPoint must be an integer in the ${dtype} range [${min}, ${max}], got ${String(zp)}`);
  }
  return zp;
}

/** Quantized output bounds [qmin, qmax] within the dtype's range (a fused activation is such a clamp). */
export function checkClamp(clamp: { min?: number; max?: number } | undefined, dtype: ActivationDType, what: string): [number, number] {
  const { min, max } = DTYPES[dtype];
  const lo = clamp?.min ?? min;
  const hi = clamp?.max ?? max;
  for (const [name, v] of [["min", lo], ["max", hi]] as const) {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new QuantParamError(`${what}: clamp.${name} must be an integer in the ${dtype} range [${min}, ${max}], got ${v}`);
    }
  }
  if (lo > hi) throw new QuantParamError(`${what}: clamp.min ${lo} is greater than clamp.max ${hi}`);
  return [lo, hi];
}
