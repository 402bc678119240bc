// Packing for the GEMM and GEMV kernels: weights once at create time, activations once per run.
//
// int8 weights, NR = 8 columns per panel, KR = 2 (Kp = K rounded up to 2):
//
//   panel p holds columns 8p .. 8p+7
//   +-----------------+--------------------------------------------------------------------+
//   | int32 bias[8]   | int8 w[Kp/2][8][2]   w[q][n][r] = B[2q + r][8p + n], 0 past K or N  |
//   +-----------------+--------------------------------------------------------------------+
//   panel bytes = 32 + 8 * Kp            total bytes = ceil(N / 8) * panel bytes
//
//   bias[n] = bias_in[8p + n] - za * sum_k B[k][8p + n]   (the activation zero point, folded)
//
// One 8-byte load of a k-pair row, sign-extended, gives 4 columns x 2 k as i16x8; `i32x4.dot_i16x8_s`
// with the activation pair splatted to all lanes adds two products into each column's lane.
//
// Activations are widened to int16 rows of Kp elements (zero past K), row stride 2 * Kp bytes, so the
// kernels splat a k-pair with one 32-bit load. uint8 inputs become int8 through `^ 0x80` on the way.
//
// float32 weights, NR = 8, KR = 1:  panel = f32 bias[8] | f32 w[K][8];  panel bytes = 32 + 32 * K.

/** Bytes of one packed int8 panel of 8 columns. */
// @ts-ignore: decorator
@inline export function s8_panel_bytes(k: i32): usize {
  return 32 + 8 * <usize>((k + 1) & ~1);
}

/** Bytes of the packed int8 weights for a K x N matrix (see the diagram above). */
export function s8_packed_bytes(k: i32, n: i32): usize {
  return <usize>((n + 7) >> 3) * s8_panel_bytes(k);
}

/**
 * Packs int8 (or uint8 with `xor` = 0x80) weights B, element (k, j) at b + k*sk + j*sn, and folds the
 * activation zero point `za` into the bias. `bias` points at int32[N], or is 0 for none.
 */
export function pack_w_s8_8c2(k: i32, n: i32, b: usize, sk: i32, sn: i32, xor: i32, bias: usize, za: i32, out: usize): void {
  const kp = (k + 1) & ~1;
  const panelBytes = s8_panel_bytes(k);
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = out + <usize>(n0 >> 3) * panelBytes;
    for (let c = 0; c < 8; c++) {
      const j = n0 + c;
      let sum = 0;
      if (j < n) {
        const col = b + <usize>j * sn;
        for (let kk = 0; kk < kp; kk++) {
          let v: i32 = 0;
          if (kk < k) {
            v = <i32>(<i8>(load<u8>(col + <usize>kk * sk) ^ <u8>xor));
            sum += v;
          }
          store<i8>(panel + 32 + <usize>(kk >> 1) * 16 + c * 2 + (kk & 1), <i8>v);
        }
        const b0 = bias != 0 ? load<i32>(bias + (<usize>j << 2)) : 0;
        store<i32>(panel + (<usize>c << 2), b0 - za * sum);
      } else {
        for (let kk = 0; kk < kp; kk++) store<i8>(panel + 32 + <usize>(kk >> 1) * 16 + c * 2 + (kk & 1), 0);
        store<i32>(panel + (<usize>c << 2), 0);
      }
    }
  }
}

/**
 * Widens M rows of int8 (uint8 with `xor` = 0x80) activations, row i at a + i*stride, into int16 rows of
 * Kp = K rounded up to 2 (zero past K). When `rowsums` is not 0, writes each row's int8 sum there (int32).
 */
export function pack_a_s8_i16(m: i32, k: i32, a: usize, stride: i32, xor: i32, out: usize, rowsums: usize): void {
  const kp = (k + 1) & ~1;
  const vx = i8x16.splat(<i8>xor);
  for (let i = 0; i < m; i++) {
    const src = a + <usize>i * stride;
    const dst = out + <usize>i * kp * 2;
    let vsum = i32x4.splat(0);
    let kk = 0;
    for (; kk + 16 <= k; kk += 16) {
      const v = v128.xor(v128.load(src + kk), vx);
      const lo = i16x8.extend_low_i8x16_s(v);
      const hi = i16x8.extend_high_i8x16_s(v);
      v128.store(dst + (<usize>kk << 1), lo);
      v128.store(dst + (<usize>kk << 1), hi, 16);
      vsum = i32x4.add(vsum, i32x4.add(i32x4.extadd_pairwise_i16x8_s(lo), i32x4.extadd_pairwise_i16x8_s(hi)));
    }
    let sum = i32x4.extract_lane(vsum, 0) + i32x4.extract_lane(vsum, 1) + i32x4.extract_lane(vsum, 2) + i32x4.extract_lane(vsum, 3);
    for (; kk < k; kk++) {
      const v = <i32>(<i8>(load<u8>(src + kk) ^ <u8>xor));
      store<i16>(dst + (<usize>kk << 1), <i16>v);
      sum += v;
    }
    for (; kk < kp; kk++) store<i16>(dst + (<usize>kk << 1), 0);
    if (rowsums != 0) store<i32>(rowsums + (<usize>i << 2), sum);
  }
}

/** Bytes of one packed float32 panel of 8 columns. */
// @ts-ignore: decorator
@inline export function f32_panel_bytes(k: i32): usize {
  return 32 + 32 * <usize>k;
}

/** Bytes of the packed float32 weights for a K x N matrix. */
export function f32_packed_bytes(k: i32, n: i32): usize {
  return <usize>((n + 7) >> 3) * f32_panel_bytes(k);
}

/** Packs float32 weights B, element (k, j) at b + 4*(k*sk + j*sn); `bias` points at f32[N] or is 0. */
export function pack_w_f32_8(k: i32, n: i32, b: usize, sk: i32, sn: i32, bias: usize, out: usize): void {
  const panelBytes = f32_panel_bytes(k);
  for (let n0 = 0; n0 < n; n0 += 8) {
    const panel = out + <usize>(n0 >> 3) * panelBytes;
    for (let c = 0; c < 8; c++) {
      const j = n0 + c;
      const live = j < n;
      store<f32>(panel + (<usize>c << 2), live && bias != 0 ? load<f32>(bias + (<usize>j << 2)) : 0);
      for (let kk = 0; kk < k; kk++) {
        const v: f32 = live ? load<f32>(b + ((<usize>kk * sk + <usize>j * sn) << 2)) : 0;
        store<f32>(panel + 32 + (<usize>kk << 5) + (<usize>c << 2), v);
      }
    }
  }
}
