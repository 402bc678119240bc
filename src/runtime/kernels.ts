// The kernel table (DESIGN.md §5). One list drives selection (once, at load), the tests (every kernel against
// its plain-loop reference) and the benchmarks. A kernel's export name is derived from its contract:
//   <act>_<weight>_<op>_<requant>_<MR>x<NR>[c<KR>]_<isa>
// Adding a row here (and the export) is the only step to get a kernel selected, tested and benchmarked.

/** `scalar` kernels run everywhere (no SIMD instructions); they are always available. */
export type Isa = "scalar" | "simd" | "relaxed";
export type KernelOp = "gemm" | "gemv" | "conv" | "dwconv" | "add" | "leakyrelu";
/**
 * `s32`: int32 output, no requantization; `minmax`: float output with a clamp; `f32`: float output from
 * dynamically quantized rows and group-wise weight scales.
 */
export type KernelRequant = "s32" | "tflite" | "single" | "fp32" | "minmax" | "f32";

export interface KernelInfo {
  readonly op: KernelOp;
  readonly act: "s8" | "s16" | "f32";
  /** "none" for ops without weights. */
  /** "n4": non-uniform 4-bit (codebook indices). */
  readonly weight: "s8" | "s4" | "n4" | "f32" | "none";
  readonly requant: KernelRequant;
  readonly mr: number;
  readonly nr: number;
  readonly kr: number;
  readonly isa: Isa;
  /** The wasm export's name. */
  readonly name: string;
}

function kernel(
  op: KernelOp, act: KernelInfo["act"], weight: KernelInfo["weight"], requant: KernelRequant,
  mr: number, nr: number, kr: number, isa: Isa,
): KernelInfo {
  const tile = `${mr}x${nr}${kr > 1 ? `c${kr}` : ""}`;
  const types = weight === "none" ? act : `${act}_${weight}`;
  return Object.freeze({ op, act, weight, requant, mr, nr, kr, isa, name: `${types}_${op}_${requant}_${tile}_${isa}` });
}

/** Every kernel, best first within each (op, act, weight, requant) family. */
export const KERNELS: readonly KernelInfo[] = Object.freeze([
  kernel("gemm", "s8", "s8", "s32", 4, 8, 2, "simd"),
  kernel("gemm", "s8", "s8", "tflite", 4, 8, 2, "simd"),
  kernel("gemm", "s8", "s8", "single", 4, 8, 2, "simd"),
  kernel("gemm", "s8", "s8", "fp32", 4, 8, 2, "simd"),
  kernel("gemv", "s8", "s8", "s32", 1, 8, 2, "simd"),
  kernel("gemv", "s8", "s8", "tflite", 1, 8, 2, "simd"),
  kernel("gemv", "s8", "s8", "single", 1, 8, 2, "simd"),
  kernel("gemv", "s8", "s8", "fp32", 1, 8, 2, "simd"),
  kernel("gemm", "s8", "s4", "f32", 4, 8, 4, "relaxed"),
  kernel("gemv", "s8", "s4", "f32", 1, 8, 4, "relaxed"),
  kernel("gemm", "s8", "s4", "f32", 4, 8, 2, "simd"),
  kernel("gemv", "s8", "s4", "f32", 1, 8, 2, "simd"),
  kernel("gemm", "s8", "s8", "f32", 4, 8, 2, "simd"),
  kernel("gemm", "s8", "n4", "f32", 4, 2, 16, "simd"),
  kernel("gemv", "s8", "n4", "f32", 1, 2, 16, "simd"),
  kernel("gemv", "s8", "s8", "f32", 1, 8, 2, "simd"),
  kernel("gemm", "f32", "f32", "minmax", 4, 8, 1, "simd"),
  kernel("gemv", "f32", "f32", "minmax", 1, 8, 1, "simd"),
  kernel("dwconv", "s8", "s8", "tflite", 1, 8, 1, "simd"),
  kernel("dwconv", "s8", "s8", "fp32", 1, 8, 1, "simd"),
  kernel("add", "s8", "none", "tflite", 1, 1, 1, "scalar"),
  kernel("add", "s16", "none", "tflite", 1, 1, 1, "scalar"),
  kernel("conv", "s16", "s8", "tflite", 1, 1, 1, "scalar"),
  kernel("leakyrelu", "s8", "none", "tflite", 1, 1, 1, "scalar"),
  kernel("leakyrelu", "s16", "none", "tflite", 1, 1, 1, "scalar"),
]);

export function familyKey(op: KernelOp, act: string, weight: string, requant: KernelRequant): string {
  return `${op}/${act}/${weight}/${requant}`;
}

/** Picks, per family, the first kernel whose instruction set is available and whose export exists. */
export function selectKernels(available: ReadonlySet<Isa>, exported: (name: string) => boolean): ReadonlyMap<string, KernelInfo> {
  const chosen = new Map<string, KernelInfo>();
  for (const k of KERNELS) {
    const key = familyKey(k.op, k.act, k.weight, k.requant);
    if (!chosen.has(key) && available.has(k.isa) && exported(k.name)) chosen.set(key, k);
  }
  return chosen;
}
