// The remaining TFLite ops against plain loops from the reference kernels (exact), or, where the reference is
// a fixed-point approximation of a float function (HARD_SWISH, LOGISTIC, TANH), against that function.

import { describe, it, expect } from "vitest";
import { binary } from "../../src/ops/binary.js";
import { relu, quantize, dequantize, lookupActivation, sigmoid, hardSwish } from "../../src/ops/unary.js";
import { pool } from "../../src/ops/pooling.js";
import { concatenation } from "../../src/ops/concat.js";
import { transposeConv } from "../../src/ops/transpose-conv.js";
import { softmax } from "../../src/ops/softmax.js";
import { pad } from "../../src/ops/data-movement.js";
import { window1d } from "../../src/ops/conv-geometry.js";
import { activationClamp } from "../../src/quant/activation.js";
import { quantizeMultiplier } from "../../src/quant/multiplier.js";
import { requantTflite } from "../../src/quant/requant.js";
import { dyad, rng, randInts, expectExact } from "../helpers.js";
import { oneOpModel } from "./graph-helpers.js";

const q = (sx: number, sy: number) => quantizeMultiplier(Math.fround(sx) / Math.fround(sy));

describe("ADD, SUB, MUL with broadcasting", () => {
  for (const op of ["ADD", "SUB", "MUL"] as const) {
    for (const dtype of ["int8", "int16"] as const) {
      it(`${op} ${dtype} equals the reference over broadcast shapes`, async () => {
        const d = await dyad();
        const r = rng(op.length * 10 + dtype.length);
        const [lo, hi] = dtype === "int8" ? [-128, 127] : [-32768, 32767];
        for (const [sa, sb, so] of [[[2, 3, 4], [2, 3, 4], [2, 3, 4]], [[2, 3, 4], [4], [2, 3, 4]], [[1, 3, 1], [2, 1, 5], [2, 3, 5]], [[5], [1], [5]]]) {
          const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
          const zs = dtype === "int8" ? [Math.floor(r() * 256) - 128, Math.floor(r() * 256) - 128, Math.floor(r() * 256) - 128] : [0, 0, 0];
          const [s1, s2] = [0.01 + r() * 0.1, 0.01 + r() * 0.1];
          const s3 = op === "MUL" ? s1 * s2 * (20 + r() * 100) : Math.max(s1, s2) * (1 + r());
          const gen = (len: number) => {
            const values = Array.from({ length: len }, () => lo + Math.floor(r() * (hi - lo + 1)));
            return dtype === "int8" ? Int8Array.from(values) : Int16Array.from(values);
          };
          const a = gen(n(sa)), b = gen(n(sb));
          const model = oneOpModel(d, op, binary(op, "none"), [
            { dtype, shape: sa, scale: s1, zeroPoint: zs[0] }, { dtype, shape: sb, scale: s2, zeroPoint: zs[1] },
            { dtype, shape: so, scale: s3, zeroPoint: zs[2] },
          ], [0, 1], [2]);
          const got = model.run([a, b])[0].data as Int8Array;
          model.dispose();
          const pad = (s: number[]) => [...new Array(3 - s.length).fill(1), ...s];
          const pa = pad(sa), pb = pad(sb), po = pad(so);
          const want: number[] = [];
          for (let i = 0; i < po[0]; i++) for (let j = 0; j < po[1]; j++) for (let k = 0; k < po[2]; k++) {
            const at = (p: number[]) => ((p[0] === 1 ? 0 : i) * p[1] + (p[1] === 1 ? 0 : j)) * p[2] + (p[2] === 1 ? 0 : k);
            const x1 = a[at(pa)] - zs[0], x2 = b[at(pb)] - zs[1];
            let v: number;
            if (op === "MUL") {
              const m = quantizeMultiplier((Math.fround(s1) * Math.fround(s2)) / Math.fround(s3));
              v = zs[2] + requantTflite(x1 * x2, m.multiplier, m.shift);
            } else {
              const shift = dtype === "int8" ? 20 : 15;
              const tm = 2 * Math.max(Math.fround(s1), Math.fround(s2));
              const m1 = quantizeMultiplier(Math.fround(s1) / tm), m2 = quantizeMultiplier(Math.fround(s2) / tm);
              const mo = quantizeMultiplier(tm / (2 ** shift * Math.fround(s3)));
              const y1 = requantTflite(x1 * 2 ** shift, m1.multiplier, m1.shift), y2 = requantTflite(x2 * 2 ** shift, m2.multiplier, m2.shift);
              v = zs[2] + requantTflite(op === "ADD" ? y1 + y2 : y1 - y2, mo.multiplier, mo.shift);
            }
            want.push(Math.min(hi, Math.max(lo, v)));
          }
          expectExact(Array.from(got), want, so[so.length - 1], `${op} ${dtype} [${sa}] [${sb}]`);
        }
      });
    }
  }
});

describe("unary ops", () => {
  const all = Int8Array.from({ length: 256 }, (_, i) => i - 128);

  it("RELU, RELU6 and QUANTIZE (int8 -> int8) requantize and clamp like the reference", async () => {
    const d = await dyad();
    for (const [kind, builder] of [["relu", relu("relu")], ["relu6", relu("relu6")], ["requantize", quantize()]] as const) {
      const [sx, zx, sy, zy] = [0.05, -5, 0.03, 9];
      const model = oneOpModel(d, kind, builder, [{ dtype: "int8", shape: [256], scale: sx, zeroPoint: zx }, { dtype: "int8", shape: [256], scale: sy, zeroPoint: zy }], [0], [1]);
      const got = model.run([all])[0].data as Int8Array;
      model.dispose();
      const m = q(sx, sy);
      const { min, max } = kind === "requantize" ? { min: -128, max: 127 } : activationClamp(kind, sy, zy, "int8");
      expectExact(Array.from(got), Array.from(all, (v) => Math.min(max, Math.max(min, zy + requantTflite(v - zx, m.multiplier, m.shift)))), 16, kind);
    }
  });

  it("QUANTIZE from float rounds half away from zero; DEQUANTIZE multiplies in double", async () => {
    const d = await dyad();
    const x = Float32Array.of(0, 0.25, -0.25, 0.75, 1000, -1000, 0.124999, 3.3);
    const qm = oneOpModel(d, "QUANTIZE", quantize(), [{ dtype: "float32", shape: [8] }, { dtype: "int8", shape: [8], scale: 0.5, zeroPoint: 1 }], [0], [1]);
    expect(Array.from(qm.run([x])[0].data as Int8Array)).toEqual([1, 2, 0, 3, 127, -128, 1, 8]);
    qm.dispose();
    const dm = oneOpModel(d, "DEQUANTIZE", dequantize(), [{ dtype: "int8", shape: [256], scale: 0.1, zeroPoint: 3 }, { dtype: "float32", shape: [256] }], [0], [1]);
    expect(Array.from(dm.run([all])[0].data as Float32Array)).toEqual(Array.from(all, (v) => Math.fround(Math.fround(0.1) * (v - 3))));
    dm.dispose();
  });

  it("LOGISTIC, TANH and HARD_SWISH stay within one output step of the float functions", async () => {
    const d = await dyad();
    const cases = [
      ["LOGISTIC", lookupActivation(sigmoid), sigmoid, 1 / 256, -128],
      ["TANH", lookupActivation(Math.tanh), Math.tanh, 1 / 128, 0],
      ["HARD_SWISH", hardSwish(), (v: number) => (v * Math.min(6, Math.max(0, v + 3))) / 6, 0.04, -20],
    ] as const;
    for (const [name, builder, fn, sy, zy] of cases) {
      const [sx, zx] = [0.05, 3];
      const model = oneOpModel(d, name, builder, [{ dtype: "int8", shape: [256], scale: sx, zeroPoint: zx }, { dtype: "int8", shape: [256], scale: sy, zeroPoint: zy }], [0], [1]);
      const got = model.run([all])[0].data as Int8Array;
      model.dispose();
      all.forEach((v, i) => {
        const want = Math.min(127, Math.max(-128, fn(sx * (v - zx)) / sy + zy));
        expect(Math.abs(got[i] - want), `${name} at ${v}`).toBeLessThanOrEqual(1);
      });
    }
  });
});

describe("pools, CONCATENATION, PADV2, TRANSPOSE_CONV", () => {
  it("AVERAGE_POOL_2D and MAX_POOL_2D count only taps inside the image", async () => {
    const d = await dyad();
    const r = rng(12);
    for (const kind of ["average", "max"] as const) for (const padding of ["SAME", "VALID"] as const) {
      const [n, h, w, c, fh, fw, s] = [2, 7, 6, 3, 3, 2, 2];
      const row = window1d(padding, h, fh, s, 1, "h"), col = window1d(padding, w, fw, s, 1, "w");
      const x = randInts(Int8Array, n * h * w * c, -128, 127, r);
      const model = oneOpModel(d, "POOL", pool(kind, { padding, strideH: s, strideW: s, filterH: fh, filterW: fw, activation: "relu" }), [
        { dtype: "int8", shape: [n, h, w, c], scale: 0.1, zeroPoint: -3 }, { dtype: "int8", shape: [n, row.out, col.out, c], scale: 0.1, zeroPoint: -3 },
      ], [0], [1]);
      const got = model.run([x])[0].data as Int8Array;
      model.dispose();
      const want: number[] = [];
      for (let b = 0; b < n; b++) for (let oy = 0; oy < row.out; oy++) for (let ox = 0; ox < col.out; ox++) for (let ch = 0; ch < c; ch++) {
        const vals: number[] = [];
        for (let fy = 0; fy < fh; fy++) for (let fx = 0; fx < fw; fx++) {
          const iy = oy * s - row.padBefore + fy, ix = ox * s - col.padBefore + fx;
          if (iy >= 0 && iy < h && ix >= 0 && ix < w) vals.push(x[((b * h + iy) * w + ix) * c + ch]);
        }
        const sum = vals.reduce((p, v) => p + v, 0), cnt = vals.length, half = Math.floor(cnt / 2);
        const v = kind === "max" ? Math.max(...vals) : sum > 0 ? Math.trunc((sum + half) / cnt) : Math.trunc((sum - half) / cnt);
        want.push(Math.max(-3, v));
      }
      expectExact(Array.from(got), want, c, `${kind} ${padding}`);
    }
  });

  it("CONCATENATION joins along any axis; PADV2 pads with its constant", async () => {
    const d = await dyad();
    const a = Int8Array.from({ length: 12 }, (_, i) => i), b = Int8Array.from({ length: 6 }, (_, i) => 100 + i);
    const model = oneOpModel(d, "CONCATENATION", concatenation(1), [
      { dtype: "int8", shape: [2, 2, 3], scale: 0.5 }, { dtype: "int8", shape: [2, 1, 3], scale: 0.5 }, { dtype: "int8", shape: [2, 3, 3], scale: 0.5 },
    ], [0, 1], [2]);
    expect(Array.from(model.run([a, b])[0].data as Int8Array)).toEqual([0, 1, 2, 3, 4, 5, 100, 101, 102, 6, 7, 8, 9, 10, 11, 103, 104, 105]);
    model.dispose();
    const padModel = oneOpModel(d, "PADV2", pad(true), [
      { dtype: "int8", shape: [3], scale: 0.5 }, { dtype: "int32", shape: [1, 2], data: Int32Array.of(1, 2) },
      { dtype: "int8", shape: [], data: Int8Array.of(-9) }, { dtype: "int8", shape: [6], scale: 0.5 },
    ], [0, 1, 2], [3]);
    expect(Array.from(padModel.run([Int8Array.of(1, 2, 3)])[0].data as Int8Array)).toEqual([-9, 1, 2, 3, -9, -9]);
    padModel.dispose();
  });

  it("TRANSPOSE_CONV scatters, adds bias and requantizes per channel", async () => {
    const d = await dyad();
    const r = rng(21);
    for (const padding of ["SAME", "VALID"] as const) for (const stride of [1, 2]) {
      const [n, h, w, cin, cout, k] = [1, 3, 4, 2, 3, 3];
      const oh = padding === "SAME" ? h * stride : (h - 1) * stride + k, ow = padding === "SAME" ? w * stride : (w - 1) * stride + k;
      const x = randInts(Int8Array, n * h * w * cin, -128, 127, r), wt = randInts(Int8Array, cout * k * k * cin, -127, 127, r);
      const bias = randInts(Int32Array, cout, -500, 500, r);
      const sw = [0.01, 0.02, 0.015];
      const model = oneOpModel(d, "TRANSPOSE_CONV", transposeConv({ padding, strideH: stride, strideW: stride, activation: "none" }), [
        { dtype: "int32", shape: [4], data: Int32Array.of(n, oh, ow, cout) }, { dtype: "int8", shape: [cout, k, k, cin], scale: sw, axis: 0, data: wt },
        { dtype: "int8", shape: [n, h, w, cin], scale: 0.05, zeroPoint: 7 }, { dtype: "int32", shape: [cout], data: bias },
        { dtype: "int8", shape: [n, oh, ow, cout], scale: 0.3, zeroPoint: -2 },
      ], [0, 1, 2, 3], [4]);
      const got = model.run([x])[0].data as Int8Array;
      model.dispose();
      const pad = window1d(padding, oh, k, stride, 1, "h").padBefore, padW = window1d(padding, ow, k, stride, 1, "w").padBefore;
      const acc = new Array(oh * ow * cout).fill(0);
      for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < w; ix++) for (let ic = 0; ic < cin; ic++) for (let fy = 0; fy < k; fy++) for (let fx = 0; fx < k; fx++) {
        const oy = iy * stride - pad + fy, ox = ix * stride - padW + fx;
        if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
        for (let oc = 0; oc < cout; oc++) acc[(oy * ow + ox) * cout + oc] += (x[(iy * w + ix) * cin + ic] - 7) * wt[((oc * k + fy) * k + fx) * cin + ic];
      }
      const want = acc.map((a, i) => {
        const m = quantizeMultiplier((Math.fround(0.05) * Math.fround(sw[i % cout])) / Math.fround(0.3));
        return Math.min(127, Math.max(-128, -2 + requantTflite(a + bias[i % cout], m.multiplier, m.shift)));
      });
      expectExact(Array.from(got), want, cout, `${padding} stride ${stride}`);
    }
  });
});

describe("SOFTMAX", () => {
  it("the fixed-point softmax stays within one output step of the float softmax, int8 and int16 outputs", async () => {
    const d = await dyad();
    const r = rng(31);
    for (const [dtype, sy, zy, steps] of [["int8", 1 / 256, -128, 1], ["int16", 1 / 65536, -32768, 8]] as const) {
      for (const [rows, depth, sx, beta] of [[3, 10, 0.1, 1], [2, 1000, 0.05, 1], [4, 7, 0.5, 0.5], [1, 2, 0.02, 2]]) {
        const x = randInts(Int8Array, rows * depth, -128, 127, r);
        const model = oneOpModel(d, "SOFTMAX", softmax(beta), [
          { dtype: "int8", shape: [rows, depth], scale: sx, zeroPoint: 5 }, { dtype, shape: [rows, depth], scale: sy, zeroPoint: zy },
        ], [0], [1]);
        const got = model.run([x])[0].data as Int8Array | Int16Array;
        model.dispose();
        for (let i = 0; i < rows; i++) {
          const row = Array.from(x.subarray(i * depth, (i + 1) * depth), (v) => Math.fround(sx) * beta * v);
          const max = Math.max(...row);
          const exps = row.map((v) => Math.exp(v - max));
          const sum = exps.reduce((a, b) => a + b, 0);
          exps.forEach((e, c) => {
            const want = e / sum / sy + zy;
            expect(Math.abs(got[i * depth + c] - want), `${dtype} ${rows}x${depth} row ${i} col ${c}`).toBeLessThanOrEqual(steps);
          });
        }
      }
    }
  });
});
