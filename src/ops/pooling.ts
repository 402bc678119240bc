// AVERAGE_POOL_2D and MAX_POOL_2D (TFLite, int8/int16, NHWC; max also uint8 for ONNX MaxPool): reference
// integer_ops/pooling.h. Only taps
// inside the image count; the average divides by their number rounding half away from zero (integer
// division, as the C code); both clamp to the fused activation's range.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { expectDType, expectQuant } from "./graph-tensors.js";
import { window2d, type Padding } from "./conv-geometry.js";

export interface PoolOptions {
  padding: Padding;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  activation: FusedActivation;
}

export function pool(kind: "average" | "max", o: PoolOptions): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.output(0, "output");
    // uint8 only for max (ONNX MaxPool on QOperator models' uint8 tensors); max needs no arithmetic on values.
    expectDType(x, kind === "max" ? ["int8", "uint8", "int16"] : ["int8", "int16"], "input");
    expectDType(y, [x.dtype], "output");
    if (x.shape.length !== 4) throw new ShapeError(`input must be NHWC, got [${x.shape}]`);
    const [n, h, w, c] = x.shape;
    const [row, col] = window2d(o.padding, h, w, o.filterH, o.filterW, o.strideH, o.strideW, 1, 1, "pool");
    const want = [n, row.out, col.out, c];
    if (want.some((d, i) => d !== y.shape[i])) throw new ShapeError(`output is [${y.shape}], pooling gives [${want}]`);
    const qy = expectQuant(y, "output");
    const { min, max } = activationClamp(o.activation, qy.scale[0], qy.zeroPoint[0], y.dtype as "int8" | "uint8" | "int16");
    const Arr = x.dtype === "int16" ? Int16Array : x.dtype === "uint8" ? Uint8Array : Int8Array;
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = new Arr(buffer, ctx.ptr(x.id), n * h * w * c);
        const dst = new Arr(buffer, ctx.ptr(y.id), n * row.out * col.out * c);
        let o2 = 0;
        for (let b = 0; b < n; b++) for (let oy = 0; oy < row.out; oy++) for (let ox = 0; ox < col.out; ox++) {
          const y0 = oy * o.strideH - row.padBefore, x0 = ox * o.strideW - col.padBefore;
          const ys = Math.max(0, -y0), ye = Math.min(o.filterH, h - y0), xs = Math.max(0, -x0), xe = Math.min(o.filterW, w - x0);
          for (let ch = 0; ch < c; ch++) {
            let acc = kind === "max" ? -Infinity : 0;
            for (let fy = ys; fy < ye; fy++) for (let fx = xs; fx < xe; fx++) {
              const v = src[((b * h + y0 + fy) * w + x0 + fx) * c + ch];
              acc = kind === "max" ? Math.max(acc, v) : acc + v;
            }
            if (kind === "average") {
              const count = (ye - ys) * (xe - xs);
              const half = Math.floor(count / 2);
              acc = acc > 0 ? Math.trunc((acc + half) / count) : Math.trunc((acc - half) / count);
            }
            dst[o2++] = Math.min(max, Math.max(min, acc));
          }
        }
      },
      dispose: () => {},
    };
  };
}
