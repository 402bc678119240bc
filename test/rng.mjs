// mulberry32: small, fast, deterministic; the tests' and the fuzzer's random numbers (plain JavaScript, so that
// the fuzzer's worker, which runs without TypeScript, shares it).

/** A generator of numbers in [0, 1) from `seed`. */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
