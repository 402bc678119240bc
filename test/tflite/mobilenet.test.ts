// MobileNetV2 int8 (../shared/corpora/tflm/mobilenet_v2, 84 ops) on the dog image. Upstream asserts nothing
// about its output; we check that the top classes are dogs (ImageNet 151-268), that runs repeat exactly, and
// that the 1000 logits are the ones every op's reference arithmetic gives (their SHA-256, pinned when each op
// had been checked against its TFLite reference kernel: speed work must leave them unchanged).

import { it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dyad } from "../helpers.js";

const LOGITS_SHA256 = "ef2b63c23393e52efd6465461af7410e88c46614103c47f5a1130b39c1760f4c";
const DIR = new URL("../../../shared/corpora/tflm/mobilenet_v2/", import.meta.url);

it.skipIf(!existsSync(DIR))("MobileNetV2 int8 puts dog classes on top for the dog image", async () => {
  const d = await dyad();
  const model = d.loadModel(new Uint8Array(readFileSync(new URL("mobilenet_v2_quantized_1x3x224x224.tflite", DIR))));
  const bytes = readFileSync(new URL("dog_input_int8_nchw.bin", DIR));
  const x = new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const [y] = model.run([x]);
  expect(y.shape).toEqual([1, 1000]);
  const top5 = Array.from(y.data as Int8Array).map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 5).map(([, i]) => i);
  console.log(`MobileNetV2 top-5: ${top5.join(", ")}`);
  expect(top5[0]).toBeGreaterThanOrEqual(151);
  expect(top5[0]).toBeLessThanOrEqual(268);
  expect(top5.filter((i) => i >= 151 && i <= 268).length).toBeGreaterThanOrEqual(3);
  expect(Array.from(model.run([x])[0].data as Int8Array)).toEqual(Array.from(y.data as Int8Array));
  const logits = y.data as Int8Array;
  expect(createHash("sha256").update(new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength)).digest("hex")).toBe(LOGITS_SHA256);
  expect(model.memory.arenaBytes).toBeLessThan(model.memory.unplannedBytes / 3);
  model.dispose();
  expect(d.memory.usedBytes).toBe(0);
});
