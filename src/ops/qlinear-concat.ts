// com.microsoft QLinearConcat: inputs with their own 8-bit quantizations joined along an axis into one
// output quantization. onnxruntime (contrib_ops/cpu/quantization/qlinear_concat.cc) copies an input whose
// scale and zero point equal the output's and otherwise maps it through a 256-entry table built as its
// QlinearBuildLookupTable does (dequantize, then MlasQuantizeLinear): the same here, so results match it.

import type { NodeBuilder } from "../graph/node.js";
import { ShapeError } from "../errors.js";
import { elementCount } from "./graph-tensors.js";

/** `tables[i]` maps input i's bytes to the output's, or is null where input i is copied as is. */
export function qlinearConcat(axis: number, tables: (Uint8Array | null)[]): NodeBuilder {
  return (ctx) => {
    const inputs = tables.map((_, i) => ctx.input(i, `X${i}`));
    if (inputs.length === 0) throw new ShapeError("concat needs at least one input");
    const first = inputs[0].shape;
    const rank = first.length;
    if (!(axis >= 0 && axis < rank)) throw new ShapeError(`concat axis ${axis} is outside rank ${rank}`);
    let along = 0;
    for (const x of inputs) {
      if (x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== first[i])) {
        throw new ShapeError(`input [${x.shape}] does not concatenate with [${first}] along axis ${axis}`);
      }
      along += x.shape[axis];
    }
    const y = ctx.checkOutputShape(0, first.map((d, i) => (i === axis ? along : d)));
    const outer = y.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const chunks = inputs.map((x) => (outer === 0 ? 0 : elementCount(x) / outer));
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const dst = new Uint8Array(buffer, ctx.ptr(y.id), elementCount(y));
        const srcs = inputs.map((x) => new Uint8Array(buffer, ctx.ptr(x.id), elementCount(x)));
        let o = 0;
        for (let r = 0; r < outer; r++) {
          for (let k = 0; k < inputs.length; k++) {
            const n = chunks[k], src = srcs[k], table = tables[k];
            const base = r * n;
            if (table === null) dst.set(src.subarray(base, base + n), o);
            else for (let i = 0; i < n; i++) dst[o + i] = table[src[base + i]];
            o += n;
          }
        }
      },
      dispose: () => {},
    };
  };
}
