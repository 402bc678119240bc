// Loading from each kind of source, the feature probe, and kernel selection from the table.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { Dyad, DEFAULT_WASM_URL, RELAXED_WASM_URL, chooseBuild } from "../src/dyad.js";
import { loadDyad } from "../src/node.js";
import { probeFeatures } from "../src/runtime/runtime.js";
import { KERNELS } from "../src/runtime/kernels.js";
import { QTensor } from "../src/tensor/qtensor.js";

const bytes = readFileSync(DEFAULT_WASM_URL!);

async function smoke(d: Dyad): Promise<number[]> {
  const op = d.matmul({
    weights: new QTensor({ dtype: "int8", shape: [3, 2], data: Int8Array.of(1, 2, 3, 4, 5, 6) }),
    input: { dtype: "int8", zeroPoint: 1 }, output: { dtype: "int32" },
  });
  return Array.from(op.run({ data: Int8Array.of(2, 3, 4), shape: [1, 3] }).data);
}

describe("runtime", () => {
  it("loads from a compiled WebAssembly.Module (the Workers path), from bytes, and from an ArrayBuffer", async () => {
    const want = [1 * 1 + 2 * 3 + 3 * 5, 1 * 2 + 2 * 4 + 3 * 6];
    expect(await smoke(await Dyad.load(new WebAssembly.Module(bytes)))).toEqual(want);
    expect(await smoke(await Dyad.load(bytes))).toEqual(want);
    expect(await smoke(await Dyad.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)))).toEqual(want);
  });
  it("probes SIMD128 and selects one kernel per family from the table", async () => {
    expect(probeFeatures().simd).toBe(true);
    const d = await Dyad.load(bytes);
    const families = new Set(KERNELS.map((k) => `${k.op}/${k.act}/${k.weight}/${k.requant}`));
    expect(d.kernels.length).toBe(families.size);
    for (const k of d.kernels) expect(k.name).toMatch(/^(s8|s16|f32)(_(s8|s4|n4|f32))?_(gemm|gemv|conv|dwconv|add|leakyrelu)_(s32|tflite|single|fp32|minmax|f32)_\d+x\d+(c\d+)?_(simd|scalar)$/);
    // Every relaxed kernel of the table has a SIMD kernel of the same family to fall back to.
    for (const k of KERNELS.filter((k) => k.isa === "relaxed")) {
      expect(KERNELS.some((s) => s.isa === "simd" && s.op === k.op && s.act === k.act && s.weight === k.weight && s.requant === k.requant)).toBe(true);
    }
  });
  it("chooses the SIMD build on Node 20 (no relaxed SIMD) and refuses the relaxed one with a remedy", async () => {
    const { LoadError } = await import("../src/errors.js");
    expect(process.versions.node).toMatch(/^20\./);
    expect(probeFeatures().relaxedSimd).toBe(false);
    expect(chooseBuild()).toBe("simd");
    expect((await loadDyad()).build).toBe("simd");
    expect((await loadDyad({ build: "simd" })).build).toBe("simd");
    await expect(loadDyad({ build: "relaxed" })).rejects.toThrow(LoadError);
    await expect(loadDyad({ build: "relaxed" })).rejects.toThrow(/relaxed build needs relaxed SIMD.*load the SIMD build/);
    await expect(loadDyad({ build: "fast" as "simd" })).rejects.toThrow(/build must be "auto", "simd" or "relaxed", got fast/);
    // The relaxed build's bytes, handed over directly: the engine refuses them; the error says what to load.
    await expect(Dyad.load(readFileSync(RELAXED_WASM_URL!))).rejects.toThrow(/cannot compile the relaxed-SIMD build.*dyad\.simd\.wasm/);
    // The SIMD build holds no relaxed op (else it would not compile here); the relaxed kernels live only in the other.
    const simdExports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
    for (const k of KERNELS.filter((k) => k.isa === "relaxed")) expect(simdExports).not.toContain(k.name);
  });
  it("keeps engines independent: each has its own memory", async () => {
    const a = await Dyad.load(bytes);
    const b = await Dyad.load(bytes);
    a.runtime.arena.alloc(1 << 20, "x");
    expect(b.memory.usedBytes).toBe(0);
    expect(a.memory.usedBytes).toBeGreaterThan(1 << 20);
  });

  it("names each bad environment with a remedy: no SIMD128, compiling from bytes forbidden (workerd), a memory limit", async () => {
    const { LoadError, MemoryError } = await import("../src/errors.js");
    const realValidate = WebAssembly.validate, realCompile = WebAssembly.compile;
    try {
      WebAssembly.validate = () => false;
      await expect(Dyad.load(bytes)).rejects.toThrow(LoadError);
      await expect(Dyad.load(bytes)).rejects.toThrow(/lacks SIMD128.*use an engine that has it/);
      WebAssembly.validate = realValidate;
      // What workerd says when a Worker compiles WebAssembly from bytes.
      WebAssembly.compile = async () => { throw new WebAssembly.CompileError("WebAssembly.compile(): Wasm code generation disallowed by embedder"); };
      await expect(Dyad.load(bytes)).rejects.toThrow(/forbids compiling WebAssembly from bytes.*import wasm from "dyad\/wasm\/dyad.simd.wasm"/);
      // The module path (what a Worker passes) needs no compilation from bytes.
      expect(await smoke(await Dyad.load(new WebAssembly.Module(bytes)))).toEqual([22, 28]);
    } finally {
      WebAssembly.validate = realValidate;
      WebAssembly.compile = realCompile;
    }
    const d = await Dyad.load(bytes, { memoryLimitBytes: 4 << 20 });
    expect(() => d.runtime.arena.alloc(64 << 20, "too much")).toThrow(MemoryError);
    // dyad never needs SharedArrayBuffer (one thread): it loads and runs where that is absent.
    expect(String(readFileSync(new URL("../dist/browser.bundle.js", import.meta.url)))).not.toMatch(/SharedArrayBuffer/);
  });
});
