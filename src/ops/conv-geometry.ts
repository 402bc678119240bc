// Output size and padding of a 2-D window (conv, depthwise, pool), as TFLite computes them
// (tflite-micro kernels/padding.h, ComputePaddingHeightWidth): SAME pads half the excess before (rounded
// down), VALID pads nothing.

import { ShapeError } from "../errors.js";

/** TFLite's SAME and VALID, or explicit pads before and after (ONNX `pads`). */
export type Padding = "SAME" | "VALID" | ExplicitPads;

/** Explicit pads per spatial axis: [top, left] before, [bottom, right] after. */
export interface ExplicitPads {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export interface Window1D {
  out: number;
  padBefore: number;
}

export function window1d(padding: "SAME" | "VALID" | { before: number; after: number }, size: number, kernel: number, stride: number, dilation: number, what: string): Window1D {
  if (!(stride >= 1) || !(dilation >= 1) || !(kernel >= 1)) {
    throw new ShapeError(`${what}: stride ${stride}, dilation ${dilation} and kernel ${kernel} must be at least 1`);
  }
  const effective = (kernel - 1) * dilation + 1;
  if (typeof padding === "object") {
    const out = Math.floor((size + padding.before + padding.after - effective) / stride) + 1;
    if (out < 1 || padding.before < 0 || padding.after < 0) throw new ShapeError(`${what}: pads ${padding.before}/${padding.after} leave no output`);
    return { out, padBefore: padding.before };
  }
  const out = padding === "SAME" ? Math.floor((size + stride - 1) / stride) : Math.floor((size + stride - effective) / stride);
  if (out < 1) throw new ShapeError(`${what}: a window of ${effective} does not fit an input of ${size} with VALID padding`);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  return { out, padBefore: padding === "SAME" ? Math.floor(total / 2) : 0 };
}

/** The window along height and width for any padding (SAME, VALID or explicit). */
export function window2d(
  padding: "SAME" | "VALID" | ExplicitPads, h: number, w: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, what: string,
): [Window1D, Window1D] {
  if (typeof padding === "object") {
    return [
      window1d({ before: padding.top, after: padding.bottom }, h, kh, sh, dh, `${what} height`),
      window1d({ before: padding.left, after: padding.right }, w, kw, sw, dw, `${what} width`),
    ];
  }
  return [window1d(padding, h, kh, sh, dh, `${what} height`), window1d(padding, w, kw, sw, dw, `${what} width`)];
}
