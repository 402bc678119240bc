// The ONNX backend conformance cases (../shared/corpora/onnx/node) dyad runs, in plain JavaScript on the
// package's public API, shared by the golden test (test/golden/onnx-node.test.ts, on the sources) and the
// cross-runtime subset (subset-core.mjs, on the bundles). `lib` = { QTensor, dynamicQuantizeLinear,
// decodeOnnxModel, decodeOnnxTensor }.

export const ONNX_OPS = new Set(["QuantizeLinear", "DequantizeLinear", "QLinearMatMul", "MatMulInteger", "DynamicQuantizeLinear"]);
const INT_DTYPES = new Set(["int4", "uint4", "int8", "uint8", "int16", "uint16", "int32"]);
const ARRAYS = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array };
// TensorProto.DataType of QuantizeLinear's output_dtype attribute (ONNX onnx.proto).
const OUTPUT_DTYPES = { 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 21: "uint4", 22: "int4" };

/** A case from its files: `read(name)` returns the bytes of model.onnx or test_data_set_0/<name>. */
export function loadOnnxCase(lib, modelBytes, dataFiles, read) {
  const model = lib.decodeOnnxModel(modelBytes);
  const pick = (prefix) => dataFiles.filter((f) => f.startsWith(prefix))
    .sort((x, y) => parseInt(x.slice(prefix.length)) - parseInt(y.slice(prefix.length))).map((f) => lib.decodeOnnxTensor(read(f)));
  const given = pick("input_");
  // Inputs are matched by name: optional inputs the case leaves out are empty names in the node.
  const byName = new Map(model.inputs.map((v, i) => [v.name, given[i]]));
  const node = model.nodes[0];
  return { node, inputs: node.inputs.map((name) => (name === "" ? undefined : byName.get(name))), outputs: pick("output_") };
}

/** Why dyad does not run a case, or null. */
export function unsupportedReason(node, inputs, outputs) {
  if (!ONNX_OPS.has(node.opType)) return `${node.opType} is not a quantization op dyad implements`;
  for (const t of [...inputs, ...outputs]) {
    if (!t) continue;
    if (t.dtype === "float16") return "float16 tensors are not supported";
    if (t.dtype !== "float32" && !INT_DTYPES.has(t.dtype)) return `${t.dtype} is not a dyad dtype`;
  }
  return null;
}

function qdata(t) {
  if (t.dtype === "int4" || t.dtype === "uint4") {
    const packed = new Uint8Array(Math.ceil(t.values.length / 2));
    t.values.forEach((v, i) => { packed[i >> 1] |= (v & 15) << (i & 1 ? 4 : 0); });
    return packed;
  }
  return ARRAYS[t.dtype].from(t.values);
}

/** Per-tensor, per-axis or blocked parameters from the ONNX scale tensor's shape and the node's attributes. */
function granularity(x, scale, attrs) {
  if (scale.values.length === 1 && scale.dims.length <= 1) return { axis: null, blockSize: 0 };
  const axisAttr = attrs.axis ?? 1;
  return { axis: axisAttr < 0 ? axisAttr + x.dims.length : axisAttr, blockSize: attrs.block_size ?? 0 };
}

/** Runs a case's node through dyad's ops: [{ dtype, dims, values }] per output. */
export function runOnnxNode(dyad, lib, node, inputs) {
  const { QTensor } = lib;
  switch (node.opType) {
    case "QuantizeLinear": {
      const [x, scale, zp] = inputs;
      const dtype = zp?.dtype ?? OUTPUT_DTYPES[node.attrs.output_dtype || 2];
      const q = QTensor.quantize(x.values, x.dims, { dtype, scale: scale.values, zeroPoint: zp?.values ?? undefined, ...granularity(x, scale, node.attrs) });
      return [{ dtype, dims: [...q.shape], values: Array.from({ length: q.size }, (_, i) => q.get(i)) }];
    }
    case "DequantizeLinear": {
      const [x, scale, zp] = inputs;
      const t = new QTensor({ dtype: x.dtype, shape: x.dims, data: qdata(x), scale: scale.values, zeroPoint: zp?.values ?? undefined, ...granularity(x, scale, node.attrs) });
      return [{ dtype: "float32", dims: x.dims, values: t.dequantize() }];
    }
    case "QLinearMatMul": {
      const [a, sa, za, b, sb, zb, sy, zy] = inputs;
      const perColumn = sb.values.length > 1;
      const weights = new QTensor({ dtype: b.dtype, shape: b.dims, data: qdata(b), scale: sb.values, zeroPoint: zb.values, axis: perColumn ? b.dims.length - 1 : null });
      const op = dyad.matmul({
        weights, requant: "fp32",
        input: { dtype: a.dtype, scale: sa.values[0], zeroPoint: za.values[0] },
        output: { dtype: zy.dtype, scale: sy.values[0], zeroPoint: zy.values[0] },
      });
      const y = op.run({ data: qdata(a), shape: a.dims });
      op.dispose();
      return [{ dtype: y.dtype, dims: [...y.shape], values: y.data }];
    }
    case "MatMulInteger": {
      const [a, b, za, zb] = inputs;
      const perColumn = zb && zb.values.length > 1;
      const weights = new QTensor({
        dtype: b.dtype, shape: b.dims, data: qdata(b), zeroPoint: zb?.values ?? [0],
        scale: perColumn ? new Array(zb.values.length).fill(1) : 1, axis: perColumn ? b.dims.length - 1 : null,
      });
      const op = dyad.matmul({ weights, input: { dtype: a.dtype, zeroPoint: za?.values[0] ?? 0 }, output: { dtype: "int32" } });
      const y = op.run({ data: qdata(a), shape: a.dims });
      op.dispose();
      return [{ dtype: "int32", dims: [...y.shape], values: y.data }];
    }
    case "DynamicQuantizeLinear": {
      const [x] = inputs;
      const y = lib.dynamicQuantizeLinear(x.values, x.dims);
      return [
        { dtype: "uint8", dims: [...y.shape], values: y.data },
        { dtype: "float32", dims: [], values: y.scale },
        { dtype: "uint8", dims: [], values: y.zeroPoint },
      ];
    }
  }
  throw new Error(`no runner for ${node.opType}`);
}

/** Whether results equal the case's expected outputs: integers exactly, float32 by their bits. */
export function matchesExpected(results, outputs) {
  if (results.length < outputs.length) return `${results.length} outputs, ${outputs.length} expected`;
  for (let i = 0; i < outputs.length; i++) {
    const got = results[i], want = outputs[i];
    if (got.dtype !== want.dtype) return `output ${i} is ${got.dtype}, expected ${want.dtype}`;
    if (got.dims.join(",") !== want.dims.join(",")) return `output ${i} shape [${got.dims}], expected [${want.dims}]`;
    const a = want.dtype === "float32" ? new Uint32Array(Float32Array.from(got.values).buffer) : Array.from(got.values);
    const b = want.dtype === "float32" ? new Uint32Array(Float32Array.from(want.values).buffer) : Array.from(want.values);
    for (let e = 0; e < b.length; e++) if (a[e] !== b[e]) return `output ${i} element ${e}: ${a[e]} vs ${b[e]}`;
  }
  return null;
}
