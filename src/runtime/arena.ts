// The TypeScript side of the arena (DESIGN.md §3). assembly/memory.ts moves the top and grows memory;
// this class keeps the book: blocks form a stack, a block freed out of order is reclaimed once every block
// above it is freed, and `scope` frees all scratch a run allocated. Growth is bounded by `limitBytes`.

import { MemoryError } from "../errors.js";

export interface ArenaExports {
  memory: WebAssembly.Memory;
  arena_base(): number;
  arena_top(): number;
  arena_alloc(bytes: number): number;
  arena_reset(mark: number): void;
}

export interface Block {
  /** Byte offset in linear memory; 16-byte aligned, followed by at least 16 bytes of padding. */
  readonly ptr: number;
  readonly bytes: number;
  readonly what: string;
}

interface Entry {
  block: Block;
  freed: boolean;
}

export class Arena {
  private readonly exports: ArenaExports;
  private readonly stack: Entry[] = [];
  private readonly base: number;
  private peak = 0;
  readonly limitBytes: number;
  /** A tighter bound while a model loads (its maxMemoryBytes): the top the arena may reach, and who set it. */
  private cap: { top: number; why: string } | null = null;

  constructor(exports: ArenaExports, limitBytes: number) {
    this.exports = exports;
    this.base = exports.arena_base() >>> 0;
    this.limitBytes = limitBytes;
  }

  /** Bytes in use (including padding and freed blocks not yet reclaimed). */
  get usedBytes(): number {
    return (this.exports.arena_top() >>> 0) - this.base;
  }

  get peakBytes(): number {
    return this.peak;
  }

  /** Size of linear memory now. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Allocates `bytes`; `what` names the buffer in errors. */
  alloc(bytes: number, what: string): Block {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new MemoryError(`arena: cannot allocate ${bytes} bytes for ${what}`);
    const need = this.usedBytes + bytes + 32;
    if (this.cap && need > this.cap.top) {
      throw new MemoryError(`arena: ${what} needs ${bytes} bytes, past ${this.cap.why}`);
    }
    if (need > this.limitBytes) {
      throw new MemoryError(
        `arena: ${what} needs ${bytes} bytes; ${this.usedBytes} are in use and the limit is ${this.limitBytes} (option memoryLimitBytes)`,
      );
    }
    const ptr = this.exports.arena_alloc(bytes) >>> 0;
    if (ptr === 0) throw new MemoryError(`arena: linear memory cannot grow to hold ${bytes} bytes for ${what}`);
    const block = Object.freeze({ ptr, bytes, what });
    this.stack.push({ block, freed: false });
    this.peak = Math.max(this.peak, this.usedBytes);
    return block;
  }

  /** Frees a block; memory returns once every block allocated after it is freed too. */
  free(block: Block): void {
    const entry = this.stack.find((e) => e.block === block);
    if (!entry || entry.freed) return;
    entry.freed = true;
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].freed) {
      const top = this.stack.pop()!;
      this.exports.arena_reset(top.block.ptr);
    }
  }

  /** Runs `fn` with the arena's use bounded by `usedBytes + bytes`; `why` names the bound in errors. */
  capped<T>(bytes: number, why: string, fn: () => T): T {
    const outer = this.cap;
    const top = this.usedBytes + bytes;
    this.cap = { top: outer ? Math.min(outer.top, top) : top, why };
    try {
      return fn();
    } finally {
      this.cap = outer;
    }
  }

  /** Runs `fn`; when it throws, frees every block it allocated (an op that failed half-way through its set-up). */
  undoOnThrow<T>(fn: () => T): T {
    const depth = this.stack.length;
    try {
      return fn();
    } catch (e) {
      this.freeAbove(depth);
      throw e;
    }
  }

  /** Runs `fn` and frees every block it allocated, even when it throws. */
  scope<T>(fn: () => T): T {
    const depth = this.stack.length;
    try {
      return fn();
    } finally {
      this.freeAbove(depth);
    }
  }

  /** Frees every block allocated after the first `depth` of the stack. */
  private freeAbove(depth: number): void {
    for (let i = this.stack.length - 1; i >= depth; i--) this.free(this.stack[i].block);
  }
}
