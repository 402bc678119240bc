// DEPTHWISE_CONV_2D (TFLite, int8, NHWC, per-channel, any depth multiplier): reference tflite-micro
// kernels/internal/reference/integer_ops/depthwise_conv.h (DepthwiseConvPerChannel). The kernel is
// s8_s8_dwconv_tflite_1x8_simd; this op packs the weights in tap pairs, folds the input zero point into the
// bias, computes the per-lane multipliers, and per image pads the input with the zero point (so that every
// tap is inside, contributing (zp - zp) * w = 0 where the reference skips it) and runs the kernel.

import { ShapeError, UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp } from "../quant/activation.js";
import { quantizeMultiplier, fp32Multiplier } from "../quant/multiplier.js";
import { convTensors, constantArray, expectQuant } from "./graph-tensors.js";
import { window2d, type Window1D } from "./conv-geometry.js";
import type { NodeContext, NodeKernel } from "../graph/node.js";
import { requantTflite16x8 } from "../quant/requant.js";
import { tfliteLanes, fp32Lanes } from "../quant/lane-multipliers.js";
import { outputClamp, type Conv2DOptions } from "./conv2d.js";

/** The depth multiplier comes from the shapes (filter channels / input channels), as TFLite derives it. */
export function depthwiseConv2d(o: Conv2DOptions & { depthMultiplier: number }): NodeBuilder {
  return (ctx) => {
    const rt = ctx.rt;
    const { x, w, y, bias } = convTensors(ctx);
    const [n, h, wd, c] = x.shape;
    const [one, kh, kw, cout] = w.shape;
    if (one !== 1) throw new ShapeError(`filter must be [1, KH, KW, C], got [${w.shape}]`);
    if (cout % c !== 0) throw new ShapeError(`filter channels ${cout} are not a multiple of the input's ${c}`);
    const multiplier = cout / c;
    const [row, col] = window2d(o.padding, h, wd, kh, kw, o.strideH, o.strideW, o.dilationH, o.dilationW, "depthwise");
    ctx.checkOutputShape(0, [n, row.out, col.out, cout]);
    const xq = expectQuant(x, "input"), wq = expectQuant(w, "filter"), yq = expectQuant(y, "output");
    if (wq.scale.length !== 1 && wq.scale.length !== cout) throw new ShapeError(`filter has ${wq.scale.length} scales for ${cout} channels`);
    if (wq.zeroPoint.some((z) => z !== 0)) throw new UnsupportedError("filter zero points must be 0 (symmetric int8 weights)");
    if (x.dtype === "int16") return depthwise16x8(ctx, o, row, col);
    if (x.dtype === "uint8" && o.requant !== "fp32") throw new UnsupportedError("uint8 DEPTHWISE_CONV_2D with TFLite requantization is not supported");
    // uint8 activations enter as int8 through x ^ 0x80 (zero points shift by 128) and leave the same way.
    const xor = x.dtype === "uint8" ? 0x80 : 0;
    const mode = o.requant ?? "tflite";
    const zx = xq.zeroPoint[0] - xor;
    const weights = constantArray(w, Int8Array, "filter"); // [KH][KW][C]
    const biasIn = bias ? constantArray(bias, Int32Array, "bias") : new Int32Array(cout);
    // The kernel's lanes are output channels; with a depth multiplier m, output channel ic*m + j reads input
    // channel ic, so the padded input repeats each channel m times.
    const oc = cout;
    const taps = kh * kw, pairs = (taps + 1) >> 1, blocks = (oc + 7) >> 3;
    if (taps > 64) throw new UnsupportedError(`depthwise filters of more than 64 taps (${kh}x${kw})`);
    // Weights as interleaved int16 tap pairs per block of 8 channels; the zero point folded into the bias.
    const packed = new Int16Array(blocks * 16 * pairs);
    const folded = new Int32Array(blocks * 8);
    for (let ch = 0; ch < oc; ch++) {
      let sum = 0;
      for (let t = 0; t < taps; t++) {
        const v = weights[t * oc + ch];
        sum += v;
        packed[((ch >> 3) * pairs + (t >> 1)) * 16 + (ch & 7) * 2 + (t & 1)] = v;
      }
      folded[ch] = biasIn[ch] - zx * sum;
    }
    // Per-lane requantization parameters: float scales (fp32), or TFLite's multipliers and shifts.
    const scaleOf = (ch: number) => wq.scale[wq.scale.length === 1 ? 0 : ch];
    const requant = mode === "fp32"
      ? { lanes: fp32Lanes(Array.from({ length: oc }, (_, ch) => fp32Multiplier(xq.scale[0], scaleOf(ch), yq.scale[0]))), variant: 0, rmax: 0 }
      : tfliteLanes(Array.from({ length: oc }, (_, ch) =>
        quantizeMultiplier((Math.fround(xq.scale[0]) * Math.fround(scaleOf(ch))) / Math.fround(yq.scale[0]))));
    const clamp = outputClamp(o, yq.scale[0], yq.zeroPoint[0], x.dtype as "int8" | "uint8");
    // The padded input covers exactly the windows' extent: rows -padTop .. Hp - padTop - 1.
    const hp = (row.out - 1) * o.strideH + (kh - 1) * o.dilationH + 1;
    const wp = (col.out - 1) * o.strideW + (kw - 1) * o.dilationW + 1;
    const params = Int32Array.of(hp, wp, oc, kh, kw, o.strideH, o.strideW, o.dilationH, o.dilationW, row.out, col.out,
      yq.zeroPoint[0] - xor, clamp.min - xor, clamp.max - xor, xor, requant.variant, requant.rmax);
    const kernel = rt.kernel("dwconv", "s8", "s8", mode);
    const padParams = rt.upload(Int32Array.of(h, wd, c, hp, wp, row.padBefore, col.padBefore, zx & 0xff, multiplier, xor), "depthwise pad params");
    const blocksMem = [
      padParams,
      rt.upload(packed, "depthwise filter"),
      rt.upload(folded, "depthwise bias"),
      rt.upload(requant.lanes, "depthwise multipliers"),
      rt.upload(params, "depthwise params"),
    ];
    const [, filter, biasBlock, laneBlock, paramBlock] = blocksMem;
    const inImage = h * wd * c, outImage = row.out * col.out * oc;
    const fn = rt.dwconvS8(kernel);
    // Where the windows need no border (VALID, or a model whose PAD came before), the input is its own padded
    // image: same rows, same channels, no copy.
    const direct = row.padBefore === 0 && col.padBefore === 0 && multiplier === 1 && xor === 0 && wp === wd && hp <= h;
    return {
      run: () => rt.arena.scope(() => {
        const padded = direct ? null : rt.arena.alloc(hp * wp * oc, "depthwise padded input");
        for (let b = 0; b < n; b++) {
          const image = ctx.ptr(x.id) + b * inImage;
          if (padded) rt.padInputS8(image, padded.ptr, padParams.ptr);
          fn(padded ? padded.ptr : image, filter.ptr, biasBlock.ptr, laneBlock.ptr, ctx.ptr(y.id) + b * outImage, paramBlock.ptr);
        }
      }),
      dispose: () => {
        for (const blk of blocksMem.reverse()) rt.arena.free(blk);
      },
    };
  };
}

/**
 * The 16x8 mode (int16 activations with zero point 0, int64 bias and accumulator, TFLite's int64
 * MultiplyByQuantizedMultiplier), in TypeScript: the products and their sums stay exact in doubles; the
 * requantization uses BigInt.
 */
function depthwise16x8(ctx: NodeContext, o: Conv2DOptions, row: Window1D, col: Window1D): NodeKernel {
  const x = ctx.input(0, "input"), w = ctx.input(1, "filter"), y = ctx.output(0, "output");
  const biasT = ctx.optionalInput(2);
  const [n, h, wd, c] = x.shape;
  const [, kh, kw, cout] = w.shape;
  const mult = cout / c;
  const xq = expectQuant(x, "input"), wq = expectQuant(w, "filter"), yq = expectQuant(y, "output");
  if (xq.zeroPoint[0] !== 0 || yq.zeroPoint[0] !== 0) throw new ShapeError("int16 activations must have zero point 0");
  const weights = constantArray(w, Int8Array, "filter");
  const bias = biasT ? (biasT.dtype === "int64" ? constantArray(biasT, BigInt64Array, "bias") : BigInt64Array.from(constantArray(biasT, Int32Array, "bias"), (v) => BigInt(v))) : null;
  const mults = Array.from({ length: cout }, (_, ch) =>
    quantizeMultiplier((Math.fround(xq.scale[0]) * Math.fround(wq.scale[wq.scale.length === 1 ? 0 : ch])) / Math.fround(yq.scale[0])));
  const { min, max } = activationClamp(o.activation, yq.scale[0], 0, "int16");
  return {
    run: () => {
      const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
      const src = new Int16Array(buffer, ctx.ptr(x.id), n * h * wd * c);
      const dst = new Int16Array(buffer, ctx.ptr(y.id), n * row.out * col.out * cout);
      let at = 0;
      for (let b = 0; b < n; b++) for (let oy = 0; oy < row.out; oy++) for (let ox = 0; ox < col.out; ox++) for (let oc = 0; oc < cout; oc++) {
        let acc = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * o.strideH - row.padBefore + ky * o.dilationH;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * o.strideW - col.padBefore + kx * o.dilationW;
            if (ix < 0 || ix >= wd) continue;
            acc += weights[(ky * kw + kx) * cout + oc] * src[((b * h + iy) * wd + ix) * c + Math.floor(oc / mult)];
          }
        }
        const total = BigInt(acc) + (bias ? bias[oc] : 0n);
        dst[at++] = Math.min(max, Math.max(min, requantTflite16x8(total, mults[oc].multiplier, mults[oc].shift)));
      }
    },
    dispose: () => {},
  };
}
