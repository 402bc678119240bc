// ADD (TFLite, int8 and int16 with general scales, same shapes): reference tflite-micro kernels/internal/
// reference/integer_ops/add.h (int8) and reference/add.h (int16, pot_scale_int16 = false), parameters as
// kernels/add_common.cc sets them: left shift 20 (int8) or 15 (int16), each input rescaled by its scale over
// twice the larger input scale, the sum by that over (2^shift * output scale), all computed in double and
// quantized with QuantizeMultiplier (multipliers below one).

import { sameShape } from "../tensor/shape.js";
import { UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { quantizeMultiplier } from "../quant/multiplier.js";
import { elementCount, expectDType, expectQuant } from "./graph-tensors.js";

/** From this many elements an int8 ADD runs as a 64K-entry table (building it costs one 65,536-element ADD). */
const TABLE_FROM = 4096;

export function add(activation: FusedActivation, potScaleInt16 = false): NodeBuilder {
  return (ctx) => {
    const rt = ctx.rt;
    const a = ctx.input(0, "input1"), b = ctx.input(1, "input2"), y = ctx.output(0, "output");
    for (const [t, role] of [[a, "input1"], [b, "input2"], [y, "output"]] as const) expectDType(t, ["int8", "int16"], role);
    if (a.dtype !== y.dtype || b.dtype !== y.dtype) throw new UnsupportedError(`ADD of ${a.dtype} and ${b.dtype} into ${y.dtype}`);
    const int16 = y.dtype === "int16";
    if (int16 && potScaleInt16) throw new UnsupportedError("int16 ADD with power-of-two scales (pot_scale_int16) is not supported yet");
    const LEFT_SHIFT = int16 ? 15 : 20;
    if (!sameShape(a.shape, b.shape)) throw new UnsupportedError(`broadcasting ADD ([${a.shape}] + [${b.shape}]) is not supported on this path`);
    ctx.checkOutputShape(0, a.shape);
    if (a.data || b.data) throw new UnsupportedError("ADD of a constant tensor is not supported yet");
    const qa = expectQuant(a, "input1"), qb = expectQuant(b, "input2"), qy = expectQuant(y, "output");
    const sa = Math.fround(qa.scale[0]), sb = Math.fround(qb.scale[0]), sy = Math.fround(qy.scale[0]);
    const twiceMax = 2 * Math.max(sa, sb);
    const m1 = quantizeMultiplier(sa / twiceMax), m2 = quantizeMultiplier(sb / twiceMax);
    const mo = quantizeMultiplier(twiceMax / ((1 << LEFT_SHIFT) * sy));
    const clamp = activationClamp(activation, sy, qy.zeroPoint[0], y.dtype as "int8" | "int16");
    const params = Int32Array.of(qa.zeroPoint[0], qb.zeroPoint[0], qy.zeroPoint[0], LEFT_SHIFT,
      m1.multiplier, m1.shift, m2.multiplier, m2.shift, mo.multiplier, mo.shift, clamp.min, clamp.max);
    const fn = rt.binary(rt.kernel("add", int16 ? "s16" : "s8", "none", "tflite"));
    const n = elementCount(y);
    if (int16 || n < TABLE_FROM) {
      const block = rt.upload(params, "add params");
      return {
        run: () => fn(n, ctx.ptr(a.id), ctx.ptr(b.id), ctx.ptr(y.id), block.ptr),
        dispose: () => rt.arena.free(block),
      };
    }
    // int8: the result depends only on the two input bytes, so the kernel computes all 65,536 once, at load,
    // into a table indexed by (a byte << 8 | b byte); a run is one lookup per element: exact by construction.
    // The table is allocated first, so that the scratch below it returns to the arena at once.
    const table = rt.arena.alloc(65536, "ADD result table");
    rt.arena.scope(() => {
      const block = rt.upload(params, "add params");
      const xs = rt.arena.alloc(65536, "ADD table inputs a"), ys = rt.arena.alloc(65536, "ADD table inputs b");
      const bytes = rt.bytes();
      for (let i = 0; i < 65536; i++) (bytes[xs.ptr + i] = i >> 8), (bytes[ys.ptr + i] = i & 255);
      fn(65536, xs.ptr, ys.ptr, table.ptr, block.ptr);
    });
    return {
      run: () => rt.lookup2U8(ctx.ptr(a.id), ctx.ptr(b.id), table.ptr, ctx.ptr(y.id), n),
      dispose: () => rt.arena.free(table),
    };
  };
}
