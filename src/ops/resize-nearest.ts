// ONNX Resize with mode "nearest" (opset 11+), any element type: each output index maps to one input index per
// axis, computed as onnxruntime does in float32 (core/providers/cpu/tensor/upsample): the original coordinate
// by the coordinate_transformation_mode (half_pixel, pytorch_half_pixel, align_corners, asymmetric,
// tf_half_pixel_for_nn), rounded by the nearest_mode (round_prefer_floor, round_prefer_ceil, floor, ceil),
// clamped to the axis; an axis of scale 1 is copied unchanged. The scale per axis is the given one, or output /
// input size in float32.

import { ShapeError, UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { DTYPE_BYTES } from "../graph/ir.js";

export type CoordinateMode = "half_pixel" | "pytorch_half_pixel" | "align_corners" | "asymmetric" | "tf_half_pixel_for_nn";
export type NearestMode = "round_prefer_floor" | "round_prefer_ceil" | "floor" | "ceil";

/** The input index read by each output index along one axis. */
export function nearestIndices(inSize: number, outSize: number, scale: number, coordinate: CoordinateMode, nearest: NearestMode): Int32Array {
  const f = Math.fround;
  const s = f(scale);
  const original = (o: number): number => {
    switch (coordinate) {
      case "half_pixel": return f(f(f(o + 0.5) / s) - 0.5);
      case "pytorch_half_pixel": return outSize > 1 ? f(f(f(o + 0.5) / s) - 0.5) : 0;
      case "align_corners": return outSize === 1 ? 0 : f(f(o * (inSize - 1)) / (outSize - 1));
      case "asymmetric": return f(o / s);
      case "tf_half_pixel_for_nn": return f(f(o + 0.5) / s);
      default: throw new UnsupportedError(`Resize: coordinate_transformation_mode ${String(coordinate)}`);
    }
  };
  const round = (x: number): number => {
    switch (nearest) {
      case "round_prefer_floor": return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);
      case "round_prefer_ceil": return Math.round(x); // JS rounds halves up
      case "floor": return Math.floor(x);
      case "ceil": return Math.ceil(x);
      default: throw new UnsupportedError(`Resize: nearest_mode ${String(nearest)}`);
    }
  };
  // An axis with scale 1 is copied as it is (onnxruntime does not transform it, whatever the modes say).
  if (s === 1 && outSize === inSize) return Int32Array.from({ length: outSize }, (_, o) => o);
  return Int32Array.from({ length: outSize }, (_, o) => Math.min(inSize - 1, Math.max(0, round(original(o)))));
}

/** `maps[d]`: the input index of each output index along physical axis d. */
export function resizeNearest(maps: Int32Array[]): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "X");
    const rank = x.shape.length;
    if (maps.length !== rank || maps.some((m, d) => m.some((i) => !(i >= 0 && i < x.shape[d])))) throw new ShapeError(`the index maps do not fit input [${x.shape}]`);
    const y = ctx.checkOutputShape(0, maps.map((m) => m.length));
    const esize = DTYPE_BYTES[x.dtype];
    const inStrides = x.shape.map((_, d) => x.shape.slice(d + 1).reduce((a, b) => a * b, 1) * esize);
    return {
      run: () => {
        const mem = ctx.rt.bytes();
        const src = ctx.ptr(x.id);
        let at = ctx.ptr(y.id);
        const walk = (d: number, offset: number): void => {
          if (d === rank - 1) {
            for (const i of maps[d]) {
              const from = offset + i * esize;
              for (let b = 0; b < esize; b++) mem[at++] = mem[from + b];
            }
            return;
          }
          for (const i of maps[d]) walk(d + 1, offset + i * inStrides[d]);
        };
        walk(0, src);
      },
      dispose: () => {},
    };
  };
}
