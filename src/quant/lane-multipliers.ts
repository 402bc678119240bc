// Per-lane requantization parameters for kernels whose vector lanes are output channels
// (assembly/conv/lane-output.ts; for TFLite requant_tflite_lanes in assembly/requant.ts, whose comment derives
// both routes; used by the depthwise and Winograd kernels). Lanes come in blocks of eight, eight vectors of four int32 per half block, 64 int32 per block;
// lanes past the channels are zero.

import type { QuantizedMultiplier } from "./multiplier.js";

/** Kernel variant flags (assembly/conv/s8-dwconv.ts). */
export const LANES_LEFT = 1;
export const LANES_NARROW = 2;

/** The largest right shift the narrow route handles: its products stay within 2^(21 + 9). */
const NARROW_MAX_RIGHT = 21;

export interface TfliteLanes {
  readonly lanes: Int32Array;
  /** LANES_LEFT if some channel shifts left; LANES_NARROW if every right shift allows the narrow route. */
  readonly variant: number;
  /** The largest right shift (the narrow route's final scalar shift). */
  readonly rmax: number;
}

export function tfliteLanes(multipliers: readonly QuantizedMultiplier[]): TfliteLanes {
  const lanes = new Int32Array(((multipliers.length + 7) >> 3) * 64);
  const rights = multipliers.map((q) => Math.max(-q.shift, 0));
  const rmax = Math.max(0, ...rights);
  const narrow = rmax <= NARROW_MAX_RIGHT;
  let variant = narrow ? LANES_NARROW : 0;
  multipliers.forEach((q, ch) => {
    const at = (ch >> 3) * 64 + (ch & 7);
    const left = Math.max(q.shift, 0), right = rights[ch];
    if (left > 0) variant |= LANES_LEFT;
    lanes[at] = q.multiplier;
    lanes[at + 8] = 2 ** left;
    const vectors = narrow ? narrowRoute(right, rmax) : wideRoute(right);
    vectors.forEach((v, i) => (lanes[at + 16 + 8 * i] = v));
  });
  return { lanes, variant, rmax };
}

/** The fp32 mode's lanes: one float32 scale per channel in the first vector pair of each 64-int32 block. */
export function fp32Lanes(scales: readonly number[]): Int32Array {
  const lanes = new Int32Array(((scales.length + 7) >> 3) * 64);
  const view = new Float32Array(lanes.buffer);
  scales.forEach((s, ch) => (view[(ch >> 3) * 64 + (ch & 7)] = s));
  return lanes;
}

/** Clamp bound, its negation, f = 2^(rmax - right), f * 2^(right - 1), -f (the last two 0 where right is 0). */
function narrowRoute(right: number, rmax: number): number[] {
  const bound = 2 ** (right + 9), f = 2 ** (rmax - right);
  return [bound, -bound, f, right > 0 ? f * 2 ** (right - 1) : 0, right > 0 ? -f : 0];
}

/** 2^(31 - right) (0 where right is 0), -1 where right is 0, (2^right) - 1 and its half. */
function wideRoute(right: number): number[] {
  const mask = right === 31 ? 0x7fffffff : 2 ** right - 1;
  return [right > 0 ? 2 ** (31 - right) | 0 : 0, right === 0 ? -1 : 0, mask, mask >>> 1];
}
