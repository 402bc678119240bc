// Real multiplier -> (int32 multiplier, shift), as TFLite's QuantizeMultiplier
// (tflite-micro tensorflow/lite/kernels/internal/quantization_util.cc):
//   q, shift = frexp(real)              real = q * 2^shift, q in [0.5, 1)
//   m = round(q * 2^31)                 half away from zero (TfLiteRound)
//   m == 2^31  ->  m = 2^30, shift + 1
//   shift < -31  ->  m = 0, shift = 0   (everything would shift out)
//   single rounding: shift > 30  ->  m = 2^31 - 1, shift = 30
// so that real ≈ m * 2^(shift - 31): the "dyadic" number of the survey (b / 2^c).

import { QuantParamError } from "../errors.js";

export type RequantMode = "tflite" | "single" | "fp32";
export const REQUANT_MODES: readonly RequantMode[] = ["tflite", "single", "fp32"];

export interface QuantizedMultiplier {
  /** In [2^30, 2^31) or 0. */
  readonly multiplier: number;
  /** Positive: left shift; negative: right shift. */
  readonly shift: number;
  /** The real multiplier the pair represents, m * 2^(shift - 31). */
  readonly represented: number;
  /** Relative error of `represented` against the requested real multiplier. */
  readonly error: number;
}

/** frexp: x = q * 2^e with q in [0.5, 1), for finite x > 0. */
function frexp(x: number): [number, number] {
  let e = Math.floor(Math.log2(x)) + 1;
  let q = x / 2 ** e;
  // log2 can be off by one near powers of two; scaling by 2 is exact.
  while (q >= 1) (q /= 2), e++;
  while (q < 0.5) (q *= 2), e--;
  return [q, e];
}

export function quantizeMultiplier(real: number, mode: Exclude<RequantMode, "fp32"> = "tflite"): QuantizedMultiplier {
  if (!Number.isFinite(real) || real < 0) {
    throw new QuantParamError(`quantizeMultiplier: real multiplier must be finite and non-negative, got ${real}`);
  }
  let m = 0;
  let shift = 0;
  if (real > 0) {
    const [q, e] = frexp(real);
    shift = e;
    m = Math.round(q * 2 ** 31);
    if (m === 2 ** 31) {
      m /= 2;
      shift++;
    }
    if (shift < -31) {
      shift = 0;
      m = 0;
    }
    if (mode === "single" && shift > 30) {
      shift = 30;
      m = 2 ** 31 - 1;
    }
    if (shift > 30) {
      throw new QuantParamError(`quantizeMultiplier: real multiplier ${real} is too large (shift ${shift} > 30)`);
    }
  }
  const represented = m * 2 ** (shift - 31);
  return { multiplier: m, shift, represented, error: real === 0 ? 0 : (represented - real) / real };
}

/** The float32 multiplier of mode `fp32`: (sa * sw) / sy, each step rounded to float32 (ONNX Runtime's order). */
export function fp32Multiplier(inputScale: number, weightScale: number, outputScale: number): number {
  return Math.fround(Math.fround(Math.fround(inputScale) * Math.fround(weightScale)) / Math.fround(outputScale));
}
