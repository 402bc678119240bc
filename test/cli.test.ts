// The CLI as users call it (bin/dyad.js over the built dist/): convert, then run and inspect the result, and
// clear errors for bad invocations. Needs `npm run build` (npm ci runs it through prepare).

import { it, expect, afterAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { floatCnn } from "./float-cnn.js";

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

it("dyad convert refuses what is not a model (exit code 1) and missing arguments (exit code 2)", () => {
  const dir = tempDir();
  const junk = join(dir, "junk.tflite");
  writeFileSync(junk, "this is not a model at all");
  const bad = dyadCli("convert", junk, "-o", join(dir, "x.onnx"));
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/junk\.tflite: not a model dyad reads; it reads TFLite .* and ONNX/);
  const onnx = dyadCli("convert", fileURLToPath(new URL("../models/fashion-mnist-w8a8.onnx", import.meta.url)), "-o", join(dir, "x.onnx"));
  expect(onnx.status).toBe(1);
  expect(onnx.stderr).toMatch(/is not a TFLite model/);
  const missing = dyadCli("convert", junk);
  expect(missing.status).toBe(2);
  expect(missing.stderr).toMatch(/-o <output\.onnx>/);
});

it("dyad quantize writes a QDQ model from a float ONNX model and calibration data, which dyad run executes", () => {
  const dir = tempDir();
  const float = join(dir, "cnn.onnx"), calib = join(dir, "calib.bin"), out = join(dir, "cnn.int8.onnx"), x = join(dir, "x.bin");
  writeFileSync(float, floatCnn(1));
  writeFileSync(calib, new Uint8Array(Float32Array.from({ length: 64 * 16 }, (_, i) => (i * 0.37) % 1).buffer));
  writeFileSync(x, new Uint8Array(Float32Array.from({ length: 64 }, (_, i) => (i * 0.11) % 1).buffer));
  const q = dyadCli("quantize", float, "--calib", calib, "-o", out, "--method", "percentile", "--bias-correction");
  expect(q.status, q.stderr).toBe(0);
  expect(q.stdout).toMatch(/wrote .*cnn\.int8\.onnx: \d+ bytes .*16 calibration samples, method percentile/);
  expect(q.stdout).toMatch(/quantized 4 weighted nodes, \d+ activation tensors; folded 2 Relu/);
  const run = JSON.parse(execFileSync(process.execPath, [BIN, "run", out, "--input", x, "--json"], { encoding: "utf8" }));
  expect(run.outputs[0].shape).toEqual([1, 10]);
  expect(execFileSync(process.execPath, [BIN, "inspect", out], { encoding: "utf8" })).toMatch(/QuantizeLinear/);
  const badCalib = join(dir, "bad.bin");
  writeFileSync(badCalib, new Uint8Array(4 * 65));
  const bad = dyadCli("quantize", float, "--calib", badCalib, "-o", out);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/65 float32 values is not a whole number of samples of \[1,1,8,8\] \(64 each\)/);
  const w4 = dyadCli("quantize", float, "--calib", calib, "-o", out, "--weights", "int4", "--activation-bits", "4");
  expect(w4.status, w4.stderr).toBe(0);
  expect(w4.stdout).toMatch(/W4A4/);
  expect(dyadCli("quantize", float, "--calib", calib, "-o", out, "--weights", "int3").stderr).toMatch(/--weights int3: int8, int4 or int2/);
  expect(dyadCli("quantize", float, "--calib", calib, "-o", out, "--activation-bits", "1").stderr).toMatch(/activationBits must be an integer from 2 to 8/);
  expect(dyadCli("quantize", float, "--calib", calib, "-o", out, "--method", "entropy").status).toBe(2);
  const group = dyadCli("quantize", float, "--calib", calib, "-o", out, "--weights", "int4", "--granularity", "group:8");
  expect(group.status, group.stderr).toBe(0);
  expect(group.stdout).toMatch(/parameters packed at their widths: \d+ bytes/);
  expect(dyadCli("quantize", float, "--calib", calib, "-o", out, "--granularity", "rows").stderr).toMatch(/--granularity rows: tensor, channel or group:N/);
  const dynamic = dyadCli("quantize", float, "-o", out, "--activations", "dynamic");
  expect(dynamic.status, dynamic.stderr).toBe(0);
  expect(dynamic.stdout).toMatch(/dynamic activations \(no calibration\), W8A8 dynamic/);
  expect(JSON.parse(execFileSync(process.execPath, [BIN, "run", out, "--input", x, "--json"], { encoding: "utf8" })).outputs[0].shape).toEqual([1, 10]);
  expect(dyadCli("quantize", float, "-o", out).stderr).toMatch(/--calib \(unless --activations dynamic\)/);
});

it("dyad classify (npm start): the committed Fashion-MNIST model, integer-only, on the bundled sample and the full test set", () => {
  const root = fileURLToPath(new URL("../", import.meta.url));
  const sample = (f: string) => join(root, "data/fashion-mnist-sample", f);
  const r = dyadCli("classify", "--images", sample("t10k-images-idx3-ubyte.gz"), "--labels", sample("t10k-labels-idx1-ubyte.gz"));
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/integer-only: every layer runs on integers/);
  expect(r.stdout).toMatch(/images .*: 100 of 100/);
  const acc = Number(/accuracy ([\d.]+)%/.exec(r.stdout)![1]);
  expect(acc).toBeGreaterThanOrEqual(85);
  // The default (what `npm start` runs): all 10,000 test images when ../shared is there, with the accuracy
  // the experiment's report gives for this file.
  const full = join(root, "../shared/data/fashion-mnist/t10k-images-idx3-ubyte.gz");
  if (existsSync(full)) {
    const out = JSON.parse(execFileSync(process.execPath, [BIN, "classify", "--json"], { encoding: "utf8" }));
    expect(out.count).toBe(10000);
    const report = JSON.parse(readFileSync(join(root, "docs/experiments/fashion-mnist.json"), "utf8"));
    const row = report.rows.find((x: { label: string }) => x.label === "PTQ W8A8 per-channel, minmax");
    expect(out.accuracy).toBe(row.accuracy);
    expect(out.accuracy).toBeGreaterThan(0.89);
  }
  // Bad input, named.
  const labelsAsImages = dyadCli("classify", "--images", sample("t10k-labels-idx1-ubyte.gz"));
  expect(labelsAsImages.status).toBe(1);
  expect(labelsAsImages.stderr).toMatch(/must hold images \[count, rows, cols\], got dims \[100\]/);
  const dir = tempDir();
  writeFileSync(join(dir, "cnn.onnx"), floatCnn(1));
  const wrongModel = dyadCli("classify", join(dir, "cnn.onnx"), "--images", sample("t10k-images-idx3-ubyte.gz"));
  expect(wrongModel.status).toBe(1);
  expect(wrongModel.stderr).toMatch(/input x is float32 \[1,1,8,8\]; the images are \[28, 28\]/);
}, 60_000);

const FASHION = fileURLToPath(new URL("../models/fashion-mnist-w8a8.onnx", import.meta.url));
const USAGE_LINE = /^usage:$/m;

it("unknown options, missing values and extra arguments are usage errors: the usage text, exit code 2", () => {
  for (const args of [["run", FASHION, "--inptu", "x.bin"], ["run", FASHION, "--input"], ["run", FASHION, "--input", "--json"],
    ["run", FASHION, "--zeros", "--repeat", "0"], ["run", FASHION, "--zeros", "--random", "1"], ["inspect", FASHION, "extra"],
    ["bench", "--jsn", "x"], ["quantize", FASHION, "-o"], ["classify", "--limit"], ["frobnicate"], ["run"]]) {
    const r = dyadCli(...args);
    expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(2);
    expect(r.stderr, args.join(" ")).toMatch(/^dyad: /);
    expect(r.stderr, args.join(" ")).toMatch(USAGE_LINE);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }
  expect(dyadCli("run", FASHION, "--inptu", "x.bin").stderr).toMatch(/Unknown option '--inptu'/);
  expect(dyadCli("run", FASHION, "--input").stderr).toMatch(/--input <value>' argument missing|--input needs a value/);
});

it("run without --input lists what each input needs (exit code 1) unless --zeros or --random SEED is given", () => {
  const missing = dyadCli("run", FASHION);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/no --input; the model needs one \(or --zeros, or --random SEED\):\n {2}input 0: x float32 \[1, 1, 28, 28\], 3136 bytes/);
  const zeros = dyadCli("run", FASHION, "--zeros", "--json");
  expect(zeros.status, zeros.stderr).toBe(0);
  const random = [dyadCli("run", FASHION, "--random", "7", "--json"), dyadCli("run", FASHION, "--random", "7", "--json"), dyadCli("run", FASHION, "--random", "8", "--json")]
    .map((r) => JSON.parse(r.stdout).outputs[0].data);
  expect(random[0]).toEqual(random[1]);
  expect(random[0]).not.toEqual(random[2]);
  expect(JSON.parse(zeros.stdout).outputs[0].data).not.toEqual(random[0]);
  const dir = tempDir();
  const short = join(dir, "short.bin");
  writeFileSync(short, new Uint8Array(100));
  const wrong = dyadCli("run", FASHION, "--input", short);
  expect(wrong.status).toBe(1);
  expect(wrong.stderr).toMatch(/short\.bin: input 0 \(x\) is float32 \[1, 1, 28, 28\], 3136 bytes; the file has 100/);
});

it("empty files, directories, missing paths and unknown formats get one line each (exit code 1), never a stack trace", () => {
  const dir = tempDir();
  const empty = join(dir, "model.tflite"), text = join(dir, "notes.onnx");
  writeFileSync(empty, new Uint8Array(0));
  writeFileSync(text, "hello, this is text");
  const cases: [string[], RegExp][] = [
    [["run", empty, "--zeros"], /^dyad: .*model\.tflite: empty file\n$/],
    [["inspect", dir], /^dyad: .*: is a directory, not a model file\n$/],
    [["run", join(dir, "missing.onnx"), "--zeros"], /^dyad: .*missing\.onnx: no such file\n$/],
    [["inspect", text], /^dyad: .*notes\.onnx: not a model dyad reads; it reads TFLite \(\.tflite, "TFL3" at byte 4\) and ONNX \(\.onnx, a ModelProto protobuf\)\n$/],
    [["classify", empty], /^dyad: .*model\.tflite: empty file\n$/],
  ];
  for (const [args, message] of cases) {
    const r = dyadCli(...args);
    expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(1);
    expect(r.stderr).toMatch(message);
  }
  // A malformed model: the loader's typed error, one line.
  const broken = join(dir, "broken.tflite");
  const bytes = new Uint8Array(64);
  bytes.set([0x10, 0, 0, 0, 0x54, 0x46, 0x4c, 0x33]);
  writeFileSync(broken, bytes);
  const r = dyadCli("run", broken, "--zeros");
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(/byte offset \d+/);
});
