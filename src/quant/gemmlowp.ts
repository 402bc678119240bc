// gemmlowp's fixed-point exp and reciprocal on int32 (google/gemmlowp fixedpoint/fixedpoint.h), as TFLite's
// quantized SOFTMAX uses them. A FixedPoint<int32, I> is a raw int32 with I integer bits and 31 - I
// fractional bits; multiplication is SaturatingRoundingDoublingHighMul, addition wraps. The polynomial and
// barrel-shifter constants are gemmlowp's.

import { rdbpot, srdhm } from "./fixed-point.js";

const MAX = 2147483647;
const MIN = -2147483648;

/** SaturatingRoundingMultiplyByPOT<e>: a saturating left shift for e > 0, a rounding right shift for e < 0. */
export function mulByPOT(x: number, e: number): number {
  if (e === 0) return x;
  if (e < 0) return rdbpot(x, -e);
  const threshold = 2 ** (31 - e) - 1;
  return x > threshold ? MAX : x < -threshold ? MIN : (x * 2 ** e) | 0;
}

/** RoundingHalfSum: (a + b + sign) / 2 in 64 bits, truncated. */
function roundingHalfSum(a: number, b: number): number {
  const sum = a + b;
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2) | 0;
}

/** exp(a) for a in [-1/4, 0), both Q0.31. */
function expOnIntervalNegQuarterTo0(a: number): number {
  const constantTerm = 1895147668; // exp(-1/8)
  const oneThird = 715827883;
  const x = (a + (1 << 28)) | 0; // a + 1/8
  const x2 = srdhm(x, x), x3 = srdhm(x2, x), x4 = srdhm(x2, x2);
  const x4Over4 = mulByPOT(x4, -2);
  const poly = mulByPOT((srdhm((x4Over4 + x3) | 0, oneThird) + x2) | 0, -1);
  return (constantTerm + srdhm(constantTerm, (x + poly) | 0)) | 0;
}

const BARREL: readonly [number, number][] = [
  [-2, 1672461947], [-1, 1302514674], [0, 790015084], [1, 290630308], [2, 39332535], [3, 720401], [4, 242],
];

/** exp(a) for a <= 0, a with `integerBits` integer bits; the result is Q0.31. */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const quarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusQuarter = ((a & (quarter - 1)) - quarter) | 0;
  let result = expOnIntervalNegQuarterTo0(mulByPOT(aModQuarterMinusQuarter, integerBits));
  const remainder = (aModQuarterMinusQuarter - a) | 0;
  for (const [exponent, multiplier] of BARREL) {
    if (integerBits > exponent && remainder & (1 << (fractionalBits + exponent))) result = srdhm(result, multiplier);
  }
  if (integerBits > 5 && a < -(2 ** (36 - integerBits))) result = 0;
  return a === 0 ? MAX : result;
}

/** 1 / (1 + x) for x in [0, 1), Q0.31, by Newton-Raphson. */
export function oneOverOnePlusX(a: number): number {
  const halfDenominator = roundingHalfSum(a, MAX);
  let x = (1515870810 + srdhm(halfDenominator, -1010580540)) | 0; // Q2.29: 48/17 - 32/17 * d
  for (let i = 0; i < 3; i++) {
    const oneMinus = ((1 << 29) - srdhm(halfDenominator, x)) | 0;
    x = (x + mulByPOT(srdhm(x, oneMinus), 2)) | 0;
  }
  return mulByPOT(x, 1);
}

/** TFLite GetReciprocal (kernels/internal/common.h): 1 / x for x with `integerDigits` integer bits. */
export function getReciprocal(x: number, integerDigits: number): { scale: number; bitsOverUnit: number } {
  const headroomPlusOne = Math.clz32(x);
  const shiftedMinusOne = (((x >>> 0) * 2 ** headroomPlusOne - 2 ** 31) % 2 ** 32) | 0;
  return { scale: oneOverOnePlusX(shiftedMinusOne), bitsOverUnit: integerDigits - headroomPlusOne };
}
