// CONV_2D (TFLite, int8, NHWC, per-channel weights): reference tflite-micro kernels/internal/reference/
// integer_ops/conv.h (ConvPerChannel). Lowered to the GEMM: each output pixel is a row of KH*KW*Cin input
// values (im2col, with the input zero point where the window leaves the image, so that x - zp is 0 there as in
// the reference), the filter [Cout, KH, KW, Cin] is the [N, K] weight matrix. 1x1 convolutions with stride 1
// and no padding multiply the input directly.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { MatMul } from "./matmul.js";
import { constantArray, constantQTensor, expectDType, expectQuant } from "./graph-tensors.js";
import { window1d, type Padding } from "./conv-geometry.js";

export interface Conv2DOptions {
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: FusedActivation;
}

export function conv2d(o: Conv2DOptions): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "input"), w = ctx.input(1, "filter"), y = ctx.output(0, "output");
    const bias = ctx.optionalInput(2);
    expectDType(x, ["int8"], "input");
    expectDType(w, ["int8"], "filter");
    expectDType(y, ["int8"], "output");
    if (bias) expectDType(bias, ["int32"], "bias");
    if (x.shape.length !== 4 || w.shape.length !== 4 || y.shape.length !== 4) {
      throw new ShapeError(`input, filter and output must be 4-D, got [${x.shape}], [${w.shape}], [${y.shape}]`);
    }
    const [n, h, wd, cin] = x.shape;
    const [cout, kh, kw, wcin] = w.shape;
    if (wcin !== cin) throw new ShapeError(`filter has ${wcin} input channels, the input ${cin} (grouped convolution is not supported)`);
    const row = window1d(o.padding, h, kh, o.strideH, o.dilationH, "conv height");
    const col = window1d(o.padding, wd, kw, o.strideW, o.dilationW, "conv width");
    const want = [n, row.out, col.out, cout];
    if (want.some((d, i) => d !== y.shape[i])) throw new ShapeError(`output is [${y.shape}], the convolution gives [${want}]`);
    const xq = expectQuant(x, "input"), yq = expectQuant(y, "output");
    const k = kh * kw * cin;
    const mm = new MatMul(ctx.rt, {
      weights: constantQTensor(w, "filter", [cout, k]),
      weightLayout: "nk",
      bias: bias ? constantArray(bias, Int32Array, "bias") : undefined,
      input: { dtype: "int8", scale: xq.scale[0], zeroPoint: xq.zeroPoint[0] },
      output: { dtype: "int8", scale: yq.scale[0], zeroPoint: yq.zeroPoint[0] },
      requant: "tflite",
      clamp: activationClamp(o.activation, yq.scale[0], yq.zeroPoint[0], "int8"),
    });
    const rows = n * row.out * col.out;
    const direct = kh === 1 && kw === 1 && o.strideH === 1 && o.strideW === 1;
    const zp = xq.zeroPoint[0];
    const run = direct
      ? () => mm.runInto(ctx.ptr(x.id), 1, rows, ctx.ptr(y.id))
      : () => ctx.rt.arena.scope(() => {
          const cols = ctx.rt.arena.alloc(rows * k, "conv im2col");
          const mem = ctx.rt.bytes();
          const src = ctx.ptr(x.id);
          let dst = cols.ptr;
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < row.out; oy++) {
              for (let ox = 0; ox < col.out; ox++) {
                for (let ky = 0; ky < kh; ky++) {
                  const iy = oy * o.strideH - row.padBefore + ky * o.dilationH;
                  for (let kx = 0; kx < kw; kx++) {
                    const ix = ox * o.strideW - col.padBefore + kx * o.dilationW;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                      mem.fill(zp & 0xff, dst, dst + cin);
                    } else {
                      const at = src + ((b * h + iy) * wd + ix) * cin;
                      mem.copyWithin(dst, at, at + cin);
                    }
                    dst += cin;
                  }
                }
              }
            }
          }
          mm.runInto(cols.ptr, 1, rows, ctx.ptr(y.id));
        });
    return { run, dispose: () => mm.dispose() };
  };
}
