// x8_qlinear_global_avg_pool: com.microsoft QLinearGlobalAveragePool's arithmetic (src/ops/qlinear-global-pool.ts
// states and cites it): per image and channel the integer sum over the pixels, then
// y = sat(round-half-even(f32((sum - zx * N) * s)) + zy) with the product in float64, as the op computes it.
//
// Params (int32 at p): 0 images 1 channels 2 pixels N 3 channels last (1: NHWC storage, 0: NCHW) 4 unsigned
// (uint8 data) 5 zx 6 zy 7 min 8 max 9 s (float32 bits).

export function x8_qlinear_global_avg_pool(src: usize, dst: usize, p: usize): void {
  const n = load<i32>(p), c = load<i32>(p, 4), pixels = load<i32>(p, 8), last = load<i32>(p, 12) != 0, unsigned = load<i32>(p, 16) != 0;
  const zx = load<i32>(p, 20), zy = load<i32>(p, 24), lo = load<i32>(p, 28), hi = load<i32>(p, 32);
  const s = <f64>load<f32>(p, 36);
  const flo = <f32>(lo - zy), fhi = <f32>(hi - zy);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      let at = src + (last ? <usize>b * pixels * c + ch : (<usize>b * c + ch) * pixels);
      const step: usize = last ? <usize>c : 1;
      let sum: i64 = 0;
      for (let i = 0; i < pixels; i++) {
        sum += unsigned ? <i64>load<u8>(at) : <i64>load<i8>(at);
        at += step;
      }
      // Clamped while still a float (the op checks that s is finite), so the conversion is always in range.
      const r = nearest<f32>(<f32>(<f64>(sum - <i64>zx * pixels) * s));
      const q = r < flo ? flo : r > fhi ? fhi : r;
      store<u8>(dst + <usize>b * c + ch, <u8>(<i32>q + zy));
    }
  }
}
