// Partial stores for output tiles: kernels never write past their output, so a row tail goes through a
// small static buffer and memory.copy.

// @ts-ignore: decorator
@lazy const scratch: usize = memory.data(32, 16);

/** Stores the first `bytes` (at most 32) of lo:hi at dst. */
// @ts-ignore: decorator
@inline export function store_2x_partial(dst: usize, lo: v128, hi: v128, bytes: usize): void {
  if (bytes == 32) {
    v128.store(dst, lo);
    v128.store(dst, hi, 16);
  } else {
    v128.store(scratch, lo);
    v128.store(scratch, hi, 16);
    memory.copy(dst, scratch, bytes);
  }
}

/** Stores the first `bytes` (at most 8) of the low half of v at dst. */
// @ts-ignore: decorator
@inline export function store_1x8_partial(dst: usize, v: v128, bytes: usize): void {
  if (bytes == 8) {
    v128.store64_lane(dst, v, 0);
  } else {
    v128.store(scratch, v);
    memory.copy(dst, scratch, bytes);
  }
}
