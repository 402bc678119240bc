// Packs a QTensor of weights [K, N] (int4, uint4, int8 or uint8; per tensor, per output channel, or in
// groups along K) into the group panels of assembly/gemm/group-pack.ts (the diagram is there). Done once,
// at create time, in TypeScript: it is a byte shuffle, and it keeps the wasm small.

import { QuantParamError, UnsupportedError, DTypeError, ShapeError } from "../errors.js";
import { QTensor } from "../tensor/qtensor.js";
import { BufferError } from "../errors.js";
import type { CodebookWeights } from "../quant/codebook.js";
import { shapeString } from "../tensor/shape.js";

export interface GroupPanels {
  /** The packed bytes, panel after panel. */
  bytes: Uint8Array;
  k: number;
  n: number;
  bits: 4 | 8;
  /** k per group (even); K rounded up to 2 for per-tensor and per-channel scales. */
  group: number;
  /** Whether any stored zero point is not 0 (then the kernels need the activations' group sums). */
  zeroPoints: boolean;
}

/** Checks the weights and returns (bits, group size, scale index of (group, column)). */
export function groupLayout(w: QTensor, what: string): { k: number; n: number; bits: 4 | 8; group: number; param: (g: number, j: number) => number } {
  if (!(w instanceof QTensor)) throw new DTypeError(`${what}: weights must be a QTensor`);
  if (!["int4", "uint4", "int8", "uint8"].includes(w.dtype)) throw new DTypeError(`${what}: weights must be int4, uint4, int8 or uint8, got ${w.dtype}`);
  if (w.shape.length !== 2) throw new ShapeError(`${what}: weights must be [K, N], got ${shapeString(w.shape)}`);
  const [k, n] = w.shape;
  if (k === 0 || n === 0) throw new ShapeError(`${what}: weights [K, N] = ${shapeString(w.shape)} are empty`);
  const bits = w.dtype === "int4" || w.dtype === "uint4" ? 4 : 8;
  const ka = (k + 1) & ~1;
  if (w.axis === null) return { k, n, bits, group: ka, param: () => 0 };
  if (w.blockSize === 0) {
    if (w.axis !== 1) throw new QuantParamError(`${what}: per-axis weights must be quantized along the output channels (axis 1 of [K, N]), got axis ${w.axis}`);
    return { k, n, bits, group: ka, param: (_g, j) => j };
  }
  if (w.axis !== 0) throw new QuantParamError(`${what}: groups must run along K (axis 0 of [K, N]), got axis ${w.axis}`);
  if (w.blockSize % 2 !== 0) throw new UnsupportedError(`${what}: group size ${w.blockSize} is odd; the kernels take k in pairs, so groups must be even`);
  // A group as long as K (or longer) is per-channel quantization.
  return { k, n, bits, group: Math.min(w.blockSize, ka), param: (g, j) => g * n + j };
}

/** Element e (row-major [K, N]) of the weights as its signed or unsigned integer (int4 nibbles unpacked). */
function weightValue(w: QTensor): (e: number) => number {
  const src = w.data;
  if (w.dtype !== "int4" && w.dtype !== "uint4") return (e) => src[e];
  const signed = w.dtype === "int4";
  return (e) => {
    const b = src[e >> 1], v = e & 1 ? b >> 4 : b & 15;
    return signed && v > 7 ? v - 16 : v;
  };
}

/** Writes column c's scale (bytes 0-31 of a block) and stored zero point (bytes 32-63); returns the latter. */
function columnHeader(f32: Float32Array, i32: Int32Array, base: number, c: number, scale: number, zeroPoint: number): number {
  f32[(base >> 2) + c] = scale;
  i32[((base + 32) >> 2) + c] = zeroPoint;
  return zeroPoint;
}

/**
 * Packs for the SIMD kernels (`kr` 2: assembly/gemm/group-pack.ts) or the relaxed-SIMD int4 kernels (`kr` 4:
 * assembly/gemm/s8-s4-group-relaxed.ts, which also store t = sum u - z * L per group and column).
 */
export function packGroupPanels(w: QTensor, what: string, kr: 2 | 4 = 2): GroupPanels {
  if (kr === 4) return packRelaxed(w, what);
  const { k, n, bits, group, param } = groupLayout(w, what);
  const groups = Math.ceil(k / group);
  const blockBytes = 64 + group * bits;
  const panels = (n + 7) >> 3;
  const bytes = new Uint8Array(panels * groups * blockBytes);
  const f32 = new Float32Array(bytes.buffer);
  const i32 = new Int32Array(bytes.buffer);
  let zeroPoints = false;
  // Stored value = q + offset, stored zero point = zp + offset: int4 as unsigned nibbles, uint8 as int8.
  const offset = w.dtype === "int4" ? 8 : w.dtype === "uint8" ? -128 : 0;
  const value = weightValue(w);
  for (let p = 0; p < panels; p++) {
    for (let g = 0; g < groups; g++) {
      const base = (p * groups + g) * blockBytes;
      for (let c = 0; c < 8; c++) {
        const j = 8 * p + c;
        const live = j < n;
        const z = columnHeader(f32, i32, base, c, live ? w.scale[param(g, j)] : 0, live ? w.zeroPoint[param(g, j)] + offset : 0);
        if (z !== 0) zeroPoints = true;
        const k0 = g * group, k1 = Math.min(k0 + group, (k + 1) & ~1);
        for (let kk = k0; kk < k1; kk++) {
          // Past K (the odd k of the last pair) and past N: the stored zero point, a zero weight.
          const v = live && kk < k ? value(kk * n + j) + offset : z;
          const at = base + 64 + ((kk - k0) >> 1) * 2 * bits + 2 * (c & 3) + (kk & 1);
          if (bits === 4) bytes[at] |= c >= 4 ? v << 4 : v;
          else bytes[at + (c >= 4 ? 8 : 0)] = v;
        }
      }
    }
  }
  return { bytes, k, n, bits, group, zeroPoints };
}

/** The relaxed kernels' panels: int4/uint4 only, groups a multiple of 4 (see the kernel file's diagram). */
function packRelaxed(w: QTensor, what: string): GroupPanels {
  const layout = groupLayout(w, what);
  const { n, bits, param } = layout;
  const k = layout.k, ka = (k + 3) & ~3;
  if (bits !== 4) throw new UnsupportedError(`${what}: the relaxed kernels take int4/uint4 weights, got ${w.dtype}`);
  // Per-channel groups span K rounded up to 4 here.
  const group = layout.group === ((k + 1) & ~1) ? ka : layout.group;
  if (group % 4 !== 0) throw new UnsupportedError(`${what}: the relaxed kernels need groups of a multiple of 4, got ${group}`);
  const groups = Math.ceil(k / group);
  const blockBytes = 128 + 4 * group;
  const panels = (n + 7) >> 3;
  const bytes = new Uint8Array(panels * groups * blockBytes);
  const f32 = new Float32Array(bytes.buffer);
  const i32 = new Int32Array(bytes.buffer);
  const offset = w.dtype === "int4" ? 8 : 0;
  const value = weightValue(w);
  for (let p = 0; p < panels; p++) {
    for (let g = 0; g < groups; g++) {
      const base = (p * groups + g) * blockBytes;
      const k0 = g * group, k1 = Math.min(k0 + group, ka);
      for (let c = 0; c < 8; c++) {
        const j = 8 * p + c;
        const live = j < n;
        const z = columnHeader(f32, i32, base, c, live ? w.scale[param(g, j)] : 0, live ? w.zeroPoint[param(g, j)] + offset : 0);
        let sum = 0;
        for (let kk = k0; kk < k1; kk++) {
          const v = live && kk < k ? value(kk * n + j) + offset : z;
          sum += v;
          // Column c & 3 at bytes 4 (c & 3) .. + 3 of the 4 k; columns 4-7 in the high nibbles.
          const at = base + 128 + ((kk - k0) >> 2) * 16 + 4 * (c & 3) + (kk & 3);
          bytes[at] |= c >= 4 ? v << 4 : v;
        }
        i32[((base + 64) >> 2) + c] = sum - z * (k1 - k0);
      }
    }
  }
  return { bytes, k, n, bits, group, zeroPoints: true };
}

/**
 * Packs codebook weights for s8_n4_gemm_f32_4x2c16_simd (the diagram is in its file): panels of 2 columns,
 * per group the two columns' 16 int8 levels and scales, then 16 bytes per 16 k.
 */
export function packCodebookPanels(cb: CodebookWeights, what: string): GroupPanels {
  if (cb?.kind !== "codebook" || !Array.isArray(cb.shape) || cb.shape.length !== 2) throw new DTypeError(`${what}: not a codebook (fitCodebook makes one)`);
  const [k, n] = cb.shape;
  if (!(Number.isSafeInteger(k) && Number.isSafeInteger(n) && k > 0 && n > 0)) throw new ShapeError(`${what}: codebook shape [${cb.shape}] must be positive`);
  if (!Number.isSafeInteger(cb.groupSize) || cb.groupSize < 0 || cb.groupSize % 16 !== 0) throw new UnsupportedError(`${what}: codebook groupSize must be 0 or a multiple of 16, got ${cb.groupSize}`);
  const ka = (k + 15) & ~15;
  const group = cb.groupSize === 0 ? ka : Math.min(cb.groupSize, ka);
  const span = cb.groupSize === 0 ? k : cb.groupSize;
  const groups = Math.ceil(k / group);
  if (!(cb.indices instanceof Uint8Array) || cb.indices.length !== Math.ceil((k * n) / 2)) throw new BufferError(`${what}: ${k} x ${n} indices need ${Math.ceil((k * n) / 2)} bytes, got ${cb.indices?.length}`);
  if (!(cb.levels instanceof Int8Array) || cb.levels.length !== groups * n * 16) throw new BufferError(`${what}: the codebooks need 16 int8 levels per group and column (${groups * n * 16}), got ${cb.levels?.length}`);
  if (!(cb.scales instanceof Float32Array) || cb.scales.length !== groups * n) throw new BufferError(`${what}: the codebooks need ${groups * n} scales, got ${cb.scales?.length}`);
  const blockBytes = 48 + group;
  const panels = (n + 1) >> 1;
  const bytes = new Uint8Array(panels * groups * blockBytes);
  const f32 = new Float32Array(bytes.buffer);
  const levels = new Uint8Array(cb.levels.buffer, cb.levels.byteOffset, cb.levels.length);
  for (let p = 0; p < panels; p++) {
    for (let g = 0; g < groups; g++) {
      const base = (p * groups + g) * blockBytes;
      for (let c = 0; c < 2; c++) {
        const j = 2 * p + c;
        if (j >= n) continue;
        const gc = Math.min(g, Math.ceil(k / span) - 1);
        bytes.set(levels.subarray((gc * n + j) * 16, (gc * n + j) * 16 + 16), base + 16 * c);
        f32[(base + 32) / 4 + c] = cb.scales[gc * n + j];
        for (let kk = g * group; kk < Math.min(k, (g + 1) * group); kk++) {
          const e = kk * n + j;
          const idx = (cb.indices[e >> 1] >> (e & 1 ? 4 : 0)) & 15;
          const r = kk - g * group, at = base + 48 + (r >> 4) * 16 + 8 * c + (r & 7);
          bytes[at] |= (r & 8) ? idx << 4 : idx;
        }
      }
    }
  }
  return { bytes, k, n, bits: 4, group, zeroPoints: false };
}
