// s8_n4_gemm_f32_4x2c16_simd: dynamically quantized activations (int16 rows of q - zp, a float scale per
// row, as the group kernels) times non-uniform 4-bit weights: each weight is an index into a codebook of 16
// int8 levels that belongs to its column (and group of K), decoded with `i8x16.swizzle` in registers. Float
// output in the group kernels' order (s8-group-gemm-4x8c2.ts): per group the exact int32 sum
// S = sum (q - zp) * level[index], then acc = acc + f32(S) * s[g][j], y = acc * sx[i] + bias[j].
//
// A swizzle table serves one column, so the weights run along K: 16 indices of one column are one swizzle,
// widened to two i16x8 and multiplied with 16 activations of a row by `i32x4.dot_i16x8_s`. A tile is 4 rows
// x 2 columns; each (row, column) keeps 4 partial sums, added across lanes once per group.
//
// Panels, NR = 2 columns, one block per group of G k (G a multiple of 16; K rounded up to 16 for one group):
//
//   +------------------+------------------+-------------+--------+------------------------------------+
//   | i8 levels c0[16] | i8 levels c1[16] | f32 s[2]    | 8 pad  | 16 bytes per 16 k                  |
//   +------------------+------------------+-------------+--------+------------------------------------+
//   block bytes = 48 + G
//   of the 16 bytes of k0 .. k15: bytes 0-7 column 0, bytes 8-15 column 1; byte i of a column holds the
//   index of k_i in its low nibble and of k_(8+i) in its high nibble, so `& 15` and `>> 4`, joined by one
//   shuffle, are the column's 16 indices in k order.
//   Past K the indices are 0 (the activations there are 0); past N the levels and scale are 0.
//
// Contract: A holds M rounded up to 4 rows of Ka = K rounded up to 16 int16 (zero past K), sx as many
// scales; bias f32[N rounded up to 2] or 0; only the M x N output is written (row stride `outStride`).

// @ts-ignore: decorator
@inline export function n4_block_bytes(g: i32): usize {
  return 48 + <usize>g;
}

/** [sum a, sum b, sum c, sum d] of four i32x4. */
// @ts-ignore: decorator
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const t0 = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const t1 = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(t0, t1, 0, 1, 4, 5), v128.shuffle<i32>(t0, t1, 2, 3, 6, 7));
}

/** Column 0's 16 weights of a 16-k block: its indices (bytes 0-7, low then high nibbles) through its table. */
// @ts-ignore: decorator
@inline function decode0(v: v128, table: v128, nibble: v128): v128 {
  return i8x16.swizzle(table, v128.shuffle<u8>(v128.and(v, nibble), i8x16.shr_u(v, 4), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
}

/** Column 1's (bytes 8-15). */
// @ts-ignore: decorator
@inline function decode1(v: v128, table: v128, nibble: v128): v128 {
  return i8x16.swizzle(table, v128.shuffle<u8>(v128.and(v, nibble), i8x16.shr_u(v, 4), 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31));
}

// @ts-ignore: decorator
@inline function dot2(acc: v128, al: v128, ah: v128, wl: v128, wh: v128): v128 {
  return i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(al, wl), i32x4.dot_i16x8_s(ah, wh)));
}

// @ts-ignore: decorator
@inline function store_lanes(dst: usize, rowBytes: usize, y: v128, m: i32): void {
  f32.store(dst, f32x4.extract_lane(y, 0));
  if (m > 1) f32.store(dst + rowBytes, f32x4.extract_lane(y, 1));
  if (m > 2) f32.store(dst + 2 * rowBytes, f32x4.extract_lane(y, 2));
  if (m > 3) f32.store(dst + 3 * rowBytes, f32x4.extract_lane(y, 3));
}

export function s8_n4_gemm_f32_4x2c16_simd(
  m: i32, n: i32, k: i32, g: i32, a: usize, w: usize, sx: usize, bias: usize, out: usize, outStride: i32,
): void {
  const ka = (k + 15) & ~15;
  const rs = <usize>ka << 1;
  const groups = (k + g - 1) / g;
  const blockBytes = n4_block_bytes(g);
  const panelBytes = <usize>groups * blockBytes;
  const nibble = i8x16.splat(15);
  const rowBytes = <usize>outStride << 2;
  for (let n0 = 0; n0 < n; n0 += 2) {
    const panel = w + <usize>(n0 >> 1) * panelBytes;
    for (let m0 = 0; m0 < m; m0 += 4) {
      let f0 = f32x4.splat(0), f1 = f0;
      let pa = a + <usize>m0 * rs;
      for (let gi = 0; gi < groups; gi++) {
        const blk = panel + <usize>gi * blockBytes;
        const t0 = v128.load(blk), t1 = v128.load(blk, 16);
        const blocks = min(g, ka - gi * g) >> 4;
        let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        let pw = blk + 48;
        for (let b = 0; b < blocks; b++) {
          const v = v128.load(pw);
          const w0 = decode0(v, t0, nibble), w1 = decode1(v, t1, nibble);
          const w0l = i16x8.extend_low_i8x16_s(w0), w0h = i16x8.extend_high_i8x16_s(w0);
          const w1l = i16x8.extend_low_i8x16_s(w1), w1h = i16x8.extend_high_i8x16_s(w1);
          let al = v128.load(pa), ah = v128.load(pa, 16);
          c00 = dot2(c00, al, ah, w0l, w0h); c01 = dot2(c01, al, ah, w1l, w1h);
          al = v128.load(pa + rs); ah = v128.load(pa + rs, 16);
          c10 = dot2(c10, al, ah, w0l, w0h); c11 = dot2(c11, al, ah, w1l, w1h);
          al = v128.load(pa + 2 * rs); ah = v128.load(pa + 2 * rs, 16);
          c20 = dot2(c20, al, ah, w0l, w0h); c21 = dot2(c21, al, ah, w1l, w1h);
          al = v128.load(pa + 3 * rs); ah = v128.load(pa + 3 * rs, 16);
          c30 = dot2(c30, al, ah, w0l, w0h); c31 = dot2(c31, al, ah, w1l, w1h);
          pa += 32;
          pw += 16;
        }
        // Lanes are rows from here on.
        f0 = f32x4.add(f0, f32x4.mul(f32x4.convert_i32x4_s(hsum4(c00, c10, c20, c30)), v128.load32_splat(blk + 32)));
        f1 = f32x4.add(f1, f32x4.mul(f32x4.convert_i32x4_s(hsum4(c01, c11, c21, c31)), v128.load32_splat(blk + 36)));
      }
      const s = v128.load(sx + (<usize>m0 << 2));
      const b0 = bias != 0 ? v128.load32_splat(bias + (<usize>n0 << 2)) : f32x4.splat(0);
      const b1 = bias != 0 ? v128.load32_splat(bias + (<usize>n0 << 2) + 4) : f32x4.splat(0);
      const dst = out + ((<usize>m0 * outStride + n0) << 2);
      const rows = m - m0;
      store_lanes(dst, rowBytes, f32x4.add(f32x4.mul(f0, s), b0), rows);
      if (n0 + 1 < n) store_lanes(dst + 4, rowBytes, f32x4.add(f32x4.mul(f1, s), b1), rows);
    }
  }
}

/** One row (M = 1, the decode step): the GEMM's panels and arithmetic without the other three rows. */
export function s8_n4_gemv_f32_1x2c16_simd(n: i32, k: i32, g: i32, a: usize, w: usize, sx: f32, bias: usize, out: usize): void {
  const ka = (k + 15) & ~15;
  const groups = (k + g - 1) / g;
  const blockBytes = n4_block_bytes(g);
  const panelBytes = <usize>groups * blockBytes;
  const nibble = i8x16.splat(15);
  for (let n0 = 0; n0 < n; n0 += 2) {
    const panel = w + <usize>(n0 >> 1) * panelBytes;
    let f0: f32 = 0, f1: f32 = 0;
    let pa = a;
    for (let gi = 0; gi < groups; gi++) {
      const blk = panel + <usize>gi * blockBytes;
      const t0 = v128.load(blk), t1 = v128.load(blk, 16);
      const blocks = min(g, ka - gi * g) >> 4;
      let c0 = i32x4.splat(0), c1 = c0;
      let pw = blk + 48;
      for (let b = 0; b < blocks; b++) {
        const v = v128.load(pw);
        const w0 = decode0(v, t0, nibble), w1 = decode1(v, t1, nibble);
        const al = v128.load(pa), ah = v128.load(pa, 16);
        c0 = dot2(c0, al, ah, i16x8.extend_low_i8x16_s(w0), i16x8.extend_high_i8x16_s(w0));
        c1 = dot2(c1, al, ah, i16x8.extend_low_i8x16_s(w1), i16x8.extend_high_i8x16_s(w1));
        pa += 32;
        pw += 16;
      }
      const s = hsum4(c0, c1, c0, c1);
      f0 = f0 + <f32>i32x4.extract_lane(s, 0) * load<f32>(blk, 32);
      f1 = f1 + <f32>i32x4.extract_lane(s, 1) * load<f32>(blk, 36);
    }
    const b0: f32 = bias != 0 ? load<f32>(bias + (<usize>n0 << 2)) : 0;
    const b1: f32 = bias != 0 ? load<f32>(bias + (<usize>n0 << 2), 4) : 0;
    store<f32>(out + (<usize>n0 << 2), f0 * sx + b0);
    if (n0 + 1 < n) store<f32>(out + (<usize>n0 << 2), f1 * sx + b1, 4);
  }
}
