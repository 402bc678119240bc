// IDX files: Fashion-MNIST's own (../shared/data/fashion-mnist, gzip) and malformed ones.
import { it, expect } from "vitest";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readIdx } from "../src/data/idx.js";
import { loadIdxFile } from "../src/node.js";
import { ModelFormatError, UnsupportedError } from "../src/errors.js";

const DATA = fileURLToPath(new URL("../../shared/data/fashion-mnist", import.meta.url));

it.skipIf(!existsSync(DATA))("reads Fashion-MNIST's test split: 10,000 images of 28 x 28 and their labels 0..9", async () => {
  const images = await loadIdxFile(`${DATA}/t10k-images-idx3-ubyte.gz`);
  const labels = await loadIdxFile(`${DATA}/t10k-labels-idx1-ubyte.gz`);
  expect(images.dims).toEqual([10000, 28, 28]);
  expect(labels.dims).toEqual([10000]);
  const counts = new Array(10).fill(0);
  labels.data.forEach((l) => counts[l]++);
  expect(counts).toEqual(new Array(10).fill(1000)); // the test split is balanced
  expect(Math.max(...images.data.subarray(0, 784))).toBeGreaterThan(200);
});

it("refuses malformed IDX data, naming the problem", () => {
  const header = (rank: number, ...dims: number[]) => {
    const b = new Uint8Array(4 + 4 * rank);
    b.set([0, 0, 8, rank]);
    dims.forEach((d, i) => new DataView(b.buffer).setUint32(4 + 4 * i, d));
    return b;
  };
  const ok = Uint8Array.from([...header(2, 2, 3), 1, 2, 3, 4, 5, 6]);
  expect(readIdx(ok)).toEqual({ dims: [2, 3], data: Uint8Array.of(1, 2, 3, 4, 5, 6) });
  expect(() => readIdx(ok.subarray(0, ok.length - 1))).toThrow(/dims \[2,3\] need 6 values after the 12-byte header, the file has 5/);
  expect(() => readIdx(Uint8Array.of(1, 2, 3, 4))).toThrow(ModelFormatError);
  expect(() => readIdx(Uint8Array.of(0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0))).toThrow(UnsupportedError);
  expect(() => readIdx(Uint8Array.of(0x1f, 0x8b, 8, 0))).toThrow(/gzip-compressed/);
  expect(() => readIdx(Uint8Array.of(0, 0, 8, 3, 0))).toThrow(/rank 3 needs 16 bytes/);
});
