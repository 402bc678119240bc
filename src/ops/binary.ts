// ADD, SUB and MUL with broadcasting (TFLite, int8 and int16), in TypeScript with the exact integer arithmetic
// of the references: integer_ops/add.h and reference/add.h, reference/sub.h, integer_ops/mul.h (int8) and
// reference/mul.h (int16). ADD and SUB rescale both inputs to a common 2^shift grid (shift 20 for int8, 15
// for int16 with general scales); MUL multiplies the zero-point-corrected inputs and rescales by s1*s2/sy.
// Same-shape int8/int16 ADD runs on the wasm kernel instead (add.ts).

import { UnsupportedError } from "../errors.js";
import type { GraphTensor } from "../graph/ir.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { mbqm } from "../quant/fixed-point.js";
import { quantizeMultiplier } from "../quant/multiplier.js";
import { broadcastIndices, broadcastShape } from "./broadcast.js";
import { constantArray, elementCount, expectDType, expectQuant } from "./graph-tensors.js";

export type BinaryOp = "ADD" | "SUB" | "MUL";

type Compute = (a: number, b: number) => number;

function view(mem: ArrayBuffer, t: GraphTensor, ptr: number, n: number): Int8Array | Int16Array {
  return t.dtype === "int16" ? new Int16Array(mem, ptr, n) : new Int8Array(mem, ptr, n);
}

export function binary(op: BinaryOp, activation: FusedActivation, potScaleInt16 = false): NodeBuilder {
  return (ctx) => {
    const a = ctx.input(0, "input1"), b = ctx.input(1, "input2"), y = ctx.output(0, "output");
    for (const [t, role] of [[a, "input1"], [b, "input2"], [y, "output"]] as const) expectDType(t, ["int8", "int16"], role);
    if (a.dtype !== y.dtype || b.dtype !== y.dtype) throw new UnsupportedError(`${op} of ${a.dtype} and ${b.dtype} into ${y.dtype}`);
    const int16 = y.dtype === "int16";
    if (int16 && op !== "MUL" && potScaleInt16) throw new UnsupportedError(`int16 ${op} with power-of-two scales is not supported yet`);
    const qa = expectQuant(a, "input1"), qb = expectQuant(b, "input2"), qy = expectQuant(y, "output");
    const sa = Math.fround(qa.scale[0]), sb = Math.fround(qb.scale[0]), sy = Math.fround(qy.scale[0]);
    const za = qa.zeroPoint[0], zb = qb.zeroPoint[0], zy = qy.zeroPoint[0];
    const { min, max } = activationClamp(activation, sy, zy, y.dtype as "int8" | "int16");
    let compute: Compute;
    if (op === "MUL") {
      const m = quantizeMultiplier((sa * sb) / sy);
      compute = (x1, x2) => zy + mbqm((x1 - za) * (x2 - zb), m.multiplier, m.shift);
    } else {
      const shift = int16 ? 15 : 20;
      const twiceMax = 2 * Math.max(sa, sb);
      const m1 = quantizeMultiplier(sa / twiceMax), m2 = quantizeMultiplier(sb / twiceMax);
      const mo = quantizeMultiplier(twiceMax / (2 ** shift * sy));
      const sign = op === "SUB" ? -1 : 1;
      compute = (x1, x2) => {
        const s1 = mbqm((x1 - za) * 2 ** shift, m1.multiplier, m1.shift);
        const s2 = mbqm((x2 - zb) * 2 ** shift, m2.multiplier, m2.shift);
        return zy + mbqm(s1 + sign * s2, mo.multiplier, mo.shift);
      };
    }
    ctx.checkOutputShape(0, broadcastShape(a.shape, b.shape));
    ctx.reserve(8 * elementCount(y), "the broadcast index tables");
    const [ia, ib] = broadcastIndices(a.shape, b.shape, y.shape);
    const total = ia.length;
    const na = a.shape.reduce((p, q) => p * q, 1), nb = b.shape.reduce((p, q) => p * q, 1);
    const constant = (t: GraphTensor, role: string): Int8Array | Int16Array | null =>
      t.data ? (int16 ? constantArray(t, Int16Array, role) : constantArray(t, Int8Array, role)) : null;
    const constA = constant(a, "input1"), constB = constant(b, "input2");
    return {
      run: () => {
        const mem = ctx.rt.bytes().buffer as ArrayBuffer;
        const va = constA ?? view(mem, a, ctx.ptr(a.id), na);
        const vb = constB ?? view(mem, b, ctx.ptr(b.id), nb);
        const vy = view(mem, y, ctx.ptr(y.id), total);
        for (let i = 0; i < total; i++) {
          const v = compute(va[ia[i]], vb[ib[i]]);
          vy[i] = v < min ? min : v > max ? max : v;
        }
      },
      dispose: () => {},
    };
  };
}
