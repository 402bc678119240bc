// Requantization of int32 accumulators, every mode in one place (DESIGN.md §2), scalar and SIMD side by side.
//
// Each mode maps an accumulator `acc` to an int32 `r`; the output stage then computes
// clamp(r + zp, qmin, qmax). Modes:
//
//   tflite  TFLite's default MultiplyByQuantizedMultiplier (tflite-micro kernels/internal/common.h):
//           l = max(shift, 0), r = max(-shift, 0)
//           RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc * 2^l, m), r)
//           SRDHM(a, b) = (a*b + 2^30) >> 31 in 64 bits (equal to gemmlowp's nudge-and-truncate), saturating
//           only for a = b = INT32_MIN; RDBPOT rounds half away from zero. acc * 2^l wraps like the C code.
//   single  TFLITE_SINGLE_ROUNDING: (acc * m + 2^(t-1)) >> t with t = 31 - shift, in 64 bits, one rounding
//           (half up). Saturates to int32 where the C code only asserts that the result fits.
//   fp32    ONNX QLinear*: f32(acc) * scale in float32, rounded half to even, saturated to int32.
//
// SIMD forms take one multiplier and shift for all four lanes: GEMM tiles transpose their accumulators so
// that one vector holds one output channel (see gemm/s8-gemm-4x8c2.ts).

/** SaturatingRoundingDoublingHighMul (gemmlowp fixedpoint.h). */
// @ts-ignore: decorator
@inline export function srdhm(a: i32, b: i32): i32 {
  if (a == i32.MIN_VALUE && b == i32.MIN_VALUE) return i32.MAX_VALUE;
  return <i32>((<i64>a * <i64>b + (1 << 30)) >> 31);
}

/** RoundingDivideByPOT (gemmlowp fixedpoint.h): x / 2^e rounded half away from zero, e in [0, 31]. */
// @ts-ignore: decorator
@inline export function rdbpot(x: i32, e: i32): i32 {
  const mask = <i32>((<u32>1 << e) - 1);
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/** Mode `tflite`, scalar. */
// @ts-ignore: decorator
@inline export function requant_tflite(acc: i32, m: i32, shift: i32): i32 {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(acc << left, m), right);
}

/** Mode `single`, scalar. */
// @ts-ignore: decorator
@inline export function requant_single(acc: i32, m: i32, shift: i32): i32 {
  const total = <i64>(31 - shift);
  const r = (<i64>acc * <i64>m + (<i64>1 << (total - 1))) >> total;
  return r > i32.MAX_VALUE ? i32.MAX_VALUE : r < i32.MIN_VALUE ? i32.MIN_VALUE : <i32>r;
}

/** Mode `fp32`, scalar. */
// @ts-ignore: decorator
@inline export function requant_fp32(acc: i32, scale: f32): i32 {
  const y = nearest<f32>(<f32>acc * scale);
  return y >= 2147483648.0 ? i32.MAX_VALUE : y < -2147483648.0 ? i32.MIN_VALUE : <i32>y;
}

/**
 * TFLite's int64 MultiplyByQuantizedMultiplier, used by the 16x8 kernels (tflite-micro
 * kernels/internal/common.cc): the multiplier is reduced to 16 bits, (m + 2^15) >> 16 (0x7FFF at the top),
 * then one rounding shift by 15 - shift of the 64-bit product. TFLite assumes |acc| < 2^47 and a result that
 * fits int32; dyad saturates to int32 beyond that.
 */
// @ts-ignore: decorator
@inline export function requant_tflite_i64(acc: i64, m: i32, shift: i32): i32 {
  const reduced: i64 = m < 0x7fff0000 ? <i64>((m + (1 << 15)) >> 16) : 0x7fff;
  const total = <i64>(15 - shift);
  const r = (acc * reduced + (<i64>1 << (total - 1))) >> total;
  return r > i32.MAX_VALUE ? i32.MAX_VALUE : r < i32.MIN_VALUE ? i32.MIN_VALUE : <i32>r;
}

/** clamp(r + zp, qmin, qmax) without int32 overflow: lo = qmin - zp, hi = qmax - zp. */
// @ts-ignore: decorator
@inline export function output_stage(r: i32, zp: i32, lo: i32, hi: i32): i32 {
  return (r < lo ? lo : r > hi ? hi : r) + zp;
}

// ---- SIMD forms: four lanes, one multiplier and shift --------------------------------------------------

/** Low 32 bits of two i64x2 vectors, packed into one i32x4 (lanes lo0 lo1 hi0 hi1). */
// @ts-ignore: decorator
@inline function pack_low32(lo: v128, hi: v128): v128 {
  return v128.shuffle<i32>(lo, hi, 0, 2, 4, 6);
}

/**
 * The low 32 bits of (x >> 31) for the 64-bit lanes of two vectors, packed into one i32x4 (lanes lo0 lo1 hi0
 * hi1). Those are bits 31..62 of x, i.e. the high half of x << 1: a left shift is one instruction on x64 while
 * V8 emulates the 64-bit arithmetic right shift with several.
 */
// @ts-ignore: decorator
@inline function pack_shr31(lo: v128, hi: v128): v128 {
  return v128.shuffle<i32>(i64x2.shl(lo, 1), i64x2.shl(hi, 1), 1, 3, 5, 7);
}

/** SRDHM on four lanes with a scalar multiplier. */
// @ts-ignore: decorator
@inline export function srdhm_x4(a: v128, m: i32): v128 {
  const vm = i32x4.splat(m);
  const round = i64x2.splat(1 << 30);
  const r = pack_shr31(i64x2.add(i64x2.extmul_low_i32x4_s(a, vm), round), i64x2.add(i64x2.extmul_high_i32x4_s(a, vm), round));
  if (m != i32.MIN_VALUE) return r;
  const overflow = i32x4.eq(a, i32x4.splat(i32.MIN_VALUE));
  return v128.bitselect(i32x4.splat(i32.MAX_VALUE), r, overflow);
}

/** RDBPOT on four lanes with a scalar exponent in [0, 31]. */
// @ts-ignore: decorator
@inline export function rdbpot_x4(x: v128, e: i32): v128 {
  const mask = <i32>((<u32>1 << e) - 1);
  const remainder = v128.and(x, i32x4.splat(mask));
  // threshold = mask/2 + (x < 0): x >> 31 is -1 for negative lanes.
  const threshold = i32x4.sub(i32x4.splat(mask >> 1), i32x4.shr_s(x, 31));
  return i32x4.sub(i32x4.shr_s(x, e), i32x4.gt_s(remainder, threshold));
}

/** Mode `tflite`, SIMD. */
// @ts-ignore: decorator
@inline export function requant_tflite_x4(acc: v128, m: i32, shift: i32): v128 {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot_x4(srdhm_x4(i32x4.shl(acc, left), m), right);
}

/** Saturates two i64x2 vectors to int32 and packs them into one i32x4. */
// @ts-ignore: decorator
@inline function saturate_pack(lo: v128, hi: v128): v128 {
  const max = i64x2.splat(i32.MAX_VALUE);
  const min = i64x2.splat(i32.MIN_VALUE);
  lo = v128.bitselect(max, lo, i64x2.gt_s(lo, max));
  lo = v128.bitselect(min, lo, i64x2.lt_s(lo, min));
  hi = v128.bitselect(max, hi, i64x2.gt_s(hi, max));
  hi = v128.bitselect(min, hi, i64x2.lt_s(hi, min));
  return pack_low32(lo, hi);
}

/** Mode `single`, SIMD. */
// @ts-ignore: decorator
@inline export function requant_single_x4(acc: v128, m: i32, shift: i32): v128 {
  const total = 31 - shift;
  const vm = i32x4.splat(m);
  const round = i64x2.splat(<i64>1 << (total - 1));
  const lo = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(acc, vm), round), total);
  const hi = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(acc, vm), round), total);
  return saturate_pack(lo, hi);
}

/** Mode `fp32`, SIMD: f32x4.nearest rounds half to even; trunc_sat saturates like the scalar form. */
// @ts-ignore: decorator
@inline export function requant_fp32_x4(acc: v128, scale: f32): v128 {
  const y = f32x4.nearest(f32x4.mul(f32x4.convert_i32x4_s(acc), f32x4.splat(scale)));
  return i32x4.trunc_sat_f32x4_s(y);
}

/** Output stage on four lanes: clamp(r, lo, hi) + zp, see `output_stage`. */
// @ts-ignore: decorator
@inline export function output_stage_x4(r: v128, zp: i32, lo: i32, hi: i32): v128 {
  return i32x4.add(i32x4.min_s(i32x4.max_s(r, i32x4.splat(lo)), i32x4.splat(hi)), i32x4.splat(zp));
}

/**
 * Mode `tflite` with a different multiplier and shift in each lane (per-channel ops whose channels are the
 * lanes). Parameters at `q`, eight vectors of four int32, each at q + 32*i (the next four lanes follow at
 * q + 16): 0 multiplier, 1 2^left; for the narrow route 2 the clamp bound L = 2^(right + 9), 3 -L,
 * 4 f = 2^(rmax - right), 5 f * 2^(right - 1) and 6 -f (both 0 where right is 0); otherwise 2
 * 2^(31 - right) (0 where right is 0), 3 -1 where right is 0, 4 (2^right) - 1, 5 ((2^right) - 1) >> 1.
 * `left` false (no lane shifts left, the usual case: multipliers below 1) skips the left-shift multiply.
 *
 * After SRDHM, RoundingDivideByPOT(y, right) (gemmlowp: half away from zero) needs a shift per lane, which
 * SIMD lacks. Two routes:
 * - `narrow` (every right shift at most 21, scalar rmax the largest): y is first clamped to [-L, L], which
 *   changes no output (past L the result is at least 2^9 in magnitude and saturates either way); then
 *   floor((y + 2^(right-1) - [y < 0]) / 2^right), which is RoundingDivideByPOT, is computed as
 *   (y * f + f * 2^(right-1) - [y < 0] * f) >> rmax, exact since |y * f| <= 2^(rmax + 9) <= 2^30.
 * - otherwise the floor is (y * 2^(31 - right)) >> 31 on 64-bit lanes (exact for right >= 1; where right is
 *   0 that product is 0 and y itself is added back), plus one where the remainder passes the threshold.
 */
// @ts-ignore: decorator
@inline export function requant_tflite_lanes(acc: v128, q: usize, left: bool, narrow: bool, rmax: i32): v128 {
  const m = v128.load(q);
  const x = left ? i32x4.mul(acc, v128.load(q, 32)) : acc; // acc << left, wrapping like the C code
  const round = i64x2.splat(1 << 30);
  // SRDHM; multipliers are non-negative, so INT32_MIN * INT32_MIN cannot occur.
  const srdhm = pack_shr31(i64x2.add(i64x2.extmul_low_i32x4_s(x, m), round), i64x2.add(i64x2.extmul_high_i32x4_s(x, m), round));
  if (narrow) {
    const y = i32x4.max_s(i32x4.min_s(srdhm, v128.load(q, 64)), v128.load(q, 96));
    const scaled = i32x4.add(i32x4.mul(y, v128.load(q, 128)), v128.load(q, 160));
    return i32x4.shr_s(i32x4.add(scaled, v128.and(i32x4.shr_s(y, 31), v128.load(q, 192))), rmax);
  }
  const y = srdhm, rpow = v128.load(q, 64);
  const floor = i32x4.add(pack_shr31(i64x2.extmul_low_i32x4_s(y, rpow), i64x2.extmul_high_i32x4_s(y, rpow)), v128.and(y, v128.load(q, 96)));
  const rmask = v128.load(q, 128), threshold = i32x4.sub(v128.load(q, 160), i32x4.shr_s(y, 31));
  return i32x4.sub(floor, i32x4.gt_s(v128.and(y, rmask), threshold));
}

// ---- Mode selection for kernels (compile-time constants after inlining) ---------------------------------

export const MODE_TFLITE: i32 = 0;
export const MODE_SINGLE: i32 = 1;
export const MODE_FP32: i32 = 2;

/** True when the eight (param, shift) pairs at q (a kernel's per-channel parameter array) are all equal. */
// @ts-ignore: decorator
@inline export function uniform_params(q: usize): bool {
  const first = i64x2.splat(load<i64>(q));
  return v128.all_true<i64>(v128.and(
    v128.and(i64x2.eq(v128.load(q), first), i64x2.eq(v128.load(q, 16), first)),
    v128.and(i64x2.eq(v128.load(q, 32), first), i64x2.eq(v128.load(q, 48), first)),
  ));
}

/** One accumulator through mode `mode`; `param` is the multiplier (or the f32 scale's bits). */
// @ts-ignore: decorator
@inline export function requant(mode: i32, acc: i32, param: i32, shift: i32): i32 {
  if (mode == MODE_TFLITE) return requant_tflite(acc, param, shift);
  if (mode == MODE_SINGLE) return requant_single(acc, param, shift);
  return requant_fp32(acc, reinterpret<f32>(param));
}

/** Four accumulators of one channel through mode `mode`. */
// @ts-ignore: decorator
@inline export function requant_x4(mode: i32, acc: v128, param: i32, shift: i32): v128 {
  if (mode == MODE_TFLITE) return requant_tflite_x4(acc, param, shift);
  if (mode == MODE_SINGLE) return requant_single_x4(acc, param, shift);
  return requant_fp32_x4(acc, reinterpret<f32>(param));
}
