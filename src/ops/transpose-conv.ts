// TRANSPOSE_CONV (TFLite, int8, NHWC, per-channel): reference integer_ops/transpose_conv.h. Every input pixel
// scatters (x - zp_in) * w into an int32 scratch output; then bias, per-channel MBQM, zero point, clamp.
// Padding as TFLite computes it: the padding of the forward convolution from the output back to the input.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { mbqm } from "../quant/fixed-point.js";
import { quantizeMultiplier } from "../quant/multiplier.js";
import { constantArray, expectDType, expectQuant } from "./graph-tensors.js";
import { window1d } from "./conv-geometry.js";

export function transposeConv(o: { padding: "SAME" | "VALID"; strideH: number; strideW: number; activation: FusedActivation }): NodeBuilder {
  return (ctx) => {
    const shapeT = ctx.input(0, "output_shape"), w = ctx.input(1, "filter"), x = ctx.input(2, "input"), y = ctx.output(0, "output");
    const biasT = ctx.optionalInput(3);
    expectDType(x, ["int8"], "input");
    expectDType(w, ["int8"], "filter");
    expectDType(y, ["int8"], "output");
    if (x.shape.length !== 4 || w.shape.length !== 4) throw new ShapeError(`input [${x.shape}] and filter [${w.shape}] must be 4-D`);
    const [n, h, wd, cin] = x.shape;
    const [cout, kh, kw, wcin] = w.shape;
    if (wcin !== cin) throw new ShapeError(`filter [${w.shape}] has ${wcin} input channels, the input [${x.shape}] ${cin}`);
    // TFLite takes the output's height and width from output_shape; batch and channels follow the tensors.
    const outShape = Array.from(constantArray(shapeT, Int32Array, "output_shape"));
    if (outShape.length !== 4 || outShape[0] !== n || outShape[3] !== cout || !(outShape[1] >= 1 && outShape[2] >= 1)) {
      throw new ShapeError(`output_shape [${outShape}] does not fit input [${x.shape}] and filter [${w.shape}]`);
    }
    ctx.checkOutputShape(0, outShape);
    const [, oh, ow] = outShape;
    const padH = window1d(o.padding, oh, kh, o.strideH, 1, "transpose conv height").padBefore;
    const padW = window1d(o.padding, ow, kw, o.strideW, 1, "transpose conv width").padBefore;
    const qx = expectQuant(x, "input"), qw = expectQuant(w, "filter"), qy = expectQuant(y, "output");
    const filter = constantArray(w, Int8Array, "filter");
    const bias = biasT ? constantArray(biasT, Int32Array, "bias") : null;
    const mults = Array.from({ length: cout }, (_, c) =>
      quantizeMultiplier((Math.fround(qx.scale[0]) * Math.fround(qw.scale[qw.scale.length === 1 ? 0 : c])) / Math.fround(qy.scale[0])));
    const { min, max } = activationClamp(o.activation, qy.scale[0], qy.zeroPoint[0], "int8");
    const zx = qx.zeroPoint[0], zy = qy.zeroPoint[0];
    ctx.reserve(4 * n * oh * ow * cout, "the transpose convolution's accumulators");
    const acc = new Int32Array(n * oh * ow * cout);
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        acc.fill(0);
        const src = new Int8Array(buffer, ctx.ptr(x.id), n * h * wd * cin);
        const dst = new Int8Array(buffer, ctx.ptr(y.id), n * oh * ow * cout);
        for (let b = 0; b < n; b++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < wd; ix++) for (let ic = 0; ic < cin; ic++) {
          const v = src[((b * h + iy) * wd + ix) * cin + ic] - zx;
          for (let fy = 0; fy < kh; fy++) {
            const oy = iy * o.strideH - padH + fy;
            if (oy < 0 || oy >= oh) continue;
            for (let fx = 0; fx < kw; fx++) {
              const ox = ix * o.strideW - padW + fx;
              if (ox < 0 || ox >= ow) continue;
              const base = ((b * oh + oy) * ow + ox) * cout;
              for (let oc = 0; oc < cout; oc++) acc[base + oc] += v * filter[((oc * kh + fy) * kw + fx) * cin + ic];
            }
          }
        }
        for (let i = 0; i < acc.length; i++) {
          const c = i % cout;
          const m = mults[c];
          const r = zy + mbqm(acc[i] + (bias ? bias[c] : 0), m.multiplier, m.shift);
          dst[i] = Math.min(max, Math.max(min, r));
        }
      },
      dispose: () => {},
    };
  };
}
