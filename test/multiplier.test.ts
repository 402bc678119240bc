import { describe, it, expect } from "vitest";
import { quantizeMultiplier, fp32Multiplier } from "../src/quant/multiplier.js";
import { QuantParamError } from "../src/errors.js";
import { rng } from "./helpers.js";

describe("quantizeMultiplier (TFLite QuantizeMultiplier)", () => {
  it("maps powers of two and simple fractions exactly", () => {
    expect(quantizeMultiplier(0.5)).toMatchObject({ multiplier: 2 ** 30, shift: 0, error: 0 });
    expect(quantizeMultiplier(1)).toMatchObject({ multiplier: 2 ** 30, shift: 1, error: 0 });
    expect(quantizeMultiplier(0.25)).toMatchObject({ multiplier: 2 ** 30, shift: -1, error: 0 });
    expect(quantizeMultiplier(0.75)).toMatchObject({ multiplier: 1610612736, shift: 0, error: 0 });
    expect(quantizeMultiplier(3)).toMatchObject({ multiplier: 1610612736, shift: 2 });
  });
  it("carries a mantissa that rounds up to 2^31 into the exponent", () => {
    expect(quantizeMultiplier(1 - 2 ** -40)).toMatchObject({ multiplier: 2 ** 30, shift: 1 });
  });
  it("flushes multipliers below 2^-32 to zero", () => {
    expect(quantizeMultiplier(2 ** -40)).toMatchObject({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(0)).toMatchObject({ multiplier: 0, shift: 0, error: 0 });
  });
  it("keeps the relative error within 2^-31 over scales below and above 1", () => {
    const r = rng(1);
    for (let i = 0; i < 10000; i++) {
      const real = 2 ** (-30 + r() * 58);
      const q = quantizeMultiplier(real);
      expect(q.multiplier).toBeGreaterThanOrEqual(2 ** 30);
      expect(q.multiplier).toBeLessThan(2 ** 31);
      expect(Math.abs(q.error)).toBeLessThanOrEqual(2 ** -31);
      expect(q.represented).toBe(q.multiplier * 2 ** (q.shift - 31));
    }
  });
  it("single rounding saturates shifts above 30; double rounding rejects them", () => {
    expect(quantizeMultiplier(2 ** 31, "single")).toMatchObject({ multiplier: 2 ** 31 - 1, shift: 30 });
    expect(() => quantizeMultiplier(2 ** 31, "tflite")).toThrow(QuantParamError);
  });
  it("rejects negative and non-finite multipliers", () => {
    for (const bad of [-1, NaN, Infinity]) expect(() => quantizeMultiplier(bad)).toThrow(QuantParamError);
  });
  it("fp32Multiplier rounds each step to float32", () => {
    const m = fp32Multiplier(0.1, 0.2, 0.3);
    expect(m).toBe(Math.fround(Math.fround(Math.fround(0.1) * Math.fround(0.2)) / Math.fround(0.3)));
  });
});
