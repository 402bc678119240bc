// Output size and padding of a 2-D window (conv, depthwise, pool), as TFLite computes them
// (tflite-micro kernels/padding.h, ComputePaddingHeightWidth): SAME pads half the excess before (rounded
// down), VALID pads nothing.

import { ShapeError } from "../errors.js";

export type Padding = "SAME" | "VALID";

export interface Window1D {
  out: number;
  padBefore: number;
}

export function window1d(padding: Padding, size: number, kernel: number, stride: number, dilation: number, what: string): Window1D {
  if (!(stride >= 1) || !(dilation >= 1) || !(kernel >= 1)) {
    throw new ShapeError(`${what}: stride ${stride}, dilation ${dilation} and kernel ${kernel} must be at least 1`);
  }
  const effective = (kernel - 1) * dilation + 1;
  const out = padding === "SAME" ? Math.floor((size + stride - 1) / stride) : Math.floor((size + stride - effective) / stride);
  if (out < 1) throw new ShapeError(`${what}: a window of ${effective} does not fit an input of ${size} with VALID padding`);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  return { out, padBefore: padding === "SAME" ? Math.floor(total / 2) : 0 };
}
