// A decoded ONNX model as the encoder's GraphSpec, for the quantizers that rewrite float models.

import { UnsupportedError } from "../errors.js";
import type { GraphSpec, OnnxModel, OnnxTensor, TensorInit } from "../formats/onnx/proto.js";

export function tensorInit(t: OnnxTensor): TensorInit {
  const v = t.values;
  if (!v) throw new UnsupportedError(`quantize: initializer "${t.name}" has dtype ${t.dtype}, which dyad cannot rewrite`);
  switch (t.dtype) {
    case "float32": return { name: t.name, dtype: "float32", dims: t.dims, data: Float32Array.from(v) };
    case "int8": return { name: t.name, dtype: "int8", dims: t.dims, data: Int8Array.from(v) };
    case "uint8": return { name: t.name, dtype: "uint8", dims: t.dims, data: Uint8Array.from(v) };
    case "int32": return { name: t.name, dtype: "int32", dims: t.dims, data: Int32Array.from(v) };
    case "int64": return { name: t.name, dtype: "int64", dims: t.dims, data: BigInt64Array.from(Array.from(v), (x) => BigInt(x)) };
    default: throw new UnsupportedError(`quantize: initializer "${t.name}" has dtype ${t.dtype}, which dyad cannot rewrite`);
  }
}

/** An OnnxModel as the encoder's GraphSpec (Constant nodes become initializers). */
export function toSpec(model: OnnxModel): GraphSpec {
  const initializers = model.initializers.map(tensorInit);
  const nodes: GraphSpec["nodes"] = [];
  for (const n of model.nodes) {
    if (n.opType === "Constant" && n.attrs.value && typeof n.attrs.value === "object" && !Array.isArray(n.attrs.value)) {
      initializers.push(tensorInit({ ...(n.attrs.value as OnnxTensor), name: n.outputs[0] }));
      continue;
    }
    const attrs: NonNullable<GraphSpec["nodes"][number]["attrs"]> = {};
    for (const [k, v] of Object.entries(n.attrs)) {
      if (typeof v === "object" && !Array.isArray(v)) throw new UnsupportedError(`quantize: node ${n.name || n.opType} has a tensor attribute "${k}"`);
      const float = n.floatAttrs?.includes(k);
      attrs[k] = float ? (Array.isArray(v) ? { floats: v } : { float: v as number }) : (v as number | number[] | string);
    }
    nodes.push({ opType: n.opType, domain: n.domain || undefined, name: n.name || undefined, inputs: n.inputs, outputs: n.outputs, attrs });
  }
  return {
    opset: model.opset, nodes, initializers,
    inputs: model.inputs.map((v) => ({ name: v.name, dtype: v.dtype, dims: v.shape })),
    outputs: model.outputs.map((v) => ({ name: v.name, dtype: v.dtype, dims: v.shape })),
  };
}
