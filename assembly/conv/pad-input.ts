// s8_pad_input_x8: copies one NHWC int8 image into a larger buffer whose border holds `value` (a convolution's
// input zero point), each channel repeated `repeat` times (a depthwise depth multiplier). Bulk memory
// operations for the common case; a per-channel loop when channels repeat.
//
// Params (int32 at p): 0 H 1 W 2 C 3 Hp 4 Wp 5 padTop 6 padLeft 7 value 8 repeat 9 xor (applied to copied
// bytes: 0x80 turns uint8 into int8; `value` is given already converted)

export function s8_pad_input_x8(src: usize, dst: usize, p: usize): void {
  const H = load<i32>(p), W = load<i32>(p, 4), C = load<i32>(p, 8), Hp = load<i32>(p, 12), Wp = load<i32>(p, 16);
  const padT = load<i32>(p, 20), padL = load<i32>(p, 24), value = <u8>load<i32>(p, 28), repeat = load<i32>(p, 32);
  const xor = <u8>load<i32>(p, 36);
  const oc = <usize>(C * repeat);
  const rowBytes = <usize>Wp * oc;
  const x0 = padL > 0 ? padL : 0, ix0 = padL < 0 ? -padL : 0;
  let count = W - ix0 < Wp - x0 ? W - ix0 : Wp - x0;
  if (count < 0) count = 0;
  for (let py = 0; py < Hp; py++) {
    const row = dst + <usize>py * rowBytes;
    const iy = py - padT;
    if (iy < 0 || iy >= H || count == 0) {
      memory.fill(row, value, rowBytes);
      continue;
    }
    memory.fill(row, value, <usize>x0 * oc);
    const from = src + (<usize>(iy * W + ix0) * C);
    const to = row + <usize>x0 * oc;
    if (repeat == 1 && xor == 0) {
      memory.copy(to, from, <usize>count * C);
    } else if (repeat == 1) {
      const bytes = <usize>count * C;
      const vx = i8x16.splat(<i8>xor);
      let i: usize = 0;
      for (; i + 16 <= bytes; i += 16) v128.store(to + i, v128.xor(v128.load(from + i), vx));
      for (; i < bytes; i++) store<u8>(to + i, load<u8>(from + i) ^ xor);
    } else {
      for (let px = 0; px < count; px++) {
        for (let c = 0; c < C; c++) memory.fill(to + <usize>(px * C + c) * repeat, load<u8>(from + <usize>(px * C + c)) ^ xor, <usize>repeat);
      }
    }
    memory.fill(to + <usize>count * oc, value, rowBytes - <usize>(x0 + count) * oc);
  }
}
