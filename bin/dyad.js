#!/usr/bin/env node
// dyad CLI (DESIGN.md §6): `run` and `inspect` for models (TFLite; ONNX for the QOperator matmul family so
// far), `bench` for the kernel benchmarks.

import { writeFile, readFile, readdir, stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { loadDyad, probeFeatures, parseTflite, inspectTflite, inspectOnnx, tfliteToOnnx, quantizeOnnx, decodeOnnxModel, modelFormat, DyadError } from "../dist/node.js";
import { benchMatmul } from "../bench/matmul.js";
import { benchKernels } from "../bench/kernels.js";
import { benchConv } from "../bench/conv.js";
import { benchLinear } from "../bench/linear.js";
import { benchModels } from "../bench/models.js";
import { benchFashionMnist } from "../bench/fashion-mnist.js";
import { loadOrtWeb } from "../bench/peers.js";
import { loadLiteRt } from "../bench/litert.js";
import { formatReport } from "../bench/report.js";
import { measureSizes, sizeRecords } from "../bench/sizes.js";
import { codebookReport } from "../bench/codebooks.js";
import { classify } from "./classify.js";

const USAGE = `usage:
  dyad classify [model.onnx] [--images IDX] [--labels IDX] [--limit N] [--json]
                                       classify IDX images (pixel / 255, batch 1), integer-only; by default
                                       the committed Fashion-MNIST W8A8 model on its test images
  dyad bench [--quick] [--json FILE]   kernel benchmarks, dyad and its peers side by side
  dyad run <model> (--input FILE... | --zeros | --random SEED) [--json] [--repeat N] [--profile]
                                       one --input per model input, raw little-endian or .csv numbers;
                                       --zeros or --random SEED to run without data
  dyad inspect <model>                 operators, tensors, dtypes, quantization parameters
  dyad convert <model.tflite> -o <model.onnx> [--input FILE]...
                                       writes an ONNX QOperator model; reports how its outputs differ
                                       from the TFLite run's (ONNX requantizes in fp32)
  dyad quantize <float.onnx> --calib DIR|FILE -o <out.onnx> [--method minmax|moving-average|percentile|kl|mse]
        [--activations uint8|int8|dynamic] [--granularity tensor|channel|group:N] [--bias-correction]
        [--weights int8|int4|int2] [--weight-bits 2..8] [--activation-bits 2..8]
                                       post-training quantization to a QDQ model (static ranges, or dynamic:
                                       no --calib, ConvInteger/MatMulInteger with run-time ranges); the
                                       calibration data is raw little-endian float32: a file of samples
                                       one after another, or a folder with one file per sample
models: .tflite (TFLite flatbuffers, "TFL3") and .onnx (ONNX protobuf), told apart by their bytes
exit codes: 0 done, 1 a model or input error, 2 a usage error`;

/** A usage error: the message and the usage text, exit code 2. */
function usage(message) {
  process.stderr.write(`dyad: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** A model or input error: one line, exit code 1. */
function fail(message) {
  process.stderr.write(`dyad: ${message}\n`);
  process.exit(1);
}

/**
 * A command's arguments by its option table ({ name: "boolean" | "string" | "strings" }; "o" is -o): unknown
 * options, missing values and extra positionals are usage errors. Returns { values, positionals }.
 */
function parse(command, args, options, maxPositionals) {
  const config = Object.fromEntries(Object.entries(options).map(([name, kind]) => [name, {
    type: kind === "boolean" ? "boolean" : "string", multiple: kind === "strings", ...(name.length === 1 ? { short: name } : {}),
  }]));
  let parsed;
  try {
    parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true });
  } catch (e) {
    usage(`${command}: ${e.message.replace(/\. To specify a positional argument.*$/s, "")}`);
  }
  for (const [name, kind] of Object.entries(options)) {
    const v = parsed.values[name];
    // parseArgs takes "--input --json" as --input="--json"; a value that looks like an option is a missing one.
    for (const x of kind === "strings" ? v ?? [] : kind === "string" && v !== undefined ? [v] : []) {
      if (x === "" || x.startsWith("--")) usage(`${command}: option ${name.length === 1 ? "-" : "--"}${name} needs a value`);
    }
  }
  if (parsed.positionals.length > maxPositionals) usage(`${command}: unexpected argument '${parsed.positionals[maxPositionals]}'`);
  return parsed;
}

/** A number option: an integer within [min, max] or a usage error naming it. */
function integer(command, name, value, fallback, min = 1, max = Number.MAX_SAFE_INTEGER) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) usage(`${command}: --${name} needs an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ""}, got '${value}'`);
  return n;
}

/**
 * A model file's bytes, with one clear line for what users hit first: a missing, unreadable or empty file, a
 * directory, and bytes that are neither format.
 */
async function readModel(file) {
  let info;
  try {
    info = await stat(file);
  } catch (e) {
    fail(`${file}: ${e.code === "ENOENT" ? "no such file" : e.code === "EACCES" ? "permission denied" : e.message}`);
  }
  if (info.isDirectory()) fail(`${file}: is a directory, not a model file`);
  let bytes;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    fail(`${file}: cannot be read (${e.code === "EACCES" ? "permission denied" : e.message})`);
  }
  if (bytes.length === 0) fail(`${file}: empty file`);
  if (modelFormat(bytes) === null) fail(`${file}: not a model dyad reads; it reads TFLite (.tflite, "TFL3" at byte 4) and ONNX (.onnx, a ModelProto protobuf)`);
  return bytes;
}

async function bench(args) {
  const { values } = parse("bench", args, { quick: "boolean", json: "string" }, 0);
  const quick = !!values.quick, jsonFile = values.json ?? null;

  // The SIMD build for every engine row (comparable across Node versions); where the engine runs relaxed SIMD
  // (Node 22+), the relaxed build as well, as its own engine in the suites that have relaxed kernels.
  const dyad = await loadDyad({ build: "simd" });
  const relaxed = probeFeatures().relaxedSimd ? await loadDyad({ build: "relaxed" }) : null;
  const peer = await loadOrtWeb();
  const lite = await loadLiteRt();
  const wasm = await readFile(new URL("../build/dyad.simd.wasm", import.meta.url));
  console.log(`dyad ${quick ? "quick " : ""}benchmark: Node ${process.versions.node}, one thread, medians of tinybench runs`);
  console.log(`dyad wasm: ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzipped; kernels: ${dyad.kernels.map((k) => k.name).join(", ")}`);
  console.log(peer.ort ? `peer: onnxruntime-web ${peer.version} (wasm, 1 thread)` : `peer: none, ${peer.reason}`);
  console.log(lite.liteRt ? `peer: LiteRT.js ${lite.version} (TFLite + XNNPACK wasm, 1 thread) on the .tflite models` : `peer: no LiteRT.js, ${lite.reason}`);
  console.log(relaxed ? "relaxed SIMD: yes; the relaxed build is measured as dyad-relaxed" : "relaxed SIMD: not on this engine (Node 20 has none); the SIMD build only");
  const log = (c) => process.stderr.write(`  measured ${c}\n`);
  const records = await benchMatmul({ dyad, ort: peer.ort, quick, log });
  records.push(...(await benchConv({ dyad, ort: peer.ort, quick, log })));
  records.push(...(await benchLinear({ dyad, relaxed, ort: peer.ort, quick, log })));
  const models = await benchModels({ dyad, ort: peer.ort, liteRt: lite.liteRt, quick, log });
  const fashion = await benchFashionMnist({ dyad, ort: peer.ort, quick, log });
  models.lines.push(...fashion.lines);
  records.push(...models.records, ...fashion.records);
  console.log("\n" + formatReport(records.filter((r) => r.suite !== "models")));
  console.log("\n" + models.lines.join("\n"));
  if (!quick) console.log(codebookReport().join("\n"));
  if (!quick) console.log("\nevery kernel of the table, called directly:\n" + (await benchKernels({ dyad: relaxed ?? dyad, quick })));
  const sizes = await measureSizes();
  console.log("\nsizes (budgets: each wasm 100 KB gzipped, the JavaScript to run a model 150 KB gzipped):");
  for (const r of sizes) console.log(`  ${r.what}: ${r.bytes} B, ${r.gzipped} B gzipped${r.gzipped > r.budget ? " (OVER BUDGET)" : ""}`);
  records.push(...sizeRecords(sizes));
  if (jsonFile) {
    await writeFile(jsonFile, JSON.stringify(records, null, 2) + "\n");
    console.log(`\nwrote ${records.length} records to ${jsonFile}`);
  }
}

const ARRAYS = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array };

async function readInput(file, info, index) {
  const ctor = ARRAYS[info.dtype];
  if (!ctor) fail(`input ${index} (${info.name}) has dtype ${info.dtype}, which run cannot read from a file`);
  const count = info.shape.reduce((a, b) => a * b, 1);
  const bytes = await readFile(file);
  let data;
  if (file.endsWith(".csv")) {
    const values = bytes.toString("utf8").split(/[\s,]+/).filter(Boolean).map(Number);
    if (values.some((v) => !Number.isFinite(v))) fail(`${file}: not a list of numbers`);
    data = ctor.from(values);
  } else {
    if (bytes.length !== count * ctor.BYTES_PER_ELEMENT) {
      fail(`${file}: input ${index} (${info.name}) is ${info.dtype} [${info.shape.join(", ")}], ${count * ctor.BYTES_PER_ELEMENT} bytes; the file has ${bytes.length}`);
    }
    data = new ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }
  if (data.length !== count) fail(`${file}: input ${index} (${info.name}) needs ${count} values, the file has ${data.length}`);
  return data;
}

/** What each input of a model needs, for the error that asks for them. */
function describeInputs(model) {
  return model.inputs.map((t, i) => {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const bytes = ARRAYS[t.dtype] ? `${count * ARRAYS[t.dtype].BYTES_PER_ELEMENT} bytes` : "not readable from a file";
    return `  input ${i}: ${t.name} ${t.dtype} [${t.shape.join(", ")}], ${bytes}`;
  }).join("\n");
}

async function run(args) {
  const { values, positionals } = parse("run", args, { input: "strings", json: "boolean", repeat: "string", profile: "boolean", zeros: "boolean", random: "string" }, 1);
  const file = positionals[0];
  if (!file) usage("run needs a model file");
  const inputs = values.input ?? [];
  const repeat = integer("run", "repeat", values.repeat, 1);
  const random = values.random === undefined ? null : integer("run", "random", values.random, 0, 0, 2 ** 32 - 1);
  if ([inputs.length > 0, !!values.zeros, random !== null].filter(Boolean).length > 1) usage("run: give one of --input, --zeros and --random");
  const t0 = performance.now();
  const dyad = await loadDyad();
  const model = dyad.loadModel(await readModel(file));
  const loadMs = performance.now() - t0;
  if (inputs.length === 0 && !values.zeros && random === null) {
    fail(`${file}: no --input; the model needs ${model.inputs.length === 1 ? "one" : model.inputs.length} (or --zeros, or --random SEED):\n${describeInputs(model)}`);
  }
  if (inputs.length !== 0 && inputs.length !== model.inputs.length) {
    fail(`${file}: the model has ${model.inputs.length} inputs; got ${inputs.length} --input:\n${describeInputs(model)}`);
  }
  const data = inputs.length
    ? await Promise.all(model.inputs.map((t, i) => readInput(inputs[i], t, i)))
    : model.inputs.map((t) => {
        if (!ARRAYS[t.dtype]) fail(`input ${t.name} has dtype ${t.dtype}, which run cannot make`);
        return random === null ? new ARRAYS[t.dtype](t.shape.reduce((a, b) => a * b, 1)) : sampleInput(t, random);
      });
  const json = !!values.json, profile = !!values.profile;
  const times = [];
  const opTimes = new Map();
  let outputs;
  for (let r = 0; r < repeat; r++) {
    const t = performance.now();
    outputs = model.run(data, profile ? { profile: (op, i, ms) => opTimes.set(i, { op, ms: (opTimes.get(i)?.ms ?? 0) + ms }) } : {});
    times.push(performance.now() - t);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const timing = { loadMs, firstRunMs: times[0], medianRunMs: sorted[sorted.length >> 1] };
  const plain = outputs.map((o) => ({ name: o.name, dtype: o.dtype, shape: [...o.shape], data: Array.from(o.data, Number) }));
  if (json) {
    console.log(JSON.stringify({ outputs: plain, timing }));
  } else {
    for (const o of outputs) {
      const values = Array.from(o.data, Number);
      const head = values.slice(0, 16).join(", ") + (values.length > 16 ? `, ... (${values.length} values)` : "");
      console.log(`${o.name}: ${o.dtype} [${o.shape.join(", ")}]${o.scale !== null ? ` scale=${o.scale} zp=${o.zeroPoint}` : ""}\n  ${head}`);
    }
    console.log(`load ${timing.loadMs.toFixed(1)} ms, first run ${timing.firstRunMs.toFixed(2)} ms, median of ${repeat} ${timing.medianRunMs.toFixed(2)} ms; arena ${model.memory.arenaBytes} bytes (${model.memory.unplannedBytes} unplanned)`);
  }
  if (profile) {
    const total = [...opTimes.values()].reduce((a, b) => a + b.ms, 0);
    for (const [i, { op, ms }] of [...opTimes].sort((a, b) => a[0] - b[0])) {
      process.stderr.write(`op${i} ${op}`.padEnd(28) + `${(ms / repeat).toFixed(3).padStart(9)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)}%\n`);
    }
  }
  model.dispose();
}

async function inspect(args) {
  const { positionals } = parse("inspect", args, {}, 1);
  if (!positionals[0]) usage("inspect needs a model file");
  const bytes = await readModel(positionals[0]);
  console.log(modelFormat(bytes) === "tflite" ? inspectTflite(parseTflite(bytes)) : inspectOnnx(bytes));
}

/** Deterministic pseudo-random data over a dtype's range (floats in [-1, 1)), from `seed`. */
function sampleInput(info, seed = 12345) {
  const count = info.shape.reduce((a, b) => a * b, 1);
  const data = new ARRAYS[info.dtype](count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = (s >>> 8) / 2 ** 24;
    data[i] = info.dtype === "float32" ? u * 2 - 1 : info.dtype === "uint8" ? Math.floor(u * 256) : Math.floor(u * 256) - 128;
  }
  return data;
}

async function convert(args) {
  const { values, positionals } = parse("convert", args, { o: "string", input: "strings" }, 1);
  const file = positionals[0], out = values.o;
  if (!file || !out) usage("convert needs a model file and -o <output.onnx>");
  const tflite = await readModel(file);
  if (modelFormat(tflite) !== "tflite") fail(`${file} is not a TFLite model (no TFL3 identifier)`);
  const onnx = tfliteToOnnx(tflite);
  await writeFile(out, onnx);
  const dyad = await loadDyad();
  const [a, b] = [dyad.loadModel(tflite), dyad.loadModel(onnx)];
  const inputs = values.input ?? [];
  if (inputs.length !== 0 && inputs.length !== a.inputs.length) fail(`the model has ${a.inputs.length} inputs; got ${inputs.length} --input`);
  const data = inputs.length ? await Promise.all(a.inputs.map((t, i) => readInput(inputs[i], t, i))) : a.inputs.map(sampleInput);
  const [ya, yb] = [a.run(data), b.run(data)];
  console.log(`wrote ${out}: ${onnx.length} bytes (the TFLite file: ${tflite.length})`);
  ya.forEach((o, k) => {
    let differ = 0, max = 0;
    for (let i = 0; i < o.data.length; i++) {
      const d = Math.abs(Number(o.data[i]) - Number(yb[k].data[i]));
      if (d !== 0) differ++;
      max = Math.max(max, d);
    }
    const unit = o.dtype === "float32" ? "" : " (quantized steps)";
    console.log(`${o.name}: ${differ} of ${o.data.length} elements (${((100 * differ) / o.data.length).toFixed(1)}%) differ from the TFLite run, max |difference| ${max}${unit}`);
  });
  a.dispose();
  b.dispose();
}

const METHODS = ["minmax", "moving-average", "percentile", "kl", "mse"];

async function quantize(args) {
  const { values, positionals } = parse("quantize", args, {
    o: "string", calib: "string", method: "string", activations: "string", granularity: "string", "bias-correction": "boolean",
    weights: "string", "weight-bits": "string", "activation-bits": "string",
  }, 1);
  const file = positionals[0], out = values.o, calib = values.calib;
  const activations = values.activations ?? "uint8";
  if (!["uint8", "int8", "dynamic"].includes(activations)) usage(`--activations ${activations}: uint8, int8 (static ranges from --calib) or dynamic (ranges at run time)`);
  if (!file || !out || (!calib && activations !== "dynamic")) usage("quantize needs a model file, --calib (unless --activations dynamic) and -o <output.onnx>");
  const weights = values.weights ?? "int8";
  const WEIGHT_BITS = { int8: 8, int4: 4, int2: 2 };
  if (!(weights in WEIGHT_BITS)) usage(`--weights ${weights}: int8, int4 or int2 (values on that grid, stored in int8 for the integer convolutions)`);
  const weightBits = Number(values["weight-bits"] ?? WEIGHT_BITS[weights]);
  const activationBits = Number(values["activation-bits"] ?? 8);
  const granularity = values.granularity ?? "channel";
  if (!["tensor", "channel"].includes(granularity) && !/^group:[0-9]+$/.test(granularity)) usage(`--granularity ${granularity}: tensor, channel or group:N`);
  const method = values.method ?? "minmax";
  if (!METHODS.includes(method)) usage(`--method ${method}: ${METHODS.join(", ")}`);
  const bytes = await readModel(file);
  if (modelFormat(bytes) !== "onnx") fail(`${file}: quantize reads float ONNX models`);
  const model = decodeOnnxModel(bytes);
  if (calib && model.inputs.length !== 1) fail(`quantize reads calibration files for one-input models; ${file} has ${model.inputs.length} inputs`);
  const dims = model.inputs[0].shape;
  if (calib && !dims.every((d) => typeof d === "number")) fail(`input "${model.inputs[0].name}" has symbolic dimensions [${dims}]; quantize needs them fixed`);
  const size = dims.reduce((a, b) => a * b, 1);
  const floats = (buf, what) => {
    if (buf.length % 4 !== 0) fail(`${what}: ${buf.length} bytes is not a whole number of float32 values`);
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  };
  const samples = [];
  if (!calib) {
    // Dynamic activations: no calibration.
  } else if ((await stat(calib).catch(() => fail(`${calib}: no such file or folder`))).isDirectory()) {
    for (const f of (await readdir(calib)).sort()) {
      const x = floats(await readFile(`${calib}/${f}`), `${calib}/${f}`);
      if (x.length !== size) fail(`${calib}/${f}: ${x.length} float32 values; the input [${dims}] needs ${size}`);
      samples.push([x]);
    }
  } else {
    const all = floats(await readFile(calib), calib);
    if (all.length % size !== 0) fail(`${calib}: ${all.length} float32 values is not a whole number of samples of [${dims}] (${size} each)`);
    for (let i = 0; i < all.length; i += size) samples.push([all.slice(i, i + size)]);
  }
  const dyad = await loadDyad();
  const { model: q, report } = quantizeOnnx(dyad, bytes, { calibration: calib ? samples : undefined, method, activations, granularity, weightBits, activationBits, biasCorrection: !!values["bias-correction"] });
  await writeFile(out, q);
  console.log(`wrote ${out}: ${q.length} bytes (float: ${bytes.length}); ${activations === "dynamic" ? "dynamic activations (no calibration)" : `${samples.length} calibration samples, method ${method}`}, W${weightBits}A${activations === "dynamic" ? "8 dynamic" : activationBits}`);
  console.log(`quantized ${report.quantizedNodes.length} weighted nodes, ${report.activations.length} activation tensors; folded ${report.removedRelus} Relu; parameters packed at their widths: ${report.packedBytes} bytes`);
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case "bench":
    await bench(rest);
    break;
  case "run":
  case "inspect":
  case "convert":
  case "quantize":
  case "classify":
    try {
      await (command === "run" ? run(rest) : command === "inspect" ? inspect(rest) : command === "convert" ? convert(rest)
        : command === "classify" ? classify(parse("classify", rest, { images: "string", labels: "string", limit: "string", json: "boolean" }, 1), { fail, usage, readModel }) : quantize(rest));
    } catch (e) {
      // Model and input errors are one line; anything else is a bug in dyad, and its stack helps to fix it.
      if (e instanceof DyadError) fail(e.message);
      if (e?.code === "ENOENT" || e?.code === "EACCES" || e?.code === "EISDIR") fail(`${e.path ?? ""}: ${e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a directory" : "permission denied"}`);
      throw e;
    }
    break;
  case undefined:
  case "help":
  case "--help":
  case "-h":
    console.log(USAGE);
    break;
  default:
    usage(`unknown command '${command}'`);
}
