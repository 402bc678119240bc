// Ops that move bytes without arithmetic: RESHAPE, TRANSPOSE, PAD (TFLite reference: reference/pad.h,
// reference/transpose.h). They work on the tensors' bytes in linear memory and keep quantization unchanged
// (PAD fills with the output zero point, i.e. real 0, as TFLite's quantized PAD does).

import { ShapeError, UnsupportedError, QuantParamError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { DTYPE_BYTES, byteSize } from "../graph/ir.js";
import { constantArray, elementCount } from "./graph-tensors.js";

export function reshape(): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.output(0, "output");
    if (x.dtype !== y.dtype || elementCount(x) !== elementCount(y)) {
      throw new ShapeError(`cannot reshape ${x.dtype} [${x.shape}] to ${y.dtype} [${y.shape}]`);
    }
    const bytes = byteSize(x);
    return {
      run: () => ctx.rt.bytes().copyWithin(ctx.ptr(y.id), ctx.ptr(x.id), ctx.ptr(x.id) + bytes),
      dispose: () => {},
    };
  };
}

function sameQuant(a: { quant: { scale: Float32Array; zeroPoint: Int32Array } | null }, b: typeof a): boolean {
  if (!a.quant || !b.quant) return a.quant === b.quant;
  return a.quant.scale[0] === b.quant.scale[0] && a.quant.zeroPoint[0] === b.quant.zeroPoint[0];
}

export function transpose(): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), permT = ctx.input(1, "perm"), y = ctx.output(0, "output");
    const perm = Array.from(constantArray(permT, Int32Array, "perm"));
    const rank = x.shape.length;
    if (perm.length !== rank || [...perm].sort().some((p, i) => p !== i)) throw new ShapeError(`perm [${perm}] is not a permutation of ${rank} axes`);
    if (x.dtype !== y.dtype || perm.some((p, i) => x.shape[p] !== y.shape[i])) throw new ShapeError(`output [${y.shape}] is not input [${x.shape}] permuted by [${perm}]`);
    if (!sameQuant(x, y)) throw new QuantParamError("TRANSPOSE must keep the quantization parameters");
    const esize = DTYPE_BYTES[x.dtype];
    if (!Number.isInteger(esize)) throw new UnsupportedError(`TRANSPOSE of ${x.dtype}`);
    // In wasm: a wider element's bytes become a last axis of stride 1, the rank is padded to six with leading 1s.
    const inStrides = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((a, b) => a * b, 1) * esize);
    const dims = [...y.shape], strides = perm.map((p) => inStrides[p]);
    if (esize > 1) dims.push(esize), strides.push(1);
    if (dims.length > 6) throw new UnsupportedError(`TRANSPOSE of rank ${rank} with ${esize}-byte elements (at most 6 axes, the element's bytes counting as one)`);
    while (dims.length < 6) dims.unshift(1), strides.unshift(0);
    const params = ctx.rt.upload(Int32Array.from([...dims, ...strides]), "transpose params");
    return {
      run: () => ctx.rt.transposeX8(ctx.ptr(x.id), ctx.ptr(y.id), params.ptr),
      dispose: () => ctx.rt.arena.free(params),
    };
  };
}

/** PAD fills with the output zero point; PADV2 (withValue) with its constant_values input. */
export function pad(withValue = false): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), padsT = ctx.input(1, "paddings"), y = ctx.output(0, "output");
    const valueT = withValue ? ctx.optionalInput(2) : null;
    const pads = Array.from(constantArray(padsT, Int32Array, "paddings"));
    const rank = x.shape.length;
    if (pads.length !== 2 * rank || pads.some((p) => p < 0)) throw new ShapeError(`paddings [${pads}] must be ${rank} non-negative pairs`);
    if (x.dtype !== y.dtype || x.shape.some((d, i) => d + pads[2 * i] + pads[2 * i + 1] !== y.shape[i])) {
      throw new ShapeError(`output [${y.shape}] is not input [${x.shape}] padded by [${pads}]`);
    }
    if (!sameQuant(x, y)) throw new QuantParamError("PAD must keep the quantization parameters");
    const esize = DTYPE_BYTES[x.dtype];
    if (esize !== 1 && esize !== 2 && esize !== 4) throw new UnsupportedError(`PAD of ${x.dtype}`);
    // The fill: the output zero point, or PADV2's constant_values, as the element's bytes.
    let fill: Uint8Array;
    if (valueT) {
      const bytes = valueT.data;
      if (!bytes || valueT.dtype !== x.dtype || bytes.length < esize) throw new ShapeError("PADV2 constant_values must be a constant of the input's dtype");
      fill = bytes.slice(0, esize);
    } else {
      if (x.dtype === "float32") throw new ShapeError("PAD of float32 needs a constant value (PADV2)");
      const zp = y.quant ? y.quant.zeroPoint[0] : 0;
      fill = new Uint8Array(new Int32Array([zp]).buffer).slice(0, esize);
    }
    // Copy the input in runs: past the last padded axis k, input and output are laid out alike, so each
    // index of the axes before k is one contiguous run of x.shape[k] * (the axes after k) elements.
    let k = rank - 1;
    while (k >= 0 && pads[2 * k] === 0 && pads[2 * k + 1] === 0) k--;
    const after = x.shape.slice(k + 1).reduce((a, b) => a * b, 1);
    const run = (k >= 0 ? x.shape[k] : 1) * after * esize;
    const runs = elementCount(x) * esize / Math.max(1, run);
    const outStrides = y.shape.map((_, i) => y.shape.slice(i + 1).reduce((a, b) => a * b, 1) * esize);
    const bytesOut = byteSize(y);
    return {
      run: () => {
        const mem = ctx.rt.bytes();
        const src = ctx.ptr(x.id), dst = ctx.ptr(y.id);
        if (esize === 1) mem.fill(fill[0], dst, dst + bytesOut);
        else for (let i = 0; i < bytesOut; i += esize) mem.set(fill, dst + i);
        for (let r = 0; r < runs; r++) {
          let rem = r, at = dst + (k >= 0 ? pads[2 * k] * outStrides[k] : 0);
          for (let d = k - 1; d >= 0; d--) {
            const i = rem % x.shape[d];
            rem = Math.floor(rem / x.shape[d]);
            at += (i + pads[2 * d]) * outStrides[d];
          }
          mem.copyWithin(at, src + r * run, src + (r + 1) * run);
        }
      },
      dispose: () => {},
    };
  };
}
