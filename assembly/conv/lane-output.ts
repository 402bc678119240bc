// The output stage of kernels whose vector lanes are output channels (NHWC convolutions: depthwise, Winograd):
// eight int32 accumulators of one pixel requantized per lane, the zero point added, clamped, narrowed, stored.
// Lane parameters per block of eight channels: 64 int32 at `lp` (requant_tflite_lanes for mode tflite, one
// float32 scale per lane in the first 8 for mode fp32).

import { requant_tflite_lanes, MODE_TFLITE } from "../requant";

/** Variant flags of the TFLite mode (src/quant/lane-multipliers.ts writes the matching lanes). */
export const LEFT = 1, NARROW = 2;

/** Per-lane requantization: TFLite double rounding, or ONNX's float scale per lane (first 32 bytes at lp). */
// @ts-ignore: decorator
@inline function requant_lanes(mode: i32, variant: i32, rmax: i32, acc: v128, lp: usize): v128 {
  if (mode == MODE_TFLITE) return requant_tflite_lanes(acc, lp, (variant & LEFT) != 0, (variant & NARROW) != 0, rmax);
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(f32x4.convert_i32x4_s(acc), v128.load(lp))));
}

/**
 * Requantizes, adds the zero point, clamps and stores the 8 (or `nc`) channels of one output pixel (xor 0x80
 * for uint8). The zero point goes in with a saturating int16 add after a saturating narrow, so values far out
 * of range stay on their side; the int8 narrow then saturates and the clamp bounds [lo, hi] are int8.
 */
// @ts-ignore: decorator
@inline export function store_pixel(mode: i32, variant: i32, rmax: i32, dst: usize, acc0: v128, acc1: v128, lp: usize, zp: v128, lo: v128, hi: v128, xor: v128, nc: i32): void {
  const y0 = requant_lanes(mode, variant, rmax, acc0, lp), y1 = requant_lanes(mode, variant, rmax, acc1, lp + 16);
  const r = i16x8.add_sat_s(i16x8.narrow_i32x4_s(y0, y1), zp);
  const bytes = v128.xor(i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(r, r), lo), hi), xor);
  if (nc == 8) v128.store64_lane(dst, bytes, 0);
  else for (let l = 0; l < nc; l++) store<i8>(dst + l, i8x16.extract_lane_s(i8x16.swizzle(bytes, i8x16.splat(<i8>l)), 0));
}

