// Ops that move bytes without arithmetic: RESHAPE, TRANSPOSE, PAD (TFLite reference: reference/pad.h,
// reference/transpose.h). They work on the tensors' bytes in linear memory and keep quantization unchanged
// (PAD fills with the output zero point, i.e. real 0, as TFLite's quantized PAD does).

import { ShapeError, UnsupportedError, QuantParamError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { DTYPE_BYTES, byteSize } from "../graph/ir.js";
import { constantArray, elementCount } from "./graph-tensors.js";

/**
 * The output of RESHAPE: `target` with one -1 resolved from the element count (TFLite's new_shape or shape
 * input), or, without a target, the declared shape when it holds the same elements (a SQUEEZE or an ONNX
 * reshape whose shape the importer computed).
 */
function reshapedShape(x: readonly number[], declared: readonly number[], target: readonly number[] | null): readonly number[] {
  const count = x.reduce((a, b) => a * b, 1);
  if (target === null) {
    if (declared.reduce((a, b) => a * b, 1) !== count) throw new ShapeError(`[${declared}] does not hold the ${count} elements of [${x}]`);
    return declared;
  }
  const known = target.filter((d) => d !== -1);
  if (target.length - known.length > 1 || known.some((d) => !(d >= 0))) throw new ShapeError(`new shape [${target}] is not a shape (one -1 at most)`);
  const rest = known.reduce((a, b) => a * b, 1);
  if (known.length === target.length) {
    if (rest !== count) throw new ShapeError(`new shape [${target}] does not hold the ${count} elements of [${x}]`);
    return target;
  }
  if (rest === 0 || count % rest !== 0) throw new ShapeError(`new shape [${target}] cannot hold the ${count} elements of [${x}]`);
  return target.map((d) => (d === -1 ? count / rest : d));
}

type Target = readonly number[] | ((input: readonly number[]) => readonly number[]) | null;

/** RESHAPE (and an ONNX reshape): `target` as in reshapedShape; with `fromInput`, TFLite's shape input 1 when it is a constant. */
export function reshape(target: Target = null, fromInput = false): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), y = ctx.output(0, "output");
    if (x.dtype !== y.dtype) throw new ShapeError(`cannot reshape ${x.dtype} to ${y.dtype}`);
    const shapeT = fromInput ? ctx.optionalInput(1) : null;
    const wanted = shapeT?.data && shapeT.dtype === "int32" ? Array.from(constantArray(shapeT, Int32Array, "shape"))
      : typeof target === "function" ? target(x.shape) : target;
    ctx.checkOutputShape(0, reshapedShape(x.shape, y.shape, wanted));
    const bytes = byteSize(x);
    return {
      run: () => ctx.rt.bytes().copyWithin(ctx.ptr(y.id), ctx.ptr(x.id), ctx.ptr(x.id) + bytes),
      dispose: () => {},
    };
  };
}

/** SQUEEZE: the listed axes (every axis of size 1 when none are listed) leave the shape. */
export function squeeze(dims: readonly number[]): NodeBuilder {
  return reshape((shape) => {
    const axes = dims.map((d) => (d < 0 ? d + shape.length : d));
    for (const a of axes) if (!(a >= 0 && a < shape.length) || shape[a] !== 1) throw new ShapeError(`squeeze_dims [${dims}] name an axis of [${shape}] that is not 1`);
    return shape.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1));
  });
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
    if (x.dtype !== y.dtype) throw new ShapeError(`TRANSPOSE of ${x.dtype} into ${y.dtype}`);
    ctx.checkOutputShape(0, perm.map((p) => x.shape[p]));
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
    if (x.dtype !== y.dtype) throw new ShapeError(`PAD of ${x.dtype} into ${y.dtype}`);
    ctx.checkOutputShape(0, x.shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]));
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
