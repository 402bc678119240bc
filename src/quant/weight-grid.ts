// Weights on a b-bit symmetric grid, per tensor, per output channel or per group (two-level scales), for the
// quantizers of float ONNX models.

import { roundHalfEven } from "../tensor/qtensor.js";
import type { GraphSpec, TensorInit } from "../formats/onnx/proto.js";

type Node = GraphSpec["nodes"][number];

/** A Conv, Gemm or MatMul with constant float weights and a run-time input: what the quantizers rewrite. */
export function isWeightedNode(n: Node, consts: Map<string, TensorInit>): boolean {
  return (n.opType === "Conv" || n.opType === "Gemm" || n.opType === "MatMul") && !n.domain && consts.get(n.inputs[1])?.dtype === "float32" && !consts.has(n.inputs[0]);
}

/**
 * Where a weighted node's output channels lie in its weights: Conv's axis 0, MatMul's last, Gemm's 0 with
 * transB else 1; `inner` is the number of elements after that axis.
 */
export function outputChannels(n: Node, dims: readonly number[]): { transB: boolean; axis: number; channels: number; inner: number } {
  const transB = n.opType === "Gemm" && (n.attrs?.transB as number | undefined) === 1;
  const axis = n.opType === "Conv" || transB ? 0 : dims.length - 1;
  return { transB, axis, channels: dims[axis], inner: dims.slice(axis + 1).reduce((a, b) => a * b, 1) };
}

/**
 * Symmetric weights on a b-bit grid: one scale per tensor or per output channel (element i belongs to channel
 * floor(i / inner) % channels); with groups, runs of `groupSize` weights along a channel's input positions
 * each get an integer factor m in 1..M of the channel's scale (M = min(15, floor(127 / qmax)), so q * m fits
 * int8), chosen as the smallest that covers the group's largest magnitude. Returns int8 values (q * m), the
 * scales, how many groups there were, the weights' energy and that of their rounding error (for SQNR), and
 * their packed size: b bits per weight, 4 per group factor, 4 bytes per scale.
 */
export function quantizeWeights(wf: Float32Array, channels: number, inner: number, bits: number, perChannel: boolean, groupSize: number): QuantizedWeights {
  const q = gridWeights(wf, channels, inner, bits, perChannel, groupSize);
  let signal = 0, noise = 0;
  wf.forEach((v, i) => {
    signal += v * v;
    noise += (v - q.values[i] * q.scales[perChannel ? Math.floor(i / inner) % channels : 0]) ** 2;
  });
  return { ...q, signal, noise, packedBytes: Math.ceil((wf.length * bits + q.groups * 4) / 8) + 4 * q.scales.length };
}

export interface QuantizedWeights { scales: Float32Array; values: Int8Array; groups: number; signal: number; noise: number; packedBytes: number }

function gridWeights(wf: Float32Array, channels: number, inner: number, bits: number, perChannel: boolean, groupSize: number): Omit<QuantizedWeights, "signal" | "noise" | "packedBytes"> {
  const qmax = 2 ** (bits - 1) - 1;
  const channelOf = (i: number) => (perChannel ? Math.floor(i / inner) % channels : 0);
  if (!groupSize) {
    const amax = new Float64Array(perChannel ? channels : 1);
    wf.forEach((v, i) => { const c = channelOf(i); amax[c] = Math.max(amax[c], Math.abs(v)); });
    const scales = Float32Array.from(amax, (a) => (a === 0 ? 1 : a / qmax));
    const values = Int8Array.from(wf, (v, i) => Math.max(-qmax, Math.min(qmax, roundHalfEven(v / scales[channelOf(i)]))));
    return { scales, values, groups: 0 };
  }
  // Position of element i within its channel (its input index), for any layout of the output axis.
  const positionOf = (i: number) => Math.floor(i / (inner * channels)) * inner + (i % inner);
  const perChannelCount = wf.length / channels, groupsPerChannel = Math.ceil(perChannelCount / groupSize);
  const M = Math.min(15, Math.floor(127 / qmax));
  const gmax = new Float64Array(channels * groupsPerChannel);
  wf.forEach((v, i) => { const g = channelOf(i) * groupsPerChannel + Math.floor(positionOf(i) / groupSize); gmax[g] = Math.max(gmax[g], Math.abs(v)); });
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let a = 0;
    for (let g = 0; g < groupsPerChannel; g++) a = Math.max(a, gmax[c * groupsPerChannel + g]);
    scales[c] = a === 0 ? 1 : Math.fround(a / (qmax * M));
  }
  const factor = Int32Array.from(gmax, (a, g) => Math.min(M, Math.max(1, Math.ceil(a / (qmax * scales[Math.floor(g / groupsPerChannel)]) - 1e-9))));
  const values = Int8Array.from(wf, (v, i) => {
    const c = channelOf(i), m = factor[c * groupsPerChannel + Math.floor(positionOf(i) / groupSize)];
    return m * Math.max(-qmax, Math.min(qmax, roundHalfEven(v / (m * scales[c]))));
  });
  return { scales, values, groups: factor.length };
}
