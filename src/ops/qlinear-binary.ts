// com.microsoft QLinearAdd and QLinearMul (what onnxruntime's quantizer emits for Add and Mul):
// C = (sa (A - za) + sb (B - zb)) / sc + zc, or (sa (A - za)) (sb (B - zb)) / sc + zc, with numpy
// broadcasting, in float32 exactly as onnxruntime's portable MLAS kernels compute it (qladd.cpp, qlmul.cpp:
// each product, the sum and the quotient rounded to float32; clamped to the type's range less zc; nearbyint,
// i.e. half to even, of the value plus zc). Checked bit for bit against onnxruntime-web.

import { sameShape } from "../tensor/shape.js";
import type { NodeBuilder } from "../graph/node.js";
import { DTYPES } from "../tensor/dtype.js";
import { broadcastIndices, broadcastShape } from "./broadcast.js";
import { elementCount } from "./graph-tensors.js";

export type QLinearBinaryOp = "add" | "mul";

export interface QLinearBinaryParams {
  sa: number; za: number; sb: number; zb: number; sc: number; zc: number;
}

export function qlinearBinary(op: QLinearBinaryOp, p: QLinearBinaryParams): NodeBuilder {
  return (ctx) => {
    const rt = ctx.rt;
    const a = ctx.input(0, "A"), b = ctx.input(1, "B"), c = ctx.checkOutputShape(0, broadcastShape(ctx.input(0, "A").shape, ctx.input(1, "B").shape));
    const same = sameShape(a.shape, c.shape) && sameShape(b.shape, c.shape);
    if (!same) ctx.reserve(8 * elementCount(c), "the broadcast index tables");
    const [ia, ib] = same ? [null, null] : broadcastIndices(a.shape, b.shape, c.shape);
    const table = rt.arena.alloc(65536, "qlinear binary table");
    rt.arena.scope(() => {
      const { ta, tb, params } = tableInputs(op, p, c.dtype === "uint8");
      rt.binaryTableF32(rt.upload(ta, "A values").ptr, rt.upload(tb, "B values").ptr, table.ptr, rt.upload(params, "table params").ptr);
    });
    const total = elementCount(c), na = elementCount(a), nb = elementCount(b);
    // A constant operand (a QDQ model's dequantized initializer) is uploaded once.
    const constants = [a, b].map((t) => (t.data ? rt.upload(t.data, `${t.name} (constant)`) : null));
    const pa = () => constants[0]?.ptr ?? ctx.ptr(a.id), pb = () => constants[1]?.ptr ?? ctx.ptr(b.id);
    return {
      run: () => {
        // Bytes in, bytes out: the table is indexed by the raw bytes of A and B, whatever their signedness.
        if (!ia || !ib) return rt.lookup2U8(pa(), pb(), table.ptr, ctx.ptr(c.id), total);
        const buffer = rt.bytes().buffer as ArrayBuffer;
        const va = new Uint8Array(buffer, pa(), na), vb = new Uint8Array(buffer, pb(), nb);
        const vc = new Uint8Array(buffer, ctx.ptr(c.id), total), t = new Uint8Array(buffer, table.ptr, 65536);
        for (let i = 0; i < total; i++) vc[i] = t[(va[ia[i]] << 8) | vb[ib[i]]];
      },
      dispose: () => {
        for (const blk of constants.reverse()) if (blk) rt.arena.free(blk);
        rt.arena.free(table);
      },
    };
  };
}

/**
 * The table's inputs (assembly/elementwise/qlinear-table.ts builds the 65536 results in float32, once, so that
 * each element is then one lookup instead of four float roundings): the 256 dequantized values of A and of B
 * by raw byte, and the op, sc, and the clamp range less zc.
 */
function tableInputs(op: QLinearBinaryOp, p: QLinearBinaryParams, unsigned: boolean): { ta: Float32Array; tb: Float32Array; params: Float32Array } {
  const { min, max } = DTYPES[unsigned ? "uint8" : "int8"];
  const f = Math.fround;
  const value = (byte: number) => (unsigned ? byte : (byte << 24) >> 24);
  const ta = Float32Array.from({ length: 256 }, (_, x) => f(f(p.sa) * (value(x) - p.za)));
  const tb = Float32Array.from({ length: 256 }, (_, y) => f(f(p.sb) * (value(y) - p.zb)));
  const params = Float32Array.of(0, p.sc, min - p.zc, max - p.zc, p.zc);
  new Int32Array(params.buffer)[0] = op === "mul" ? 1 : 0;
  return { ta, tb, params };
}
