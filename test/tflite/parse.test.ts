// The TFLite reader: real models parse to what their inspect dumps say; malformed files give typed errors with
// byte offsets; a few thousand mutated files each end in a clean result or a clean error.

import { describe, it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { parseTflite } from "../../src/formats/tflite/model.js";
import { inspectTflite } from "../../src/formats/tflite/inspect.js";
import { DyadError, ModelFormatError } from "../../src/errors.js";
import { dyad, rng } from "../helpers.js";

const TFLM = new URL("../../../shared/corpora/tflm/", import.meta.url);
const HELLO = new URL("hello_world/hello_world_int8.tflite", TFLM);
const have = existsSync(HELLO);
const read = (path: string) => new Uint8Array(readFileSync(new URL(path, TFLM)));

describe.skipIf(!have)("TFLite reader on the corpus", () => {
  it("parses hello_world_int8 as its inspect dump lists it", () => {
    const m = parseTflite(read("hello_world/hello_world_int8.tflite"));
    const g = m.subgraphs[0];
    expect(m.version).toBe(3);
    expect(g.inputs).toEqual([0]);
    expect(g.outputs).toEqual([9]);
    expect(g.operators.map((o) => o.op)).toEqual(["FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED"]);
    expect(g.operators[0].inputs).toEqual([0, 6, 5]);
    expect(g.operators[0].options.fused_activation_function).toBe(1);
    expect(g.tensors[4]).toMatchObject({ type: "int8", shape: [16, 16] });
    expect(g.tensors[4].data?.length).toBe(256);
    expect(g.tensors[0].quantization?.scale[0]).toBeCloseTo(0.0244801, 6);
    expect(g.tensors[0].quantization?.zeroPoint).toEqual([-128]);
    expect(inspectTflite(m)).toContain("op2   FULLY_CONNECTED(v4) in=[8, 2, 1] out=[9]");
  });

  it("reads every operator of MobileNetV2 and per-channel parameters", () => {
    const m = parseTflite(read("mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite"));
    const ops = m.subgraphs[0].operators.map((o) => o.op);
    expect(ops.length).toBe(84);
    const count = (name: string) => ops.filter((o) => o === name).length;
    expect([count("CONV_2D"), count("DEPTHWISE_CONV_2D"), count("PAD"), count("ADD")]).toEqual([35, 17, 18, 10]);
    expect(m.subgraphs[0].tensors[0].quantization?.scale.length).toBe(960);
    expect(m.subgraphs[0].tensors[0].quantization?.quantizedDimension).toBe(3);
  });

  it("reads the seanet cases' int16/int64 tensors and options", () => {
    const conv = parseTflite(read("seanet/conv/conv0.tflite")).subgraphs[0];
    expect(conv.tensors.map((t) => t.type)).toEqual(["int16", "int8", "int64", "int16"]);
    expect(conv.operators[0].options).toMatchObject({ padding: 1, stride_w: 1, stride_h: 1 });
    const leaky = parseTflite(read("seanet/leaky_relu/leaky_relu0.tflite")).subgraphs[0];
    expect(leaky.operators[0]).toMatchObject({ op: "LEAKY_RELU", options: { alpha: Math.fround(0.3) } });
  });
});

describe("TFLite reader on malformed input", () => {
  it("rejects short files, wrong identifiers and bad offsets with the byte offset", () => {
    expect(() => parseTflite(new Uint8Array(3))).toThrow(/too short/);
    const bad = new Uint8Array(16);
    bad.set([0x0c, 0, 0, 0, 0x54, 0x46, 0x4c, 0x32]); // "TFL2"
    expect(() => parseTflite(bad)).toThrow(/file identifier is "TFL2"/);
    const past = new Uint8Array(16);
    past.set([0xff, 0xff, 0, 0, 0x54, 0x46, 0x4c, 0x33]);
    expect(() => parseTflite(past)).toThrow(ModelFormatError);
    try {
      parseTflite(past);
    } catch (e) {
      expect(typeof (e as ModelFormatError).offset).toBe("number");
    }
  });

  it.skipIf(!have)("names the offset when a real model is truncated", () => {
    const bytes = read("hello_world/hello_world_int8.tflite");
    for (const n of [8, 100, 1000, 2000, bytes.length - 1]) {
      expect(() => parseTflite(bytes.subarray(0, n)), `truncated to ${n}`).toThrow(/byte offset \d+/);
    }
  });

  it.skipIf(!have)("survives 3000 mutated models: every outcome is a result or a DyadError", async () => {
    const d = await dyad();
    const sources = [read("hello_world/hello_world_int8.tflite"), read("seanet/leaky_relu/leaky_relu0.tflite")];
    const r = rng(2024);
    const outcomes = { loaded: 0, ran: 0, rejected: 0 };
    for (let i = 0; i < 3000; i++) {
      const src = sources[i % sources.length];
      let bytes = src.slice();
      if (r() < 0.2) bytes = bytes.subarray(0, Math.floor(r() * bytes.length));
      const flips = 1 + Math.floor(r() * 8);
      for (let f = 0; f < flips && bytes.length > 0; f++) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8);
      try {
        const model = d.loadModel(bytes);
        outcomes.loaded++;
        try {
          model.run(model.inputs.map((t) => {
            const n = t.shape.reduce((a, b) => a * b, 1);
            return t.dtype === "int16" ? new Int16Array(n) : t.dtype === "uint8" ? new Uint8Array(n) : new Int8Array(n);
          }));
          outcomes.ran++;
        } finally {
          model.dispose();
        }
      } catch (e) {
        if (!(e instanceof DyadError)) throw new Error(`mutation ${i} raised ${(e as Error).name}: ${(e as Error).message}`);
        outcomes.rejected++;
      }
    }
    expect(outcomes.loaded + outcomes.rejected).toBe(3000);
    expect(outcomes.rejected).toBeGreaterThan(100);
    expect(d.memory.usedBytes).toBe(0); // every load that failed or ran returned its memory
  });
});
