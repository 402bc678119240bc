// MAX_POOL_2D / AVERAGE_POOL_2D's kernel (assembly/elementwise/pool.ts) against a plain-loop reference of
// TFLite's integer_ops/pooling.h: only taps inside the image count, the average rounds half away from zero,
// the result clamps. A grid of channel counts around the vector width (16 lanes for 8-bit, 8 for int16),
// filters, strides and paddings, values at the extremes, every dtype.

import { describe, it, expect } from "vitest";
import { dyad, rng } from "./helpers.js";

type Kind = "max" | "average";
type DT = "int8" | "uint8" | "int16";
const ARRAYS = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array };
const RANGE = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767] };

interface Geometry { n: number; h: number; w: number; c: number; fh: number; fw: number; sh: number; sw: number; pt: number; pl: number; oh: number; ow: number }

function reference(kind: Kind, g: Geometry, x: ArrayLike<number>, min: number, max: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < g.n; b++) for (let oy = 0; oy < g.oh; oy++) for (let ox = 0; ox < g.ow; ox++) {
    const y0 = oy * g.sh - g.pt, x0 = ox * g.sw - g.pl;
    for (let ch = 0; ch < g.c; ch++) {
      const taps: number[] = [];
      for (let fy = 0; fy < g.fh; fy++) for (let fx = 0; fx < g.fw; fx++) {
        const iy = y0 + fy, ix = x0 + fx;
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) taps.push(x[((b * g.h + iy) * g.w + ix) * g.c + ch]);
      }
      let v: number;
      if (kind === "max") v = Math.max(...taps);
      else {
        const sum = taps.reduce((a, t) => a + t, 0), half = Math.floor(taps.length / 2);
        v = sum > 0 ? Math.trunc((sum + half) / taps.length) : Math.trunc((sum - half) / taps.length);
      }
      out.push(Math.min(max, Math.max(min, v)) + 0); // + 0: integers have no -0
    }
  }
  return out;
}

describe("pooling kernel (x8_x16_pool_nhwc) equals the plain loops", () => {
  const cases: [Kind, DT][] = [["max", "int8"], ["max", "uint8"], ["max", "int16"], ["average", "int8"], ["average", "int16"]];
  for (const [kind, dt] of cases) {
    it(`${kind} ${dt}: channels around the vector width, filters, strides, padding, clamps`, async () => {
      const { runtime: rt } = await dyad();
      const r = rng(dt.length * 7 + kind.length);
      const [lo, hi] = RANGE[dt];
      let checked = 0;
      for (const c of [1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48]) {
        for (const [fh, fw, sh, sw, pad] of [[2, 2, 2, 2, 0], [3, 3, 1, 1, 1], [3, 2, 2, 1, 1], [1, 1, 1, 1, 0], [5, 5, 2, 2, 2]]) {
          const n = 2, h = 7, w = 6;
          const oh = Math.floor((h + 2 * pad - fh) / sh) + 1, ow = Math.floor((w + 2 * pad - fw) / sw) + 1;
          const g: Geometry = { n, h, w, c, fh, fw, sh, sw, pt: pad, pl: pad, oh, ow };
          const x = new ARRAYS[dt](n * h * w * c);
          // Values at the extremes as well as in between.
          for (let i = 0; i < x.length; i++) x[i] = r() < 0.1 ? (r() < 0.5 ? lo : hi) : lo + Math.floor(r() * (hi - lo + 1));
          const [min, max] = c % 2 ? [lo, hi] : [lo + Math.floor((hi - lo) / 4), hi - Math.floor((hi - lo) / 3)];
          const expected = reference(kind, g, x, min, max);
          const got = rt.arena.scope(() => {
            const src = rt.upload(x, "x");
            const dst = rt.arena.alloc(expected.length * x.BYTES_PER_ELEMENT, "y");
            const params = rt.upload(Int32Array.of(n, h, w, c, oh, ow, sh, sw, pad, pad, fh, fw, dt === "int16" ? 2 : dt === "uint8" ? 1 : 0, kind === "average" ? 1 : 0, min, max), "p");
            rt.poolNhwc(src.ptr, dst.ptr, params.ptr);
            return Array.from(rt.read(ARRAYS[dt] as typeof Int8Array, dst, expected.length));
          });
          expect(got, `C=${c} filter ${fh}x${fw} stride ${sh}x${sw} pad ${pad}`).toEqual(expected);
          checked++;
        }
      }
      expect(checked).toBe(60);
    });
  }
});
