// s8_s8_dwconv_tflite_1x8_simd: int8 depthwise convolution, NHWC, depth multiplier 1, per-channel weights,
// TFLite semantics (reference: tflite-micro kernels/internal/reference/integer_ops/depthwise_conv.h,
// DepthwiseConvPerChannel).
//
// The input arrives padded (Hp x Wp x C, the border filled with the input zero point), so every tap is inside
// and the zero point folds into the bias: acc = bias'[c] + sum_taps x * w with bias' = bias - zp * sum_taps w.
// Channels ride in the vector lanes, eight at a time, the outer loop. Taps go in pairs: the two taps' 8 bytes
// are loaded widened to int16 and interleaved, and one `i32x4.dot_i16x8_s` per four channels adds both
// products (weights are packed interleaved the same way, widened, a zero weight pairing an odd last tap). Four
// output pixels share each weight load. Requantization is TFLite's double rounding with a multiplier and
// shift per lane (requant_tflite_lanes), then the zero point and the clamp.
//
// Packed weights per block of 8 channels: P = ceil(KH*KW / 2) pairs x 2 vectors (channels 0-3, 4-7) of
// (w_t, w_t+1) int16 pairs = 32 * P bytes. Lane parameters per block: 8 x 8 int32 (see requant_tflite_lanes).
// Channels past C in the last block have zero weights and are not stored.
//
// At most 64 taps (KH * KW); the op checks. Params (int32 at p): 0 Hp 1 Wp 2 C 3 KH 4 KW 5 strideH 6 strideW 7 dilationH 8 dilationW 9 OH 10 OW
//   11 outZp 12 qmin 13 qmax (all three in the int8 domain) 14 xor (0x80: uint8 output, stored as y ^ 0x80)
//   15 variant flags (mode tflite): LEFT some channel's multiplier shifts left, NARROW every right shift allows
//      requant_tflite_lanes' narrow route, with 16 the largest right shift

import { MODE_TFLITE, MODE_FP32 } from "../requant";
import { LEFT, NARROW, store_pixel } from "./lane-output";

/** Byte offsets of each tap pair's two taps from the window's corner (at most MAX_TAPS taps). */
const MAX_TAPS = 64;
// @ts-ignore: decorator
@lazy const tapOffsets: usize = memory.data(MAX_TAPS * 4, 16);

/** Eight channels of two taps, widened to int16 and interleaved: (t0 c0, t1 c0, t0 c1, t1 c1, ...) in two vectors. */
// @ts-ignore: decorator
@inline function pair_low(x0: v128, x1: v128): v128 {
  return v128.shuffle<i16>(x0, x1, 0, 8, 1, 9, 2, 10, 3, 11);
}

// @ts-ignore: decorator
@inline function pair_high(x0: v128, x1: v128): v128 {
  return v128.shuffle<i16>(x0, x1, 4, 12, 5, 13, 6, 14, 7, 15);
}

export function dwconv_packed_bytes(c: i32, kh: i32, kw: i32): usize {
  return <usize>((c + 7) >> 3) * 32 * <usize>((kh * kw + 1) >> 1);
}

// @ts-ignore: decorator
@inline function dwconv(mode: i32, variant: i32, input: usize, filter: usize, bias: usize, lanes: usize, out: usize, p: usize): void {
  const Wp = load<i32>(p, 4), C = load<i32>(p, 8), KH = load<i32>(p, 12), KW = load<i32>(p, 16);
  const sH = load<i32>(p, 20), sW = load<i32>(p, 24), dH = load<i32>(p, 28), dW = load<i32>(p, 32);
  const OH = load<i32>(p, 36), OW = load<i32>(p, 40);
  const zp = i16x8.splat(<i16>load<i32>(p, 44)), lo = i8x16.splat(<i8>load<i32>(p, 48)), hi = i8x16.splat(<i8>load<i32>(p, 52));
  const xor = i8x16.splat(<i8>load<i32>(p, 56));
  const rmax = load<i32>(p, 64);
  const taps = KH * KW;
  const pairs = (taps + 1) >> 1;
  const rowBytes = <usize>Wp * C;
  // Tap offsets once per call: divisions inside the pixel loop would cost more than the arithmetic.
  for (let t = 0; t < pairs * 2; t++) {
    const tt = t < taps ? t : taps - 1;
    store<i32>(tapOffsets + (<usize>t << 2), <i32>(<usize>((tt / KW) * dH) * rowBytes + <usize>((tt % KW) * dW) * C));
  }
  for (let c0 = 0; c0 < C; c0 += 8) {
    const w = filter + <usize>(c0 >> 3) * 32 * pairs;
    const lp = lanes + <usize>(c0 >> 3) * 256;
    const b0 = v128.load(bias + (<usize>c0 << 2)), b1 = v128.load(bias + (<usize>c0 << 2), 16);
    const nc = min(8, C - c0);
    for (let oy = 0; oy < OH; oy++) {
      let ox = 0;
      // Four output pixels at a time share the weight and tap-offset loads.
      const step = <usize>sW * C;
      for (; ox + 3 < OW; ox += 4) {
        const base = input + <usize>(oy * sH) * rowBytes + <usize>(ox * sW) * C + c0;
        let a0 = b0, a1 = b1, e0 = b0, e1 = b1, f0 = b0, f1 = b1, g0 = b0, g1 = b1;
        for (let q = 0; q < pairs; q++) {
          const o0 = base + <usize>load<i32>(tapOffsets + (<usize>q << 3)), o1 = base + <usize>load<i32>(tapOffsets + (<usize>q << 3), 4);
          const wq = w + (<usize>q << 5);
          const wl = v128.load(wq), wh = v128.load(wq, 16);
          let x0 = v128.load8x8_s(o0), x1 = v128.load8x8_s(o1);
          a0 = i32x4.add(a0, i32x4.dot_i16x8_s(pair_low(x0, x1), wl));
          a1 = i32x4.add(a1, i32x4.dot_i16x8_s(pair_high(x0, x1), wh));
          x0 = v128.load8x8_s(o0 + step), x1 = v128.load8x8_s(o1 + step);
          e0 = i32x4.add(e0, i32x4.dot_i16x8_s(pair_low(x0, x1), wl));
          e1 = i32x4.add(e1, i32x4.dot_i16x8_s(pair_high(x0, x1), wh));
          x0 = v128.load8x8_s(o0 + 2 * step), x1 = v128.load8x8_s(o1 + 2 * step);
          f0 = i32x4.add(f0, i32x4.dot_i16x8_s(pair_low(x0, x1), wl));
          f1 = i32x4.add(f1, i32x4.dot_i16x8_s(pair_high(x0, x1), wh));
          x0 = v128.load8x8_s(o0 + 3 * step), x1 = v128.load8x8_s(o1 + 3 * step);
          g0 = i32x4.add(g0, i32x4.dot_i16x8_s(pair_low(x0, x1), wl));
          g1 = i32x4.add(g1, i32x4.dot_i16x8_s(pair_high(x0, x1), wh));
        }
        const dst = out + <usize>(oy * OW + ox) * C + c0;
        store_pixel(mode, variant, rmax, dst, a0, a1, lp, zp, lo, hi, xor, nc);
        store_pixel(mode, variant, rmax, dst + <usize>C, e0, e1, lp, zp, lo, hi, xor, nc);
        store_pixel(mode, variant, rmax, dst + 2 * <usize>C, f0, f1, lp, zp, lo, hi, xor, nc);
        store_pixel(mode, variant, rmax, dst + 3 * <usize>C, g0, g1, lp, zp, lo, hi, xor, nc);
      }
      for (; ox < OW; ox++) {
        const base = input + <usize>(oy * sH) * rowBytes + <usize>(ox * sW) * C + c0;
        let a0 = b0, a1 = b1;
        for (let q = 0; q < pairs; q++) {
          const x0 = v128.load8x8_s(base + <usize>load<i32>(tapOffsets + (<usize>q << 3)));
          const x1 = v128.load8x8_s(base + <usize>load<i32>(tapOffsets + (<usize>q << 3), 4));
          const wq = w + (<usize>q << 5);
          a0 = i32x4.add(a0, i32x4.dot_i16x8_s(pair_low(x0, x1), v128.load(wq)));
          a1 = i32x4.add(a1, i32x4.dot_i16x8_s(pair_high(x0, x1), v128.load(wq, 16)));
        }
        store_pixel(mode, variant, rmax, out + <usize>(oy * OW + ox) * C + c0, a0, a1, lp, zp, lo, hi, xor, nc);
      }
    }
  }
}

export function s8_s8_dwconv_tflite_1x8_simd(input: usize, filter: usize, bias: usize, lanes: usize, out: usize, p: usize): void {
  // One instance per variant: the left-shift multiply only where some channel needs it (multipliers of 1 or
  // more are rare here), the narrow route where the shifts allow it (nearly always).
  const variant = load<i32>(p, 60);
  if (variant == NARROW) dwconv(MODE_TFLITE, NARROW, input, filter, bias, lanes, out, p);
  else if (variant == (NARROW | LEFT)) dwconv(MODE_TFLITE, NARROW | LEFT, input, filter, bias, lanes, out, p);
  else if (variant == LEFT) dwconv(MODE_TFLITE, LEFT, input, filter, bias, lanes, out, p);
  else dwconv(MODE_TFLITE, 0, input, filter, bias, lanes, out, p);
}

/** ONNX QLinearConv semantics: lanes hold one float32 scale per channel (s_in * s_w / s_out). */
export function s8_s8_dwconv_fp32_1x8_simd(input: usize, filter: usize, bias: usize, lanes: usize, out: usize, p: usize): void {
  dwconv(MODE_FP32, 0, input, filter, bias, lanes, out, p);
}
