// AVERAGE_POOL_2D and MAX_POOL_2D (TFLite, int8/int16, NHWC; max also uint8 for ONNX MaxPool): reference
// integer_ops/pooling.h. Only taps inside the image count; the average divides by their number rounding half
// away from zero (integer division, as the C code); both clamp to the fused activation's range. The loop is
// assembly/elementwise/pool.ts (test/pool.test.ts holds it to a plain-loop reference).

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
    ctx.checkOutputShape(0, [n, row.out, col.out, c]);
    const qy = expectQuant(y, "output");
    const { min, max } = activationClamp(o.activation, qy.scale[0], qy.zeroPoint[0], y.dtype as "int8" | "uint8" | "int16");
    const dtype = x.dtype === "int16" ? 2 : x.dtype === "uint8" ? 1 : 0;
    const params = new Int32Array([n, h, w, c, row.out, col.out, o.strideH, o.strideW, row.padBefore, col.padBefore, o.filterH, o.filterW, dtype, kind === "average" ? 1 : 0, min, max]);
    const block = ctx.rt.upload(params, "pool params");
    return {
      run: () => ctx.rt.poolNhwc(ctx.ptr(x.id), ctx.ptr(y.id), block.ptr),
      dispose: () => ctx.rt.arena.free(block),
    };
  };
}
