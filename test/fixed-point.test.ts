import { it, expect } from "vitest";
import { mbqm } from "../src/quant/fixed-point.js";
import { requantTflite } from "../src/quant/requant.js";
import { rng } from "./helpers.js";

it("the fast double-arithmetic MultiplyByQuantizedMultiplier equals the BigInt reference", () => {
  const r = rng(77);
  const edges = [0, 1, -1, 2 ** 30, -(2 ** 30), 2147483647, -2147483648, 12345, -12345];
  const mults = [0, 2 ** 30, 2 ** 31 - 1, 1518500250, -2147483648];
  let checked = 0;
  for (let i = 0; i < 20000; i++) {
    const x = i < edges.length * mults.length ? edges[i % edges.length] : Math.floor(r() * 2 ** 32) - 2 ** 31;
    const m = i < edges.length * mults.length ? mults[Math.floor(i / edges.length)] : 2 ** 30 + Math.floor(r() * 2 ** 30);
    const shift = Math.floor(r() * 62) - 31;
    expect(mbqm(x, m, shift), `x=${x} m=${m} shift=${shift}`).toBe(requantTflite(x, m, shift));
    checked++;
  }
  expect(checked).toBe(20000);
});
