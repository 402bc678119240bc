// The trainer: a sequential network of the layers in layers.ts, SGD with momentum or Adam, mini-batches,
// evaluation, and export to a float ONNX file (Conv, Relu, MaxPool, Flatten, Gemm) that dyad and
// onnxruntime run and that `quantizeOnnx` turns into an integer model. Quantization-aware training sets the
// weight and activation bits: weights are fake-quantized in the forward pass, FakeQuant layers follow each
// ReLU, and gradients pass straight through (clipped) — fine-tuning a float checkpoint. `activationRanges`
// hands the learned ranges to `quantizeOnnx`, which writes the integer model the training simulated.

import { ShapeError, BufferError } from "../errors.js";
import { encodeModel, type GraphSpec } from "../formats/onnx/proto.js";
import { Conv2d, Dense, Relu, MaxPool2, AvgPool2, Flatten, FakeQuant, softmaxCrossEntropy, type Layer, type Param } from "./layers.js";
import type { Dyad } from "../dyad.js";
import { quantizeOnnx, type PtqOptions, type PtqReport } from "../quant/ptq.js";

export type LayerSpec = { conv: number; kernel?: number; pad?: number } | { dense: number } | "relu" | "maxpool" | "avgpool" | "flatten";

export interface OptimizerOptions { kind: "sgd" | "adam"; lr: number; momentum?: number; beta1?: number; beta2?: number }

/** mulberry32: deterministic initial weights and shuffles from a seed. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Network {
  readonly layers: Layer[] = [];
  private readonly shapes: number[][] = [];
  private step = 0;
  private bits = { weightBits: 0, activationBits: 0 };
  private readonly moments = new Map<Param, { m: Float32Array; v: Float32Array }>();

  /**
   * `input` is one sample's shape, [C, H, W]; FakeQuant layers follow every ReLU (off until QAT).
   * With `engine`, convolutions (im2col) and dense layers run on dyad's float32 GEMM; without, as plain loops.
   */
  constructor(readonly input: number[], specs: LayerSpec[], seed = 1, engine: Dyad | null = null) {
    const random = seeded(seed);
    let shape = input;
    const push = (l: Layer) => {
      this.shapes.push(shape);
      this.layers.push(l);
      shape = l.outputShape(shape);
    };
    for (const s of specs) {
      if (s === "relu") { push(new Relu()); push(new FakeQuant()); }
      else if (s === "maxpool") push(new MaxPool2());
      else if (s === "avgpool") push(new AvgPool2());
      else if (s === "flatten") push(new Flatten());
      else if ("conv" in s) {
        const conv = new Conv2d(shape[0], s.conv, s.kernel ?? 3, s.pad ?? 1, random);
        conv.engine = engine;
        push(conv);
      }
      else {
        const dense = new Dense(shape.reduce((a, b) => a * b, 1), s.dense, random);
        dense.engine = engine;
        push(dense);
      }
    }
    this.shapes.push(shape);
  }

  get outputShape(): number[] {
    return this.shapes[this.shapes.length - 1];
  }

  /**
   * Fake quantization bits for weights and activations during training (0, 0: float); `learnStep` trains
   * the activations' steps (LSQ) instead of following their moving min/max.
   */
  setQuantization(weightBits: number, activationBits: number, options: { learnStep?: boolean } = {}): void {
    this.bits = { weightBits, activationBits };
    for (const l of this.layers) {
      if (l instanceof Conv2d || l instanceof Dense) l.quant = { weightBits, activationBits };
      if (l instanceof FakeQuant) { l.bits = activationBits; l.learnStep = options.learnStep ?? false; }
    }
  }

  /**
   * The activation ranges QAT arrived at, by the tensor names of `toOnnx` (each ReLU's output), for
   * `quantizeOnnx(..., { ranges })`. Empty before QAT has run a batch.
   */
  activationRanges(): Record<string, { min: number; max: number }> {
    const ranges: Record<string, { min: number; max: number }> = {};
    this.layers.forEach((l, i) => {
      const prev = this.layers[i - 1];
      if (l instanceof FakeQuant && l.bits && l.observed && prev instanceof Relu) ranges[`t${i - 1}`] = l.range();
    });
    return ranges;
  }

  forward(x: Float32Array, batch: number, training = false): Float32Array {
    const size = this.input.reduce((a, b) => a * b, 1);
    if (x.length !== batch * size) throw new ShapeError(`Network: ${batch} samples of [${this.input}] are ${batch * size} values, got ${x.length}`);
    let y = x;
    this.layers.forEach((l, i) => { y = l.forward(y, batch, this.shapes[i], training); });
    return y;
  }

  /** One optimization step on a batch; returns the loss. */
  trainBatch(x: Float32Array, labels: ArrayLike<number>, batch: number, opt: OptimizerOptions): number {
    const logits = this.forward(x, batch, true);
    const classes = this.outputShape[0];
    const { loss, grad } = softmaxCrossEntropy(logits, labels, batch, classes);
    for (const p of this.params()) p.grad.fill(0);
    let g = grad;
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i].backward(g, batch, this.shapes[i]);
    this.update(opt);
    return loss;
  }

  params(): Param[] {
    return this.layers.flatMap((l) => l.params());
  }

  private update(opt: OptimizerOptions): void {
    this.step++;
    for (const p of this.params()) {
      let s = this.moments.get(p);
      if (!s) { s = { m: new Float32Array(p.value.length), v: new Float32Array(p.value.length) }; this.moments.set(p, s); }
      if (opt.kind === "sgd") {
        const mu = opt.momentum ?? 0.9;
        for (let i = 0; i < p.value.length; i++) { s.m[i] = mu * s.m[i] + p.grad[i]; p.value[i] -= opt.lr * s.m[i]; }
      } else {
        const b1 = opt.beta1 ?? 0.9, b2 = opt.beta2 ?? 0.999, c1 = 1 - b1 ** this.step, c2 = 1 - b2 ** this.step;
        for (let i = 0; i < p.value.length; i++) {
          s.m[i] = b1 * s.m[i] + (1 - b1) * p.grad[i];
          s.v[i] = b2 * s.v[i] + (1 - b2) * p.grad[i] * p.grad[i];
          p.value[i] -= (opt.lr * s.m[i] / c1) / (Math.sqrt(s.v[i] / c2) + 1e-8);
        }
      }
    }
  }

  /** Trains for `epochs` passes over (images, labels) in shuffled mini-batches; returns the mean losses. */
  fit(images: Float32Array, labels: ArrayLike<number>, options: { epochs: number; batch: number; optimizer: OptimizerOptions; seed?: number; steps?: number }): number[] {
    const size = this.input.reduce((a, b) => a * b, 1), count = labels.length;
    if (images.length !== count * size) throw new BufferError(`fit: ${count} labels need ${count * size} image values, got ${images.length}`);
    const random = seeded(options.seed ?? 7), losses: number[] = [];
    let steps = 0;
    for (let e = 0; e < options.epochs; e++) {
      const order = Array.from({ length: count }, (_, i) => i);
      for (let i = count - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      let total = 0, batches = 0;
      for (let b = 0; b + options.batch <= count; b += options.batch) {
        if (options.steps !== undefined && steps >= options.steps) break;
        const x = new Float32Array(options.batch * size), y = new Int32Array(options.batch);
        for (let k = 0; k < options.batch; k++) {
          x.set(images.subarray(order[b + k] * size, (order[b + k] + 1) * size), k * size);
          y[k] = labels[order[b + k]];
        }
        total += this.trainBatch(x, y, options.batch, options.optimizer);
        batches++;
        steps++;
      }
      losses.push(total / Math.max(1, batches));
    }
    return losses;
  }

  /** Top-1 predictions for `count` images (evaluation mode: fake quantization with frozen ranges). */
  predict(images: Float32Array, count: number, batch = 100): Int32Array {
    const size = this.input.reduce((a, b) => a * b, 1), classes = this.outputShape[0];
    const out = new Int32Array(count);
    for (let b = 0; b < count; b += batch) {
      const n = Math.min(batch, count - b);
      const logits = this.forward(images.subarray(b * size, (b + n) * size), n, false);
      for (let k = 0; k < n; k++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (logits[k * classes + c] > logits[k * classes + best]) best = c;
        out[b + k] = best;
      }
    }
    return out;
  }

  /**
   * The network as an integer QDQ model: `quantizeOnnx` on `toOnnx()` at the bits QAT trained with (8 when
   * float), with the activation ranges QAT learned; calibration sets the others (the input's and the
   * logits', and all of them without QAT). `options` may override any of these.
   */
  toQuantizedOnnx(dyad: Dyad, options: PtqOptions): { model: Uint8Array; report: PtqReport } {
    return quantizeOnnx(dyad, this.toOnnx(), {
      weightBits: this.bits.weightBits || 8,
      activationBits: this.bits.activationBits || 8,
      ...options,
      ranges: { ...this.activationRanges(), ...options.ranges },
    });
  }

  /** The float network as ONNX (opset 17; input "x" [batch, C, H, W], output "logits"). */
  toOnnx(batch = 1): Uint8Array {
    const spec: GraphSpec = { opset: 17, nodes: [], initializers: [], inputs: [{ name: "x", dtype: "float32", dims: [batch, ...this.input] }], outputs: [] };
    let prev = "x";
    this.layers.forEach((l, i) => {
      const name = `t${i}`;
      if (l instanceof Conv2d) {
        spec.initializers.push({ name: `conv${i}.weight`, dtype: "float32", dims: [l.cout, l.cin, l.k, l.k], data: Float32Array.from(l.weight.value) },
          { name: `conv${i}.bias`, dtype: "float32", dims: [l.cout], data: Float32Array.from(l.bias.value) });
        spec.nodes.push({ opType: "Conv", inputs: [prev, `conv${i}.weight`, `conv${i}.bias`], outputs: [name], attrs: { kernel_shape: [l.k, l.k], pads: [l.pad, l.pad, l.pad, l.pad] } });
      } else if (l instanceof Dense) {
        spec.initializers.push({ name: `dense${i}.weight`, dtype: "float32", dims: [l.outputs, l.inputs], data: Float32Array.from(l.weight.value) },
          { name: `dense${i}.bias`, dtype: "float32", dims: [l.outputs], data: Float32Array.from(l.bias.value) });
        spec.nodes.push({ opType: "Gemm", inputs: [prev, `dense${i}.weight`, `dense${i}.bias`], outputs: [name], attrs: { transB: 1 } });
      } else if (l instanceof Relu) spec.nodes.push({ opType: "Relu", inputs: [prev], outputs: [name] });
      else if (l instanceof MaxPool2) spec.nodes.push({ opType: "MaxPool", inputs: [prev], outputs: [name], attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
      else if (l instanceof AvgPool2) spec.nodes.push({ opType: "AveragePool", inputs: [prev], outputs: [name], attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
      else if (l instanceof Flatten) spec.nodes.push({ opType: "Flatten", inputs: [prev], outputs: [name] });
      else return; // FakeQuant: a training-time layer
      prev = name;
    });
    spec.nodes[spec.nodes.length - 1].outputs = ["logits"];
    spec.outputs.push({ name: "logits", dtype: "float32", dims: [batch, this.outputShape[0]] });
    return encodeModel(spec);
  }
}
