// Calibration: choosing a tensor's real range [min, max] from data seen ahead of time (static quantization),
// then its scale and zero point for b bits (the survey's §III-B/C). Observers see batches one at a time:
//
// - "minmax": the extremes of everything seen.
// - "moving-average": extremes per batch, averaged with momentum m: r = m * r + (1 - m) * batch (the first
//   batch sets r), as PyTorch's MovingAverageMinMaxObserver.
// - "percentile": the p-th percentile of |x| (symmetric) or the (100 - p)-th and p-th of x (asymmetric),
//   read from a histogram.
// - "kl": TensorRT's entropy calibration (Migacz, "8-bit Inference with TensorRT", GTC 2017): a histogram of
//   |x| in 2048 bins; for each candidate threshold i (from the number of quantized levels up), P is the
//   first i bins with the tail folded into bin i - 1, Q the first i bins (tail left out) merged into the
//   quantized levels and expanded back over the non-empty bins; the threshold with the smallest KL(P || Q)
//   wins.
// - "mse": the clipping threshold (symmetric) or range (asymmetric, scaled from the extremes) whose uniform
//   quantization has the smallest mean squared error over the histogram.
//
// The histogram covers [0, max|x|] (symmetric methods) or [min, max]; when a later batch is wider it doubles
// its span, merging bins in pairs (exact), so earlier batches are never re-read. Its resolution is the span
// over the bins: a far outlier coarsens the percentiles of the bulk (as in every histogram calibrator).
// Parameters: symmetric ranges give zero point 0 and scale max(|min|, |max|) / (2^(b-1) - 1); asymmetric
// ranges are widened to contain 0 and give scale (max - min) / (2^b - 1) and zero point
// round(qmin - min / scale), so that 0.0 is exactly representable (as ONNX and TFLite require).

import { BufferError, QuantParamError, UnsupportedError } from "../errors.js";
import { roundHalfEven } from "../tensor/qtensor.js";

export type CalibrationMethod = "minmax" | "moving-average" | "percentile" | "kl" | "mse";

export interface ObserverOptions {
  method?: CalibrationMethod;
  /** 2 to 16; default 8. */
  bits?: number;
  /** Symmetric (zero point 0, signed) or asymmetric (unsigned, a zero point). Default true. */
  symmetric?: boolean;
  /** For "percentile": default 99.99. */
  percentile?: number;
  /** For "moving-average": default 0.9. */
  momentum?: number;
  /** Histogram bins for "percentile", "kl" and "mse": default 2048. */
  bins?: number;
}

export interface QuantRange { min: number; max: number }

export interface AffineQuantParams {
  scale: number;
  zeroPoint: number;
  /** The integer range: [-(2^(b-1) - 1), 2^(b-1) - 1] symmetric, [0, 2^b - 1] asymmetric. */
  qmin: number;
  qmax: number;
}

const METHODS: CalibrationMethod[] = ["minmax", "moving-average", "percentile", "kl", "mse"];

function checkBits(bits: number): number {
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new QuantParamError(`calibration: bits must be an integer from 2 to 16, got ${bits}`);
  return bits;
}

/** Scale and zero point for a real range (see the file comment). */
export function paramsFromRange(range: QuantRange, bits = 8, symmetric = true): AffineQuantParams {
  checkBits(bits);
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min > range.max) {
    throw new QuantParamError(`calibration: the range [${range.min}, ${range.max}] is not a finite interval`);
  }
  if (symmetric) {
    const qmax = 2 ** (bits - 1) - 1;
    const amax = Math.max(Math.abs(range.min), Math.abs(range.max));
    return { scale: amax === 0 ? 1 : Math.fround(amax / qmax), zeroPoint: 0, qmin: -qmax, qmax };
  }
  const qmax = 2 ** bits - 1;
  const lo = Math.min(0, range.min), hi = Math.max(0, range.max);
  if (hi === lo) return { scale: 1, zeroPoint: 0, qmin: 0, qmax };
  const scale = Math.fround((hi - lo) / qmax);
  const zeroPoint = Math.min(qmax, Math.max(0, roundHalfEven(-lo / scale)));
  return { scale, zeroPoint, qmin: 0, qmax };
}

/** A histogram over [lo, hi] that widens itself (merging bins) when later data falls outside. */
class Histogram {
  counts: Float64Array;
  lo = 0;
  hi = 0;
  private empty = true;

  constructor(readonly bins: number, readonly absolute: boolean) {
    this.counts = new Float64Array(bins);
  }

  /** `skipZeros`: exact zeros are not counted (they still set the span through dataMin/dataMax). */
  add(x: Float32Array, dataMin: number, dataMax: number, skipZeros = false): void {
    const lo = this.absolute ? 0 : dataMin, hi = this.absolute ? Math.max(Math.abs(dataMin), Math.abs(dataMax)) : dataMax;
    if (this.empty) {
      this.lo = lo;
      this.hi = hi > lo ? hi : lo + 1e-30;
      this.empty = false;
    }
    // Double the span (toward the side that needs it) until the data fits: bins merge in pairs, exactly.
    while (hi > this.hi || lo < this.lo) {
      const width = this.hi - this.lo;
      const merged = new Float64Array(this.bins);
      const up = hi > this.hi;
      for (let i = 0; i < this.bins; i++) merged[up ? i >> 1 : (this.bins + i) >> 1] += this.counts[i];
      this.counts = merged;
      if (up) this.hi = this.lo + 2 * width;
      else this.lo = this.hi - 2 * width;
    }
    const scale = this.bins / (this.hi - this.lo);
    for (let i = 0; i < x.length; i++) {
      if (skipZeros && x[i] === 0) continue;
      const v = this.absolute ? Math.abs(x[i]) : x[i];
      this.counts[Math.min(this.bins - 1, Math.max(0, Math.floor((v - this.lo) * scale)))]++;
    }
  }

  get width(): number {
    return (this.hi - this.lo) / this.bins;
  }

  /** The value below which `fraction` of the mass lies (linear inside the bin). */
  quantile(fraction: number): number {
    const total = this.counts.reduce((a, b) => a + b, 0);
    let seen = 0;
    for (let i = 0; i < this.bins; i++) {
      const next = seen + this.counts[i];
      if (next >= fraction * total && this.counts[i] > 0) {
        return this.lo + (i + (fraction * total - seen) / this.counts[i]) * this.width;
      }
      seen = next;
    }
    return this.hi;
  }
}

/** KL(P || Q) of two unnormalized distributions over the same bins (terms with P = 0 vanish). */
function klDivergence(p: Float64Array, q: Float64Array): number {
  const sp = p.reduce((a, b) => a + b, 0), sq = q.reduce((a, b) => a + b, 0);
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    if (q[i] === 0) return Infinity;
    kl += (p[i] / sp) * Math.log((p[i] / sp) / (q[i] / sq));
  }
  return kl;
}

/**
 * TensorRT's entropy calibration on a histogram of |x|: the threshold minimizing KL(P || Q). As in NVIDIA's
 * ModelOpt (`compute_amax("entropy", start_bin=128)` with `skip_zeros`), the search starts at bin 128 of
 * 2048 (a threshold of at least 1/16 of the largest value) and exact zeros are not in the histogram: a
 * range that holds 0 represents them exactly, and a ReLU output's spike of zeros merged into the first
 * quantized bin would otherwise drive the threshold toward zero (at 4 bits: 1/75 of the range, measured).
 */
function klThreshold(h: Histogram, levels: number): number {
  const counts = h.counts;
  let best = h.bins, bestKl = Infinity;
  // Thresholds below the data (all of it folded into one bin) have KL 0 and mean nothing: candidates start
  // `levels` bins past the first non-empty bin, so that the data's own span has every level to use.
  const first = counts.findIndex((c) => c > 0);
  for (let i = Math.max(levels, first + levels, Math.round(h.bins / 16)); i <= h.bins; i++) {
    const p = counts.slice(0, i);
    for (let j = i; j < h.bins; j++) p[i - 1] += counts[j];
    // Q: the first i bins as they are (the tail not folded in, so clipping costs), merged into `levels`
    // quantized bins and spread back over each one's non-empty source bins.
    const q = new Float64Array(i);
    const per = i / levels;
    for (let l = 0; l < levels; l++) {
      const start = Math.floor(l * per), end = l === levels - 1 ? i : Math.floor((l + 1) * per);
      let sum = 0, nonzero = 0;
      for (let j = start; j < end; j++) { sum += counts[j]; if (counts[j] > 0) nonzero++; }
      for (let j = start; j < end; j++) if (counts[j] > 0) q[j] = sum / nonzero;
    }
    const kl = klDivergence(p, q);
    // Ties go to the wider threshold (a constant tensor has KL 0 everywhere: clip nothing).
    if (kl <= bestKl) { bestKl = kl; best = i; }
  }
  return Math.min(h.hi, (best + 0.5) * h.width);
}

/** Mean squared quantization error of the histogram's mass under uniform quantization of [lo, hi]. */
function histogramMse(h: Histogram, lo: number, hi: number, levels: number): number {
  const step = (hi - lo) / levels;
  if (step <= 0) return Infinity;
  let err = 0;
  for (let i = 0; i < h.bins; i++) {
    if (h.counts[i] === 0) continue;
    const v = h.lo + (i + 0.5) * h.width;
    const q = lo + Math.min(levels, Math.max(0, Math.round((v - lo) / step))) * step;
    err += h.counts[i] * (v - q) ** 2;
  }
  return err;
}

/** Sees batches of a tensor and proposes its range and quantization parameters. */
export class Observer {
  readonly method: CalibrationMethod;
  readonly bits: number;
  readonly symmetric: boolean;
  private readonly options: Required<Pick<ObserverOptions, "percentile" | "momentum" | "bins">>;
  private min = Infinity;
  private max = -Infinity;
  private avg: QuantRange | null = null;
  private readonly hist: Histogram | null;
  private batches = 0;

  constructor(options: ObserverOptions = {}) {
    this.method = options.method ?? "minmax";
    if (!METHODS.includes(this.method)) throw new UnsupportedError(`calibration: method must be one of ${METHODS.join(", ")}, got ${String(this.method)}`);
    this.bits = checkBits(options.bits ?? 8);
    this.symmetric = options.symmetric ?? true;
    this.options = { percentile: options.percentile ?? 99.99, momentum: options.momentum ?? 0.9, bins: options.bins ?? 2048 };
    const { percentile, momentum, bins } = this.options;
    if (!(percentile > 50 && percentile <= 100)) throw new QuantParamError(`calibration: percentile must be in (50, 100], got ${percentile}`);
    if (!(momentum >= 0 && momentum < 1)) throw new QuantParamError(`calibration: momentum must be in [0, 1), got ${momentum}`);
    if (!Number.isInteger(bins) || bins < 2 ** this.bits || bins > 1 << 20) throw new QuantParamError(`calibration: bins must be an integer from 2^bits to 2^20, got ${bins}`);
    const histogram = this.method === "percentile" || this.method === "kl" || this.method === "mse";
    this.hist = histogram ? new Histogram(bins, this.symmetric || this.method === "kl") : null;
  }

  /** Adds a batch of values (NaN and infinities are refused: a range cannot hold them). */
  observe(x: Float32Array): this {
    if (!(x instanceof Float32Array)) throw new BufferError("calibration: observe() takes a Float32Array");
    if (x.length === 0) return this;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!Number.isFinite(v)) throw new BufferError(`calibration: value ${i} of batch ${this.batches} is ${v}`);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    const m = this.options.momentum;
    this.avg = this.avg ? { min: m * this.avg.min + (1 - m) * lo, max: m * this.avg.max + (1 - m) * hi } : { min: lo, max: hi };
    this.hist?.add(x, lo, hi, this.method === "kl");
    this.batches++;
    return this;
  }

  /** The calibrated real range. */
  range(): QuantRange {
    if (this.batches === 0) throw new BufferError("calibration: no data observed (an empty calibration set)");
    const { min, max } = this;
    const h = this.hist;
    const sym = (t: number): QuantRange => ({ min: min < 0 ? -t : 0, max: max > 0 ? t : 0 });
    switch (this.method) {
      case "minmax":
        return { min, max };
      case "moving-average":
        return { ...this.avg! };
      case "percentile": {
        const p = this.options.percentile / 100;
        if (this.symmetric) return sym(h!.quantile(p));
        return { min: Math.max(min, h!.quantile(1 - p)), max: Math.min(max, h!.quantile(p)) };
      }
      case "kl": {
        const t = klThreshold(h!, this.symmetric ? 2 ** (this.bits - 1) : 2 ** this.bits);
        return { min: Math.max(min, -t), max: Math.min(max, t) };
      }
      case "mse": {
        // Candidates: the full range scaled by 1/100 .. 100/100 (asymmetric: both ends together).
        let best: QuantRange = { min, max }, bestErr = Infinity;
        for (let s = 1; s <= 100; s++) {
          const f = s / 100;
          const r = this.symmetric ? sym(f * Math.max(-min, max)) : { min: Math.min(0, min) * f, max: Math.max(0, max) * f };
          const levels = this.symmetric ? 2 ** this.bits - 2 : 2 ** this.bits - 1;
          const [lo, hi] = this.symmetric ? [-Math.max(-r.min, r.max), Math.max(-r.min, r.max)] : [r.min, r.max];
          const err = this.symmetric ? histogramMse(h!, 0, hi, levels / 2) : histogramMse(h!, lo, hi, levels);
          if (err < bestErr) { bestErr = err; best = r; }
        }
        return best;
      }
    }
  }

  params(): AffineQuantParams {
    return paramsFromRange(this.range(), this.bits, this.symmetric);
  }
}

/** One observer per channel (per index along `axis`) or per group of `groupSize` along `groupAxis`. */
export class ChannelObserver {
  private readonly observers: Observer[];

  constructor(readonly shape: readonly number[], readonly axis: number, options: ObserverOptions = {}, readonly groupSize = 0, readonly groupAxis = -1) {
    if (!(axis >= 0 && axis < shape.length)) throw new QuantParamError(`calibration: axis ${axis} is outside the shape [${shape}]`);
    if (groupSize && !(groupAxis >= 0 && groupAxis < shape.length && groupAxis !== axis)) throw new QuantParamError(`calibration: groups need another axis than ${axis} within [${shape}]`);
    const groups = groupSize ? Math.ceil(shape[groupAxis] / groupSize) : 1;
    this.observers = Array.from({ length: shape[axis] * groups }, () => new Observer(options));
  }

  observe(x: Float32Array): this {
    const size = this.shape.reduce((a, b) => a * b, 1);
    if (!(x instanceof Float32Array) || x.length !== size) throw new BufferError(`calibration: a batch of shape [${this.shape}] has ${size} values, got ${x?.length}`);
    const strides = this.shape.map((_, d) => this.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const groups = this.groupSize ? Math.ceil(this.shape[this.groupAxis] / this.groupSize) : 1;
    const parts = this.observers.map(() => [] as number[]);
    for (let i = 0; i < size; i++) {
      const c = Math.floor(i / strides[this.axis]) % this.shape[this.axis];
      const g = this.groupSize ? Math.floor((Math.floor(i / strides[this.groupAxis]) % this.shape[this.groupAxis]) / this.groupSize) : 0;
      parts[c * groups + g].push(x[i]);
    }
    parts.forEach((p, i) => this.observers[i].observe(Float32Array.from(p)));
    return this;
  }

  /** Parameters per channel (channel-major, then group). */
  params(): AffineQuantParams[] {
    return this.observers.map((o) => o.params());
  }
}

/**
 * The survey's dyadic numbers: a scale approximated as b / 2^c with b an integer of at most `bits` bits
 * (b < 2^bits), c as large as that allows; the integer-only path multiplies by b and shifts right by c.
 */
export function dyadicScale(scale: number, bits = 31): { multiplier: number; shift: number; value: number; relativeError: number } {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new QuantParamError(`dyadicScale: the scale must be a positive finite number, got ${scale}`);
  if (!Number.isInteger(bits) || bits < 1 || bits > 31) throw new QuantParamError(`dyadicScale: bits must be an integer from 1 to 31, got ${bits}`);
  let shift = bits - 1 - Math.floor(Math.log2(scale));
  let multiplier = Math.round(scale * 2 ** shift);
  if (multiplier >= 2 ** bits) { shift--; multiplier = Math.round(scale * 2 ** shift); }
  const value = multiplier / 2 ** shift;
  return { multiplier, shift, value, relativeError: Math.abs(value - scale) / scale };
}
