// Requantization: the TypeScript references on the gemmlowp/TFLite edge cases, then the wasm scalar and SIMD
// forms of every mode against the references, bit for bit, over edge and random accumulators and every shift.

import { describe, it, expect } from "vitest";
import {
  saturatingRoundingDoublingHighMul as srdhm, roundingDivideByPOT as rdbpot,
  requantTflite, requantSingle, requantFp32, requantize,
} from "../src/quant/requant.js";
import type { RequantMode } from "../src/quant/multiplier.js";
import { dyad, rng, expectExact } from "./helpers.js";

const MIN = -2147483648;
const MAX = 2147483647;

describe("reference: gemmlowp fixed point", () => {
  it("SaturatingRoundingDoublingHighMul saturates only INT32_MIN x INT32_MIN", () => {
    expect(srdhm(MIN, MIN)).toBe(MAX);
    expect(srdhm(MIN, MAX)).toBe(-2147483647);
    expect(srdhm(MAX, MAX)).toBe(2147483646);
    expect(srdhm(2 ** 30, 2 ** 30)).toBe(2 ** 29);
  });
  it("SaturatingRoundingDoublingHighMul rounds halves toward +infinity (nudge then truncate)", () => {
    expect(srdhm(3, 2 ** 30)).toBe(2); // 1.5
    expect(srdhm(-3, 2 ** 30)).toBe(-1); // -1.5
    expect(srdhm(1, 2 ** 30)).toBe(1); // 0.5
    expect(srdhm(-1, 2 ** 30)).toBe(0); // -0.5
  });
  it("RoundingDivideByPOT rounds ties away from zero at every exponent", () => {
    for (let e = 1; e <= 31; e++) {
      const half = 2 ** (e - 1);
      expect(rdbpot(half, e)).toBe(1);
      expect(rdbpot(-half, e)).toBe(-1);
      expect(rdbpot(half - 1, e)).toBe(0);
      expect(rdbpot(-half + 1, e)).toBe(0);
      if (3 * half <= MAX) {
        expect(rdbpot(3 * half, e)).toBe(2);
        expect(rdbpot(-3 * half, e)).toBe(-2);
      }
    }
    expect(rdbpot(MIN, 31)).toBe(-1);
    expect(rdbpot(MAX, 31)).toBe(1);
    expect(rdbpot(12345, 0)).toBe(12345);
  });
});

describe("reference: the three modes", () => {
  it("tflite rounds twice, single once (1.25 -> 2 and 1)", () => {
    expect(requantTflite(5, 2 ** 30, -1)).toBe(2);
    expect(requantSingle(5, 2 ** 30, -1)).toBe(1);
  });
  it("negative exponents are left shifts (scale > 1)", () => {
    expect(requantTflite(1000, 2 ** 30, 2)).toBe(2000);
    expect(requantSingle(1000, 2 ** 30, 2)).toBe(2000);
    expect(requantTflite(-1000, 2 ** 30, 3)).toBe(-4000);
  });
  it("multipliers just below 2^31", () => {
    expect(requantTflite(MAX, MAX, 0)).toBe(2147483646);
    expect(requantSingle(MAX, MAX, 0)).toBe(2147483646);
    expect(requantTflite(MIN, MAX, 0)).toBe(-2147483647);
    expect(requantTflite(MIN, MIN, 0)).toBe(MAX);
  });
  it("single saturates where TFLite only asserts", () => {
    expect(requantSingle(MAX, MAX, 30)).toBe(MAX);
    expect(requantSingle(MIN, MAX, 30)).toBe(MIN);
  });
  it("fp32 rounds half to even in float32", () => {
    expect(requantFp32(5, 0.5)).toBe(2);
    expect(requantFp32(7, 0.5)).toBe(4);
    expect(requantFp32(-5, 0.5)).toBe(-2);
    expect(requantFp32(-7, 0.5)).toBe(-4);
    expect(requantFp32(2 ** 24 + 1, 1)).toBe(2 ** 24); // float32 conversion of the accumulator
    expect(requantFp32(MAX, 4)).toBe(MAX);
    expect(requantFp32(MIN, 4)).toBe(MIN);
  });
});

/** Accumulators at the edges, around every power of two and tie, and random. */
function accumulators(): Int32Array {
  const v: number[] = [0, 1, -1, 2, -2, 3, -3, 5, -5, MIN, MAX, MIN + 1, MAX - 1];
  for (let e = 0; e < 31; e++) for (const d of [-1, 0, 1]) v.push(2 ** e + d, -(2 ** e) + d, 3 * 2 ** e + d);
  const r = rng(42);
  for (let i = 0; i < 300; i++) v.push(Math.floor(r() * 2 ** 32) - 2 ** 31);
  for (let i = 0; i < 100; i++) v.push(Math.floor(r() * 2 ** 20) - 2 ** 19);
  return Int32Array.from(v, (x) => x | 0);
}

const MULTIPLIERS = [0, 2 ** 30, 2 ** 30 + 1, 1518500250, 2 ** 31 - 2, 2 ** 31 - 1];

describe("wasm scalar and SIMD forms equal the reference", () => {
  const acc = accumulators();
  for (const mode of ["tflite", "single"] as const) {
    for (const form of ["scalar", "simd"] as const) {
      it(`${mode} (${form}) for every shift in [-31, 30] and multipliers up to 2^31 - 1`, async () => {
        const rt = (await dyad()).runtime;
        const fn = rt.requantArray(mode, form);
        for (const m of [...MULTIPLIERS, MIN]) {
          for (let shift = -31; shift <= 30; shift++) {
            const got = rt.arena.scope(() => {
              const src = rt.upload(acc, "acc");
              const dst = rt.arena.alloc(acc.byteLength, "dst");
              fn(acc.length, src.ptr, dst.ptr, m, shift);
              return rt.view(Int32Array, dst).slice();
            });
            const want = Int32Array.from(acc, (a) => requantize(mode as RequantMode, a, m, shift));
            expectExact(got, want, acc.length, `${mode}/${form} m=${m} shift=${shift}`);
          }
        }
      });
    }
  }
  for (const form of ["scalar", "simd"] as const) {
    it(`fp32 (${form}) for scales from 2^-40 to 2^20, ties included`, async () => {
      const rt = (await dyad()).runtime;
      const fn = rt.requantArray("fp32", form);
      const r = rng(7);
      const scales = [0.5, 0.25, 1, 1.5, 3, 2 ** -40, 2 ** 20, 0.1, 1 / 3];
      for (let i = 0; i < 40; i++) scales.push(Math.fround(2 ** (-30 + r() * 40)));
      for (const s of scales) {
        const bits = new Int32Array(Float32Array.of(s).buffer)[0];
        const got = rt.arena.scope(() => {
          const src = rt.upload(acc, "acc");
          const dst = rt.arena.alloc(acc.byteLength, "dst");
          fn(acc.length, src.ptr, dst.ptr, bits, 0);
          return rt.view(Int32Array, dst).slice();
        });
        expectExact(got, Int32Array.from(acc, (a) => requantFp32(a, s)), acc.length, `fp32/${form} scale=${s}`);
      }
    });
  }
});
