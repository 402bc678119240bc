// com.microsoft QLinearAdd (what onnxruntime's quantizer emits for Add): C = (sa (A - za) + sb (B - zb)) / sc
// + zc, with numpy broadcasting, in float32 exactly as onnxruntime computes it (each product, the sum and the
// quotient rounded to float32; clamped to the type's range less zc; nearbyint, i.e. half to even, of the value
// plus zc). Checked bit for bit against onnxruntime-web.

import type { NodeBuilder } from "../graph/node.js";
import { roundHalfEven } from "../tensor/qtensor.js";
import { broadcastIndices } from "./broadcast.js";
import { elementCount } from "./graph-tensors.js";

export interface QLinearAddParams {
  sa: number; za: number; sb: number; zb: number; sc: number; zc: number;
}

export function qlinearAdd(p: QLinearAddParams): NodeBuilder {
  return (ctx) => {
    const a = ctx.input(0, "A"), b = ctx.input(1, "B"), c = ctx.output(0, "C");
    const [ia, ib] = broadcastIndices(a.shape, b.shape, c.shape);
    const unsigned = c.dtype === "uint8";
    const [min, max] = unsigned ? [0, 255] : [-128, 127];
    const f = Math.fround;
    const sa = f(p.sa), sb = f(p.sb), sc = f(p.sc);
    const lo = min - p.zc, hi = max - p.zc;
    const total = ia.length;
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const view = (ptr: number, n: number) => (unsigned ? new Uint8Array(buffer, ptr, n) : new Int8Array(buffer, ptr, n));
        const va = view(ctx.ptr(a.id), elementCount(a)), vb = view(ctx.ptr(b.id), elementCount(b)), vc = view(ctx.ptr(c.id), total);
        for (let i = 0; i < total; i++) {
          let v = f(f(f(sa * (va[ia[i]] - p.za)) + f(sb * (vb[ib[i]] - p.zb))) / sc);
          v = v < lo ? lo : v > hi ? hi : v;
          vc[i] = roundHalfEven(f(v + p.zc));
        }
      },
      dispose: () => {},
    };
  };
}
