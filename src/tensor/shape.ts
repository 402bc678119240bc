// Shape helpers shared by tensors and ops.

import { ShapeError } from "../errors.js";

export type Shape = readonly number[];

/** Throws unless `shape` is an array of non-negative safe integers; `what` names the tensor. */
export function checkShape(shape: unknown, what: string): asserts shape is Shape {
  if (!Array.isArray(shape)) throw new ShapeError(`${what}: shape must be an array of integers, got ${String(shape)}`);
  shape.forEach((d, i) => {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ShapeError(`${what}: dimension ${i} of shape [${shape.join(", ")}] is ${d}, not a non-negative integer`);
    }
  });
}

/** Number of elements. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
