// The relaxed build against the SIMD build on one engine, byte for byte, over a grid of int4 linears: every
// group size the relaxed kernels take (multiples of 4, per channel, per tensor), K and N around the tiles and
// groups, 1 to 9 rows (GEMV and GEMM), both activation modes, zero points and values at their extremes.
// The SIMD kernels equal the plain-loop reference (test/linear.test.ts), so equality here carries over.
// Prints one JSON object: runtime, the kernels each build used, cases compared, and the first mismatches.
//
// usage: <runtime with relaxed SIMD> test/runtimes/relaxed-grid.mjs

import { loadDyad, QTensor } from "../../dist/node.bundle.js";

const relaxed = await loadDyad({ build: "relaxed" });
const simd = await loadDyad({ build: "simd" });
let seed = 7;
const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
const kernels = { relaxed: new Set(), simd: new Set() };
const mismatches = [];
let cases = 0;
for (const dtype of ["int4", "uint4"]) {
  const [lo, hi] = dtype === "int4" ? [-8, 7] : [0, 15];
  for (const gran of ["tensor", "channel", 4, 8, 12, 32, 64, 128, 256]) {
    for (const k of [1, 3, 4, 5, 7, 31, 33, 64, 100, 129, 300]) {
      for (const n of [1, 7, 8, 9, 17, 33]) {
        // Extremes: values at the ends of the range; "full": every weight at the top and each row of one sign,
        // so the int16 lanes of the relaxed kernels reach their largest sums (8 x 3840 or 8 x -3840).
        const extreme = (k + n) % 5 === 0, full = (k + n) % 5 === 1;
        const pick = () => (full ? hi : extreme ? (next() < 0.5 ? lo : hi) : lo + Math.floor(next() * (hi - lo + 1)));
        const count = gran === "tensor" ? 1 : gran === "channel" ? n : Math.ceil(k / gran) * n;
        const data = new Uint8Array(Math.ceil((k * n) / 2));
        for (let e = 0; e < k * n; e++) data[e >> 1] |= (pick() & 15) << (e & 1 ? 4 : 0);
        const w = new QTensor({
          dtype, shape: [k, n], data,
          axis: gran === "tensor" ? null : gran === "channel" ? 1 : 0, blockSize: typeof gran === "number" ? gran : 0,
          scale: Array.from({ length: count }, () => 0.001 + next() * 0.05),
          zeroPoint: Array.from({ length: count }, () => (full ? lo : pick())),
        });
        const bias = next() < 0.5 ? Float32Array.from({ length: n }, () => next() - 0.5) : undefined;
        const activations = next() < 0.5 ? "asymmetric" : "symmetric";
        const a = relaxed.createLinear({ weights: w, bias, activations }), b = simd.createLinear({ weights: w, bias, activations });
        for (const m of [1, 2, 3, 4, 5, 9]) {
          const x = Float32Array.from({ length: m * k }, (_, i) => (full ? (Math.floor(i / k) % 2 ? -3e4 : 1e4)
            : extreme ? (i % 2 ? 1e4 : -3e4) : (next() * 2 - 1) * (i % 5 === 0 ? 30 : 1)));
          const ya = new Uint8Array(a.run(x).buffer), yb = new Uint8Array(b.run(x).buffer);
          cases++;
          if (ya.length !== yb.length || ya.some((v, i) => v !== yb[i])) {
            if (mismatches.length < 5) mismatches.push(`${dtype} ${gran} k=${k} n=${n} m=${m} ${activations}`);
          }
        }
        kernels.relaxed.add(a.gemm.name).add(a.gemv.name);
        kernels.simd.add(b.gemm.name).add(b.gemv.name);
        a.dispose();
        b.dispose();
      }
    }
  }
}
const runtime = typeof Deno !== "undefined" ? `deno ${Deno.version.deno}` : typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.versions.node}`;
console.log(JSON.stringify({ runtime, kernels: { relaxed: [...kernels.relaxed].sort(), simd: [...kernels.simd].sort() }, cases, mismatches }));
