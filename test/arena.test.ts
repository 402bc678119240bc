import { describe, it, expect } from "vitest";
import { loadDyad } from "../src/node.js";
import { MemoryError } from "../src/errors.js";

describe("arena", () => {
  it("hands out 16-byte aligned blocks with 16 bytes of padding, grows memory, and frees as a stack", async () => {
    const { runtime: rt } = await loadDyad();
    const arena = rt.arena;
    const a = arena.alloc(1, "a");
    const usedByA = arena.usedBytes;
    expect(usedByA).toBe(32); // 1 byte + 16 bytes of padding, rounded up to 16
    const b = arena.alloc(100, "b");
    expect(a.ptr % 16).toBe(0);
    expect(b.ptr % 16).toBe(0);
    expect(b.ptr - a.ptr).toBeGreaterThanOrEqual(1 + 16);
    const big = arena.alloc(8 << 20, "big"); // past the initial memory: must grow
    expect(arena.memoryBytes).toBeGreaterThanOrEqual(big.ptr + (8 << 20) + 16);
    arena.free(b); // out of order: reclaimed once big is freed too
    expect(arena.usedBytes).toBeGreaterThan(8 << 20);
    arena.free(big);
    expect(arena.usedBytes).toBe(usedByA); // only a remains
    arena.free(a);
    expect(arena.usedBytes).toBe(0);
    expect(arena.peakBytes).toBeGreaterThan(8 << 20);
  });

  it("frees scratch after a scope, even when it throws", async () => {
    const { runtime: rt } = await loadDyad();
    const keep = rt.arena.alloc(64, "keep");
    const used = rt.arena.usedBytes;
    expect(() => rt.arena.scope(() => {
      rt.arena.alloc(1000, "scratch");
      throw new Error("boom");
    })).toThrow("boom");
    expect(rt.arena.usedBytes).toBe(used);
    rt.arena.free(keep);
  });

  it("refuses requests past its limit with a MemoryError naming the buffer", async () => {
    const { runtime: rt } = await loadDyad({ memoryLimitBytes: 1 << 20 });
    expect(() => rt.arena.alloc(2 << 20, "weights of layer 3")).toThrow(MemoryError);
    expect(() => rt.arena.alloc(2 << 20, "weights of layer 3")).toThrow(/weights of layer 3/);
    expect(() => rt.arena.alloc(-1, "x")).toThrow(MemoryError);
  });
});
