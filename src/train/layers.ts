// A compact trainer's layers (float32 data; the plain loops sum in float64, dyad's GEMM in float32), NCHW like
// ONNX: Conv2d (stride 1, zero padding), ReLU, MaxPool and AvgPool (2x2, stride 2), Flatten, Dense, and fake
// quantization with the straight-through estimator.
// Each layer keeps what its backward pass needs from the last forward pass (one batch at a time).
//
// Fake quantization (the survey's §IV-A, QAT): q(x) = s * (clamp(round(x / s) + z, qmin, qmax) - z) in the
// forward pass; the backward pass is the clipped straight-through estimator: the gradient passes where x was
// inside the representable range and is zero where it was clamped. Weights are quantized symmetric per
// output channel (scale max|w| / qmax each step); activations asymmetric with an exponential moving average
// of the batch min/max (momentum 0.9), as during PTQ calibration.

import { ShapeError } from "../errors.js";
import { roundHalfEven } from "../tensor/qtensor.js";
import type { Dyad } from "../dyad.js";

export interface Param {
  value: Float32Array;
  grad: Float32Array;
  /** Output channels (for per-channel weight fake quantization), 0 for biases. */
  channels: number;
  name: string;
}

export interface Layer {
  readonly kind: string;
  /** [C, H, W] or [features] of one sample, for this input shape. */
  outputShape(input: number[]): number[];
  forward(x: Float32Array, batch: number, input: number[], training: boolean): Float32Array;
  /** Gradient w.r.t. the input; accumulates the parameters' gradients. */
  backward(dy: Float32Array, batch: number, input: number[]): Float32Array;
  params(): Param[];
}

function param(name: string, size: number, channels: number, init: (i: number) => number): Param {
  return { name, value: Float32Array.from({ length: size }, (_, i) => init(i)), grad: new Float32Array(size), channels };
}

/**
 * A [m, k] x B on dyad's float32 GEMM: B is [k, n] row-major ("kn") or [n, k] ("nk", i.e. B transposed).
 * The weights are packed per call: in training they change every step.
 */
function engineMatmul(engine: Dyad, a: Float32Array, m: number, k: number, b: Float32Array, n: number, layout: "kn" | "nk", bias?: Float32Array): Float32Array {
  const op = engine.matmulF32({ weights: b, shape: layout === "kn" ? [k, n] : [n, k], weightLayout: layout, bias });
  try {
    return op.run({ data: a, shape: [m, k] }).data;
  } finally {
    op.dispose();
  }
}

/**
 * Symmetric per-channel fake quantization of weights into `out`. The scale comes from max|w| each step, so
 * nothing is clipped and the straight-through gradient passes everywhere.
 */
function fakeQuantWeights(w: Float32Array, channels: number, bits: number, out: Float32Array): void {
  const inner = w.length / channels, qmax = 2 ** (bits - 1) - 1;
  for (let c = 0; c < channels; c++) {
    let amax = 0;
    for (let i = c * inner; i < (c + 1) * inner; i++) amax = Math.max(amax, Math.abs(w[i]));
    const s = amax === 0 ? 1 : amax / qmax;
    for (let i = c * inner; i < (c + 1) * inner; i++) out[i] = s * Math.max(-qmax, Math.min(qmax, roundHalfEven(w[i] / s)));
  }
}

/** Weight bits for fake quantization during training; 0 for float. */
export interface QuantConfig { weightBits: number; activationBits: number }

export class Conv2d implements Layer {
  readonly kind = "Conv";
  readonly weight: Param;
  readonly bias: Param;
  private x: Float32Array = new Float32Array(0);
  private wq: Float32Array;
  quant: QuantConfig = { weightBits: 0, activationBits: 0 };

  /** With an engine, the convolutions run as im2col + dyad's float32 GEMM kernels; else as plain loops. */
  engine: Dyad | null = null;
  private cols: Float32Array = new Float32Array(0);

  constructor(readonly cin: number, readonly cout: number, readonly k: number, readonly pad: number, random: () => number) {
    const fan = cin * k * k, bound = Math.sqrt(6 / fan); // He-uniform for ReLU networks
    this.weight = param("weight", cout * fan, cout, () => (random() * 2 - 1) * bound);
    this.bias = param("bias", cout, 0, () => 0);
    this.wq = new Float32Array(this.weight.value.length);
  }

  outputShape([c, h, w]: number[]): number[] {
    if (c !== this.cin) throw new ShapeError(`Conv2d: input has ${c} channels, the layer ${this.cin}`);
    return [this.cout, h + 2 * this.pad - this.k + 1, w + 2 * this.pad - this.k + 1];
  }

  /** The weights the forward pass uses (fake-quantized when training with weight bits). */
  effectiveWeights(): Float32Array {
    if (!this.quant.weightBits) return this.weight.value;
    fakeQuantWeights(this.weight.value, this.cout, this.quant.weightBits, this.wq);
    return this.wq;
  }

  /**
   * The im2col geometry, one contiguous run at a time: `count` input values from `xAt` (stride 1) are the
   * column entries from `colAt` (stride K = cin * k * k) of the matrix [batch * oh * ow, K] (column order =
   * the weights'). Padding taps are in no run. im2col copies along the runs, col2im sums back along them.
   */
  private runs(batch: number, input: number[], visit: (xAt: number, colAt: number, count: number) => void): void {
    const [cin, h, w] = input, [, oh, ow] = this.outputShape(input), k = this.k, p = this.pad, K = cin * k * k;
    for (let n = 0; n < batch; n++) for (let ci = 0; ci < cin; ci++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
      const col = (ci * k + ky) * k + kx, x0 = Math.max(0, p - kx), x1 = Math.min(ow, w + p - kx);
      if (x1 <= x0) continue;
      for (let oy = 0; oy < oh; oy++) {
        const iy = oy + ky - p;
        if (iy < 0 || iy >= h) continue;
        visit(((n * cin + ci) * h + iy) * w + kx - p + x0, ((n * oh + oy) * ow + x0) * K + col, x1 - x0);
      }
    }
  }

  private im2col(x: Float32Array, batch: number, input: number[]): Float32Array {
    const [, oh, ow] = this.outputShape(input), K = input[0] * this.k * this.k;
    const cols = new Float32Array(batch * oh * ow * K);
    this.runs(batch, input, (xAt, colAt, count) => {
      for (let i = 0; i < count; i++) cols[colAt + i * K] = x[xAt + i];
    });
    return cols;
  }

  /** The adjoint of im2col: sums each column entry back into the input position it was read from. */
  private col2im(dcols: Float32Array, batch: number, input: number[]): Float32Array {
    const [cin, h, w] = input, K = cin * this.k * this.k;
    const dx = new Float32Array(batch * cin * h * w);
    this.runs(batch, input, (xAt, colAt, count) => {
      for (let i = 0; i < count; i++) dx[xAt + i] += dcols[colAt + i * K];
    });
    return dx;
  }

  forward(x: Float32Array, batch: number, input: number[]): Float32Array {
    const [cin, h, w] = input, [cout, oh, ow] = this.outputShape(input), k = this.k, p = this.pad;
    this.x = x;
    if (this.engine) {
      // y[pixel, co] = cols[pixel, :] . W[co, :] + b[co], then NCHW.
      const K = cin * k * k, P = batch * oh * ow, plane = oh * ow;
      this.cols = this.im2col(x, batch, input);
      const rows = engineMatmul(this.engine, this.cols, P, K, this.effectiveWeights(), cout, "nk", this.bias.value);
      const y = new Float32Array(P * cout);
      for (let n = 0; n < batch; n++) for (let i = 0; i < plane; i++) {
        const src = (n * plane + i) * cout, dst = n * cout * plane + i;
        for (let co = 0; co < cout; co++) y[dst + co * plane] = rows[src + co];
      }
      return y;
    }
    const wt = this.effectiveWeights(), b = this.bias.value;
    const y = new Float32Array(batch * cout * oh * ow);
    for (let n = 0; n < batch; n++) for (let co = 0; co < cout; co++) {
      const yo = (n * cout + co) * oh * ow;
      for (let i = 0; i < oh * ow; i++) y[yo + i] = b[co];
      for (let ci = 0; ci < cin; ci++) {
        const xo = (n * cin + ci) * h * w;
        for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
          const wv = wt[((co * cin + ci) * k + ky) * k + kx];
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy + ky - p;
            if (iy < 0 || iy >= h) continue;
            const x0 = Math.max(0, p - kx), x1 = Math.min(ow, w + p - kx);
            const row = xo + iy * w + kx - p, out = yo + oy * ow;
            for (let ox = x0; ox < x1; ox++) y[out + ox] += wv * x[row + ox];
          }
        }
      }
    }
    return y;
  }

  backward(dy: Float32Array, batch: number, input: number[]): Float32Array {
    const [cin, h, w] = input, [cout, oh, ow] = this.outputShape(input), k = this.k, p = this.pad, x = this.x;
    const wt = this.quant.weightBits ? this.wq : this.weight.value;
    if (this.engine) {
      const K = cin * k * k, P = batch * oh * ow, plane = oh * ow;
      // dY as [pixel, co] and as [co, pixel].
      const rows = new Float32Array(P * cout), byChannel = new Float32Array(cout * P);
      for (let n = 0; n < batch; n++) for (let co = 0; co < cout; co++) for (let i = 0; i < plane; i++) {
        const g = dy[(n * cout + co) * plane + i];
        rows[(n * plane + i) * cout + co] = g;
        byChannel[co * P + n * plane + i] = g;
        this.bias.grad[co] += g;
      }
      // dW [co, K] = dY^T [co, P] x cols [P, K];  dcols [P, K] = dY [P, co] x W [co, K].
      const dw = engineMatmul(this.engine, byChannel, cout, P, this.cols, K, "kn");
      for (let i = 0; i < dw.length; i++) this.weight.grad[i] += dw[i];
      const dx = this.col2im(engineMatmul(this.engine, rows, P, cout, wt, K, "kn"), batch, input);
      return dx;
    }
    const dx = new Float32Array(x.length), dw = this.weight.grad, db = this.bias.grad;
    for (let n = 0; n < batch; n++) for (let co = 0; co < cout; co++) {
      const yo = (n * cout + co) * oh * ow;
      for (let i = 0; i < oh * ow; i++) db[co] += dy[yo + i];
      for (let ci = 0; ci < cin; ci++) {
        const xo = (n * cin + ci) * h * w;
        for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
          const wi = ((co * cin + ci) * k + ky) * k + kx, wv = wt[wi];
          let g = 0;
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy + ky - p;
            if (iy < 0 || iy >= h) continue;
            const x0 = Math.max(0, p - kx), x1 = Math.min(ow, w + p - kx);
            const row = xo + iy * w + kx - p, out = yo + oy * ow;
            for (let ox = x0; ox < x1; ox++) {
              g += dy[out + ox] * x[row + ox];
              dx[row + ox] += dy[out + ox] * wv;
            }
          }
          dw[wi] += g; // straight through the weight quantizer (nothing clipped)
        }
      }
    }
    return dx;
  }

  params(): Param[] {
    return [this.weight, this.bias];
  }
}

export class Dense implements Layer {
  readonly kind = "Dense";
  readonly weight: Param; // [out, in], as ONNX Gemm with transB = 1
  readonly bias: Param;
  private x: Float32Array = new Float32Array(0);
  private wq: Float32Array;
  quant: QuantConfig = { weightBits: 0, activationBits: 0 };

  /** With an engine, the products run on dyad's float32 GEMM kernels; else as plain loops. */
  engine: Dyad | null = null;

  constructor(readonly inputs: number, readonly outputs: number, random: () => number) {
    const bound = Math.sqrt(6 / inputs);
    this.weight = param("weight", inputs * outputs, outputs, () => (random() * 2 - 1) * bound);
    this.bias = param("bias", outputs, 0, () => 0);
    this.wq = new Float32Array(this.weight.value.length);
  }

  outputShape(input: number[]): number[] {
    const size = input.reduce((a, b) => a * b, 1);
    if (size !== this.inputs) throw new ShapeError(`Dense: input has ${size} features, the layer ${this.inputs}`);
    return [this.outputs];
  }

  effectiveWeights(): Float32Array {
    if (!this.quant.weightBits) return this.weight.value;
    fakeQuantWeights(this.weight.value, this.outputs, this.quant.weightBits, this.wq);
    return this.wq;
  }

  forward(x: Float32Array, batch: number): Float32Array {
    this.x = x;
    const w = this.effectiveWeights(), b = this.bias.value, I = this.inputs, O = this.outputs;
    if (this.engine) return engineMatmul(this.engine, x, batch, I, w, O, "nk", b);
    const y = new Float32Array(batch * O);
    for (let n = 0; n < batch; n++) for (let o = 0; o < O; o++) {
      let s = b[o];
      for (let i = 0; i < I; i++) s += w[o * I + i] * x[n * I + i];
      y[n * O + o] = s;
    }
    return y;
  }

  backward(dy: Float32Array, batch: number): Float32Array {
    const w = this.quant.weightBits ? this.wq : this.weight.value, x = this.x, I = this.inputs, O = this.outputs;
    if (this.engine) {
      // dW [O, I] = dY^T [O, batch] x X [batch, I];  dX [batch, I] = dY [batch, O] x W [O, I].
      const dyT = new Float32Array(O * batch);
      for (let n = 0; n < batch; n++) for (let o = 0; o < O; o++) {
        dyT[o * batch + n] = dy[n * O + o];
        this.bias.grad[o] += dy[n * O + o];
      }
      const dw = engineMatmul(this.engine, dyT, O, batch, x, I, "kn");
      for (let i = 0; i < dw.length; i++) this.weight.grad[i] += dw[i];
      return engineMatmul(this.engine, dy, batch, O, w, I, "kn");
    }
    const dx = new Float32Array(batch * I);
    for (let n = 0; n < batch; n++) for (let o = 0; o < O; o++) {
      const g = dy[n * O + o];
      if (g === 0) continue;
      this.bias.grad[o] += g;
      for (let i = 0; i < I; i++) {
        this.weight.grad[o * I + i] += g * x[n * I + i];
        dx[n * I + i] += g * w[o * I + i];
      }
    }
    return dx;
  }

  params(): Param[] {
    return [this.weight, this.bias];
  }
}

export class Relu implements Layer {
  readonly kind = "Relu";
  private y: Float32Array = new Float32Array(0);
  outputShape(input: number[]): number[] { return input; }
  forward(x: Float32Array): Float32Array {
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
    this.y = y;
    return y;
  }
  backward(dy: Float32Array): Float32Array {
    const dx = new Float32Array(dy.length);
    for (let i = 0; i < dy.length; i++) dx[i] = this.y[i] > 0 ? dy[i] : 0;
    return dx;
  }
  params(): Param[] { return []; }
}

export class MaxPool2 implements Layer {
  readonly kind = "MaxPool";
  private argmax: Int32Array = new Int32Array(0);
  private inputSize = 0;
  outputShape([c, h, w]: number[]): number[] { return [c, Math.floor(h / 2), Math.floor(w / 2)]; }
  forward(x: Float32Array, batch: number, input: number[]): Float32Array {
    const [c, h, w] = input, [, oh, ow] = this.outputShape(input);
    const y = new Float32Array(batch * c * oh * ow);
    this.argmax = new Int32Array(y.length);
    this.inputSize = x.length;
    for (let p = 0; p < batch * c; p++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      let best = -Infinity, at = 0;
      for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
        const i = p * h * w + (2 * oy + dy) * w + 2 * ox + dx;
        if (x[i] > best) { best = x[i]; at = i; }
      }
      const o = (p * oh + oy) * ow + ox;
      y[o] = best;
      this.argmax[o] = at;
    }
    return y;
  }
  backward(dy: Float32Array): Float32Array {
    const dx = new Float32Array(this.inputSize);
    for (let i = 0; i < dy.length; i++) dx[this.argmax[i]] += dy[i];
    return dx;
  }
  params(): Param[] { return []; }
}

/** 2x2 average pooling, stride 2 (ONNX AveragePool); in QAT its output is not re-quantized. */
export class AvgPool2 implements Layer {
  readonly kind = "AveragePool";
  outputShape([c, h, w]: number[]): number[] { return [c, Math.floor(h / 2), Math.floor(w / 2)]; }
  forward(x: Float32Array, batch: number, input: number[]): Float32Array {
    const [c, h, w] = input, [, oh, ow] = this.outputShape(input);
    const y = new Float32Array(batch * c * oh * ow);
    for (let p = 0; p < batch * c; p++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      const i = p * h * w + 2 * oy * w + 2 * ox;
      y[(p * oh + oy) * ow + ox] = (x[i] + x[i + 1] + x[i + w] + x[i + w + 1]) / 4;
    }
    return y;
  }
  backward(dy: Float32Array, batch: number, input: number[]): Float32Array {
    const [c, h, w] = input, [, oh, ow] = this.outputShape(input);
    const dx = new Float32Array(batch * c * h * w);
    for (let p = 0; p < batch * c; p++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      const g = dy[(p * oh + oy) * ow + ox] / 4, i = p * h * w + 2 * oy * w + 2 * ox;
      dx[i] += g; dx[i + 1] += g; dx[i + w] += g; dx[i + w + 1] += g;
    }
    return dx;
  }
  params(): Param[] { return []; }
}

export class Flatten implements Layer {
  readonly kind = "Flatten";
  outputShape(input: number[]): number[] { return [input.reduce((a, b) => a * b, 1)]; }
  forward(x: Float32Array): Float32Array { return x; }
  backward(dy: Float32Array): Float32Array { return dy; }
  params(): Param[] { return []; }
}

/**
 * Fake quantization of activations with the clipped straight-through estimator, inserted after each ReLU (a
 * max pool of values on a grid stays on it, as in the integer model where the pool carries its input's
 * parameters); a no-op until QAT sets its bits. The range is asymmetric, [min, max] from an exponential moving
 * average of the batches' min/max (momentum 0.9, started by the first batch) — or, with `learnStep` (LSQ,
 * Esser et al. 2019), the step s is a trained parameter started from that range: the zero point stays where
 * the start put it (0 after a ReLU) and the gradient of the output w.r.t. s is round(v/s) - v/s inside the
 * range, qmax - z above it and -z below, scaled by 1 / sqrt(features * qmax) (the paper's gradient scale).
 */
export class FakeQuant implements Layer {
  readonly kind = "FakeQuant";
  bits = 0;
  min = 0;
  max = 0;
  learnStep = false;
  private seen = false;
  private mask: Uint8Array = new Uint8Array(0);
  private x: Float32Array = new Float32Array(0);
  private zero = 0;
  /** The learned step (LSQ); its value is used only when `learnStep` is on. */
  readonly step: Param = { name: "step", value: new Float32Array(1), grad: new Float32Array(1), channels: 0 };

  outputShape(input: number[]): number[] { return input; }

  /** Whether a batch has set the range yet. */
  get observed(): boolean { return this.seen; }

  /** The range the exported model quantizes to. */
  range(): { min: number; max: number } {
    if (!this.learnStep) return { min: this.min, max: this.max };
    const s = this.step.value[0], qmax = 2 ** this.bits - 1;
    return { min: (0 - this.zero) * s, max: (qmax - this.zero) * s };
  }

  forward(x: Float32Array, _batch: number, _input: number[], training: boolean): Float32Array {
    if (!this.bits) return x;
    const qmax = 2 ** this.bits - 1;
    if ((training && !this.learnStep) || !this.seen) {
      let lo = 0, hi = 0;
      for (let i = 0; i < x.length; i++) { const v = x[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
      this.min = this.seen ? 0.9 * this.min + 0.1 * lo : lo;
      this.max = this.seen ? 0.9 * this.max + 0.1 * hi : hi;
      if (!this.seen) {
        const s = this.max > this.min ? (this.max - this.min) / qmax : 1;
        this.step.value[0] = s;
        this.zero = Math.max(0, Math.min(qmax, roundHalfEven(-this.min / s)));
      }
      this.seen = true;
    }
    let s: number, z: number;
    if (this.learnStep) {
      s = Math.max(this.step.value[0], 1e-8);
      z = this.zero;
    } else {
      s = this.max > this.min ? (this.max - this.min) / qmax : 1;
      z = Math.max(0, Math.min(qmax, roundHalfEven(-this.min / s)));
    }
    this.x = x;
    this.mask = new Uint8Array(x.length);
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const q = roundHalfEven(x[i] / s) + z;
      if (q >= 0 && q <= qmax) this.mask[i] = 1;
      y[i] = s * (Math.max(0, Math.min(qmax, q)) - z);
    }
    return y;
  }

  backward(dy: Float32Array, batch: number): Float32Array {
    if (!this.bits) return dy;
    const dx = new Float32Array(dy.length);
    for (let i = 0; i < dy.length; i++) dx[i] = this.mask[i] ? dy[i] : 0;
    if (this.learnStep) {
      const qmax = 2 ** this.bits - 1, s = Math.max(this.step.value[0], 1e-8), z = this.zero;
      let g = 0;
      for (let i = 0; i < dy.length; i++) {
        const u = this.x[i] / s, q = roundHalfEven(u) + z;
        g += dy[i] * (q > qmax ? qmax - z : q < 0 ? -z : roundHalfEven(u) - u);
      }
      this.step.grad[0] += g / Math.sqrt((dy.length / batch) * qmax);
    }
    return dx;
  }

  params(): Param[] { return this.learnStep && this.bits ? [this.step] : []; }
}

/** Mean softmax cross-entropy of logits [batch, classes] against labels; returns the loss and dLogits. */
export function softmaxCrossEntropy(logits: Float32Array, labels: ArrayLike<number>, batch: number, classes: number): { loss: number; grad: Float32Array } {
  const grad = new Float32Array(logits.length);
  let loss = 0;
  for (let n = 0; n < batch; n++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[n * classes + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[n * classes + c] - m);
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[n * classes + c] - m) / sum;
      grad[n * classes + c] = (p - (c === labels[n] ? 1 : 0)) / batch;
    }
    loss -= Math.log(Math.exp(logits[n * classes + labels[n]] - m) / sum) / batch;
  }
  return { loss, grad };
}
