// com.microsoft QLinearAdd and QLinearMul (what onnxruntime's quantizer emits for Add and Mul):
// C = (sa (A - za) + sb (B - zb)) / sc + zc, or (sa (A - za)) (sb (B - zb)) / sc + zc, with numpy
// broadcasting, in float32 exactly as onnxruntime's portable MLAS kernels compute it (qladd.cpp, qlmul.cpp:
// each product, the sum and the quotient rounded to float32; clamped to the type's range less zc; nearbyint,
// i.e. half to even, of the value plus zc). Checked bit for bit against onnxruntime-web.

import { sameShape } from "../tensor/shape.js";
import type { NodeBuilder } from "../graph/node.js";
import { roundHalfEven } from "../tensor/qtensor.js";
import { DTYPES } from "../tensor/dtype.js";
import { broadcastIndices } from "./broadcast.js";
import { elementCount } from "./graph-tensors.js";

export type QLinearBinaryOp = "add" | "mul";

export interface QLinearBinaryParams {
  sa: number; za: number; sb: number; zb: number; sc: number; zc: number;
}

export function qlinearBinary(op: QLinearBinaryOp, p: QLinearBinaryParams): NodeBuilder {
  return (ctx) => {
    const a = ctx.input(0, "A"), b = ctx.input(1, "B"), c = ctx.output(0, "C");
    const same = sameShape(a.shape, c.shape) && sameShape(b.shape, c.shape);
    const [ia, ib] = same ? [null, null] : broadcastIndices(a.shape, b.shape, c.shape);
    const table = resultTable(op, p, c.dtype === "uint8");
    const total = elementCount(c), na = elementCount(a), nb = elementCount(b);
    return {
      run: () => {
        // Bytes in, bytes out: the table is indexed by the raw bytes of A and B, whatever their signedness.
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const va = new Uint8Array(buffer, ctx.ptr(a.id), na), vb = new Uint8Array(buffer, ctx.ptr(b.id), nb);
        const vc = new Uint8Array(buffer, ctx.ptr(c.id), total);
        if (ia && ib) for (let i = 0; i < total; i++) vc[i] = table[(va[ia[i]] << 8) | vb[ib[i]]];
        else for (let i = 0; i < total; i++) vc[i] = table[(va[i] << 8) | vb[i]];
      },
      dispose: () => {},
    };
  };
}

/**
 * Every result of the 8-bit op, by (A byte << 8 | B byte): 65536 evaluations of onnxruntime's float
 * formula once, then one lookup per element instead of four float roundings.
 */
function resultTable(op: QLinearBinaryOp, p: QLinearBinaryParams, unsigned: boolean): Uint8Array {
  const { min, max } = DTYPES[unsigned ? "uint8" : "int8"];
  const f = Math.fround;
  const sa = f(p.sa), sb = f(p.sb), sc = f(p.sc);
  const lo = min - p.zc, hi = max - p.zc;
  const value = (byte: number) => (unsigned ? byte : (byte << 24) >> 24);
  const tb = Float64Array.from({ length: 256 }, (_, y) => f(sb * (value(y) - p.zb)));
  const table = new Uint8Array(65536);
  for (let x = 0; x < 256; x++) {
    const ta = f(sa * (value(x) - p.za));
    for (let y = 0; y < 256; y++) {
      let v = f((op === "add" ? f(ta + tb[y]) : f(ta * tb[y])) / sc);
      v = v < lo ? lo : v > hi ? hi : v;
      table[(x << 8) | y] = roundHalfEven(f(v + p.zc)) & 0xff;
    }
  }
  return table;
}
