// CONV_2D (and QLinearConv) 3x3, stride 1, dilation 1, int8/uint8: Winograd F(2x2, 3x3), exact in integers
// (assembly/conv/s8-winograd.ts derives it). 16 int16 GEMMs of [tiles x Cin] x [Cin x Cout] replace the
// im2col GEMM's 9 Cin deep rows: 2.25x fewer multiplies. The results equal the direct convolution's bit for
// bit: the transforms are exact, the int32 sums are the same, the requantization is the same per channel.

import { ShapeError } from "../errors.js";
import type { NodeContext, NodeKernel } from "../graph/node.js";
import { quantizeMultiplier, fp32Multiplier } from "../quant/multiplier.js";
import { tfliteLanes, fp32Lanes } from "../quant/lane-multipliers.js";
import { constantArray, expectQuant } from "./graph-tensors.js";
import { outputClamp, type Conv2DOptions } from "./conv2d.js";
import type { Window1D } from "./conv-geometry.js";

/** Input channels up to which 4x the largest sum, 4 * 9 * Cin * 255 * 128, stays within int32. */
export const WINOGRAD_MAX_CIN = 1824;

/** Bytes of transformed inputs and products per block of tiles (they stay in L2 while the weights pass). */
const BLOCK_BYTES = 512 << 10;

/** 2G for F(2x2, 3x3): integer entries, so U = (2G) g (2G)^T = 4 G g G^T. */
const G2 = [[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]];

/**
 * Below 8 input channels the transformed GEMM's rows are padded to 8 anyway and the transforms dominate:
 * measured (3x3, 28x28 -> 16 / 56x56 -> 32 channels, µs) Winograd vs im2col + GEMM: Cin 1 76/449 vs 52/231,
 * Cin 4 67/445 vs 65/346, Cin 8 39/340 vs 61/378, Cin 16 54/383 vs 92/618.
 */
export const WINOGRAD_MIN_CIN = 8;

export function winogradEligible(o: Conv2DOptions, kh: number, kw: number, cin: number): boolean {
  return kh === 3 && kw === 3 && o.strideH === 1 && o.strideW === 1 && o.dilationH === 1 && o.dilationW === 1 && cin >= WINOGRAD_MIN_CIN && cin <= WINOGRAD_MAX_CIN;
}

/**
 * The 16 transformed filters as the int16 GEMM's panels: position p = 4i + j holds U_p[k][n] =
 * sum (2G)[i][a] g[n][a][b][k] (2G)[j][b], in [Np/8][Kp/2][8][2] order (columns and rows past the real ones 0).
 */
export function winogradWeights(filter: Int8Array, cout: number, cin: number, kp: number, np: number): Int16Array {
  const out = new Int16Array(16 * np * kp);
  const g = new Int32Array(9);
  for (let n = 0; n < cout; n++) {
    for (let k = 0; k < cin; k++) {
      for (let t = 0; t < 9; t++) g[t] = filter[(n * 9 + t) * cin + k];
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          let u = 0;
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) u += G2[i][a] * g[a * 3 + b] * G2[j][b];
          out[(4 * i + j) * np * kp + (((n >> 3) * (kp >> 1) + (k >> 1)) * 8 + (n & 7)) * 2 + (k & 1)] = u;
        }
      }
    }
  }
  return out;
}

export function conv2dWinograd(ctx: NodeContext, o: Conv2DOptions, row: Window1D, col: Window1D): NodeKernel {
  const rt = ctx.rt;
  const x = ctx.input(0, "input"), w = ctx.input(1, "filter"), y = ctx.output(0, "output");
  const biasT = ctx.optionalInput(2);
  const [n, h, wd, cin] = x.shape;
  const cout = w.shape[0];
  const xq = expectQuant(x, "input"), wq = expectQuant(w, "filter"), yq = expectQuant(y, "output");
  if (wq.scale.length !== 1 && wq.scale.length !== cout) throw new ShapeError(`filter has ${wq.scale.length} scales for ${cout} channels`);
  const dtype = x.dtype as "int8" | "uint8";
  const xor = dtype === "uint8" ? 0x80 : 0;
  const mode = o.requant ?? "tflite";
  const kp = (cin + 7) & ~7, np = (cout + 7) & ~7;
  const oh = row.out, ow = col.out;
  const th = (oh + 1) >> 1, tw = (ow + 1) >> 1, tiles = th * tw;
  const perTile = 16 * (kp * 2 + np * 4);
  const rows = Math.max(4, Math.min((tiles + 3) & ~3, Math.floor(BLOCK_BYTES / perTile) & ~3));

  const scaleOf = (ch: number) => wq.scale[wq.scale.length === 1 ? 0 : ch];
  const requant = mode === "fp32"
    ? { lanes: fp32Lanes(Array.from({ length: cout }, (_, ch) => fp32Multiplier(xq.scale[0], scaleOf(ch), yq.scale[0]))), variant: 0, rmax: 0 }
    : tfliteLanes(Array.from({ length: cout }, (_, ch) =>
      quantizeMultiplier((Math.fround(xq.scale[0]) * Math.fround(scaleOf(ch))) / Math.fround(yq.scale[0]))));
  const bias = new Int32Array(np);
  if (biasT) bias.set(constantArray(biasT, Int32Array, "bias"));
  const clamp = outputClamp(o, yq.scale[0], yq.zeroPoint[0], dtype);

  const blocks = [
    rt.upload(winogradWeights(constantArray(w, Int8Array, "filter"), cout, cin, kp, np), "winograd filters"),
    rt.upload(bias, "winograd bias"),
    rt.upload(requant.lanes, "winograd multipliers"),
    rt.upload(Int32Array.of(h, wd, cin, row.padBefore, col.padBefore, tw, xq.zeroPoint[0] - xor, xor, kp, rows), "winograd input params"),
    rt.upload(Int32Array.of(oh, ow, cout, tw, np, rows, yq.zeroPoint[0] - xor, clamp.min - xor, clamp.max - xor, xor,
      requant.variant, requant.rmax), "winograd output params"),
  ];
  const [filters, biasBlock, laneBlock, inParams, outParams] = blocks;
  const output = rt.winogradOutputS8(mode);
  const inImage = h * wd * cin, outImage = oh * ow * cout;
  return {
    run: () => rt.arena.scope(() => {
      const v = rt.arena.alloc(16 * rows * kp * 2, "winograd transformed inputs");
      const m = rt.arena.alloc(16 * rows * np * 4, "winograd products");
      for (let b = 0; b < n; b++) {
        for (let first = 0; first < tiles; first += rows) {
          const count = Math.min(rows, tiles - first);
          rt.winogradInputS8(ctx.ptr(x.id) + b * inImage, v.ptr, inParams.ptr, first, count);
          for (let p = 0; p < 16; p++) {
            rt.gemmS16(count, cout, kp, v.ptr + p * rows * kp * 2, filters.ptr + p * np * kp * 2, m.ptr + p * rows * np * 4, np);
          }
          output(m.ptr, biasBlock.ptr, laneBlock.ptr, ctx.ptr(y.id) + b * outImage, outParams.ptr, first, count);
        }
      }
    }),
    dispose: () => {
      for (const blk of blocks.reverse()) rt.arena.free(blk);
    },
  };
}
