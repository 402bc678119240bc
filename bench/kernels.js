// Every kernel of the table, called directly at one representative shape (GEMM 256x256x256, GEMV
// 1x1024x1024): the table is the only list, so a new kernel is benchmarked by being added to it.
// Printed only; the JSON records stay per engine (DESIGN.md §6).

import { Bench } from "tinybench";
import { KERNELS } from "../dist/index.js";

export async function benchKernels({ dyad, quick }) {
  const rt = dyad.runtime;
  const rows = [];
  for (const kernel of KERNELS.filter((k) => k.op === "gemm" || k.op === "gemv")) {
    const [m, k, n] = kernel.op === "gemv" ? [1, 1024, 1024] : [256, 256, 256];
    const f32 = kernel.act === "f32";
    const kp = (k + 1) & ~1;
    const blocks = [];
    const alloc = (bytes, what) => (blocks.push(rt.arena.alloc(bytes, what)), blocks[blocks.length - 1]);
    const packed = alloc(f32 ? rt.f32PackedBytes(k, n) : rt.s8PackedBytes(k, n), "packed");
    const a = alloc(f32 ? (m + kernel.mr) * k * 4 : (m + kernel.mr) * kp * 2, "a");
    const out = alloc(m * n * 4, "out");
    const rq = alloc(((n + 7) & ~7) * 8, "rq");
    rt.view(Int32Array, rq).fill(1 << 30);
    // Defined inputs: stale arena bytes read as float32 can be denormals, which x86 multiplies slowly.
    if (f32) {
      rt.view(Float32Array, a).fill(0.5);
      rt.view(Float32Array, packed).fill(0.25);
    } else {
      rt.view(Int8Array, a).fill(3);
      rt.view(Int8Array, packed).fill(-5);
    }
    let call;
    if (f32) {
      call = kernel.op === "gemv"
        ? () => rt.gemvF32(kernel)(n, k, a.ptr, packed.ptr, out.ptr, -Infinity, Infinity)
        : () => rt.gemmF32(kernel)(m, n, k, a.ptr, k, packed.ptr, out.ptr, n, -Infinity, Infinity);
    } else {
      call = kernel.op === "gemv"
        ? () => rt.gemvS8(kernel)(n, k, a.ptr, packed.ptr, rq.ptr, 0, 0, out.ptr, 0, -128, 127, 0)
        : () => rt.gemmS8(kernel)(m, n, k, a.ptr, packed.ptr, rq.ptr, 0, 0, out.ptr, n, 0, -128, 127, 0);
    }
    const bench = new Bench({ time: quick ? 100 : 300, warmupTime: 50, iterations: 5 });
    bench.add(kernel.name, call);
    await bench.run();
    const ms = bench.tasks[0].result.latency.p50;
    rows.push({ name: kernel.name, shape: `${m}x${k}x${n}`, ms, gops: (2 * m * n * k) / ms / 1e6 });
    for (const b of blocks.reverse()) rt.arena.free(b);
  }
  const w = Math.max(...rows.map((r) => r.name.length));
  return [
    `${"kernel".padEnd(w)}  ${"case".padEnd(12)}  ${"ms".padStart(8)}  ${"GOPS".padStart(6)}`,
    ...rows.map((r) => `${r.name.padEnd(w)}  ${r.shape.padEnd(12)}  ${r.ms.toFixed(3).padStart(8)}  ${r.gops.toFixed(1).padStart(6)}`),
  ].join("\n");
}
