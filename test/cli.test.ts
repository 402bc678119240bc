// The CLI as users call it (bin/dyad.js over the built dist/): convert, then run and inspect the result, and
// clear errors for bad invocations. Needs `npm run build` (npm ci runs it through prepare).

import { it, expect, afterAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../bin/dyad.js", import.meta.url));
const MODEL = fileURLToPath(new URL("../../shared/corpora/tflm/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite", import.meta.url));
const INPUT = fileURLToPath(new URL("../../shared/corpora/tflm/mobilenet_v2/dog_input_int8_nchw.bin", import.meta.url));

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "dyad-cli-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const dyadCli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });

it.skipIf(!existsSync(MODEL))("dyad convert writes an ONNX file that dyad run executes, and reports the difference", () => {
  const dir = tempDir();
  const out = join(dir, "mobilenet_v2.onnx");
  const convert = dyadCli("convert", MODEL, "-o", out, "--input", INPUT);
  expect(convert.status, convert.stderr).toBe(0);
  expect(convert.stdout).toMatch(/^wrote .*mobilenet_v2\.onnx: \d+ bytes/m);
  expect(convert.stdout).toMatch(/\d+ of 1000 elements \([\d.]+%\) differ from the TFLite run, max \|difference\| \d+/);
  const run = JSON.parse(execFileSync(process.execPath, [BIN, "run", out, "--input", INPUT, "--json"], { encoding: "utf8" }));
  expect(run.outputs[0].shape).toEqual([1, 1000]);
  const top = run.outputs[0].data.indexOf(Math.max(...run.outputs[0].data));
  expect(top).toBe(258);
  expect(execFileSync(process.execPath, [BIN, "inspect", out], { encoding: "utf8" })).toMatch(/QLinearConv/);
});

it("dyad convert refuses what is not a TFLite file, and missing arguments, with exit code 2", () => {
  const dir = tempDir();
  const junk = join(dir, "junk.tflite");
  writeFileSync(junk, "this is not a model at all");
  const bad = dyadCli("convert", junk, "-o", join(dir, "x.onnx"));
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/not a TFLite model/);
  const missing = dyadCli("convert", junk);
  expect(missing.status).toBe(2);
  expect(missing.stderr).toMatch(/-o <output\.onnx>/);
});
