// TFLite's double-rounding MultiplyByQuantizedMultiplier in plain double arithmetic, exact and fast (no BigInt),
// for the ops that run in TypeScript. Equal to requantTflite (requant.ts) for every int32 input; a test holds
// them together.
//
// SaturatingRoundingDoublingHighMul(a, b) = floor((a*b + 2^30) / 2^31). The 62-bit product does not fit a
// double, so b is split into 16-bit halves: with t = a*lo + 2^30 (exact, < 2^48),
//   floor((a*hi*2^16 + t) / 2^31) = floor((a*hi + floor(t / 2^16)) / 2^15),
// every intermediate an exact integer below 2^53.

const TWO30 = 2 ** 30;

/** gemmlowp SaturatingRoundingDoublingHighMul on int32. */
export function srdhm(a: number, b: number): number {
  if (a === -2147483648 && b === -2147483648) return 2147483647;
  const hi = Math.floor(b / 65536);
  const lo = b - hi * 65536;
  const t = Math.floor((a * lo + TWO30) / 65536);
  return Math.floor((a * hi + t) / 32768) | 0;
}

/** gemmlowp RoundingDivideByPOT on int32, e in [0, 31]. */
export function rdbpot(x: number, e: number): number {
  const mask = e === 31 ? 0x7fffffff : (1 << e) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/** MultiplyByQuantizedMultiplier(x, m, shift), TFLite default (double rounding); x is wrapped to int32. */
export function mbqm(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(Math.imul(x | 0, 2 ** left | 0), m), right);
}
