// ONNX MatMul and Gemm on float32 with a constant B, as onnxruntime computes them: MLAS's SGEMM sums k in
// blocks of 256 (each block's products added in order from zero, in float32, then the block sum added to the
// output), the first block writing the output and, with Gemm's C (beta 1), every block adding to C broadcast
// into the output. Each block runs on dyad's f32 GEMM kernel (one fixed order over k, multiply then add);
// the block sums are added here.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { broadcastIndices } from "./broadcast.js";
import { MatMulF32 } from "./matmul-f32.js";
import { elementCount } from "./graph-tensors.js";

/** MLAS's SGEMM K block (onnxruntime core/mlas, MLAS_SGEMM_STRIDEK), confirmed against onnxruntime-web. */
export const SGEMM_K_BLOCK = 256;

export interface FloatMatMulSpec {
  /** B as [K, N], row-major. */
  b: Float32Array;
  k: number;
  n: number;
  /** Gemm's C and its shape (broadcast to [M, N]), or null. */
  c: { values: Float32Array; shape: number[] } | null;
}

export function floatMatMul(spec: FloatMatMulSpec): NodeBuilder {
  return (ctx) => {
    const rt = ctx.rt;
    const a = ctx.input(0, "A");
    const { k, n } = spec;
    if (a.shape[a.shape.length - 1] !== k || spec.b.length !== k * n) throw new ShapeError(`A [${a.shape}] does not chain with B [${k}, ${n}]`);
    const y = ctx.checkOutputShape(0, [...a.shape.slice(0, -1), n]);
    const rows = elementCount(a) / k;
    const blocks: { k0: number; mm: MatMulF32 }[] = [];
    for (let k0 = 0; k0 < k; k0 += SGEMM_K_BLOCK) {
      const kb = Math.min(SGEMM_K_BLOCK, k - k0);
      blocks.push({ k0, mm: new MatMulF32(rt, { weights: spec.b.subarray(k0 * n, (k0 + kb) * n), shape: [kb, n] }) });
    }
    const c = spec.c ? Float32Array.from(broadcastIndices(spec.c.shape, [rows, n], [rows, n])[0], (i) => spec.c!.values[i]) : null;
    const total = rows * n;
    const f = Math.fround;
    return {
      run: () => rt.arena.scope(() => {
        const outPtr = ctx.ptr(y.id), aPtr = ctx.ptr(a.id);
        const partial = blocks.length > 1 || c ? rt.arena.alloc(total * 4, "matmul block sums") : null;
        blocks.forEach(({ k0, mm }, j) => {
          const direct = j === 0 && !c;
          mm.runInto(aPtr + k0 * 4, k, rows, direct ? outPtr : partial!.ptr);
          if (direct) return;
          const buffer = rt.bytes().buffer as ArrayBuffer;
          const out = new Float32Array(buffer, outPtr, total), sum = new Float32Array(buffer, partial!.ptr, total);
          const base = j === 0 ? c! : out;
          for (let i = 0; i < total; i++) out[i] = f(base[i] + sum[i]);
        });
      }),
      dispose: () => {
        for (const b of blocks.reverse()) b.mm.dispose();
      },
    };
  };
}
