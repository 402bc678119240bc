import { it, expect } from "vitest";
import { planMemory } from "../../src/graph/planner.js";
import type { Graph, GraphTensor } from "../../src/graph/ir.js";

const tensor = (id: number, n: number, constant = false): GraphTensor => ({
  id, name: `t${id}`, dtype: "int8", shape: [n], quant: null, data: constant ? new Uint8Array(n) : null,
});

it("overlaps tensors whose lifetimes do not meet, and never those that do", () => {
  // t0 -> n0 -> t1 -> n1 -> t2 -> n2 -> t3, with t1 also read by n2 (a skip connection); t4 is a constant.
  const g: Graph = {
    tensors: [tensor(0, 1000), tensor(1, 500), tensor(2, 800), tensor(3, 100), tensor(4, 5000, true)],
    nodes: [
      { index: 0, op: "A", inputs: [0, 4], outputs: [1] },
      { index: 1, op: "B", inputs: [1], outputs: [2] },
      { index: 2, op: "C", inputs: [2, 1], outputs: [3] },
    ],
    inputs: [0],
    outputs: [3],
  };
  const plan = planMemory(g);
  expect(plan.offsets[4]).toBe(-1);
  const span = (id: number) => [plan.offsets[id], plan.offsets[id] + Math.ceil((g.tensors[id].shape[0] + 16) / 16) * 16];
  const overlap = (a: number, b: number) => span(a)[0] < span(b)[1] && span(b)[0] < span(a)[1];
  const alive: [number, number][] = [[0, 1], [1, 2], [1, 3], [2, 3]]; // pairs live at the same time
  for (const [a, b] of alive) expect(overlap(a, b), `t${a} and t${b}`).toBe(false);
  expect(overlap(0, 2)).toBe(true); // t0 is dead once t2 exists: its space is reused
  expect(plan.arenaBytes).toBeLessThan(plan.totalBytes);
  for (let i = 0; i < 4; i++) expect(plan.offsets[i] % 16).toBe(0);
});

it("keeps every graph input apart: all are written before the first node runs", () => {
  // t0 is read only by n0, t1 (an input too) only by n1: by lifetimes from their first reader they would not
  // meet, but both are copied in at the start of a run.
  const g: Graph = {
    tensors: [tensor(0, 960), tensor(1, 800), tensor(2, 200), tensor(3, 200)],
    nodes: [
      { index: 0, op: "A", inputs: [0], outputs: [2] },
      { index: 1, op: "B", inputs: [1], outputs: [3] },
    ],
    inputs: [0, 1],
    outputs: [2, 3],
  };
  const plan = planMemory(g);
  const span = (id: number) => [plan.offsets[id], plan.offsets[id] + Math.ceil((g.tensors[id].shape[0] + 16) / 16) * 16];
  const overlap = (a: number, b: number) => span(a)[0] < span(b)[1] && span(b)[0] < span(a)[1];
  expect(overlap(0, 1)).toBe(false);
  expect(overlap(1, 2)).toBe(false); // t2 is written while t1 still waits for n1
});
