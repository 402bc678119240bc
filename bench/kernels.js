// Every kernel of the table, called directly at one representative shape (GEMM 256x256x256, GEMV
// 1x1024x1024): the table is the only list, so a new kernel is benchmarked by being added to it.
// Printed only; the JSON records stay per engine (DESIGN.md §6).

import { Bench } from "tinybench";
import { KERNELS } from "../dist/index.js";

export async function benchKernels({ dyad, quick }) {
  const rt = dyad.runtime;
  const rows = [];
  // Only the kernels this engine and build run (the relaxed ones need the relaxed build and engine).
  const runnable = (kernel) => rt.kernelChoices(kernel.op, kernel.act, kernel.weight, kernel.requant).includes(kernel);
  for (const kernel of KERNELS.filter((k) => (k.op === "gemm" || k.op === "gemv") && runnable(k))) {
    const [m, k, n] = kernel.op === "gemv" ? [1, 1024, 1024] : [256, 256, 256];
    if (kernel.requant === "f32") {
      rows.push(await groupKernel(rt, kernel, m, k, n, quick));
      continue;
    }
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

/** A group kernel (float output, groups of 32 along K) on defined inputs. */
async function groupKernel(rt, kernel, m, k, n, quick) {
  const g = 32, groups = k / g, relaxed = kernel.kr === 4, codebook = kernel.weight === "n4", bits = kernel.weight === "s4" ? 4 : 8;
  const blocks = [];
  const alloc = (bytes, what) => (blocks.push(rt.arena.alloc(bytes, what)), blocks[blocks.length - 1]);
  try {
    const packed = alloc(codebook ? (n / 2) * groups * (48 + g) : (n / 8) * groups * (relaxed ? 128 + 4 * g : 64 + g * bits), "packed");
    const a = alloc((m + 3) * k * 2, "a");
    const sums = alloc((m + 3) * groups * 4, "rowsums");
    const small = alloc((m + 3) * 4, "scales and offsets");
    const out = alloc(m * n * 4, "out");
    rt.view(Uint8Array, packed).fill(0x35);
    rt.view(Int8Array, a).fill(3);
    rt.view(Int32Array, sums).fill(96);
    rt.view(Float32Array, small).fill(0.5);
    let call;
    if (codebook) {
      call = kernel.op === "gemv"
        ? () => rt.gemvCodebookF32(kernel)(n, k, g, a.ptr, packed.ptr, 0.5, 0, out.ptr)
        : () => rt.gemmCodebookF32(kernel)(m, n, k, g, a.ptr, packed.ptr, small.ptr, 0, out.ptr, n);
    } else if (relaxed) {
      call = kernel.op === "gemv"
        ? () => rt.gemvGroupRelaxed(kernel)(n, k, g, a.ptr, sums.ptr, small.ptr, packed.ptr, 0.5, 0, out.ptr)
        : () => rt.gemmGroupRelaxed(kernel)(m, n, k, g, a.ptr, sums.ptr, small.ptr, packed.ptr, small.ptr, 0, out.ptr, n);
    } else {
      call = kernel.op === "gemv"
        ? () => rt.gemvGroupF32(kernel)(n, k, g, a.ptr, sums.ptr, packed.ptr, 0.5, 0, out.ptr)
        : () => rt.gemmGroupF32(kernel)(m, n, k, g, a.ptr, sums.ptr, packed.ptr, small.ptr, 0, out.ptr, n);
    }
    const bench = new Bench({ time: quick ? 100 : 300, warmupTime: 50, iterations: 5 });
    bench.add(kernel.name, call);
    await bench.run();
    const ms = bench.tasks[0].result.latency.p50;
    return { name: `${kernel.name} (groups of ${g})`, shape: `${m}x${k}x${n}`, ms, gops: (2 * m * n * k) / ms / 1e6 };
  } finally {
    for (const b of blocks.reverse()) rt.arena.free(b);
  }
}
