// CONV_2D 3x3 with stride 1 and dilation 1 runs as Winograd F(2x2, 3x3) (src/ops/conv2d-winograd.ts): exact
// against the direct convolution's plain loop over a grid of shapes (odd and even outputs, channel tails,
// SAME and VALID), extreme values (x - zp = -255, weights -128 and 127), per-channel multipliers with left and
// right shifts, deep inputs, and images of more tiles than one block.

import { describe, it, expect } from "vitest";
import { conv2d } from "../../src/ops/conv2d.js";
import { winogradEligible, WINOGRAD_MIN_CIN } from "../../src/ops/conv2d-winograd.js";
import { window1d } from "../../src/ops/conv-geometry.js";
import { activationClamp, type FusedActivation } from "../../src/quant/activation.js";
import { dyad, rng, randInts, expectExact } from "../helpers.js";
import { oneOpModel, multiplier, requantOut } from "./graph-helpers.js";

interface Case {
  n: number; h: number; w: number; cin: number; cout: number; padding: "SAME" | "VALID"; act: FusedActivation;
  x: Int8Array; filter: Int8Array; bias: Int32Array; sx: number; zx: number; wscale: number[]; sy: number; zy: number;
}

async function check(c: Case, label: string): Promise<void> {
  const d = await dyad();
  const opts = { padding: c.padding, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: c.act };
  // Below 8 input channels the op takes im2col + GEMM: the same bits, checked here just the same.
  expect(winogradEligible(opts, 3, 3, c.cin)).toBe(c.cin >= WINOGRAD_MIN_CIN);
  const rows = window1d(c.padding, c.h, 3, 1, 1, "h"), cols = window1d(c.padding, c.w, 3, 1, 1, "w");
  const model = oneOpModel(d, "CONV_2D", conv2d(opts), [
    { dtype: "int8", shape: [c.n, c.h, c.w, c.cin], scale: c.sx, zeroPoint: c.zx },
    { dtype: "int8", shape: [c.cout, 3, 3, c.cin], scale: c.wscale, axis: 0, data: c.filter },
    { dtype: "int32", shape: [c.cout], data: c.bias },
    { dtype: "int8", shape: [c.n, rows.out, cols.out, c.cout], scale: c.sy, zeroPoint: c.zy },
  ], [0, 1, 2], [3]);
  const got = model.run([c.x])[0].data as Int8Array;
  model.dispose();
  const { min, max } = activationClamp(c.act, c.sy, c.zy, "int8");
  const want = new Int8Array(got.length);
  let o = 0;
  for (let b = 0; b < c.n; b++) for (let oy = 0; oy < rows.out; oy++) for (let ox = 0; ox < cols.out; ox++) for (let oc = 0; oc < c.cout; oc++) {
    let acc = c.bias[oc];
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const iy = oy - rows.padBefore + ky, ix = ox - cols.padBefore + kx;
      if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
      for (let ic = 0; ic < c.cin; ic++) acc += c.filter[((oc * 3 + ky) * 3 + kx) * c.cin + ic] * (c.x[((b * c.h + iy) * c.w + ix) * c.cin + ic] - c.zx);
    }
    want[o++] = requantOut(acc, multiplier(c.sx, c.wscale[oc], c.sy), c.zy, min, max);
  }
  expectExact(got, want, c.cout, label);
}

describe("CONV_2D 3x3 stride 1 (Winograd F(2x2, 3x3))", () => {
  it("equals the direct convolution on a grid", async () => {
    const r = rng(23);
    let cases = 0;
    for (let iter = 0; iter < 60; iter++) {
      const n = 1 + (iter % 2);
      const h = [1, 2, 3, 4, 5, 8][Math.floor(r() * 6)], w = [1, 2, 3, 6, 7][Math.floor(r() * 5)];
      const cin = [1, 3, 8, 9, 16, 21][Math.floor(r() * 6)], cout = [1, 7, 8, 9, 16, 17][Math.floor(r() * 6)];
      const padding = r() < 0.6 ? "SAME" : "VALID";
      if (padding === "VALID" && (h < 3 || w < 3)) continue;
      const sx = 0.02 + r() * 0.05;
      const wscale = Array.from({ length: cout }, () => 0.002 + r() * 0.02);
      // Every fifth case multipliers above one (left shifts), another fifth near one (shift 0 among others).
      const sy = iter % 5 === 1 ? sx * 0.001 : iter % 5 === 3 ? sx * 0.012 : 0.05 + r() * 0.3;
      await check({
        n, h, w, cin, cout, padding, act: (["none", "relu", "relu6"] as const)[iter % 3],
        x: randInts(Int8Array, n * h * w * cin, -128, 127, r), filter: randInts(Int8Array, cout * 9 * cin, -128, 127, r),
        bias: randInts(Int32Array, cout, -5000, 5000, r), sx, zx: Math.floor(r() * 256) - 128, wscale, sy, zy: Math.floor(r() * 256) - 128,
      }, `case ${iter}: n=${n} ${h}x${w}x${cin} -> ${cout} ${padding}`);
      cases++;
    }
    expect(cases).toBeGreaterThan(40);
  });

  it("is exact at the extremes of its ranges: x - zp = -255 and +255, weights -128 and 127, deep inputs", async () => {
    for (const [cin, fill, weight, zx] of [[64, -128, -128, 127], [64, 127, -128, -128], [300, -128, 127, 127], [1024, 127, -128, -128]] as const) {
      const h = 5, w = 5, cout = 9;
      // Alternating signs in space keep the transformed inputs at their largest (4 x 255).
      const x = Int8Array.from({ length: h * w * cin }, (_, i) => (Math.floor(i / cin) % 2 ? fill : -1 - fill));
      const filter = Int8Array.from({ length: cout * 9 * cin }, (_, i) => ((i % 9) % 2 ? weight : -1 - weight));
      // An output scale that keeps these huge sums in range for some channels.
      const sy = 0.02 * 0.01 * 9 * cin * 255 * 128 / 200;
      await check({
        n: 1, h, w, cin, cout, padding: "SAME", act: "none", x, filter, bias: new Int32Array(cout).fill(-17),
        sx: 0.02, zx, wscale: Array.from({ length: cout }, (_, i) => 0.01 * (1 + i / 4)), sy, zy: 3,
      }, `extremes cin=${cin} fill=${fill} weight=${weight} zx=${zx}`);
    }
  });

  it("runs images of more tiles than one block (the op's blocking)", async () => {
    const r = rng(29);
    const n = 1, h = 67, w = 61, cin = 8, cout = 8;
    await check({
      n, h, w, cin, cout, padding: "SAME", act: "relu6",
      x: randInts(Int8Array, n * h * w * cin, -128, 127, r), filter: randInts(Int8Array, cout * 9 * cin, -127, 127, r),
      bias: randInts(Int32Array, cout, -3000, 3000, r), sx: 0.03, zx: -5, wscale: Array.from({ length: cout }, () => 0.004 + r() * 0.01),
      sy: 0.2, zy: 7,
    }, "67x61x8 -> 8");
  });

  it("is not used past the input depth where 4x the sums could overflow int32, nor below 8 channels", () => {
    const opts = { padding: "SAME" as const, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: "none" as const };
    expect(winogradEligible(opts, 3, 3, 1824)).toBe(true);
    expect(winogradEligible(opts, 3, 3, 1825)).toBe(false);
    // ...nor below 8 input channels, where the transforms cost more than they save (measured).
    expect(winogradEligible(opts, 3, 3, 7)).toBe(false);
    expect(winogradEligible(opts, 3, 3, 8)).toBe(true);
    // 4 * 9 * 1824 * 255 * 128 < 2^31 <= 4 * 9 * 1827 * 255 * 128
    expect(4 * 9 * 1824 * 255 * 128).toBeLessThan(2 ** 31);
    expect(winogradEligible({ ...opts, strideH: 2 }, 3, 3, 8)).toBe(false);
    expect(winogradEligible({ ...opts, dilationW: 2 }, 3, 3, 8)).toBe(false);
    expect(winogradEligible(opts, 3, 5, 8)).toBe(false);
  });
});
