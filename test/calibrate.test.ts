// Calibration observers against ranges computed by hand on fixed data, including the edge cases of the
// histogram methods (constant tensors, single outliers, all-negative tensors), and the dyadic scales.

import { describe, it, expect } from "vitest";
import { Observer, ChannelObserver, paramsFromRange, dyadicScale } from "../src/quant/calibrate.js";
import { BufferError, QuantParamError, UnsupportedError } from "../src/errors.js";
import { rng } from "./helpers.js";

const f32 = (...v: number[]) => Float32Array.from(v);

/** Standard normal samples (Box-Muller on the seeded generator). */
function gaussian(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

describe("parameters from a range", () => {
  it("symmetric: zero point 0, scale max|x| / (2^(b-1) - 1); asymmetric: 0 representable", () => {
    expect(paramsFromRange({ min: -2, max: 5 }, 8, true)).toEqual({ scale: Math.fround(5 / 127), zeroPoint: 0, qmin: -127, qmax: 127 });
    expect(paramsFromRange({ min: -2, max: 5 }, 8, false)).toEqual({ scale: Math.fround(7 / 255), zeroPoint: 73, qmin: 0, qmax: 255 });
    expect(paramsFromRange({ min: 1, max: 3 }, 4, false)).toEqual({ scale: Math.fround(3 / 15), zeroPoint: 0, qmin: 0, qmax: 15 });
    expect(paramsFromRange({ min: -3, max: -1 }, 2, true)).toEqual({ scale: 3, zeroPoint: 0, qmin: -1, qmax: 1 });
    expect(paramsFromRange({ min: 0, max: 0 }, 8, false).scale).toBe(1);
    expect(() => paramsFromRange({ min: 0, max: 1 }, 1)).toThrow(QuantParamError);
    expect(() => paramsFromRange({ min: 2, max: 1 }, 8)).toThrow(/not a finite interval/);
  });
});

describe("observers", () => {
  it("minmax: the extremes over all batches", () => {
    const o = new Observer({ method: "minmax" }).observe(f32(1, -2, 3)).observe(f32(0.5, 5));
    expect(o.range()).toEqual({ min: -2, max: 5 });
    expect(o.params().scale).toBe(Math.fround(5 / 127));
  });
  it("moving-average: m * r + (1 - m) * batch", () => {
    const o = new Observer({ method: "moving-average", momentum: 0.9 }).observe(f32(-1, 1)).observe(f32(-3, 5));
    const r = o.range();
    expect(r.min).toBeCloseTo(-1.2, 12);
    expect(r.max).toBeCloseTo(1.4, 12);
  });
  it("percentile: the bulk, not the outlier", () => {
    const data = Float32Array.from({ length: 10001 }, (_, i) => (i < 10000 ? i / 10000 : 10));
    const o = new Observer({ method: "percentile", percentile: 99.9 }).observe(data);
    expect(o.range().max).toBeGreaterThan(0.99);
    expect(o.range().max).toBeLessThan(1.01);
    const asym = new Observer({ method: "percentile", percentile: 99, symmetric: false }).observe(Float32Array.from({ length: 1000 }, (_, i) => i / 100 - 5));
    expect(asym.range().min).toBeCloseTo(-4.9, 1);
    expect(asym.range().max).toBeCloseTo(4.9, 1);
  });
  it("kl: a Gaussian's threshold sits a few sigma out, far inside a single outlier", () => {
    const data = gaussian(100_000, 3);
    const withOutlier = Float32Array.from([...data, 60]);
    const t = new Observer({ method: "kl" }).observe(withOutlier).range().max;
    expect(t).toBeGreaterThan(2);
    expect(t).toBeLessThan(8);
    // Fewer bits clip harder.
    const t4 = new Observer({ method: "kl", bits: 4 }).observe(withOutlier).range().max;
    expect(t4).toBeLessThan(t);
  });
  it("kl: a ReLU output's spike of zeros does not pull the threshold toward 0 (zeros are exact in any range)", () => {
    const r = rng(5);
    // 80% zeros, an exponential tail above (mean 1): like a trained ReLU's output.
    const relu = Float32Array.from({ length: 40_000 }, () => (r() < 0.8 ? 0 : -Math.log(1 - r())));
    const max = Math.max(...relu);
    for (const bits of [8, 4]) {
      const t = new Observer({ method: "kl", bits, symmetric: false }).observe(relu).range().max;
      expect(t, `${bits} bits`).toBeGreaterThan(max / 4);
      expect(t, `${bits} bits`).toBeLessThanOrEqual(max);
    }
  });
  it("kl and percentile: a constant tensor keeps its value; an all-negative tensor stays negative", () => {
    for (const method of ["kl", "percentile", "mse"] as const) {
      const c = new Observer({ method }).observe(new Float32Array(500).fill(0.5)).range();
      expect(c.max, method).toBeCloseTo(0.5, 2);
      const neg = new Observer({ method }).observe(Float32Array.from({ length: 2000 }, (_, i) => -1 - (2 * i) / 2000)).range();
      expect(neg.max, method).toBeLessThanOrEqual(0);
      expect(neg.min, method).toBeLessThan(-2.5);
      expect(neg.min, method).toBeGreaterThanOrEqual(-3.01);
    }
  });
  it("mse: clips a single outlier; at 2 bits clips harder than at 8", () => {
    const data = Float32Array.from([...Array.from({ length: 4000 }, (_, i) => (i / 2000) - 1), 20]);
    const r8 = new Observer({ method: "mse", bits: 8 }).observe(data).range();
    const r2 = new Observer({ method: "mse", bits: 2 }).observe(data).range();
    expect(r8.max).toBeLessThan(20);
    expect(r2.max).toBeLessThan(r8.max);
    expect(r2.max).toBeGreaterThan(0.2);
  });
  it("a histogram widens for a later, wider batch", () => {
    const o = new Observer({ method: "percentile", percentile: 100 }).observe(f32(0.1, 0.2)).observe(f32(3, -4));
    expect(o.range().max).toBeCloseTo(4, 1);
    expect(o.range().min).toBeCloseTo(-4, 1);
  });
  it("per channel and per group", () => {
    // [2, 3]: channels along axis 1.
    const c = new ChannelObserver([2, 3], 1, { method: "minmax" }).observe(f32(1, -2, 3, -4, 5, 0.5));
    expect(c.params().map((p) => p.scale)).toEqual([4, 5, 3].map((v) => Math.fround(v / 127)));
    expect(c.params().every((p) => p.zeroPoint === 0)).toBe(true);
    // [4, 2] in groups of 2 along axis 0, channels along axis 1: (channel, group) pairs.
    const g = new ChannelObserver([4, 2], 1, { method: "minmax" }, 2, 0).observe(f32(1, 10, 2, 20, 3, 30, 4, 40));
    expect(g.params().map((p) => p.scale)).toEqual([2, 4, 20, 40].map((v) => Math.fround(v / 127)));
  });
  it("refuses bad input with typed errors", () => {
    expect(() => new Observer().range()).toThrow(/no data observed/);
    expect(() => new Observer().observe(f32(1, NaN))).toThrow(BufferError);
    expect(() => new Observer().observe(f32(1, NaN))).toThrow(/value 1 of batch 0 is NaN/);
    expect(() => new Observer({ bits: 1 })).toThrow(QuantParamError);
    expect(() => new Observer({ bits: 17 })).toThrow(/bits must be an integer from 2 to 16/);
    expect(() => new Observer({ method: "entropy" as "kl" })).toThrow(UnsupportedError);
    expect(() => new Observer({ method: "percentile", percentile: 40 })).toThrow(QuantParamError);
    expect(() => new ChannelObserver([2, 3], 1).observe(f32(1, 2))).toThrow(/shape \[2,3\] has 6 values, got 2/);
    expect(() => new ChannelObserver([2, 3], 2)).toThrow(QuantParamError);
  });
});

describe("dyadic scales b / 2^c", () => {
  it("exact where the scale is dyadic, close otherwise, within the bit budget", () => {
    expect(dyadicScale(0.75, 2)).toEqual({ multiplier: 3, shift: 2, value: 0.75, relativeError: 0 });
    const d = dyadicScale(0.1, 8);
    expect(d).toMatchObject({ multiplier: 205, shift: 11 });
    expect(d.relativeError).toBeCloseTo(0.0009766, 6);
    for (const s of [1e-6, 0.0123, 0.5, 0.999999, 1, 7.3, 1e4]) {
      for (const bits of [4, 8, 16, 31]) {
        const q = dyadicScale(s, bits);
        expect(q.multiplier).toBeLessThan(2 ** bits);
        expect(q.multiplier).toBeGreaterThanOrEqual(2 ** (bits - 1));
        expect(q.relativeError).toBeLessThanOrEqual(2 ** -(bits - 1));
      }
    }
    expect(() => dyadicScale(0)).toThrow(QuantParamError);
    expect(() => dyadicScale(1, 32)).toThrow(QuantParamError);
  });
});
