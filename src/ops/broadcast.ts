// NumPy-style broadcasting of two shapes (right-aligned; a dimension of 1 stretches), as TFLite's
// BroadcastAdd/Sub/Mul reference kernels do for up to 6 dimensions.

import { ShapeError } from "../errors.js";

/** The shape NumPy-style broadcasting gives two shapes; a ShapeError when a pair of dimensions is neither equal nor 1. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    const da = a[a.length - rank + d] ?? 1, db = b[b.length - rank + d] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`[${a}] and [${b}] do not broadcast (dimension ${d}: ${da} vs ${db})`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each output element (row-major), the flat indices of the two inputs. */
export function broadcastIndices(a: readonly number[], b: readonly number[], out: readonly number[]): [Int32Array, Int32Array] {
  const rank = out.length;
  const pad = (s: readonly number[]) => [...new Array(rank - s.length).fill(1), ...s];
  if (a.length > rank || b.length > rank) throw new ShapeError(`cannot broadcast [${a}] and [${b}] to [${out}]`);
  const pa = pad(a), pb = pad(b);
  for (let d = 0; d < rank; d++) {
    for (const [s, name] of [[pa, "first"], [pb, "second"]] as const) {
      if (s[d] !== 1 && s[d] !== out[d]) throw new ShapeError(`the ${name} input [${name === "first" ? a : b}] does not broadcast to [${out}]`);
    }
  }
  const strides = (s: number[]) => s.map((dim, d) => (dim === 1 ? 0 : s.slice(d + 1).reduce((x, y) => x * y, 1)));
  const sa = strides(pa), sb = strides(pb);
  const total = out.reduce((x, y) => x * y, 1);
  const ia = new Int32Array(total), ib = new Int32Array(total);
  const idx = new Array<number>(rank).fill(0);
  let fa = 0, fb = 0;
  for (let i = 0; i < total; i++) {
    ia[i] = fa;
    ib[i] = fb;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      fa += sa[d];
      fb += sb[d];
      if (idx[d] < out[d]) break;
      fa -= sa[d] * idx[d];
      fb -= sb[d] * idx[d];
      idx[d] = 0;
    }
  }
  return [ia, ib];
}
