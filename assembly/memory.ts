// Arena allocation in linear memory (DESIGN.md §3).
//
// One bump arena grows upward from __heap_base. Every block starts 16-byte aligned and is followed by at
// least 16 bytes of padding that no one owns, so kernels may read up to 16 bytes past an input buffer.
// The arena is a stack: `arena_reset(mark)` frees every block allocated after `mark` (a value returned by
// `arena_top`). The TypeScript runtime keeps the book of which blocks are live; this file only moves the top
// and grows memory.

/** Alignment of every block, in bytes. */
export const ARENA_ALIGN: usize = 16;
/** Padding after every block that kernels may over-read, in bytes. */
export const ARENA_PAD: usize = 16;

// @ts-ignore: decorator
@lazy const ARENA_BASE: usize = (__heap_base + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
// @ts-ignore: decorator
@lazy let arenaTop: usize = ARENA_BASE;

/** Offset of the first byte the arena hands out. */
export function arena_base(): usize {
  return ARENA_BASE;
}

/** Current top of the arena: pass it to `arena_reset` to free everything allocated after this call. */
export function arena_top(): usize {
  return arenaTop;
}

/** Allocates `bytes` (16-byte aligned, 16 bytes of padding after); returns 0 when memory cannot grow. */
export function arena_alloc(bytes: usize): usize {
  const ptr = arenaTop;
  const end = (ptr + bytes + ARENA_PAD + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
  if (end < ptr) return 0; // wrapped around the address space
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  arenaTop = end;
  return ptr;
}

/** Frees every block at or above `mark` (clamped to the arena's base). */
export function arena_reset(mark: usize): void {
  arenaTop = mark < ARENA_BASE ? ARENA_BASE : mark;
}
