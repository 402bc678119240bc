// The float output stage the group kernels share (s8-group-gemm-4x8c2.ts, s8-group-gemv-1x8c2.ts and the
// relaxed ones): y = acc * sx + bias, bias 0 when absent, partial columns stored without writing past N.

import { store_2x_partial } from "./store";

/** A 4 x 8 tile's float accumulators, row after row (two vectors a row): kept in memory, as they are touched
 * once per group and would otherwise crowd the integer loop's registers. */
// @ts-ignore: decorator
@lazy export const tile_acc: usize = memory.data(128, 16);

/** Stores rows m0 .. min(m0 + 4, m) of the tile at `tile_acc` (columns n0 .. n0 + nc) as acc * sx + bias. */
// @ts-ignore: decorator
@inline export function store_tile_f32(m: i32, m0: i32, n0: i32, nc: i32, sx: usize, bias: usize, out: usize, outStride: i32): void {
  let b0 = f32x4.splat(0), b1 = b0;
  if (bias != 0) {
    b0 = v128.load(bias + (<usize>n0 << 2));
    b1 = v128.load(bias + (<usize>n0 << 2), 16);
  }
  const rowBytes = <usize>outStride << 2, bytes = <usize>nc << 2;
  let dst = out + ((<usize>m0 * outStride + n0) << 2);
  for (let r = 0; r < 4 && m0 + r < m; r++) {
    const p = tile_acc + (<usize>r << 5);
    const s = v128.load32_splat(sx + (<usize>(m0 + r) << 2));
    store_2x_partial(dst, f32x4.add(f32x4.mul(v128.load(p), s), b0), f32x4.add(f32x4.mul(v128.load(p, 16), s), b1), bytes);
    dst += rowBytes;
  }
}

/** One row of 8 columns (a GEMV's panel): acc * sx + bias at out, `nc` columns. */
// @ts-ignore: decorator
@inline export function store_row_f32(f0: v128, f1: v128, sx: v128, n0: i32, nc: i32, bias: usize, out: usize): void {
  let b0 = f32x4.splat(0), b1 = b0;
  if (bias != 0) {
    b0 = v128.load(bias + (<usize>n0 << 2));
    b1 = v128.load(bias + (<usize>n0 << 2), 16);
  }
  store_2x_partial(out + (<usize>n0 << 2), f32x4.add(f32x4.mul(f0, sx), b0), f32x4.add(f32x4.mul(f1, sx), b1), <usize>nc << 2);
}
