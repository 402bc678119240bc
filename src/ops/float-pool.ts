// ONNX MaxPool, AveragePool and GlobalAveragePool on float32 NCHW tensors, in onnxruntime's order of float32
// additions (MLAS's NCHW pooling, confirmed against onnxruntime-web): a window's average sums each column
// down its rows, adds the column sums left to right, and divides by the count (the window clipped to the
// image, or the whole kernel with count_include_pad); the global average keeps four running sums over the
// image in steps of four, adds them as (s0 + s2) + (s1 + s3), then the last elements one by one, and
// divides by the pixel count. Max is order-free.

import { ShapeError } from "../errors.js";
import type { NodeBuilder } from "../graph/node.js";
import { window1d } from "./conv-geometry.js";

export interface FloatPoolSpec {
  kind: "max" | "average";
  kernel: [number, number];
  strides: [number, number];
  padBegin: [number, number];
  padEnd: [number, number];
  countIncludePad: boolean;
}

export function floatPool(p: FloatPoolSpec): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "X");
    if (x.shape.length !== 4) throw new ShapeError(`X must be 4-D (NCHW), got [${x.shape}]`);
    const [n, c, h, w] = x.shape;
    const [kh, kw] = p.kernel, [sh, sw] = p.strides;
    const oh = window1d({ before: p.padBegin[0], after: p.padEnd[0] }, h, kh, sh, 1, "pool height").out;
    const ow = window1d({ before: p.padBegin[1], after: p.padEnd[1] }, w, kw, sw, 1, "pool width").out;
    const y = ctx.checkOutputShape(0, [n, c, oh, ow]);
    const f = Math.fround;
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = new Float32Array(buffer, ctx.ptr(x.id), n * c * h * w), dst = new Float32Array(buffer, ctx.ptr(y.id), n * c * oh * ow);
        let o = 0;
        for (let plane = 0; plane < n * c; plane++) {
          const base = plane * h * w;
          for (let py = 0; py < oh; py++) {
            const r0 = py * sh - p.padBegin[0], rs = Math.max(0, r0), re = Math.min(h, r0 + kh);
            for (let px = 0; px < ow; px++) {
              const c0 = px * sw - p.padBegin[1], cs = Math.max(0, c0), ce = Math.min(w, c0 + kw);
              if (p.kind === "max") {
                let m = -Infinity;
                for (let yy = rs; yy < re; yy++) for (let xx = cs; xx < ce; xx++) m = Math.max(m, src[base + yy * w + xx]);
                dst[o++] = m;
                continue;
              }
              let sum = 0;
              for (let xx = cs; xx < ce; xx++) {
                let col = 0;
                for (let yy = rs; yy < re; yy++) col = f(col + src[base + yy * w + xx]);
                sum = f(sum + col);
              }
              dst[o++] = f(sum / (p.countIncludePad ? kh * kw : (re - rs) * (ce - cs)));
            }
          }
        }
      },
      dispose: () => {},
    };
  };
}

export function floatGlobalAveragePool(): NodeBuilder {
  return (ctx) => {
    const x = ctx.input(0, "X");
    if (x.shape.length !== 4) throw new ShapeError(`X must be 4-D (NCHW), got [${x.shape}]`);
    const [n, c, h, w] = x.shape;
    const y = ctx.checkOutputShape(0, [n, c, 1, 1]);
    const pixels = h * w;
    const f = Math.fround;
    return {
      run: () => {
        const buffer = ctx.rt.bytes().buffer as ArrayBuffer;
        const src = new Float32Array(buffer, ctx.ptr(x.id), n * c * pixels), dst = new Float32Array(buffer, ctx.ptr(y.id), n * c);
        for (let plane = 0; plane < n * c; plane++) {
          const base = plane * pixels;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
          for (; i + 4 <= pixels; i += 4) {
            s0 = f(s0 + src[base + i]);
            s1 = f(s1 + src[base + i + 1]);
            s2 = f(s2 + src[base + i + 2]);
            s3 = f(s3 + src[base + i + 3]);
          }
          let sum = f(f(s0 + s2) + f(s1 + s3));
          for (; i < pixels; i++) sum = f(sum + src[base + i]);
          dst[plane] = f(sum / pixels);
        }
      },
      dispose: () => {},
    };
  };
}
