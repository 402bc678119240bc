// The only module that touches WebAssembly: loading, the feature probe, memory views and the typed calls
// into kernel exports. Everything above it speaks in arena blocks and numbers.

import { LoadError, BufferError } from "../errors.js";
import { Arena, type ArenaExports, type Block } from "./arena.js";
import { type Isa, type KernelInfo, type KernelOp, type KernelRequant, familyKey, selectKernels } from "./kernels.js";

/** A compiled module (required on Cloudflare Workers and Vercel Edge), wasm bytes, or where to fetch them. */
export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | URL | string;

export interface RuntimeOptions {
  /** Upper bound of the arena in bytes (default 1 GiB); a request past it throws MemoryError. */
  memoryLimitBytes?: number;
}

export interface Features {
  simd: boolean;
  relaxedSimd: boolean;
}

type Ptr = number;
type GemmS8 = (
  m: number, n: number, k: number, a: Ptr, w: Ptr, rq: Ptr, rowsums: Ptr, wzp: Ptr,
  out: Ptr, outStride: number, zp: number, qmin: number, qmax: number, xor: number,
) => void;
type GemvS8 = (
  n: number, k: number, a: Ptr, w: Ptr, rq: Ptr, rowsum: number, wzp: Ptr,
  out: Ptr, zp: number, qmin: number, qmax: number, xor: number,
) => void;
type GemmF32 = (m: number, n: number, k: number, a: Ptr, aStride: number, w: Ptr, out: Ptr, outStride: number, min: number, max: number) => void;
type WinogradOutput = (m: Ptr, bias: Ptr, lanes: Ptr, out: Ptr, params: Ptr, first: number, count: number) => void;
type DwconvS8 = (input: Ptr, filter: Ptr, bias: Ptr, rq: Ptr, out: Ptr, params: Ptr) => void;
type AddS8 = (n: number, a: Ptr, b: Ptr, out: Ptr, params: Ptr) => void;
type Unary = (n: number, x: Ptr, out: Ptr, params: Ptr) => void;
type ConvS16 = (input: Ptr, filter: Ptr, bias: Ptr, rq: Ptr, out: Ptr, params: Ptr) => void;
type GemvF32 = (n: number, k: number, a: Ptr, w: Ptr, out: Ptr, min: number, max: number) => void;
type GemmGroupF32 = (m: number, n: number, k: number, group: number, a: Ptr, rowsums: Ptr, w: Ptr, sx: Ptr, bias: Ptr, out: Ptr, outStride: number) => void;
type GemvGroupF32 = (n: number, k: number, group: number, a: Ptr, rowsums: Ptr, w: Ptr, sx: number, bias: Ptr, out: Ptr) => void;
export type RequantArray = (n: number, src: Ptr, dst: Ptr, param: number, shift: number) => void;

interface DyadExports extends ArenaExports {
  s8_packed_bytes(k: number, n: number): number;
  f32_packed_bytes(k: number, n: number): number;
  pack_w_s8_8c2(k: number, n: number, b: Ptr, sk: number, sn: number, xor: number, bias: Ptr, za: number, out: Ptr): void;
  pack_a_s8_i16(m: number, k: number, a: Ptr, stride: number, xor: number, out: Ptr, rowsums: Ptr): void;
  pack_w_f32_8(k: number, n: number, b: Ptr, sk: number, sn: number, bias: Ptr, out: Ptr): void;
  [kernel: string]: unknown;
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0)))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 11,
]);
// (module (func (result v128) (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.const 0) (v128.const 0) (v128.const 0))))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 253, 147, 2, 11,
]);

/** What this engine's WebAssembly validates. Relaxed SIMD is only reported: no kernel uses it yet. */
export function probeFeatures(): Features {
  return { simd: WebAssembly.validate(SIMD_PROBE), relaxedSimd: WebAssembly.validate(RELAXED_PROBE) };
}

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    try {
      return await WebAssembly.compile(source as BufferSource);
    } catch (e) {
      const message = (e as Error).message;
      // Cloudflare Workers (workerd) and some CSP settings forbid compiling code from bytes at run time.
      if (/disallowed|not allowed|code generation/i.test(message)) {
        throw new LoadError(`dyad: this runtime forbids compiling WebAssembly from bytes (${message}); import the module instead and pass it: import wasm from "dyad/wasm/dyad.simd.wasm"; await Dyad.load(wasm)`);
      }
      throw new LoadError(`dyad: the wasm bytes do not compile: ${message}`);
    }
  }
  const url = source instanceof URL ? source : new URL(source, globalThis.location?.href);
  if (url.protocol === "file:") {
    throw new LoadError(`dyad: cannot fetch ${url.href}; in Node import { loadDyad } from "dyad/node", or pass the bytes`);
  }
  const response = await fetch(url);
  if (!response.ok) throw new LoadError(`dyad: fetching ${url.href} failed with HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  return compile(bytes);
}

export class Runtime {
  readonly features: Features;
  readonly arena: Arena;
  /** The kernel chosen for each family, once, at load. */
  readonly kernels: ReadonlyMap<string, KernelInfo>;
  private readonly exports: DyadExports;

  private constructor(exports: DyadExports, features: Features, options: RuntimeOptions) {
    this.exports = exports;
    this.features = features;
    this.arena = new Arena(exports, options.memoryLimitBytes ?? 2 ** 30);
    const isas = new Set<Isa>(["scalar", "simd"]);
    this.kernels = selectKernels(isas, (name) => typeof exports[name] === "function");
  }

  static async load(source: WasmSource, options: RuntimeOptions = {}): Promise<Runtime> {
    const features = probeFeatures();
    if (!features.simd) {
      throw new LoadError("dyad: this WebAssembly engine lacks SIMD128 (fixed-width SIMD), which dyad requires; use an engine that has it: Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+, Deno, Bun or Cloudflare Workers");
    }
    const module = await compile(source);
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(module, {});
    } catch (e) {
      throw new LoadError(`dyad: the wasm module does not instantiate: ${(e as Error).message}`);
    }
    const exports = instance.exports as unknown as DyadExports;
    if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports.arena_alloc !== "function") {
      throw new LoadError("dyad: the wasm module is not a dyad build (no memory or arena exports)");
    }
    return new Runtime(exports, features, options);
  }

  /** The selected kernel of a family; throws if the build has none. */
  kernel(op: KernelOp, act: KernelInfo["act"], weight: KernelInfo["weight"], requant: KernelRequant): KernelInfo {
    const k = this.kernels.get(familyKey(op, act, weight, requant));
    if (!k) throw new LoadError(`dyad: this build has no ${op} kernel for ${act} x ${weight} with ${requant} output`);
    return k;
  }

  private fn<T>(name: string): T {
    const f = this.exports[name];
    if (typeof f !== "function") throw new LoadError(`dyad: this build does not export ${name}`);
    return f as T;
  }

  // ---- memory views (fresh each call: growth detaches the old buffer) ----

  view<T extends Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array>(
    ctor: { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
    block: Block,
    length = Math.floor(block.bytes / ctor.BYTES_PER_ELEMENT),
  ): T {
    if (length * ctor.BYTES_PER_ELEMENT > block.bytes) {
      throw new BufferError(`view of ${block.what}: ${length} x ${ctor.BYTES_PER_ELEMENT} bytes exceed the block's ${block.bytes}`);
    }
    return new ctor(this.exports.memory.buffer, block.ptr, length);
  }

  /**
   * Copies `length` elements at `block` out of wasm memory into a new array. (Allocating and `set` is several
   * times faster than `slice()` on a view of linear memory.)
   */
  read<T extends Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | BigInt64Array>(
    ctor: { new (length: number): T; new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
    block: Block,
    length = Math.floor(block.bytes / ctor.BYTES_PER_ELEMENT),
  ): T {
    if (length * ctor.BYTES_PER_ELEMENT > block.bytes) {
      throw new BufferError(`read of ${block.what}: ${length} x ${ctor.BYTES_PER_ELEMENT} bytes exceed the block's ${block.bytes}`);
    }
    const out = new ctor(length);
    (out as unknown as { set(a: ArrayLike<number | bigint>): void }).set(new ctor(this.exports.memory.buffer, block.ptr, length) as unknown as ArrayLike<number>);
    return out;
  }

  /** Copies the start of `block` into `dst` (its size checked): no allocation. */
  readInto(block: Block, dst: ArrayBufferView): void {
    if (dst.byteLength > block.bytes) throw new BufferError(`read of ${block.what}: ${dst.byteLength} bytes exceed the block's ${block.bytes}`);
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(new Uint8Array(this.exports.memory.buffer, block.ptr, dst.byteLength));
  }

  /** Copies `src` to the start of `block` (its size checked). */
  write(block: Block, src: ArrayBufferView): void {
    if (src.byteLength > block.bytes) throw new BufferError(`write to ${block.what}: ${src.byteLength} bytes exceed the block's ${block.bytes}`);
    new Uint8Array(this.exports.memory.buffer, block.ptr, src.byteLength).set(
      new Uint8Array(src.buffer, src.byteOffset, src.byteLength),
    );
  }

  /** Allocates a block and copies `src` into it. */
  upload(src: ArrayBufferView, what: string): Block {
    const block = this.arena.alloc(src.byteLength, what);
    this.write(block, src);
    return block;
  }

  // ---- kernels: callers pass blocks they sized with the *Bytes helpers below ----

  s8PackedBytes(k: number, n: number): number {
    return this.exports.s8_packed_bytes(k, n) >>> 0;
  }

  f32PackedBytes(k: number, n: number): number {
    return this.exports.f32_packed_bytes(k, n) >>> 0;
  }

  packWeightsS8(k: number, n: number, b: Ptr, sk: number, sn: number, xor: number, bias: Ptr, za: number, out: Ptr): void {
    this.exports.pack_w_s8_8c2(k, n, b, sk, sn, xor, bias, za, out);
  }

  packActivationsS8(m: number, k: number, a: Ptr, stride: number, xor: number, out: Ptr, rowsums: Ptr): void {
    this.exports.pack_a_s8_i16(m, k, a, stride, xor, out, rowsums);
  }

  /** Convolution rows as widened GEMM activations (assembly/conv/im2col.ts); `params` per that file. */
  im2colS8(input: Ptr, out: Ptr, params: Ptr, first: number, count: number): void {
    (this.exports.s8_im2col_i16 as (a: Ptr, b: Ptr, c: Ptr, f: number, n: number) => void)(input, out, params, first, count);
  }

  /** Winograd F(2x2, 3x3) input transform of a block of tiles (assembly/conv/s8-winograd.ts). */
  winogradInputS8(input: Ptr, out: Ptr, params: Ptr, first: number, count: number): void {
    (this.exports.s8_winograd_input_i16 as (a: Ptr, b: Ptr, c: Ptr, f: number, n: number) => void)(input, out, params, first, count);
  }

  /** Winograd output transform, bias and requantization (mode tflite or fp32) of a block of tiles. */
  winogradOutputS8(mode: "tflite" | "fp32"): WinogradOutput {
    return this.fn<WinogradOutput>(`s32_winograd_output_${mode}`);
  }

  /** int16 x int16 -> int32 GEMM on packed panels (assembly/gemm/s16-gemm-4x8c2.ts); A rounded up to 4 rows. */
  gemmS16(m: number, n: number, k: number, a: Ptr, w: Ptr, out: Ptr, outStride: number): void {
    (this.exports.s16_s16_gemm_s32_4x8c2_simd as (...args: number[]) => void)(m, n, k, a, w, out, outStride);
  }

  /** The 64K-entry result table of an 8-bit binary op (assembly/elementwise/qlinear-table.ts). */
  binaryTableF32(ta: Ptr, tb: Ptr, out: Ptr, params: Ptr): void {
    (this.exports.f32_qlinear_binary_table as (...args: number[]) => void)(ta, tb, out, params);
  }

  /** out[i] = table[a[i] << 8 | b[i]] over n bytes. */
  lookup2U8(a: Ptr, b: Ptr, table: Ptr, out: Ptr, n: number): void {
    (this.exports.u8_lookup2_x1 as (...args: number[]) => void)(a, b, table, out, n);
  }

  /** out[i] = table[x[i]] over n bytes. */
  lookupU8(x: Ptr, table: Ptr, out: Ptr, n: number): void {
    (this.exports.u8_lookup_x1 as (...args: number[]) => void)(x, table, out, n);
  }

  /** A byte-wise transpose of up to six axes (assembly/elementwise/transpose.ts); `params` per that file. */
  transposeX8(src: Ptr, dst: Ptr, params: Ptr): void {
    (this.exports.x8_transpose_6d as (a: Ptr, b: Ptr, c: Ptr) => void)(src, dst, params);
  }

  /** QLinearGlobalAveragePool (assembly/elementwise/global-avg-pool.ts); `params` per that file. */
  globalAvgPoolX8(src: Ptr, dst: Ptr, params: Ptr): void {
    (this.exports.x8_qlinear_global_avg_pool as (a: Ptr, b: Ptr, c: Ptr) => void)(src, dst, params);
  }

  /** A padded copy of an NHWC int8 image (assembly/conv/pad-input.ts); `params` per that file. */
  padInputS8(src: Ptr, dst: Ptr, params: Ptr): void {
    (this.exports.s8_pad_input_x8 as (a: Ptr, b: Ptr, c: Ptr) => void)(src, dst, params);
  }

  packWeightsF32(k: number, n: number, b: Ptr, sk: number, sn: number, bias: Ptr, out: Ptr): void {
    this.exports.pack_w_f32_8(k, n, b, sk, sn, bias, out);
  }

  gemmS8(kernel: KernelInfo): GemmS8 {
    return this.fn<GemmS8>(kernel.name);
  }

  gemvS8(kernel: KernelInfo): GemvS8 {
    return this.fn<GemvS8>(kernel.name);
  }

  gemmF32(kernel: KernelInfo): GemmF32 {
    return this.fn<GemmF32>(kernel.name);
  }

  gemvF32(kernel: KernelInfo): GemvF32 {
    return this.fn<GemvF32>(kernel.name);
  }

  /** Group-wise int4/int8 weights, float output (assembly/gemm/s8-group-gemm-4x8c2.ts). */
  gemmGroupF32(kernel: KernelInfo): GemmGroupF32 {
    return this.fn<GemmGroupF32>(kernel.name);
  }

  gemvGroupF32(kernel: KernelInfo): GemvGroupF32 {
    return this.fn<GemvGroupF32>(kernel.name);
  }

  /**
   * Per-row dynamic quantization of M float rows into int16 rows of `ka` and float scales
   * (assembly/gemm/group-pack.ts), with the rows' sums over groups of `group` when `rowsums` is not 0.
   * Returns -1, or the first row with a NaN or infinity.
   */
  quantizeRowsF32(m: number, k: number, x: Ptr, stride: number, ka: number, symmetric: boolean, out: Ptr, scales: Ptr, group: number, rowsums: Ptr): number {
    return (this.exports.f32_quantize_rows_i16 as (...args: number[]) => number)(m, k, x, stride, ka, symmetric ? 1 : 0, out, scales, group, rowsums);
  }

  dwconvS8(kernel: KernelInfo): DwconvS8 {
    return this.fn<DwconvS8>(kernel.name);
  }

  /** Elementwise binary kernels (int8 and int16 share the signature). */
  binary(kernel: KernelInfo): AddS8 {
    return this.fn<AddS8>(kernel.name);
  }

  /** Elementwise unary kernels with a params block. */
  unary(kernel: KernelInfo): Unary {
    return this.fn<Unary>(kernel.name);
  }

  convS16(kernel: KernelInfo): ConvS16 {
    return this.fn<ConvS16>(kernel.name);
  }

  /** The whole of linear memory as bytes (a fresh view: growth detaches old ones). */
  bytes(): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer);
  }

  /** The array forms of the requantization modes (assembly/requant-array.ts), for tests. */
  requantArray(mode: "tflite" | "single" | "fp32", form: "scalar" | "simd"): RequantArray {
    return this.fn<RequantArray>(`s32_requant_${mode}_${form}`);
  }
}
