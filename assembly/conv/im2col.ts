// s8_im2col_i16: the rows of a convolution as the GEMM's widened activations, for a range of output pixels
// (the op converts a cache-sized block of rows, multiplies it, and moves on). Output pixel p becomes a row of
// Kp int16 values (K = KH*KW*Cin in (ky, kx, c) order, Kp = K rounded up to 2, zero past K); taps outside the
// image hold the input zero point, so that x - zp is 0 there, as in TFLite's reference. Row stride 2*Kp bytes.
//
// Params (int32 at p): 0 H 1 W 2 Cin 3 KH 4 KW 5 strideH 6 strideW 7 dilationH 8 dilationW 9 padTop
//   10 padLeft 11 OH 12 OW 13 zp (in the int8 domain) 14 xor (0x80 for uint8 input, whose values become int8
//   through x ^ 0x80 on the way, as in pack_a_s8_i16)
//
// Contract: `out` has IM2COL_SLACK (16) bytes of room after the last row it writes (the partial channel vector
// of the last tap may spill there; the GEMM never reads it as data).

/** Writes rows for output pixels first .. first + count - 1 (row-major over OH x OW) to `out`. */
export function s8_im2col_i16(input: usize, out: usize, p: usize, first: i32, count: i32): void {
  const H = load<i32>(p), W = load<i32>(p, 4), C = load<i32>(p, 8), KH = load<i32>(p, 12), KW = load<i32>(p, 16);
  const sH = load<i32>(p, 20), sW = load<i32>(p, 24), dH = load<i32>(p, 28), dW = load<i32>(p, 32);
  const padT = load<i32>(p, 36), padL = load<i32>(p, 40), OH = load<i32>(p, 44), OW = load<i32>(p, 48), zp = load<i32>(p, 52);
  const xor = load<i32>(p, 56);
  const vxor = i8x16.splat(<i8>xor);
  const k = KH * KW * C;
  const kp = (k + 1) & ~1;
  const vzp = i16x8.splat(<i16>zp);
  let dst = out;
  for (let pix = first; pix < first + count; pix++) {
    {
      const oy = pix / OW, ox = pix % OW;
      const row = dst;
      for (let ky = 0; ky < KH; ky++) {
        const iy = oy * sH - padT + ky * dH;
        for (let kx = 0; kx < KW; kx++) {
          const ix = ox * sW - padL + kx * dW;
          // Channels in vectors of 8; the last, partial vector is stored whole: the 16 - 2 * (C - c8) bytes it
          // writes past this tap are the next tap's (written after it) or past the row (the next row's, or
          // the slack after the last: see the contract), and its load reads at most 7 bytes past the pixel,
          // within the input's padding.
          if (<u32>iy < <u32>H && <u32>ix < <u32>W) {
            const src = input + <usize>(iy * W + ix) * C;
            for (let c = 0; c < C; c += 8) v128.store(dst + (<usize>c << 1), i16x8.extend_low_i8x16_s(v128.xor(v128.load64_zero(src + c), vxor)));
          } else {
            for (let c = 0; c < C; c += 8) v128.store(dst + (<usize>c << 1), vzp);
          }
          dst += <usize>C << 1;
        }
      }
      if (kp != k) store<i16>(row + (<usize>k << 1), 0);
      dst = row + (<usize>kp << 1);
    }
  }
}
