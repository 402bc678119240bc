// 8-bit elementwise ops by table (com.microsoft QLinearAdd and QLinearMul; src/ops/qlinear-binary.ts gives the
// formula): building the 64K-entry table of every (A byte, B byte) result in float32 SIMD, and the lookups.
// wasm float32 arithmetic is IEEE binary32 with round-to-nearest-even, the arithmetic the op's formula names.

/**
 * table[x << 8 | y] for x, y in 0..255: clamp(ta[x] (+ or *) tb[y]) / sc, lo, hi) + zc, rounded half to even,
 * as a byte. ta and tb hold the 256 dequantized values of A and B (float32). Params at p: 0 op (0 add, 1 mul)
 * 1 sc 2 lo 3 hi 4 zc (float32 bits; lo and hi are the type's range less zc).
 */
export function f32_qlinear_binary_table(ta: usize, tb: usize, out: usize, p: usize): void {
  const mul = load<i32>(p) != 0;
  const sc = f32x4.splat(load<f32>(p, 4)), lo = f32x4.splat(load<f32>(p, 8)), hi = f32x4.splat(load<f32>(p, 12));
  const zc = f32x4.splat(load<f32>(p, 16));
  for (let x: usize = 0; x < 256; x++) {
    const a = v128.load32_splat(ta + (x << 2));
    for (let y: usize = 0; y < 256; y += 4) {
      const b = v128.load(tb + (y << 2));
      const v = f32x4.min(f32x4.max(f32x4.div(mul ? f32x4.mul(a, b) : f32x4.add(a, b), sc), lo), hi);
      const q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.add(v, zc)));
      v128.store32_lane(out + (x << 8) + y, i8x16.shuffle(q, q, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12), 0);
    }
  }
}

/** out[i] = table[a[i] << 8 | b[i]] for i < n (bytes; the table has 65536 entries). */
export function u8_lookup2_x1(a: usize, b: usize, table: usize, out: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) store<u8>(out + i, load<u8>(table + ((<usize>load<u8>(a + i) << 8) | load<u8>(b + i))));
}

/** out[i] = table[x[i]] for i < n (bytes; the table has 256 entries). */
export function u8_lookup_x1(x: usize, table: usize, out: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) store<u8>(out + i, load<u8>(table + load<u8>(x + i)));
}
