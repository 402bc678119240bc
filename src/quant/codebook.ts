// Non-uniform 4-bit quantization (the survey's §III-F): each weight is one of 16 levels of a codebook that
// belongs to its output channel (or to a group of K within it); w ≈ scale * level[index], levels int8 so the
// integer kernel decodes them with a table lookup (assembly/gemm/s8-n4-gemm-4x2c16.ts).
//
// Codebooks are fitted here:
// - "kmeans": Lloyd's algorithm in one dimension on the channel's (group's) weights, 16 centroids started at
//   the data's quantiles (deterministic: no random start is needed in 1-D; an empty cluster is re-seeded at
//   the point farthest from its centroid), then rounded to int8 levels with scale max|c| / 127.
// - "pow2": logarithmic levels 0, ±1, ±2, ±4, ..., ±64 (sign and power of two), scale max|w| / 64.
// Also the uniform baseline (symmetric int4, scale max|w| / 7, q in [-8, 7]) and the error measures the
// report uses: MSE and SQNR = 10 log10(sum w^2 / sum (w - ŵ)^2).

import { ShapeError, UnsupportedError, BufferError } from "../errors.js";
import { roundHalfEven } from "../tensor/qtensor.js";

export type CodebookMethod = "kmeans" | "pow2";

export interface CodebookWeights {
  readonly kind: "codebook";
  /** [K, N], as a MatMul's B. */
  readonly shape: readonly [number, number];
  /** 4-bit indices in [K, N] order, two per byte (element 2i in the low nibble). */
  readonly indices: Uint8Array;
  /** 16 int8 levels per (group, column): [groups][N][16]. */
  readonly levels: Int8Array;
  /** The float scale per (group, column): [groups][N]. */
  readonly scales: Float32Array;
  /** k per group (a multiple of 16), or 0 for one codebook per column over all of K. */
  readonly groupSize: number;
}

export interface FitOptions {
  method?: CodebookMethod;
  /** 0 (default): one codebook per column; else groups of this many k (a multiple of 16). */
  groupSize?: number;
  /** Lloyd iterations at most (default 40). */
  iterations?: number;
}

const POW2_LEVELS = [0, 1, -1, 2, -2, 4, -4, 8, -8, 16, -16, 32, -32, 64, -64, 0];

function checkWeights(w: Float32Array, shape: readonly number[], what: string): [number, number] {
  if (!(w instanceof Float32Array)) throw new BufferError(`${what}: weights must be a Float32Array`);
  if (shape.length !== 2 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) throw new ShapeError(`${what}: shape must be [K, N] of positive integers, got [${shape}]`);
  if (w.length !== shape[0] * shape[1]) throw new BufferError(`${what}: [${shape}] has ${shape[0] * shape[1]} elements, the weights ${w.length}`);
  const bad = w.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new BufferError(`${what}: weight ${bad} is ${w[bad]}`);
  return [shape[0], shape[1]];
}

function groupsOf(k: number, groupSize: number, what: string): number {
  if (!Number.isSafeInteger(groupSize) || groupSize < 0 || groupSize % 16 !== 0) {
    throw new UnsupportedError(`${what}: groupSize must be 0 (per column) or a positive multiple of 16, got ${groupSize}`);
  }
  return groupSize === 0 ? 1 : Math.ceil(k / groupSize);
}

/** Lloyd's k-means in 1-D with `count` centroids; returns them sorted. */
export function kmeans1d(values: ArrayLike<number>, count: number, iterations = 40): Float64Array {
  const x = Float64Array.from(values).sort();
  const n = x.length;
  const c = new Float64Array(count);
  for (let i = 0; i < count; i++) c[i] = x[Math.min(n - 1, Math.floor(((i + 0.5) / count) * n))];
  const assign = new Int32Array(n).fill(-1);
  for (let it = 0; it < iterations; it++) {
    c.sort();
    let changed = false;
    const sum = new Float64Array(count), cnt = new Int32Array(count);
    let j = 0;
    // x is sorted and so are the centroids: one sweep assigns each point to its nearest centroid.
    for (let i = 0; i < n; i++) {
      while (j + 1 < count && Math.abs(x[i] - c[j + 1]) <= Math.abs(x[i] - c[j])) j++;
      if (assign[i] !== j) { assign[i] = j; changed = true; }
      sum[j] += x[i];
      cnt[j]++;
    }
    for (let q = 0; q < count; q++) {
      if (cnt[q] > 0) { c[q] = sum[q] / cnt[q]; continue; }
      // An empty cluster restarts at the point with the largest error.
      let far = 0, worst = -1;
      for (let i = 0; i < n; i++) {
        const e = Math.abs(x[i] - c[assign[i]]);
        if (e > worst) { worst = e; far = i; }
      }
      c[q] = x[far];
      changed = true;
    }
    if (!changed) break;
  }
  return c.sort();
}

/** Index of the level nearest to v (the first of equals). */
function nearest(levels: ArrayLike<number>, v: number): number {
  let best = 0, err = Infinity;
  for (let i = 0; i < levels.length; i++) {
    const e = Math.abs(v - levels[i]);
    if (e < err) { err = e; best = i; }
  }
  return best;
}

/** Fits a codebook per column (or per group of K within it) to float weights [K, N]. */
export function fitCodebook(w: Float32Array, shape: readonly number[], options: FitOptions = {}): CodebookWeights {
  const what = "fitCodebook";
  const [k, n] = checkWeights(w, shape, what);
  const method = options.method ?? "kmeans";
  if (method !== "kmeans" && method !== "pow2") throw new UnsupportedError(`${what}: method must be "kmeans" or "pow2", got ${String(method)}`);
  const groupSize = options.groupSize ?? 0;
  const groups = groupsOf(k, groupSize, what);
  const span = groupSize === 0 ? k : groupSize;
  const indices = new Uint8Array(Math.ceil((k * n) / 2));
  const levels = new Int8Array(groups * n * 16);
  const scales = new Float32Array(groups * n);
  for (let g = 0; g < groups; g++) {
    const k0 = g * span, k1 = Math.min(k, k0 + span);
    for (let j = 0; j < n; j++) {
      const x = new Float32Array(k1 - k0);
      for (let kk = k0; kk < k1; kk++) x[kk - k0] = w[kk * n + j];
      let amax = 0;
      for (const v of x) amax = Math.max(amax, Math.abs(v));
      let table: number[];
      let scale: number;
      if (method === "pow2") {
        scale = amax === 0 ? 1 : Math.fround(amax / 64);
        table = POW2_LEVELS;
      } else {
        const c = kmeans1d(x, 16, options.iterations ?? 40);
        const cmax = Math.max(Math.abs(c[0]), Math.abs(c[15]));
        scale = cmax === 0 ? 1 : Math.fround(cmax / 127);
        table = Array.from(c, (v) => Math.max(-127, Math.min(127, roundHalfEven(v / scale))));
      }
      const at = (g * n + j) * 16;
      for (let i = 0; i < 16; i++) levels[at + i] = table[i];
      scales[g * n + j] = scale;
      for (let kk = k0; kk < k1; kk++) {
        const e = kk * n + j;
        indices[e >> 1] |= nearest(table, w[e] / scale) << (e & 1 ? 4 : 0);
      }
    }
  }
  return { kind: "codebook", shape: [k, n], indices, levels, scales, groupSize };
}

/** The float weights a codebook stands for: scale * level[index], in float32. */
export function decodeCodebook(cb: CodebookWeights): Float32Array {
  const [k, n] = cb.shape;
  const span = cb.groupSize === 0 ? k : cb.groupSize;
  return Float32Array.from({ length: k * n }, (_, e) => {
    const kk = Math.floor(e / n), j = e % n, g = Math.floor(kk / span);
    const idx = (cb.indices[e >> 1] >> (e & 1 ? 4 : 0)) & 15;
    return Math.fround(cb.scales[g * n + j] * cb.levels[(g * n + j) * 16 + idx]);
  });
}

/** Uniform symmetric int4 per column (or group of K), dequantized: the baseline codebooks are compared with. */
export function uniformInt4(w: Float32Array, shape: readonly number[], groupSize = 0): Float32Array {
  const [k, n] = checkWeights(w, shape, "uniformInt4");
  const span = groupSize === 0 ? k : groupSize;
  groupsOf(k, groupSize, "uniformInt4");
  const out = new Float32Array(k * n);
  for (let k0 = 0; k0 < k; k0 += span) {
    for (let j = 0; j < n; j++) {
      let amax = 0;
      for (let kk = k0; kk < Math.min(k, k0 + span); kk++) amax = Math.max(amax, Math.abs(w[kk * n + j]));
      const s = amax === 0 ? 1 : Math.fround(amax / 7);
      for (let kk = k0; kk < Math.min(k, k0 + span); kk++) {
        out[kk * n + j] = Math.fround(s * Math.max(-8, Math.min(7, roundHalfEven(w[kk * n + j] / s))));
      }
    }
  }
  return out;
}

/** Mean squared error and signal-to-quantization-noise ratio (dB) of an approximation ŵ of w. */
export function reconstructionError(w: ArrayLike<number>, approx: ArrayLike<number>): { mse: number; sqnr: number } {
  if (w.length !== approx.length) throw new BufferError(`reconstructionError: ${w.length} values against ${approx.length}`);
  let signal = 0, noise = 0;
  for (let i = 0; i < w.length; i++) {
    signal += w[i] * w[i];
    noise += (w[i] - approx[i]) ** 2;
  }
  return { mse: noise / w.length, sqnr: 10 * Math.log10(signal / noise) };
}
