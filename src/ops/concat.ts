// CONCATENATION (TFLite) of tensors that share the output's dtype and quantization (as tflite-micro's
// concatenation requires for int8): a copy of each input's block along the axis.

import { ShapeError, UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { DTYPE_BYTES } from "../graph/ir.js";

export function concatenation(axisIn: number): NodeBuilder {
  return (ctx) => {
    const y = ctx.output(0, "output");
    const inputs = ctx.node.inputs.map((_, i) => ctx.input(i, `input${i}`));
    if (inputs.length === 0) throw new ShapeError("CONCATENATION needs at least one input");
    const first = inputs[0].shape;
    const rank = first.length;
    const axis = axisIn < 0 ? axisIn + rank : axisIn;
    if (axis < 0 || axis >= rank) throw new ShapeError(`axis ${axisIn} is out of range for rank ${rank}`);
    let along = 0;
    for (const t of inputs) {
      if (t.dtype !== y.dtype) throw new UnsupportedError(`input ${t.id} is ${t.dtype}, the output ${y.dtype}`);
      if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== first[i])) {
        throw new ShapeError(`input [${t.shape}] does not fit input [${first}] along axis ${axis}`);
      }
      if (y.quant && (!t.quant || t.quant.scale[0] !== y.quant.scale[0] || t.quant.zeroPoint[0] !== y.quant.zeroPoint[0])) {
        throw new UnsupportedError(`input ${t.id} (${t.name}) is quantized differently from the output; requantizing CONCATENATION is not supported yet`);
      }
      along += t.shape[axis];
    }
    ctx.checkOutputShape(0, first.map((d, i) => (i === axis ? along : d)));
    const esize = DTYPE_BYTES[y.dtype];
    const outer = y.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = y.shape.slice(axis + 1).reduce((a, b) => a * b, 1) * esize;
    // Constant inputs (an ONNX Concat may mix them in) are uploaded once and copied like the others.
    const constants = inputs.map((t) => (t.data ? ctx.rt.upload(t.data, `${t.name} (constant)`) : null));
    const at = (i: number) => constants[i]?.ptr ?? ctx.ptr(inputs[i].id);
    return {
      run: () => {
        const mem = ctx.rt.bytes();
        let dst = ctx.ptr(y.id);
        for (let o = 0; o < outer; o++) {
          inputs.forEach((t, i) => {
            const block = t.shape[axis] * inner;
            const src = at(i) + o * block;
            mem.copyWithin(dst, src, src + block);
            dst += block;
          });
        }
      },
      dispose: () => {
        for (const c of constants.reverse()) if (c) ctx.rt.arena.free(c);
      },
    };
  };
}
