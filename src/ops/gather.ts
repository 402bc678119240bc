// ONNX Gather with constant indices (any element type): out[..., i, ...] = data[..., indices[i], ...] along
// `axis`; the indices already normalized to [0, dim) by the importer. A byte copy per (outer, index) block.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { DTYPE_BYTES } from "../graph/ir.js";

/** `indicesShape`: the indices tensor's shape, which replaces the axis in the output's. */
export function gather(axis: number, indices: readonly number[], indicesShape: readonly number[]): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "data");
    if (!(axis >= 0 && axis < x.shape.length) || indices.some((i) => !(i >= 0 && i < x.shape[axis]))) {
      throw new ShapeError(`indices [${indices.slice(0, 8)}${indices.length > 8 ? ", ..." : ""}] along axis ${axis} do not fit data [${x.shape}]`);
    }
    if (indicesShape.reduce((a, b) => a * b, 1) !== indices.length) throw new ShapeError(`${indices.length} indices for an indices shape [${indicesShape}]`);
    const y = ctx.checkOutputShape(0, [...x.shape.slice(0, axis), ...indicesShape, ...x.shape.slice(axis + 1)]);
    const esize = DTYPE_BYTES[x.dtype];
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1) * esize;
    const dim = x.shape[axis];
    return {
      run: () => {
        const mem = ctx.rt.bytes();
        const src = ctx.ptr(x.id), dst = ctx.ptr(y.id);
        let at = dst;
        for (let o = 0; o < outer; o++) {
          for (const i of indices) {
            const from = src + (o * dim + i) * inner;
            mem.copyWithin(at, from, from + inner);
            at += inner;
          }
        }
      },
      dispose: () => {},
    };
  };
}
