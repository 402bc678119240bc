// x8_transpose_6d: a byte-wise transpose of up to six axes. The op (src/ops/data-movement.ts, TRANSPOSE and
// ONNX Transpose) pads the rank with leading axes of size 1 and turns an element's bytes into a last axis of
// stride 1, so every permutation of 1-, 2- and 4-byte elements of rank up to 5 (6 for bytes) comes here.
//
// Params (int32 at p): 0..5 the output's dims, 6..11 the input's stride in bytes along each output axis.
// Writes the output contiguously.

export function x8_transpose_6d(src: usize, dst: usize, p: usize): void {
  const d0 = load<i32>(p), d1 = load<i32>(p, 4), d2 = load<i32>(p, 8), d3 = load<i32>(p, 12), d4 = load<i32>(p, 16), d5 = load<i32>(p, 20);
  const s0 = <usize>load<i32>(p, 24), s1 = <usize>load<i32>(p, 28), s2 = <usize>load<i32>(p, 32);
  const s3 = <usize>load<i32>(p, 36), s4 = <usize>load<i32>(p, 40), s5 = <usize>load<i32>(p, 44);
  let out = dst;
  for (let i0 = 0; i0 < d0; i0++) {
    const a0 = src + <usize>i0 * s0;
    for (let i1 = 0; i1 < d1; i1++) {
      const a1 = a0 + <usize>i1 * s1;
      for (let i2 = 0; i2 < d2; i2++) {
        const a2 = a1 + <usize>i2 * s2;
        for (let i3 = 0; i3 < d3; i3++) {
          const a3 = a2 + <usize>i3 * s3;
          for (let i4 = 0; i4 < d4; i4++) {
            let a = a3 + <usize>i4 * s4;
            for (let i5 = 0; i5 < d5; i5++) {
              store<u8>(out, load<u8>(a));
              out++;
              a += s5;
            }
          }
        }
      }
    }
  }
}
