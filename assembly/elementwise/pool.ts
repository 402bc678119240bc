// x8_x16_pool_nhwc: MAX_POOL_2D and AVERAGE_POOL_2D on NHWC int8, uint8 (max only) or int16 data, TFLite's
// integer_ops/pooling.h arithmetic (src/ops/pooling.ts states it): only taps inside the image count; max
// takes the largest value, average the integer sum divided by the tap count rounding half away from zero
// (truncating division of sum ± count/2); both clamp to [min, max]. Max runs 16 (8-bit) or 8 (int16) channels
// per vector, the channels past the last whole vector one at a time.
//
// Params (int32 at p): 0 images 1 H 2 W 3 C 4 out H 5 out W 6 stride H 7 stride W 8 pad top 9 pad left
// 10 filter H 11 filter W 12 dtype (0 int8, 1 uint8, 2 int16) 13 kind (0 max, 1 average) 14 min 15 max.

export function x8_x16_pool_nhwc(src: usize, dst: usize, p: usize): void {
  const n = load<i32>(p), h = load<i32>(p, 4), w = load<i32>(p, 8), c = load<i32>(p, 12);
  const oh = load<i32>(p, 16), ow = load<i32>(p, 20), sh = load<i32>(p, 24), sw = load<i32>(p, 28);
  const pt = load<i32>(p, 32), pl = load<i32>(p, 36), fh = load<i32>(p, 40), fw = load<i32>(p, 44);
  const dtype = load<i32>(p, 48), average = load<i32>(p, 52) != 0, lo = load<i32>(p, 56), hi = load<i32>(p, 60);
  const shift: usize = dtype == 2 ? 1 : 0;
  const lanes = dtype == 2 ? 8 : 16;
  let out = dst;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const y0 = oy * sh - pt, x0 = ox * sw - pl;
        const ys = max(0, -y0), ye = min(fh, h - y0), xs = max(0, -x0), xe = min(fw, w - x0);
        let ch = 0;
        if (!average) {
          for (; ch + lanes <= c; ch += lanes) {
            let v = dtype == 0 ? i8x16.splat(-128) : dtype == 1 ? i8x16.splat(0) : i16x8.splat(-32768);
            for (let fy = ys; fy < ye; fy++) {
              for (let fx = xs; fx < xe; fx++) {
                const x = v128.load(src + ((((<usize>b * h + y0 + fy) * w + x0 + fx) * c + ch) << shift));
                v = dtype == 0 ? i8x16.max_s(v, x) : dtype == 1 ? i8x16.max_u(v, x) : i16x8.max_s(v, x);
              }
            }
            if (dtype == 0) v = i8x16.min_s(i8x16.max_s(v, i8x16.splat(<i8>lo)), i8x16.splat(<i8>hi));
            else if (dtype == 1) v = i8x16.min_u(i8x16.max_u(v, i8x16.splat(<u8>lo)), i8x16.splat(<u8>hi));
            else v = i16x8.min_s(i16x8.max_s(v, i16x8.splat(<i16>lo)), i16x8.splat(<i16>hi));
            v128.store(out + (<usize>ch << shift), v);
          }
        }
        for (; ch < c; ch++) {
          let acc: i32 = average ? 0 : -2147483648;
          for (let fy = ys; fy < ye; fy++) {
            for (let fx = xs; fx < xe; fx++) {
              const at = src + ((((<usize>b * h + y0 + fy) * w + x0 + fx) * c + ch) << shift);
              const x: i32 = dtype == 0 ? <i32>load<i8>(at) : dtype == 1 ? <i32>load<u8>(at) : <i32>load<i16>(at);
              acc = average ? acc + x : max(acc, x);
            }
          }
          if (average) {
            const count = (ye - ys) * (xe - xs), half = count >> 1;
            // A window wholly in the padding has no taps: 0 (what the JavaScript reference stores for NaN).
            acc = count == 0 ? 0 : acc > 0 ? (acc + half) / count : (acc - half) / count;
          }
          acc = min(hi, max(lo, acc));
          if (dtype == 2) store<i16>(out + (<usize>ch << 1), <i16>acc);
          else store<u8>(out + ch, <u8>acc);
        }
        out += <usize>c << shift;
      }
    }
  }
}
