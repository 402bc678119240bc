// Winograd F(2x2, 3x3) for int8 NHWC convolutions with stride 1 and dilation 1 (Lavin & Gray, "Fast Algorithms
// for Convolutional Neural Networks", 2016): each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A, 16 products
// per tile and channel pair instead of 36. In integers and exact: d = x - zp (in [-255, 255]) becomes
// B^T d B in [-1020, 1020]; the op transforms the filters with 2G (integer entries), so U = 4 G g G^T is in
// [-1152, 1152]; the 16 products are int16 x int16 GEMMs with int32 sums (s16_s16_gemm_s32_4x8c2_simd); A^T M A
// is then exactly 4x the direct convolution's sum (wrapping int32 arithmetic is exact as long as that result
// fits, which the op checks from Cin), so >> 2 recovers it before the bias and the per-channel requantization.
//
//   B^T = [1  0 -1  0]    G = [1    0    0 ]    A^T = [1  1  1  0]
//         [0  1  1  0]        [1/2  1/2  1/2]          [0  1 -1 -1]
//         [0 -1  1  0]        [1/2 -1/2  1/2]
//         [0  1  0 -1]        [0    0    1 ]
//
// Tiles are numbered row-major over TH x TW (TH = ceil(OH/2), TW = ceil(OW/2)); the op runs a block of tiles at
// a time. The transformed inputs of a block are 16 matrices (position p = 4i + j of the 4x4 tile), each of
// `rows` rows (the block's tile count rounded up to 4) of Kp int16 (Cin rounded up to 8, zero past Cin); the
// products are 16 matrices of `rows` rows of Np int32 (Cout rounded up to 8).

import { MODE_TFLITE, MODE_FP32 } from "../requant";
import { LEFT, NARROW, store_pixel } from "./lane-output";

// @ts-ignore: decorator
@lazy const tail: usize = memory.data(16, 16);
// @ts-ignore: decorator
@lazy const half: usize = memory.data(256, 16);

/** Eight channels of one tap as int16 x - zp; 0 outside the image; `nc` < 8 reads only that many bytes. */
// @ts-ignore: decorator
@inline function tap(input: usize, iy: i32, ix: i32, H: i32, W: i32, C: i32, c: i32, nc: i32, vxor: v128, vzp: v128): v128 {
  if (<u32>iy >= <u32>H || <u32>ix >= <u32>W) return i16x8.splat(0);
  let src = input + <usize>(iy * W + ix) * C + c;
  if (nc < 8) {
    // The last channels: never read past the pixel (it may be the tensor's last); lanes past C become x = zp.
    v128.store(tail, v128.xor(i8x16.splat(<i8>load<i32>(tail, 8)), vxor));
    memory.copy(tail, src, nc);
    src = tail;
  }
  return i16x8.sub(i16x8.extend_low_i8x16_s(v128.xor(v128.load64_zero(src), vxor)), vzp);
}

/** One row of t through B (v = t B) into positions p, p+1, p+2, p+3 (`stride` bytes apart). */
// @ts-ignore: decorator
@inline function bt_row(t0: v128, t1: v128, t2: v128, t3: v128, dst: usize, stride: usize): void {
  v128.store(dst, i16x8.sub(t0, t2));
  v128.store(dst + stride, i16x8.add(t1, t2));
  v128.store(dst + 2 * stride, i16x8.sub(t2, t1));
  v128.store(dst + 3 * stride, i16x8.sub(t1, t3));
}

/**
 * B^T d B for tiles first .. first + count - 1, every channel. Params (int32 at p): 0 H 1 W 2 C 3 padTop
 * 4 padLeft 5 TW 6 zp (int8 domain) 7 xor (0x80 for uint8 input) 8 Kp 9 rows.
 */
export function s8_winograd_input_i16(input: usize, out: usize, p: usize, first: i32, count: i32): void {
  const H = load<i32>(p), W = load<i32>(p, 4), C = load<i32>(p, 8), padT = load<i32>(p, 12), padL = load<i32>(p, 16);
  const TW = load<i32>(p, 20), zp = load<i32>(p, 24), xor = load<i32>(p, 28), Kp = load<i32>(p, 32), rows = load<i32>(p, 36);
  const vzp = i16x8.splat(<i16>zp), vxor = i8x16.splat(<i8>xor);
  store<i32>(tail, zp, 8); // tap(): the fill of a partial channel block, x = zp in the int8 domain
  const stride = <usize>rows * Kp * 2;
  for (let r = 0; r < count; r++) {
    const t = first + r;
    const iy = (t / TW) * 2 - padT, ix = (t % TW) * 2 - padL;
    for (let c = 0; c < C; c += 8) {
      const nc = min(8, C - c);
      const dst = out + (<usize>r * Kp + c) * 2;
      // t = B^T d, column by column (d_ij is the tap at row i, column j of the 4x4 window).
      let d0 = tap(input, iy, ix, H, W, C, c, nc, vxor, vzp), d1 = tap(input, iy + 1, ix, H, W, C, c, nc, vxor, vzp);
      let d2 = tap(input, iy + 2, ix, H, W, C, c, nc, vxor, vzp), d3 = tap(input, iy + 3, ix, H, W, C, c, nc, vxor, vzp);
      const t00 = i16x8.sub(d0, d2), t10 = i16x8.add(d1, d2), t20 = i16x8.sub(d2, d1), t30 = i16x8.sub(d1, d3);
      d0 = tap(input, iy, ix + 1, H, W, C, c, nc, vxor, vzp); d1 = tap(input, iy + 1, ix + 1, H, W, C, c, nc, vxor, vzp);
      d2 = tap(input, iy + 2, ix + 1, H, W, C, c, nc, vxor, vzp); d3 = tap(input, iy + 3, ix + 1, H, W, C, c, nc, vxor, vzp);
      const t01 = i16x8.sub(d0, d2), t11 = i16x8.add(d1, d2), t21 = i16x8.sub(d2, d1), t31 = i16x8.sub(d1, d3);
      d0 = tap(input, iy, ix + 2, H, W, C, c, nc, vxor, vzp); d1 = tap(input, iy + 1, ix + 2, H, W, C, c, nc, vxor, vzp);
      d2 = tap(input, iy + 2, ix + 2, H, W, C, c, nc, vxor, vzp); d3 = tap(input, iy + 3, ix + 2, H, W, C, c, nc, vxor, vzp);
      const t02 = i16x8.sub(d0, d2), t12 = i16x8.add(d1, d2), t22 = i16x8.sub(d2, d1), t32 = i16x8.sub(d1, d3);
      d0 = tap(input, iy, ix + 3, H, W, C, c, nc, vxor, vzp); d1 = tap(input, iy + 1, ix + 3, H, W, C, c, nc, vxor, vzp);
      d2 = tap(input, iy + 2, ix + 3, H, W, C, c, nc, vxor, vzp); d3 = tap(input, iy + 3, ix + 3, H, W, C, c, nc, vxor, vzp);
      const t03 = i16x8.sub(d0, d2), t13 = i16x8.add(d1, d2), t23 = i16x8.sub(d2, d1), t33 = i16x8.sub(d1, d3);
      // v = t B, row by row: row i fills positions 4i .. 4i + 3.
      bt_row(t00, t01, t02, t03, dst, stride);
      bt_row(t10, t11, t12, t13, dst + 4 * stride, stride);
      bt_row(t20, t21, t22, t23, dst + 8 * stride, stride);
      bt_row(t30, t31, t32, t33, dst + 12 * stride, stride);
    }
  }
}

/**
 * A^T M A for four channels of one tile (M's 16 positions `stride` bytes apart from `m`), divided by 4, plus
 * the bias: the 2x2 outputs y00, y01, y10, y11 to `half` + 16 * (2 * pixel + h).
 */
// @ts-ignore: decorator
@inline function at_half(m: usize, stride: usize, bias: v128, h: usize): void {
  // s = A^T M: two rows of four.
  let m0 = v128.load(m), m1 = v128.load(m + 4 * stride), m2 = v128.load(m + 8 * stride), m3 = v128.load(m + 12 * stride);
  const s00 = i32x4.add(i32x4.add(m0, m1), m2), s10 = i32x4.sub(i32x4.sub(m1, m2), m3);
  m0 = v128.load(m + stride); m1 = v128.load(m + 5 * stride); m2 = v128.load(m + 9 * stride); m3 = v128.load(m + 13 * stride);
  const s01 = i32x4.add(i32x4.add(m0, m1), m2), s11 = i32x4.sub(i32x4.sub(m1, m2), m3);
  m0 = v128.load(m + 2 * stride); m1 = v128.load(m + 6 * stride); m2 = v128.load(m + 10 * stride); m3 = v128.load(m + 14 * stride);
  const s02 = i32x4.add(i32x4.add(m0, m1), m2), s12 = i32x4.sub(i32x4.sub(m1, m2), m3);
  m0 = v128.load(m + 3 * stride); m1 = v128.load(m + 7 * stride); m2 = v128.load(m + 11 * stride); m3 = v128.load(m + 15 * stride);
  const s03 = i32x4.add(i32x4.add(m0, m1), m2), s13 = i32x4.sub(i32x4.sub(m1, m2), m3);
  // y = s A; exactly 4x the sums, so the shift is a division.
  v128.store(half + h * 16, i32x4.add(i32x4.shr_s(i32x4.add(i32x4.add(s00, s01), s02), 2), bias));
  v128.store(half + 32 + h * 16, i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(s01, s02), s03), 2), bias));
  v128.store(half + 64 + h * 16, i32x4.add(i32x4.shr_s(i32x4.add(i32x4.add(s10, s11), s12), 2), bias));
  v128.store(half + 96 + h * 16, i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(s11, s12), s13), 2), bias));
}

/**
 * The output transform, bias and requantization for tiles first .. first + count - 1 into the NHWC output.
 * Params (int32 at p): 0 OH 1 OW 2 Cout 3 TW 4 Np 5 rows 6 outZp 7 qmin 8 qmax (int8 domain) 9 xor
 * 10 variant (lane-output.ts) 11 rmax. Lanes: 64 int32 per block of 8 channels (lane-output.ts).
 */
// @ts-ignore: decorator
@inline function winograd_output(mode: i32, variant: i32, m: usize, bias: usize, lanes: usize, out: usize, p: usize, first: i32, count: i32): void {
  const OH = load<i32>(p), OW = load<i32>(p, 4), C = load<i32>(p, 8), TW = load<i32>(p, 12), Np = load<i32>(p, 16);
  const rows = load<i32>(p, 20);
  const zp = i16x8.splat(<i16>load<i32>(p, 24)), lo = i8x16.splat(<i8>load<i32>(p, 28)), hi = i8x16.splat(<i8>load<i32>(p, 32));
  const xor = i8x16.splat(<i8>load<i32>(p, 36)), rmax = load<i32>(p, 44);
  const stride = <usize>rows * Np * 4;
  for (let r = 0; r < count; r++) {
    const t = first + r;
    const oy = (t / TW) * 2, ox = (t % TW) * 2;
    const right = ox + 1 < OW, down = oy + 1 < OH;
    for (let c = 0; c < C; c += 8) {
      const src = m + (<usize>r * Np + c) * 4;
      at_half(src, stride, v128.load(bias + (<usize>c << 2)), 0);
      at_half(src + 16, stride, v128.load(bias + (<usize>c << 2), 16), 1);
      const lp = lanes + <usize>(c >> 3) * 256, nc = min(8, C - c);
      const dst = out + (<usize>oy * OW + ox) * C + c;
      store_pixel(mode, variant, rmax, dst, v128.load(half), v128.load(half, 16), lp, zp, lo, hi, xor, nc);
      if (right) store_pixel(mode, variant, rmax, dst + C, v128.load(half, 32), v128.load(half, 48), lp, zp, lo, hi, xor, nc);
      if (down) {
        const below = dst + <usize>OW * C;
        store_pixel(mode, variant, rmax, below, v128.load(half, 64), v128.load(half, 80), lp, zp, lo, hi, xor, nc);
        if (right) store_pixel(mode, variant, rmax, below + C, v128.load(half, 96), v128.load(half, 112), lp, zp, lo, hi, xor, nc);
      }
    }
  }
}

export function s32_winograd_output_tflite(m: usize, bias: usize, lanes: usize, out: usize, p: usize, first: i32, count: i32): void {
  const variant = load<i32>(p, 40);
  if (variant == NARROW) winograd_output(MODE_TFLITE, NARROW, m, bias, lanes, out, p, first, count);
  else if (variant == (NARROW | LEFT)) winograd_output(MODE_TFLITE, NARROW | LEFT, m, bias, lanes, out, p, first, count);
  else if (variant == LEFT) winograd_output(MODE_TFLITE, LEFT, m, bias, lanes, out, p, first, count);
  else winograd_output(MODE_TFLITE, 0, m, bias, lanes, out, p, first, count);
}

export function s32_winograd_output_fp32(m: usize, bias: usize, lanes: usize, out: usize, p: usize, first: i32, count: i32): void {
  winograd_output(MODE_FP32, 0, m, bias, lanes, out, p, first, count);
}
