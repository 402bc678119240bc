// DEPTHWISE_CONV_2D (TFLite, int8, NHWC, per-channel, depth multiplier 1): reference tflite-micro
// kernels/internal/reference/integer_ops/depthwise_conv.h (DepthwiseConvPerChannel). The kernel is
// s8_s8_dwconv_tflite_1x8_simd; this op validates, computes the per-channel multipliers and runs it per image.

import { ShapeError, UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { quantizeMultiplier } from "../quant/multiplier.js";
import { constantArray, expectDType, expectQuant, elementCount } from "./graph-tensors.js";
import { window1d, type Padding } from "./conv-geometry.js";
import type { Conv2DOptions } from "./conv2d.js";

export function depthwiseConv2d(o: Conv2DOptions & { depthMultiplier: number }): NodeBuilder {
  return (ctx) => {
    const rt = ctx.rt;
    const x = ctx.input(0, "input"), w = ctx.input(1, "filter"), y = ctx.output(0, "output");
    const bias = ctx.optionalInput(2);
    expectDType(x, ["int8"], "input");
    expectDType(w, ["int8"], "filter");
    expectDType(y, ["int8"], "output");
    if (bias) expectDType(bias, ["int32"], "bias");
    if (x.shape.length !== 4 || w.shape.length !== 4 || y.shape.length !== 4) {
      throw new ShapeError(`input, filter and output must be 4-D, got [${x.shape}], [${w.shape}], [${y.shape}]`);
    }
    const [n, h, wd, c] = x.shape;
    const [one, kh, kw, cout] = w.shape;
    if (one !== 1) throw new ShapeError(`filter must be [1, KH, KW, C], got [${w.shape}]`);
    if (cout !== c) throw new UnsupportedError(`depth multiplier ${cout / c} (filter channels ${cout}, input ${c}) is not supported yet; only 1`);
    const row = window1d(o.padding as Padding, h, kh, o.strideH, o.dilationH, "depthwise height");
    const col = window1d(o.padding as Padding, wd, kw, o.strideW, o.dilationW, "depthwise width");
    const want = [n, row.out, col.out, c];
    if (want.some((d, i) => d !== y.shape[i])) throw new ShapeError(`output is [${y.shape}], the convolution gives [${want}]`);
    const xq = expectQuant(x, "input"), wq = expectQuant(w, "filter"), yq = expectQuant(y, "output");
    if (wq.scale.length !== 1 && wq.scale.length !== c) throw new ShapeError(`filter has ${wq.scale.length} scales for ${c} channels`);
    if (wq.zeroPoint.some((z) => z !== 0)) throw new UnsupportedError("filter zero points must be 0 (symmetric int8 weights)");
    const rq = new Int32Array(2 * c);
    for (let ch = 0; ch < c; ch++) {
      const sw = wq.scale[wq.scale.length === 1 ? 0 : ch];
      const q = quantizeMultiplier((Math.fround(xq.scale[0]) * Math.fround(sw)) / Math.fround(yq.scale[0]));
      rq[2 * ch] = q.multiplier;
      rq[2 * ch + 1] = q.shift;
    }
    const clamp = activationClamp(o.activation, yq.scale[0], yq.zeroPoint[0], "int8");
    const params = Int32Array.of(h, wd, c, kh, kw, o.strideH, o.strideW, o.dilationH, o.dilationW, row.padBefore,
      col.padBefore, row.out, col.out, xq.zeroPoint[0], yq.zeroPoint[0], clamp.min, clamp.max);
    const kernel = rt.kernel("dwconv", "s8", "s8", "tflite");
    const blocks = [
      rt.upload(constantArray(w, Int8Array, "filter"), "depthwise filter"),
      rt.upload(bias ? constantArray(bias, Int32Array, "bias") : new Int32Array(c), "depthwise bias"),
      rt.upload(rq, "depthwise multipliers"),
      rt.upload(params, "depthwise params"),
    ];
    const [filter, biasBlock, rqBlock, paramBlock] = blocks;
    const inImage = h * wd * c, outImage = row.out * col.out * c;
    const fn = rt.dwconvS8(kernel);
    if (elementCount(y) !== n * outImage) throw new ShapeError("output size mismatch");
    return {
      run: () => {
        for (let b = 0; b < n; b++) {
          fn(ctx.ptr(x.id) + b * inImage, filter.ptr, biasBlock.ptr, rqBlock.ptr, ctx.ptr(y.id) + b * outImage, paramBlock.ptr);
        }
      },
      dispose: () => {
        for (const blk of blocks.reverse()) rt.arena.free(blk);
      },
    };
  };
}
