// CONV_2D (TFLite, int8, NHWC, per-channel weights): reference tflite-micro kernels/internal/reference/
// integer_ops/conv.h (ConvPerChannel). Lowered to the GEMM: each output pixel is a row of KH*KW*Cin input
// values (im2col in wasm, widened to int16 as the GEMM reads them, with the input zero point where the window
// leaves the image, so that x - zp is 0 there as in the reference), the filter [Cout, KH, KW, Cin] is the
// [N, K] weight matrix. 1x1 convolutions with stride 1 multiply the input directly.

import { ShapeError, UnsupportedError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { activationClamp, type FusedActivation } from "../quant/activation.js";
import { MatMul } from "./matmul.js";
import { convTensors, constantArray, constantQTensor, expectDType, expectQuant } from "./graph-tensors.js";
import { window2d, type Padding } from "./conv-geometry.js";
import type { NodeContext, NodeKernel } from "../graph/node.js";
import { quantizeMultiplier } from "../quant/multiplier.js";
import { conv2dWinograd, winogradEligible } from "./conv2d-winograd.js";

/** Bytes im2col may write past its last row (assembly/conv/im2col.ts: a partial vector of channels). */
export const IM2COL_SLACK = 16;

/** Bytes of im2col rows converted at a time (about half of L2). */
export const IM2COL_BLOCK_BYTES = 256 << 10;

export interface Conv2DOptions {
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: FusedActivation;
  /** Requantization mode: TFLite's "tflite" (default) or ONNX QLinearConv's "fp32". */
  requant?: "tflite" | "fp32";
  /** A further clamp of the quantized output (an ONNX Clip fused into the convolution), within the activation's. */
  clamp?: { min: number; max: number };
}

/** The activation's quantized range narrowed by an explicit clamp. */
export function outputClamp(o: Conv2DOptions, scale: number, zeroPoint: number, dtype: "int8" | "uint8"): { min: number; max: number } {
  const act = activationClamp(o.activation, scale, zeroPoint, dtype);
  if (!o.clamp) return act;
  const min = Math.max(act.min, o.clamp.min), max = Math.min(act.max, o.clamp.max);
  if (min > max) throw new ShapeError(`output clamp [${o.clamp.min}, ${o.clamp.max}] is empty within the activation's [${act.min}, ${act.max}]`);
  return { min, max };
}

export function conv2d(o: Conv2DOptions): NodeBuilder {
  return (ctx) => {
    const { x, w, y, bias } = convTensors(ctx);
    const [n, h, wd, cin] = x.shape;
    const [cout, kh, kw, wcin] = w.shape;
    if (wcin !== cin) throw new ShapeError(`filter has ${wcin} input channels, the input ${cin} (grouped convolution is not supported)`);
    const [row, col] = window2d(o.padding, h, wd, kh, kw, o.strideH, o.strideW, o.dilationH, o.dilationW, "conv");
    ctx.checkOutputShape(0, [n, row.out, col.out, cout]);
    if (x.dtype === "int16") {
      return conv16x8(ctx, {
        n, h, w: wd, cin, cout, kh, kw, strideH: o.strideH, strideW: o.strideW, dilationH: o.dilationH, dilationW: o.dilationW,
        padTop: row.padBefore, padLeft: col.padBefore, oh: row.out, ow: col.out,
      }, o.activation);
    }
    const xq = expectQuant(x, "input"), yq = expectQuant(y, "output");
    // TFLite int8 filters are symmetric; the im2col path has no per-row correction for filter zero points.
    if (expectQuant(w, "filter").zeroPoint.some((z) => z !== 0)) throw new UnsupportedError("filter zero points must be 0 (symmetric int8 weights)");
    if (winogradEligible(o, kh, kw, cin)) return conv2dWinograd(ctx, o, row, col);
    const k = kh * kw * cin;
    const dtype = x.dtype as "int8" | "uint8";
    const mm = new MatMul(ctx.rt, {
      weights: constantQTensor(w, "filter", [cout, k]),
      weightLayout: "nk",
      bias: bias ? constantArray(bias, Int32Array, "bias") : undefined,
      input: { dtype, scale: xq.scale[0], zeroPoint: xq.zeroPoint[0] },
      output: { dtype, scale: yq.scale[0], zeroPoint: yq.zeroPoint[0] },
      requant: o.requant ?? "tflite",
      clamp: outputClamp(o, yq.scale[0], yq.zeroPoint[0], dtype),
    });
    const xor = dtype === "uint8" ? 0x80 : 0;
    const rows = n * row.out * col.out;
    const direct = kh === 1 && kw === 1 && o.strideH === 1 && o.strideW === 1;
    const kp = (k + 1) & ~1;
    const pixels = row.out * col.out;
    const params = ctx.rt.upload(Int32Array.of(h, wd, cin, kh, kw, o.strideH, o.strideW, o.dilationH, o.dilationW,
      row.padBefore, col.padBefore, row.out, col.out, xq.zeroPoint[0] - xor, xor), "conv im2col params");
    const run = direct
      ? () => mm.runInto(ctx.ptr(x.id), 1, rows, ctx.ptr(y.id))
      : () => ctx.rt.arena.scope(() => {
          // im2col straight into the GEMM's widened rows, a block of rows at a time so that the block stays in
          // cache while every weight panel passes over it (plus the spare rows the GEMM reads).
          const block = Math.max(4, Math.min(pixels, Math.floor(IM2COL_BLOCK_BYTES / (kp * 2)) & ~3));
          const a16 = ctx.rt.arena.alloc((block + mm.paddingRows) * kp * 2 + IM2COL_SLACK, "conv im2col");
          for (let b = 0; b < n; b++) {
            for (let first = 0; first < pixels; first += block) {
              const count = Math.min(block, pixels - first);
              ctx.rt.im2colS8(ctx.ptr(x.id) + b * h * wd * cin, a16.ptr, params.ptr, first, count);
              mm.multiply(a16.ptr, 0, 1, count, ctx.ptr(y.id) + (b * pixels + first) * cout);
            }
          }
        });
    return {
      run,
      dispose: () => {
        ctx.rt.arena.free(params);
        mm.dispose();
      },
    };
  };
}

/** Geometry of a convolution on NHWC tensors. */
export interface ConvGeometry {
  n: number; h: number; w: number; cin: number; cout: number; kh: number; kw: number;
  strideH: number; strideW: number; dilationH: number; dilationW: number;
  padTop: number; padLeft: number; oh: number; ow: number;
}

/**
 * The 16x8 path (int16 activations with zero point 0, int8 per-channel weights, int64 bias and accumulator):
 * reference ConvPerChannel with int64 accumulation and the int64 MultiplyByQuantizedMultiplier, kernel
 * s16_s8_conv_tflite_1x1_scalar, one image per call. FULLY_CONNECTED in 16x8 mode is the 1x1 case.
 */
export function conv16x8(ctx: NodeContext, g: ConvGeometry, activation: FusedActivation): NodeKernel {
  const rt = ctx.rt;
  const x = ctx.input(0, "input"), w = ctx.input(1, "filter"), y = ctx.output(0, "output");
  const biasT = ctx.optionalInput(2);
  const xq = expectQuant(x, "input"), wq = expectQuant(w, "filter"), yq = expectQuant(y, "output");
  if (xq.zeroPoint[0] !== 0 || yq.zeroPoint[0] !== 0) throw new ShapeError("int16 activations must have zero point 0");
  if (wq.zeroPoint.some((z) => z !== 0)) throw new ShapeError("filter zero points must be 0 (symmetric int8 weights)");
  if (wq.scale.length !== 1 && wq.scale.length !== g.cout) throw new ShapeError(`filter has ${wq.scale.length} scales for ${g.cout} channels`);
  const rq = new Int32Array(2 * g.cout);
  for (let c = 0; c < g.cout; c++) {
    const q = quantizeMultiplier((Math.fround(xq.scale[0]) * Math.fround(wq.scale[wq.scale.length === 1 ? 0 : c])) / Math.fround(yq.scale[0]));
    rq[2 * c] = q.multiplier;
    rq[2 * c + 1] = q.shift;
  }
  let bias64 = new BigInt64Array(g.cout);
  if (biasT) {
    expectDType(biasT, ["int64", "int32"], "bias");
    bias64 = biasT.dtype === "int64" ? constantArray(biasT, BigInt64Array, "bias") : BigInt64Array.from(constantArray(biasT, Int32Array, "bias"), (v) => BigInt(v));
  }
  const clamp = activationClamp(activation, yq.scale[0], 0, "int16");
  const params = Int32Array.of(g.h, g.w, g.cin, g.cout, g.kh, g.kw, g.strideH, g.strideW, g.dilationH, g.dilationW,
    g.padTop, g.padLeft, g.oh, g.ow, 0, clamp.min, clamp.max);
  const blocks = [
    rt.upload(constantArray(w, Int8Array, "filter"), "conv filter"),
    rt.upload(bias64, "conv bias"),
    rt.upload(rq, "conv multipliers"),
    rt.upload(params, "conv params"),
  ];
  const fn = rt.convS16(rt.kernel("conv", "s16", "s8", "tflite"));
  const inImage = g.h * g.w * g.cin * 2, outImage = g.oh * g.ow * g.cout * 2;
  return {
    run: () => {
      for (let b = 0; b < g.n; b++) fn(ctx.ptr(x.id) + b * inImage, blocks[0].ptr, blocks[1].ptr, blocks[2].ptr, ctx.ptr(y.id) + b * outImage, blocks[3].ptr);
    },
    dispose: () => {
      for (const blk of blocks.reverse()) rt.arena.free(blk);
    },
  };
}
