// ONNX backend conformance cases (../shared/corpora/onnx/node, written by the ONNX project) run through
// dyad's ops and compared bit for bit: integer outputs exactly, float outputs by their float32 bits.
// Cases whose types dyad does not have (float8, float4, float16, int2/uint2) and Cast cases are skipped,
// each with its reason in the test name.

import { describe, it, expect } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { QTensor } from "../../src/tensor/qtensor.js";
import { DTYPES, type IntDType, setNibble } from "../../src/tensor/dtype.js";
import { dynamicQuantizeLinear } from "../../src/quant/dynamic.js";
import { decodeModel, decodeTensor, ONNX_DTYPE, type OnnxNode, type OnnxTensor } from "../../src/formats/onnx/proto.js";
import { dyad } from "../helpers.js";

const ROOT = fileURLToPath(new URL("../../../shared/corpora/onnx/node", import.meta.url));
const OPS = new Set(["QuantizeLinear", "DequantizeLinear", "QLinearMatMul", "MatMulInteger", "DynamicQuantizeLinear"]);
const INT_DTYPES = new Set(["int4", "uint4", "int8", "uint8", "int16", "uint16", "int32"]);

interface Result {
  dtype: string;
  dims: number[];
  values: ArrayLike<number>;
}

function qdata(t: OnnxTensor): QTensor["data"] {
  const dtype = t.dtype as IntDType;
  const info = DTYPES[dtype];
  if (info.bits === 4) {
    const packed = new Uint8Array(Math.ceil(t.values!.length / 2));
    t.values!.forEach((v, i) => setNibble(packed, i, v));
    return packed;
  }
  return (info.array as unknown as { from(v: ArrayLike<number>): QTensor["data"] }).from(t.values!);
}

/** Per-tensor, per-axis or blocked parameters from the ONNX scale tensor's shape and the node's attributes. */
function granularity(x: OnnxTensor, scale: OnnxTensor, attrs: OnnxNode["attrs"]): { axis: number | null; blockSize: number } {
  if (scale.values!.length === 1 && scale.dims.length <= 1) return { axis: null, blockSize: 0 };
  const rank = x.dims.length;
  const axisAttr = (attrs.axis as number | undefined) ?? 1;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  return { axis, blockSize: (attrs.block_size as number | undefined) ?? 0 };
}

function unsupportedReason(node: OnnxNode, inputs: (OnnxTensor | undefined)[], outputs: OnnxTensor[]): string | null {
  if (!OPS.has(node.opType)) return `${node.opType} is not a quantization op dyad implements`;
  for (const t of [...inputs, ...outputs]) {
    if (!t) continue;
    if (t.dtype === "float16") return "float16 tensors are not supported";
    if (t.dtype !== "float32" && !INT_DTYPES.has(t.dtype)) return `${t.dtype} is not a dyad dtype`;
  }
  return null;
}

async function runNode(node: OnnxNode, inputs: (OnnxTensor | undefined)[]): Promise<Result[]> {
  const d = await dyad();
  switch (node.opType) {
    case "QuantizeLinear": {
      const [x, scale, zp] = inputs as [OnnxTensor, OnnxTensor, OnnxTensor | undefined];
      const dtype = (zp?.dtype ?? ONNX_DTYPE[(node.attrs.output_dtype as number) || 2]) as IntDType;
      const q = QTensor.quantize((x.values as Float32Array), x.dims, {
        dtype, scale: scale.values!, zeroPoint: zp?.values ?? undefined, ...granularity(x, scale, node.attrs),
      });
      return [{ dtype, dims: [...q.shape], values: Array.from({ length: q.size }, (_, i) => q.get(i)) }];
    }
    case "DequantizeLinear": {
      const [x, scale, zp] = inputs as [OnnxTensor, OnnxTensor, OnnxTensor | undefined];
      const t = new QTensor({
        dtype: x.dtype as IntDType, shape: x.dims, data: qdata(x), scale: scale.values!,
        zeroPoint: zp?.values ?? undefined, ...granularity(x, scale, node.attrs),
      });
      return [{ dtype: "float32", dims: x.dims, values: t.dequantize() }];
    }
    case "QLinearMatMul": {
      const [a, sa, za, b, sb, zb, sy, zy] = inputs as OnnxTensor[];
      const perColumn = sb.values!.length > 1;
      const weights = new QTensor({
        dtype: b.dtype as IntDType, shape: b.dims, data: qdata(b), scale: sb.values!, zeroPoint: zb.values!,
        axis: perColumn ? b.dims.length - 1 : null,
      });
      const op = d.matmul({
        weights, requant: "fp32",
        input: { dtype: a.dtype as "int8" | "uint8", scale: sa.values![0], zeroPoint: za.values![0] },
        output: { dtype: zy.dtype as "int8" | "uint8", scale: sy.values![0], zeroPoint: zy.values![0] },
      });
      const y = op.run({ data: qdata(a) as Int8Array | Uint8Array, shape: a.dims });
      op.dispose();
      return [{ dtype: y.dtype, dims: [...y.shape], values: y.data }];
    }
    case "MatMulInteger": {
      const [a, b, za, zb] = inputs as [OnnxTensor, OnnxTensor, OnnxTensor | undefined, OnnxTensor | undefined];
      const weights = new QTensor({
        dtype: b.dtype as IntDType, shape: b.dims, data: qdata(b), zeroPoint: zb?.values ?? [0],
        scale: zb && zb.values!.length > 1 ? new Array(zb.values!.length).fill(1) : 1,
        axis: zb && zb.values!.length > 1 ? b.dims.length - 1 : null,
      });
      const op = d.matmul({
        weights, input: { dtype: a.dtype as "int8" | "uint8", zeroPoint: za?.values![0] ?? 0 }, output: { dtype: "int32" },
      });
      const y = op.run({ data: qdata(a) as Int8Array | Uint8Array, shape: a.dims });
      op.dispose();
      return [{ dtype: "int32", dims: [...y.shape], values: y.data }];
    }
    case "DynamicQuantizeLinear": {
      const [x] = inputs as [OnnxTensor];
      const y = dynamicQuantizeLinear((x.values as Float32Array), x.dims);
      return [
        { dtype: "uint8", dims: [...y.shape], values: y.data },
        { dtype: "float32", dims: [], values: y.scale },
        { dtype: "uint8", dims: [], values: y.zeroPoint },
      ];
    }
  }
  throw new Error(`no runner for ${node.opType}`);
}

function loadCase(dir: string) {
  const model = decodeModel(readFileSync(join(dir, "model.onnx")));
  const set = join(dir, "test_data_set_0");
  const files = readdirSync(set);
  const read = (prefix: string) => files.filter((f) => f.startsWith(prefix)).sort((x, y) => parseInt(x.slice(prefix.length)) - parseInt(y.slice(prefix.length)))
    .map((f) => decodeTensor(readFileSync(join(set, f))));
  const given = read("input_");
  // Inputs are matched by name: optional inputs the case leaves out are empty names in the node.
  const byName = new Map(model.inputs.map((v, i) => [v.name, given[i]]));
  const node = model.nodes[0];
  return { node, inputs: node.inputs.map((name) => (name === "" ? undefined : byName.get(name))), outputs: read("output_") };
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
      const results = await runNode(c.node, c.inputs);
      expect(results.length).toBeGreaterThanOrEqual(c.outputs.length);
      c.outputs.forEach((want, i) => {
        const got = results[i];
        expect(got.dtype, `output ${i} dtype`).toBe(want.dtype);
        expect(got.dims, `output ${i} shape`).toEqual(want.dims);
        if (want.dtype === "float32") {
          const bits = (v: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(v).buffer));
          expect(bits(got.values), `output ${i} float32 bits`).toEqual(bits((want.values as Float32Array)));
        } else {
          expect(Array.from(got.values), `output ${i}`).toEqual(Array.from(want.values!));
        }
      });
    });
  }
});

if (cases.length === 0) {
  console.warn(`ONNX conformance skipped: ${ROOT} is absent (a user's clone without ../shared)`);
}
