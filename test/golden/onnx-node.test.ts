// ONNX backend conformance cases (../shared/corpora/onnx/node, written by the ONNX project) run through
// dyad's ops and compared bit for bit: integer outputs exactly, float outputs by their float32 bits.
// Cases whose types dyad does not have (float8, float4, float16, int2/uint2) and Cast cases are skipped,
// each with its reason in the test name. The runner (test/runtimes/onnx-node-core.mjs) is shared with the
// cross-runtime subset, which runs the same cases on every JavaScript runtime.

import { describe, it, expect } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { QTensor } from "../../src/tensor/qtensor.js";
import { dynamicQuantizeLinear } from "../../src/quant/dynamic.js";
import { decodeModel, decodeTensor } from "../../src/formats/onnx/proto.js";
import { loadOnnxCase, unsupportedReason, runOnnxNode, matchesExpected } from "../runtimes/onnx-node-core.mjs";
import { dyad } from "../helpers.js";

const ROOT = fileURLToPath(new URL("../../../shared/corpora/onnx/node", import.meta.url));
const lib = { QTensor, dynamicQuantizeLinear, decodeOnnxModel: decodeModel, decodeOnnxTensor: decodeTensor };

function loadCase(dir: string) {
  const set = join(dir, "test_data_set_0");
  return loadOnnxCase(lib, readFileSync(join(dir, "model.onnx")), readdirSync(set), (f: string) => readFileSync(join(set, f)));
}

const cases = existsSync(ROOT) ? readdirSync(ROOT).sort() : [];

describe.skipIf(cases.length === 0)("ONNX node conformance (../shared/corpora/onnx/node)", () => {
  for (const name of cases) {
    const c = loadCase(join(ROOT, name));
    const reason = unsupportedReason(c.node, c.inputs, c.outputs);
    if (reason) {
      it.skip(`${name}: skipped, ${reason}`, () => {});
      continue;
    }
    it(`${name} (${c.node.opType})`, async () => {
      const results = runOnnxNode(await dyad(), lib, c.node, c.inputs);
      expect(matchesExpected(results, c.outputs)).toBeNull();
    });
  }
});

if (cases.length === 0) {
  console.warn(`ONNX conformance skipped: ${ROOT} is absent (a user's clone without ../shared)`);
}
