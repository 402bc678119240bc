// Test helpers: a shared engine, a seeded generator, and the plain-loop references every kernel must equal.

import { loadDyad, type Dyad } from "../src/node.js";
import { requantize, outputStage } from "../src/quant/requant.js";
import type { RequantMode } from "../src/quant/multiplier.js";

let engine: Promise<Dyad> | null = null;
/** One engine per test file (vitest isolates files). */
export function dyad(): Promise<Dyad> {
  engine ??= loadDyad();
  return engine;
}

export { rng } from "./rng.mjs";

/** Uniform integers in [lo, hi]. */
export function randInts<T extends Int8Array | Uint8Array | Int32Array>(
  ctor: { new (n: number): T }, n: number, lo: number, hi: number, rand: () => number,
): T {
  const out = new ctor(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rand() * (hi - lo + 1));
  return out;
}

/**
 * The integer matmul reference: acc[i][j] = bias[j] + sum_k (a[i][k] - za) * (b[k][j] - zb[j]), exact.
 * a is M x K row-major, b is K x N row-major.
 */
export function refAcc(
  m: number, n: number, k: number, a: ArrayLike<number>, b: ArrayLike<number>,
  za: number, zb: ArrayLike<number> | number, bias?: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const z = typeof zb === "number" ? zb : zb[j];
      let s = bias ? bias[j] : 0;
      for (let kk = 0; kk < k; kk++) s += (a[i * k + kk] - za) * (b[kk * n + j] - z);
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Requantizes reference accumulators per column: params[2j], params[2j+1] are (multiplier or scale, shift). */
export function refRequant(
  acc: Float64Array, n: number, mode: RequantMode, params: ArrayLike<number>, zp: number, qmin: number, qmax: number,
): Int32Array {
  const out = new Int32Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const j = i % n;
    out[i] = outputStage(requantize(mode, acc[i] | 0, params[2 * j], params[2 * j + 1]), zp, qmin, qmax);
  }
  return out;
}

/** Float32 GEMM reference with the kernel's order of operations: bias, then k = 0..K-1, mul then add. */
export function refGemmF32(
  m: number, n: number, k: number, a: Float32Array, b: Float32Array, bias: Float32Array | null, min: number, max: number,
): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0;
      for (let kk = 0; kk < k; kk++) s = Math.fround(s + Math.fround(a[i * k + kk] * b[kk * n + j]));
      out[i * n + j] = Math.min(Math.max(s, min), max);
    }
  }
  return out;
}

/** Index of the first element where two arrays differ, or -1. */
export function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) return i;
  return -1;
}

/** Throws an error naming the first wrong element, with its row and column. */
export function expectExact(got: ArrayLike<number>, want: ArrayLike<number>, n: number, what: string): void {
  const i = firstMismatch(got, want);
  if (i >= 0) {
    throw new Error(
      `${what}: first mismatch at element ${i} (row ${Math.floor(i / n)}, col ${i % n}): got ${got[i]}, want ${want[i]} (lengths ${got.length}, ${want.length})`,
    );
  }
}
