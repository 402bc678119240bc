// The int8 graph ops against plain loops written from the TFLite reference kernels, exactly, over grids of
// shapes, strides, dilations, paddings, per-channel parameters and activations.

import { describe, it, expect } from "vitest";
import { conv2d } from "../../src/ops/conv2d.js";
import { depthwiseConv2d } from "../../src/ops/depthwise-conv2d.js";
import { fullyConnected } from "../../src/ops/fully-connected.js";
import { add } from "../../src/ops/add.js";
import { mean } from "../../src/ops/mean.js";
import { pad, transpose, reshape } from "../../src/ops/data-movement.js";
import { window1d, type Padding } from "../../src/ops/conv-geometry.js";
import { activationClamp, type FusedActivation } from "../../src/quant/activation.js";
import { quantizeMultiplier } from "../../src/quant/multiplier.js";
import { requantTflite, requantTflite16x8 } from "../../src/quant/requant.js";
import { dyad, rng, randInts, expectExact } from "../helpers.js";
import { oneOpModel, multiplier, requantOut } from "./graph-helpers.js";

const ACTS: FusedActivation[] = ["none", "relu", "relu6"];

describe("CONV_2D and DEPTHWISE_CONV_2D", () => {
  for (const depthwise of [false, true]) {
    it(`${depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D"} equals the reference on a grid`, async () => {
      const d = await dyad();
      const r = rng(depthwise ? 11 : 7);
      let cases = 0;
      for (let iter = 0; iter < 80; iter++) {
        const n = 1 + (iter % 2);
        const h = [1, 3, 5, 8, 11][Math.floor(r() * 5)], w = [1, 4, 7, 9][Math.floor(r() * 4)];
        const cin = depthwise ? [1, 7, 8, 16, 17][Math.floor(r() * 5)] : [1, 3, 8, 13][Math.floor(r() * 4)];
        const mult = depthwise ? [1, 1, 2, 3][iter % 4] : 1;
        const cout = depthwise ? cin * mult : [1, 8, 9, 16][Math.floor(r() * 4)];
        const kh = [1, 3, 5][Math.floor(r() * 3)], kw = [1, 3][Math.floor(r() * 2)];
        const sh = 1 + Math.floor(r() * 2), sw = 1 + Math.floor(r() * 2);
        const dh = 1 + Math.floor(r() * 2), dw = 1 + Math.floor(r() * 2);
        const padding: Padding = r() < 0.5 ? "SAME" : "VALID";
        if (padding === "VALID" && ((kh - 1) * dh + 1 > h || (kw - 1) * dw + 1 > w)) continue;
        const act = ACTS[iter % 3];
        const rows = window1d(padding, h, kh, sh, dh, "h"), cols = window1d(padding, w, kw, sw, dw, "w");
        const zx = Math.floor(r() * 256) - 128, zy = Math.floor(r() * 256) - 128;
        const sx = 0.02 + r() * 0.05;
        const wscale = Array.from({ length: cout }, () => 0.002 + r() * 0.02);
        // Every seventh case: an output scale small enough that multipliers exceed one (left shifts); another
        // seventh: multipliers around one, a mix of shift 0 (multipliers in [0.5, 1)), right and left shifts,
        // with one channel of a tiny scale (right shift 20 or 24); another seventh: one channel's right shift
        // is past 21. (The depthwise kernel's narrow route takes right shifts up to 21, its wide route the rest.)
        if (iter % 7 === 5) wscale[cout - 1] = iter % 2 ? 5e-10 : 1e-8;
        if (iter % 7 === 6) wscale[cout - 1] = 2e-7;
        const sy = iter % 7 === 3 ? (sx * 0.002) / 3 : iter % 7 === 5 ? sx * 0.012 : 0.05 + r() * 0.3;
        const x = randInts(Int8Array, n * h * w * cin, -128, 127, r);
        const filterShape = depthwise ? [1, kh, kw, cout] : [cout, kh, kw, cin];
        const filter = randInts(Int8Array, filterShape.reduce((a, b) => a * b, 1), -127, 127, r);
        const bias = randInts(Int32Array, cout, -2000, 2000, r);
        // With multipliers near one: large accumulators in half the channels, which saturate but must stay on
        // their side (the depthwise kernel's narrow route clamps before it scales).
        if (iter % 7 === 5) for (let i = 0; i < cout; i += 2) bias[i] += (r() < 0.5 ? -1 : 1) * 2 ** 20;
        const outShape = [n, rows.out, cols.out, cout];
        const opts = { padding, strideH: sh, strideW: sw, dilationH: dh, dilationW: dw, activation: act };
        const model = oneOpModel(d, depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D",
          depthwise ? depthwiseConv2d({ ...opts, depthMultiplier: 1 }) : conv2d(opts), [
            { dtype: "int8", shape: [n, h, w, cin], scale: sx, zeroPoint: zx },
            { dtype: "int8", shape: filterShape, scale: wscale, axis: depthwise ? 3 : 0, data: filter },
            { dtype: "int32", shape: [cout], data: bias },
            { dtype: "int8", shape: outShape, scale: sy, zeroPoint: zy },
          ], [0, 1, 2], [3]);
        const got = model.run([x])[0].data as Int8Array;
        model.dispose();
        const { min, max } = activationClamp(act, sy, zy, "int8");
        const want = new Int8Array(got.length);
        let o = 0;
        for (let b = 0; b < n; b++) for (let oy = 0; oy < rows.out; oy++) for (let ox = 0; ox < cols.out; ox++) for (let oc = 0; oc < cout; oc++) {
          let acc = bias[oc];
          for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
            const iy = oy * sh - rows.padBefore + ky * dh, ix = ox * sw - cols.padBefore + kx * dw;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            if (depthwise) {
              acc += filter[(ky * kw + kx) * cout + oc] * (x[((b * h + iy) * w + ix) * cin + Math.floor(oc / mult)] - zx);
            } else {
              for (let ic = 0; ic < cin; ic++) acc += filter[((oc * kh + ky) * kw + kx) * cin + ic] * (x[((b * h + iy) * w + ix) * cin + ic] - zx);
            }
          }
          want[o++] = requantOut(acc, multiplier(sx, wscale[oc], sy), zy, min, max);
        }
        expectExact(got, want, cout, `case ${iter}: n=${n} ${h}x${w}x${cin} -> ${cout} (x${mult}), k=${kh}x${kw} s=${sh},${sw} d=${dh},${dw} ${padding} ${act}`);
        cases++;
      }
      expect(cases).toBeGreaterThan(50);
    });
  }
});

describe("FULLY_CONNECTED", () => {
  it("equals the reference, per tensor and per channel, with and without bias", async () => {
    const d = await dyad();
    const r = rng(5);
    for (let iter = 0; iter < 30; iter++) {
      const rows = 1 + Math.floor(r() * 5), k = 1 + Math.floor(r() * 40), n = 1 + Math.floor(r() * 20);
      const perChannel = iter % 2 === 1, withBias = iter % 3 !== 0;
      const sx = 0.05, sy = 0.1 + r();
      const sw = perChannel ? Array.from({ length: n }, () => 0.005 + r() * 0.01) : [0.01];
      const zx = Math.floor(r() * 256) - 128, zy = Math.floor(r() * 256) - 128;
      const x = randInts(Int8Array, rows * k, -128, 127, r);
      const wt = randInts(Int8Array, n * k, -127, 127, r);
      const bias = randInts(Int32Array, n, -1000, 1000, r);
      const act = ACTS[iter % 3];
      const model = oneOpModel(d, "FULLY_CONNECTED", fullyConnected(act), [
        { dtype: "int8", shape: [rows, k], scale: sx, zeroPoint: zx },
        { dtype: "int8", shape: [n, k], scale: sw, axis: 0, data: wt },
        { dtype: "int32", shape: [n], data: bias },
        { dtype: "int8", shape: [rows, n], scale: sy, zeroPoint: zy },
      ], [0, 1, withBias ? 2 : -1], [3]);
      const got = model.run([x])[0].data as Int8Array;
      model.dispose();
      const { min, max } = activationClamp(act, sy, zy, "int8");
      const want = Int8Array.from({ length: rows * n }, (_, idx) => {
        const i = Math.floor(idx / n), j = idx % n;
        let acc = withBias ? bias[j] : 0;
        for (let kk = 0; kk < k; kk++) acc += wt[j * k + kk] * (x[i * k + kk] - zx);
        return requantOut(acc, multiplier(sx, sw[perChannel ? j : 0], sy), zy, min, max);
      });
      expectExact(got, want, n, `case ${iter}`);
    }
  });
});

describe("DEPTHWISE_CONV_2D 16x8", () => {
  it("int16 activations, int64 bias, depth multipliers: equals the int64 reference", async () => {
    const d = await dyad();
    const r = rng(61);
    for (let iter = 0; iter < 8; iter++) {
      const [h, w, c, mult, k, s] = [5, 6, 1 + (iter % 3), 1 + (iter % 2), 3, 1 + (iter % 2)];
      const padding = iter % 4 < 2 ? "SAME" : "VALID";
      const cout = c * mult;
      const rows = window1d(padding, h, k, s, 1, "h"), cols = window1d(padding, w, k, s, 1, "w");
      const x = Int16Array.from({ length: h * w * c }, () => Math.floor(r() * 65536) - 32768);
      const filter = randInts(Int8Array, k * k * cout, -127, 127, r);
      const bias = BigInt64Array.from({ length: cout }, () => BigInt(Math.floor(r() * 1e6) - 5e5));
      const sw = Array.from({ length: cout }, () => 0.001 + r() * 0.01);
      const model = oneOpModel(d, "DEPTHWISE_CONV_2D", depthwiseConv2d({ padding, strideH: s, strideW: s, dilationH: 1, dilationW: 1, activation: "none", depthMultiplier: mult }), [
        { dtype: "int16", shape: [1, h, w, c], scale: 0.001, zeroPoint: 0 },
        { dtype: "int8", shape: [1, k, k, cout], scale: sw, axis: 3, data: filter },
        { dtype: "int64", shape: [cout], data: bias },
        { dtype: "int16", shape: [1, rows.out, cols.out, cout], scale: 0.004, zeroPoint: 0 },
      ], [0, 1, 2], [3]);
      const got = model.run([x])[0].data as Int16Array;
      model.dispose();
      const want: number[] = [];
      for (let oy = 0; oy < rows.out; oy++) for (let ox = 0; ox < cols.out; ox++) for (let oc = 0; oc < cout; oc++) {
        let acc = bias[oc];
        for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
          const iy = oy * s - rows.padBefore + ky, ix = ox * s - cols.padBefore + kx;
          if (iy >= 0 && iy < h && ix >= 0 && ix < w) acc += BigInt(filter[(ky * k + kx) * cout + oc] * x[(iy * w + ix) * c + Math.floor(oc / mult)]);
        }
        const m = quantizeMultiplier((Math.fround(0.001) * Math.fround(sw[oc])) / Math.fround(0.004));
        want.push(Math.min(32767, Math.max(-32768, requantTflite16x8(acc, m.multiplier, m.shift))));
      }
      expectExact(Array.from(got), want, cout, `case ${iter}`);
    }
  });
});

describe("FULLY_CONNECTED 16x8", () => {
  it("int16 activations, int8 per-channel weights, int64 bias: equals the int64 reference", async () => {
    const d = await dyad();
    const r = rng(16);
    for (let iter = 0; iter < 12; iter++) {
      const rows = 1 + Math.floor(r() * 4), k = 1 + Math.floor(r() * 70), n = 1 + Math.floor(r() * 12);
      const sx = 0.001, sy = 0.002 + r() * 0.01;
      const sw = Array.from({ length: n }, () => 0.001 + r() * 0.01);
      const x = Int16Array.from({ length: rows * k }, () => Math.floor(r() * 65536) - 32768);
      const wt = randInts(Int8Array, n * k, -127, 127, r);
      const bias = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r() * 2e6) - 1e6));
      const model = oneOpModel(d, "FULLY_CONNECTED", fullyConnected(iter % 2 ? "relu" : "none"), [
        { dtype: "int16", shape: [rows, k], scale: sx, zeroPoint: 0 },
        { dtype: "int8", shape: [n, k], scale: sw, axis: 0, data: wt },
        { dtype: "int64", shape: [n], data: bias },
        { dtype: "int16", shape: [rows, n], scale: sy, zeroPoint: 0 },
      ], [0, 1, 2], [3]);
      const got = model.run([x])[0].data as Int16Array;
      model.dispose();
      const lo = iter % 2 ? 0 : -32768;
      const want = Int16Array.from({ length: rows * n }, (_, idx) => {
        const i = Math.floor(idx / n), j = idx % n;
        let acc = bias[j];
        for (let kk = 0; kk < k; kk++) acc += BigInt(wt[j * k + kk] * x[i * k + kk]);
        const m = quantizeMultiplier((Math.fround(sx) * Math.fround(sw[j])) / Math.fround(sy));
        return Math.min(32767, Math.max(lo, requantTflite16x8(acc, m.multiplier, m.shift)));
      });
      expectExact(got, want, n, `case ${iter}`);
    }
  });
});

describe("ADD", () => {
  it("equals TFLite's integer add (rescale to 2^20, add, rescale) with clamps; from 4096 elements by table, every byte pair", async () => {
    const d = await dyad();
    const r = rng(9);
    for (let iter = 0; iter < 46; iter++) {
      // The last six: all 65,536 (a, b) byte pairs in one tensor, which runs on the 64K-entry table.
      const exhaustive = iter >= 40;
      const shape = exhaustive ? [1, 256, 256, 1] : [1, 1 + Math.floor(r() * 4), 1 + Math.floor(r() * 6), 1 + Math.floor(r() * 9)];
      const size = shape.reduce((a, b) => a * b, 1);
      const sa = 0.01 + r() * 0.1, sb = sa * (0.1 + r() * 4), sy = Math.max(sa, sb) * (0.5 + r() * 2);
      const za = Math.floor(r() * 256) - 128, zb = Math.floor(r() * 256) - 128, zy = Math.floor(r() * 256) - 128;
      const a = exhaustive ? Int8Array.from({ length: size }, (_, i) => (i >> 8) - 128) : randInts(Int8Array, size, -128, 127, r);
      const b = exhaustive ? Int8Array.from({ length: size }, (_, i) => (i & 255) - 128) : randInts(Int8Array, size, -128, 127, r);
      const act = ACTS[iter % 3];
      const model = oneOpModel(d, "ADD", add(act), [
        { dtype: "int8", shape, scale: sa, zeroPoint: za },
        { dtype: "int8", shape, scale: sb, zeroPoint: zb },
        { dtype: "int8", shape, scale: sy, zeroPoint: zy },
      ], [0, 1], [2]);
      const got = model.run([a, b])[0].data as Int8Array;
      model.dispose();
      const twiceMax = 2 * Math.max(Math.fround(sa), Math.fround(sb));
      const m1 = quantizeMultiplier(Math.fround(sa) / twiceMax), m2 = quantizeMultiplier(Math.fround(sb) / twiceMax);
      const mo = quantizeMultiplier(twiceMax / ((1 << 20) * Math.fround(sy)));
      const { min, max } = activationClamp(act, sy, zy, "int8");
      const want = Int8Array.from({ length: size }, (_, i) => {
        const x = requantTflite((a[i] - za) * (1 << 20), m1.multiplier, m1.shift);
        const y = requantTflite((b[i] - zb) * (1 << 20), m2.multiplier, m2.shift);
        return Math.min(max, Math.max(min, requantTflite(x + y, mo.multiplier, mo.shift) + zy));
      });
      expectExact(got, want, shape[3], `case ${iter}`);
    }
  });
});

describe("MEAN, PAD, TRANSPOSE, RESHAPE", () => {
  it("MEAN over height and width equals integer_ops::Mean", async () => {
    const d = await dyad();
    const r = rng(3);
    for (const [n, h, w, c] of [[1, 7, 7, 16], [2, 3, 5, 3], [1, 1, 1, 8], [1, 4, 4, 1]]) {
      const sx = 0.02 + r() * 0.05, sy = 0.01 + r() * 0.05, zx = Math.floor(r() * 256) - 128, zy = Math.floor(r() * 256) - 128;
      const x = randInts(Int8Array, n * h * w * c, -128, 127, r);
      const model = oneOpModel(d, "MEAN", mean(), [
        { dtype: "int8", shape: [n, h, w, c], scale: sx, zeroPoint: zx },
        { dtype: "int32", shape: [2], data: Int32Array.of(1, 2) },
        { dtype: "int8", shape: [n, c], scale: sy, zeroPoint: zy },
      ], [0, 1], [2]);
      const got = model.run([x])[0].data as Int8Array;
      model.dispose();
      const q = quantizeMultiplier(Math.fround(sx) / Math.fround(sy));
      const want = Int8Array.from({ length: n * c }, (_, idx) => {
        const b = Math.floor(idx / c), ch = idx % c;
        let acc = 0;
        for (let i = 0; i < h * w; i++) acc += x[(b * h * w + i) * c + ch] - zx;
        acc = requantTflite(acc, q.multiplier, q.shift);
        const cnt = h * w, half = Math.floor(cnt / 2);
        acc = acc > 0 ? Math.trunc((acc + half) / cnt) : Math.trunc((acc - half) / cnt);
        return Math.min(127, Math.max(-128, acc + zy));
      });
      expectExact(got, want, c, `MEAN ${[n, h, w, c]}`);
    }
  });

  it("PAD fills with the zero point; TRANSPOSE permutes; RESHAPE copies", async () => {
    const d = await dyad();
    const r = rng(4);
    const shape = [2, 3, 4, 5];
    const x = randInts(Int8Array, 120, -128, 127, r);
    // Every axis padded; the image axes only (NHWC, the copy runs span whole padded rows); the first axis only
    // (one run per batch); nothing.
    for (const pads of [[0, 1, 1, 0, 2, 1, 0, 3], [0, 0, 1, 2, 3, 1, 0, 0], [2, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]) {
      const padded = shape.map((dim, i) => dim + pads[2 * i] + pads[2 * i + 1]);
      const padModel = oneOpModel(d, "PAD", pad(), [
        { dtype: "int8", shape, scale: 0.1, zeroPoint: -7 }, { dtype: "int32", shape: [4, 2], data: Int32Array.from(pads) },
        { dtype: "int8", shape: padded, scale: 0.1, zeroPoint: -7 },
      ], [0, 1], [2]);
      const p = padModel.run([x])[0].data as Int8Array;
      padModel.dispose();
      let o = 0;
      for (let a = 0; a < padded[0]; a++) for (let b = 0; b < padded[1]; b++) for (let c = 0; c < padded[2]; c++) for (let e = 0; e < padded[3]; e++, o++) {
        const [ia, ib, ic, ie] = [a - pads[0], b - pads[2], c - pads[4], e - pads[6]];
        const inside = ia >= 0 && ia < 2 && ib >= 0 && ib < 3 && ic >= 0 && ic < 4 && ie >= 0 && ie < 5;
        expect(p[o], `pads ${pads} at ${o}`).toBe(inside ? x[((ia * 3 + ib) * 4 + ic) * 5 + ie] : -7);
      }
    }
    const perm = Int32Array.of(0, 2, 3, 1);
    const trModel = oneOpModel(d, "TRANSPOSE", transpose(), [
      { dtype: "int8", shape, scale: 0.1 }, { dtype: "int32", shape: [4], data: perm }, { dtype: "int8", shape: [2, 4, 5, 3], scale: 0.1 },
    ], [0, 1], [2]);
    const t = trModel.run([x])[0].data as Int8Array;
    trModel.dispose();
    let o = 0;
    for (let a = 0; a < 2; a++) for (let c = 0; c < 4; c++) for (let e = 0; e < 5; e++) for (let b = 0; b < 3; b++) expect(t[o++]).toBe(x[((a * 3 + b) * 4 + c) * 5 + e]);
    // Wider elements and higher ranks: int16 and int32, 5-D.
    for (const [dtype, Ctor] of [["int16", Int16Array], ["int32", Int32Array]] as const) {
      const shape5 = [2, 3, 1, 4, 5], perm5 = [3, 0, 4, 2, 1];
      const out5 = perm5.map((p5) => shape5[p5]);
      const x5 = new Ctor(120).map((_, i) => (i * 2654435761) % 30011 - 15000);
      const m5 = oneOpModel(d, "TRANSPOSE", transpose(), [
        { dtype, shape: shape5, scale: 0.1 }, { dtype: "int32", shape: [5], data: Int32Array.from(perm5) }, { dtype, shape: out5, scale: 0.1 },
      ], [0, 1], [2]);
      const t5 = m5.run([x5])[0].data as Int16Array | Int32Array;
      m5.dispose();
      const inStr = shape5.map((_, i) => shape5.slice(i + 1).reduce((a, b) => a * b, 1));
      let at = 0;
      for (let a = 0; a < out5[0]; a++) for (let b = 0; b < out5[1]; b++) for (let c = 0; c < out5[2]; c++) for (let e = 0; e < out5[3]; e++) for (let g = 0; g < out5[4]; g++) {
        const idx = [a, b, c, e, g].reduce((sum, v, k) => sum + v * inStr[perm5[k]], 0);
        expect(t5[at++], `${dtype} at ${at - 1}`).toBe(x5[idx]);
      }
    }
    const rsModel = oneOpModel(d, "RESHAPE", reshape(), [{ dtype: "int8", shape, scale: 0.1 }, { dtype: "int8", shape: [120], scale: 0.1 }], [0], [1]);
    expect(Array.from(rsModel.run([x])[0].data as Int8Array)).toEqual(Array.from(x));
    rsModel.dispose();
  });
});
