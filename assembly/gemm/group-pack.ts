// Group-wise weights and dynamically quantized activations for the float-output GEMM/GEMV
// (s8-group-gemm-4x8c2.ts, s8-group-gemv-1x8c2.ts): the W4A8 / W8A8 "linear" of language models.
//
// Weights, NR = 8 columns per panel, groups of G consecutive k (G even; one group of K rounded up to 2 for
// per-channel scales). Panel p = columns 8p .. 8p+7, one block per group:
//
//   +-------------+---------------+------------------------------------------------+
//   | f32 s[8]    | i32 z[8]      | weights of the group, k-pair by k-pair          |
//   +-------------+---------------+------------------------------------------------+
//   group block bytes = 64 + G * bits         panel bytes = groups * block bytes
//
//   z is each column's stored zero point. The kernels multiply the stored values as they are and subtract
//   z[j] * (the activation row's sum over the group) once per group, so the inner loop only unpacks.
//
//   4 bits: one k-pair (k0 = 2q, k1 = 2q + 1) is 8 bytes; byte i holds
//     low nibble  = lane i of [c0k0 c0k1 c1k0 c1k1 c2k0 c2k1 c3k0 c3k1]
//     high nibble = lane i of [c4k0 c4k1 c5k0 c5k1 c6k0 c6k1 c7k0 c7k1]
//     so one zero-extending 8-byte load, then `& 15` and `>> 4` on i16 lanes, are the two i16x8 operands.
//     Nibbles are stored unsigned: int4 as q + 8 with z = zp + 8, uint4 as q with z = zp.
//   8 bits: one k-pair is 16 bytes, [c0k0 c0k1 .. c3k1] [c4k0 .. c7k1] as int8 (the int8 GEMM's panel rows),
//     uint8 as q - 128 with z = zp - 128.
//   Past K or N the stored value equals z (a zero weight) and the scale is 0.
//
// The packing itself is done in TypeScript (src/ops/linear.ts), once, from a QTensor.
//
// Activations: each row quantized on its own from its range (per token), stored as int16 (q - zp), rows of
// Ka = K rounded up to 2 (zero past K), row stride 2 * Ka bytes; the row's scale is kept as float32.
//   asymmetric: ONNX DynamicQuantizeLinear on the row: s = (max(0, max x) - min(0, min x)) / 255,
//               zp = saturate(roundHalfEven(0 - min / s)), q = saturate(roundHalfEven(x / s) + zp) in uint8;
//   symmetric:  s = max |x| / 127, q = clamp(roundHalfEven(x / s), -127, 127).
//   A row of zeros gets s = 1. All arithmetic in float32 (exact IEEE division, ties to even).

/**
 * Quantizes M float rows (row i at x + 4*i*stride), K each, into rows of `ka` (zero past K) and stores
 * q - base: base = zp for int16 rows (`wide`), base = 128 (asymmetric) or 0 (symmetric) for int8 rows, which
 * must fit a byte; then offsets[i] = base - zp (int8 rows only, when `offsets` is not 0), so that
 * q - zp = stored + offset. The scales go to f32 scales[i]; when `rowsums` is not 0, each row's int32 sums
 * of the stored values over groups of `g` go to rowsums[i][group]. Returns -1, or the first row holding NaN
 * or an infinity (nothing is written for it or after it).
 */
// @ts-ignore: decorator
@inline function quantize_rows(
  wide: bool, m: i32, k: i32, x: usize, stride: i32, ka: i32, symmetric: i32, out: usize, scales: usize, g: i32,
  rowsums: usize, offsets: usize,
): i32 {
  const groups = (k + g - 1) / g;
  const esize: usize = wide ? 2 : 1;
  for (let i = 0; i < m; i++) {
    const src = x + ((<usize>i * stride) << 2);
    const dst = out + <usize>i * ka * esize;
    let vmin = f32x4.splat(0), vmax = f32x4.splat(0);
    let kk = 0;
    for (; kk + 4 <= k; kk += 4) {
      const v = v128.load(src + (<usize>kk << 2));
      vmin = f32x4.min(vmin, v);
      vmax = f32x4.max(vmax, v);
    }
    let lo = min(min(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3)));
    let hi = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    for (; kk < k; kk++) {
      const v = load<f32>(src + (<usize>kk << 2));
      lo = min(lo, v);
      hi = max(hi, v);
    }
    // wasm min/max propagate NaN, so a non-finite element shows in the range.
    if (!isFinite(lo) || !isFinite(hi)) return i;
    let s: f32, zp: f32, qlo: f32, qhi: f32;
    if (symmetric) {
      const amax = max(-lo, hi);
      s = amax == 0 ? 1 : amax / 127;
      zp = 0; qlo = -127; qhi = 127;
    } else {
      s = hi == lo ? 1 : (hi - lo) / 255;
      zp = min<f32>(255, max<f32>(0, nearest<f32>(0 - lo / s)));
      qlo = 0; qhi = 255;
    }
    const base: f32 = wide ? zp : symmetric ? 0 : 128;
    store<f32>(scales + (<usize>i << 2), s);
    if (offsets != 0) store<i32>(offsets + (<usize>i << 2), <i32>(base - zp));
    const vs = f32x4.splat(s), vz = f32x4.splat(zp), vb = f32x4.splat(base), vlo = f32x4.splat(qlo), vhi = f32x4.splat(qhi);
    kk = 0;
    for (; kk + 8 <= k; kk += 8) {
      const p = src + (<usize>kk << 2);
      const q0 = f32x4.sub(f32x4.min(f32x4.max(f32x4.add(f32x4.nearest(f32x4.div(v128.load(p), vs)), vz), vlo), vhi), vb);
      const q1 = f32x4.sub(f32x4.min(f32x4.max(f32x4.add(f32x4.nearest(f32x4.div(v128.load(p, 16), vs)), vz), vlo), vhi), vb);
      const h = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(q0), i32x4.trunc_sat_f32x4_s(q1));
      if (wide) v128.store(dst + (<usize>kk << 1), h);
      else v128.store64_lane(dst + <usize>kk, i8x16.narrow_i16x8_s(h, h), 0);
    }
    for (; kk < k; kk++) {
      const q = <i32>(min(max(nearest<f32>(load<f32>(src + (<usize>kk << 2)) / s) + zp, qlo), qhi) - base);
      if (wide) store<i16>(dst + (<usize>kk << 1), <i16>q);
      else store<i8>(dst + <usize>kk, <i8>q);
    }
    for (; kk < ka; kk++) {
      if (wide) store<i16>(dst + (<usize>kk << 1), 0);
      else store<i8>(dst + <usize>kk, 0);
    }
    if (rowsums != 0) {
      for (let gi = 0; gi < groups; gi++) {
        let sum = 0;
        const end = min(ka, (gi + 1) * g);
        for (let j = gi * g; j < end; j++) sum += wide ? <i32>load<i16>(dst + (<usize>j << 1)) : <i32>load<i8>(dst + <usize>j);
        store<i32>(rowsums + ((<usize>i * groups + gi) << 2), sum);
      }
    }
  }
  return -1;
}

/** int16 rows of q - zp for the SIMD group kernels (see above). */
export function f32_quantize_rows_i16(
  m: i32, k: i32, x: usize, stride: i32, ka: i32, symmetric: i32, out: usize, scales: usize, g: i32, rowsums: usize,
): i32 {
  return quantize_rows(true, m, k, x, stride, ka, symmetric, out, scales, g, rowsums, 0);
}

/** int8 rows of q - 128 (asymmetric) or q (symmetric) with per-row offsets, for the relaxed-SIMD kernels. */
export function f32_quantize_rows_i8(
  m: i32, k: i32, x: usize, stride: i32, ka: i32, symmetric: i32, out: usize, scales: usize, g: i32, rowsums: usize, offsets: usize,
): i32 {
  return quantize_rows(false, m, k, x, stride, ka, symmetric, out, scales, g, rowsums, offsets);
}
