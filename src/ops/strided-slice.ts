// STRIDED_SLICE (TFLite) with begin/end/shrink masks: reference tflite-micro kernels/internal/
// strided_slice_logic.h (StartForAxis, StopForAxis): masked begins start at the first (or, for negative
// strides, last) index, masked ends run to the end; negative indices count from the end; values clamp to the
// axis. Ellipsis and new-axis masks are not supported. Any element type; bytes are copied.

import { ShapeError, UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { DTYPE_BYTES } from "../graph/ir.js";
import { constantArray } from "./graph-tensors.js";

export interface StridedSliceOptions {
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
  offset: boolean;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function stridedSlice(o: StridedSliceOptions): NodeBuilder {
  return (ctx) => {
    if (o.ellipsisMask || o.newAxisMask) throw new UnsupportedError("STRIDED_SLICE with ellipsis or new-axis masks is not supported");
    const x = ctx.input(0, "input"), y = ctx.output(0, "output");
    const begin = Array.from(constantArray(ctx.input(1, "begin"), Int32Array, "begin"));
    const end = Array.from(constantArray(ctx.input(2, "end"), Int32Array, "end"));
    const strides = Array.from(constantArray(ctx.input(3, "strides"), Int32Array, "strides"));
    const rank = x.shape.length;
    if (begin.length !== rank || end.length !== rank || strides.length !== rank) throw new ShapeError(`begin, end and strides must have ${rank} values`);
    const starts: number[] = [], counts: number[] = [];
    for (let d = 0; d < rank; d++) {
      const dim = x.shape[d], s = strides[d];
      if (s === 0) throw new ShapeError(`stride ${d} is 0`);
      let start = begin[d];
      if (o.beginMask & (1 << d)) start = s > 0 ? 0 : dim - 1;
      else {
        if (start < 0) start += dim;
        start = s > 0 ? clamp(start, 0, dim) : clamp(start, -1, dim - 1);
      }
      let stop: number;
      if (o.shrinkAxisMask & (1 << d)) stop = start + 1;
      else if (o.endMask & (1 << d)) stop = s > 0 ? dim : -1;
      else {
        stop = o.offset ? start + end[d] : end[d];
        if (!o.offset && stop < 0) stop += dim;
        stop = s > 0 ? clamp(stop, 0, dim) : clamp(stop, -1, dim - 1);
      }
      starts.push(start);
      counts.push(Math.max(0, Math.ceil((stop - start) / s)));
    }
    const total = counts.reduce((a, b) => a * b, 1);
    if (x.dtype !== y.dtype) throw new ShapeError(`STRIDED_SLICE of ${x.dtype} into ${y.dtype}`);
    // Shrunk axes leave the output (reference: strided_slice.cc's output shape).
    ctx.checkOutputShape(0, counts.filter((_, d) => !(o.shrinkAxisMask & (1 << d))));
    const esize = DTYPE_BYTES[x.dtype];
    if (!Number.isInteger(esize)) throw new UnsupportedError(`STRIDED_SLICE of ${x.dtype}`);
    const inStrides = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    // Rows along the last axis: one copy when its stride is 1, else an element loop over a typed view.
    const last = rank - 1, rowLength = rank ? counts[last] : 1, rows = rowLength ? total / rowLength : 0;
    const Words = { 1: Uint8Array, 2: Uint16Array, 4: Uint32Array, 8: BigUint64Array }[esize as 1 | 2 | 4 | 8];
    return {
      run: () => {
        if (total === 0) return;
        const mem = ctx.rt.bytes();
        const src = ctx.ptr(x.id), dst = ctx.ptr(y.id);
        const idx = new Array<number>(rank).fill(0);
        for (let r = 0; r < rows; r++) {
          let from = 0;
          for (let d = 0; d < last; d++) from += (starts[d] + idx[d] * strides[d]) * inStrides[d];
          from += rank ? starts[last] : 0;
          const at = dst + r * rowLength * esize;
          if (rank === 0 || strides[last] === 1) {
            mem.copyWithin(at, src + from * esize, src + (from + rowLength) * esize);
          } else {
            // Slices of the engine's memory: element offsets stay aligned, since both tensors are 16-byte aligned.
            const buffer = mem.buffer as ArrayBuffer;
            const out = new Words(buffer, at, rowLength), input = new Words(buffer, src);
            for (let i = 0, j = from; i < rowLength; i++, j += strides[last]) out[i] = input[j];
          }
          for (let d = last - 1; d >= 0; d--) {
            if (++idx[d] < counts[d]) break;
            idx[d] = 0;
          }
        }
      },
      dispose: () => {},
    };
  };
}
