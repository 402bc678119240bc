// Fused activations as quantized clamps, as TFLite's CalculateActivationRangeQuantized
// (tflite-micro tensorflow/lite/kernels/kernel_util.cc): the real bounds 0 and 6 map to
// zeroPoint + round(bound / scale) (half away from zero), intersected with the dtype's range.

import { UnsupportedError } from "../errors.js";
import { DTYPES } from "../tensor/dtype.js";

export type FusedActivation = "none" | "relu" | "relu_n1_to_1" | "relu6";

export function activationClamp(
  activation: FusedActivation, scale: number, zeroPoint: number, dtype: "int8" | "uint8" | "int16",
): { min: number; max: number } {
  const { min, max } = DTYPES[dtype];
  const q = (r: number) => {
    const v = Math.fround(r / Math.fround(scale)); // float division, as the C++ code
    return zeroPoint + Math.sign(v) * Math.round(Math.abs(v));
  };
  switch (activation) {
    case "none":
      return { min, max };
    case "relu":
      return { min: Math.max(min, q(0)), max };
    case "relu6":
      return { min: Math.max(min, q(0)), max: Math.min(max, q(6)) };
    case "relu_n1_to_1":
      return { min: Math.max(min, q(-1)), max: Math.min(max, q(1)) };
    default:
      throw new UnsupportedError(`activationClamp: unknown activation ${String(activation)}`);
  }
}
