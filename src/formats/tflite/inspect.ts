// A human-readable listing of a parsed model: operators, tensors, dtypes and quantization parameters.

import type { TfliteModel, TfliteQuantization } from "./model.js";

function list(values: number[], fmt: (v: number) => string): string {
  if (values.length <= 4) return values.map(fmt).join(", ");
  const min = Math.min(...values), max = Math.max(...values);
  return `${values.slice(0, 4).map(fmt).join(", ")}, ... x${values.length}, min=${fmt(min)} max=${fmt(max)}`;
}

function quant(q: TfliteQuantization | null): string {
  if (!q) return "";
  const g = (v: number) => Number(v.toPrecision(6)).toString();
  return ` scale=[${list(q.scale, g)}] zp=[${list(q.zeroPoint, String)}]${q.scale.length > 1 ? ` qdim=${q.quantizedDimension}` : ""}`;
}

export function inspectTflite(model: TfliteModel): string {
  const lines = [`tflite model: ${model.byteLength} bytes, schema v${model.version}, ${model.subgraphs.length} subgraph(s)${model.description ? `, "${model.description}"` : ""}`];
  model.subgraphs.forEach((g, gi) => {
    lines.push(`-- subgraph ${gi} '${g.name}': inputs [${g.inputs.join(", ")}] outputs [${g.outputs.join(", ")}]`);
    for (const t of g.tensors) {
      const constant = t.data ? ` const[${t.data.length}B]` : "";
      lines.push(`  t${t.index}`.padEnd(7) + ` ${t.type.toUpperCase().padEnd(8)} [${t.shape.join(", ")}]`.padEnd(22) + `${constant}${quant(t.quantization)}  ${t.name}`);
    }
    for (const op of g.operators) {
      const opts = Object.entries(op.options).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(",")}]` : v}`).join(", ");
      lines.push(`  op${op.index}`.padEnd(7) + ` ${op.op}(v${op.version}) in=[${op.inputs.join(", ")}] out=[${op.outputs.join(", ")}]${opts ? ` {${opts}}` : ""}`);
    }
  });
  return lines.join("\n");
}
