// s8_s8_gemv_<requant>_1x8c2_simd: one activation row times packed int8 weights (M = 1).
//
// Same packed panels as the GEMM (pack.ts), but a loop of its own: no row blocking, two k-pairs per step
// into two independent accumulator pairs (shorter dependency chains while weights stream from memory), and
// the SIMD requantization when a panel's channels share their parameters (per tensor), else a scalar one per
// channel.
//
// `rowsum` is the activation row's int8 sum (used only when `wzp` is not 0).

import {
  MODE_TFLITE, MODE_SINGLE, MODE_FP32, requant, output_stage, requant_x4, output_stage_x4, uniform_params,
} from "../requant";
import { s8_panel_bytes } from "./pack";
import { store_2x_partial, store_1x8_partial } from "./store";

const MODE_S32: i32 = 3;

// @ts-ignore: decorator
@lazy const lanes: usize = memory.data(32, 16);

// @ts-ignore: decorator
@inline function gemv_1x8c2(
  mode: i32, n: i32, k: i32, a: usize, w: usize, rq: usize, rowsum: i32, wzp: usize,
  out: usize, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  const kp = (k + 1) & ~1;
  const pairs = kp >> 1;
  const panelBytes = s8_panel_bytes(k);
  const lo = qmin - zp, hi = qmax - zp;
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = w + <usize>(n0 >> 3) * panelBytes;
    let c0 = v128.load(panel), c1 = v128.load(panel, 16);
    let d0 = i32x4.splat(0), d1 = d0;
    let pw = panel + 32;
    let pa = a;
    // Loads first and a pointer-compare loop: the shape V8 compiles best here.
    const end = pa + (<usize>(pairs & ~1) << 2);
    while (pa < end) {
      const s = v128.load32_splat(pa), t = v128.load32_splat(pa, 4);
      const b0 = v128.load8x8_s(pw), b1 = v128.load8x8_s(pw, 8), e0 = v128.load8x8_s(pw, 16), e1 = v128.load8x8_s(pw, 24);
      c0 = i32x4.add(c0, i32x4.dot_i16x8_s(s, b0)); c1 = i32x4.add(c1, i32x4.dot_i16x8_s(s, b1));
      d0 = i32x4.add(d0, i32x4.dot_i16x8_s(t, e0)); d1 = i32x4.add(d1, i32x4.dot_i16x8_s(t, e1));
      pa += 8;
      pw += 32;
    }
    if (pairs & 1) {
      const s = v128.load32_splat(pa);
      c0 = i32x4.add(c0, i32x4.dot_i16x8_s(s, v128.load8x8_s(pw)));
      c1 = i32x4.add(c1, i32x4.dot_i16x8_s(s, v128.load8x8_s(pw, 8)));
    }
    c0 = i32x4.add(c0, d0);
    c1 = i32x4.add(c1, d1);
    if (wzp != 0) {
      const s = i32x4.splat(rowsum);
      c0 = i32x4.sub(c0, i32x4.mul(s, v128.load(wzp + (<usize>n0 << 2))));
      c1 = i32x4.sub(c1, i32x4.mul(s, v128.load(wzp + (<usize>n0 << 2), 16)));
    }
    const nc = min(8, n - n0);
    if (mode == MODE_S32) {
      store_2x_partial(out + (<usize>n0 << 2), c0, c1, <usize>nc << 2);
    } else if (uniform_params(rq + (<usize>n0 << 3))) {
      // One multiplier and shift for all eight channels (per-tensor quantization): SIMD requantization.
      const param = load<i32>(rq + (<usize>n0 << 3)), shift = load<i32>(rq + (<usize>n0 << 3), 4);
      const r0 = output_stage_x4(requant_x4(mode, c0, param, shift), zp, lo, hi);
      const r1 = output_stage_x4(requant_x4(mode, c1, param, shift), zp, lo, hi);
      const b = v128.xor(i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(r0, r1), i16x8.splat(0)), i8x16.splat(<i8>xor));
      store_1x8_partial(out + <usize>n0, b, <usize>nc);
    } else {
      v128.store(lanes, c0);
      v128.store(lanes, c1, 16);
      for (let c = 0; c < nc; c++) {
        const p = rq + (<usize>(n0 + c) << 3);
        const r = requant(mode, load<i32>(lanes + (<usize>c << 2)), load<i32>(p), load<i32>(p, 4));
        store<u8>(out + <usize>(n0 + c), <u8>(output_stage(r, zp, lo, hi) ^ xor));
      }
    }
  }
}

export function s8_s8_gemv_s32_1x8c2_simd(
  n: i32, k: i32, a: usize, w: usize, rq: usize, rowsum: i32, wzp: usize, out: usize, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  gemv_1x8c2(MODE_S32, n, k, a, w, rq, rowsum, wzp, out, zp, qmin, qmax, xor);
}

export function s8_s8_gemv_tflite_1x8c2_simd(
  n: i32, k: i32, a: usize, w: usize, rq: usize, rowsum: i32, wzp: usize, out: usize, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  gemv_1x8c2(MODE_TFLITE, n, k, a, w, rq, rowsum, wzp, out, zp, qmin, qmax, xor);
}

export function s8_s8_gemv_single_1x8c2_simd(
  n: i32, k: i32, a: usize, w: usize, rq: usize, rowsum: i32, wzp: usize, out: usize, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  gemv_1x8c2(MODE_SINGLE, n, k, a, w, rq, rowsum, wzp, out, zp, qmin, qmax, xor);
}

export function s8_s8_gemv_fp32_1x8c2_simd(
  n: i32, k: i32, a: usize, w: usize, rq: usize, rowsum: i32, wzp: usize, out: usize, zp: i32, qmin: i32, qmax: i32, xor: i32,
): void {
  gemv_1x8c2(MODE_FP32, n, k, a, w, rq, rowsum, wzp, out, zp, qmin, qmax, xor);
}
