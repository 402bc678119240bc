// Places every activation tensor in one arena by lifetime, greedily by size (largest first, lowest offset
// that overlaps no placed tensor alive at the same time), the strategy of TFLite's greedy memory planner.
// Constants are not placed: ops pack them at load.

import { type Graph, byteSize } from "./ir.js";

export interface MemoryPlan {
  /** Byte offset of each planned tensor within the arena block (-1 for constants). */
  offsets: Int32Array;
  /** Bytes of the arena block. */
  arenaBytes: number;
  /** Sum of all planned tensors' sizes (what a planner-less engine would allocate). */
  totalBytes: number;
}

const ALIGN = 16;
const PAD = 16; // DESIGN.md §3: kernels may read 16 bytes past an input buffer.

export function planMemory(graph: Graph): MemoryPlan {
  const n = graph.tensors.length;
  // UNSEEN marks a tensor no node touches; graph inputs start at step -1 (before the first node), which must
  // not read as unseen, or a later input could be placed over an earlier one that is written at the same time.
  const UNSEEN = -2;
  const first = new Int32Array(n).fill(UNSEEN);
  const last = new Int32Array(n).fill(UNSEEN);
  const touch = (id: number, step: number) => {
    if (first[id] === UNSEEN) first[id] = step;
    last[id] = Math.max(last[id], step);
  };
  // Inputs live from before the first node; outputs until after the last.
  for (const id of graph.inputs) touch(id, -1);
  graph.nodes.forEach((node, step) => {
    for (const id of node.inputs) if (id >= 0) touch(id, step);
    for (const id of node.outputs) touch(id, step);
  });
  for (const id of graph.outputs) touch(id, graph.nodes.length);

  const planned = graph.tensors.filter((t) => t.data === null && first[t.id] !== UNSEEN);
  const size = (id: number) => Math.ceil((byteSize(graph.tensors[id]) + PAD) / ALIGN) * ALIGN;
  planned.sort((a, b) => size(b.id) - size(a.id) || a.id - b.id);

  const offsets = new Int32Array(n).fill(-1);
  const placed: { start: number; end: number; first: number; last: number }[] = [];
  let arenaBytes = 0;
  let totalBytes = 0;
  for (const t of planned) {
    const bytes = size(t.id);
    totalBytes += bytes;
    const live = placed
      .filter((p) => p.first <= last[t.id] && first[t.id] <= p.last)
      .sort((a, b) => a.start - b.start);
    let offset = 0;
    for (const p of live) {
      if (offset + bytes <= p.start) break;
      offset = Math.max(offset, p.end);
    }
    offsets[t.id] = offset;
    placed.push({ start: offset, end: offset + bytes, first: first[t.id], last: last[t.id] });
    arenaBytes = Math.max(arenaBytes, offset + bytes);
  }
  return { offsets, arenaBytes, totalBytes };
}
