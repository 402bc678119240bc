// The kind of every ONNX attribute the importer reads (numbers, number lists, strings, tensors), checked
// when a node is imported so that a file with an attribute of the wrong kind (`strides` given as one INT, a
// STRING `axis`) is a ModelFormatError naming the node and the attribute, not a failure deep in a handler.
// ONNX uses each of these names with one kind across its operators; `value` is the exception (a tensor for
// Constant, a number for Pad before opset 11).

import { ModelFormatError } from "../../errors.js";
import type { OnnxNode } from "./proto.js";

type Kind = "number" | "numbers" | "string" | "tensor";

const KINDS: Record<string, Kind> = {
  strides: "numbers", pads: "numbers", kernel_shape: "numbers", dilations: "numbers", axes: "numbers", perm: "numbers",
  axis: "number", group: "number", ceil_mode: "number", block_size: "number", count_include_pad: "number",
  channels_last: "number", alpha: "number", beta: "number", transA: "number", transB: "number", to: "number",
  start: "number", end: "number", output_dtype: "number", opset: "number", bits: "number", allowzero: "number",
  N: "number", K: "number", min: "number", max: "number", keepdims: "number", accuracy_level: "number",
  mode: "string", auto_pad: "string", nearest_mode: "string", coordinate_transformation_mode: "string",
};

function kindOf(v: OnnxNode["attrs"][string]): Kind {
  return typeof v === "number" ? "number" : typeof v === "string" ? "string" : Array.isArray(v) ? "numbers" : "tensor";
}

export function checkAttributes(node: OnnxNode, where: string): void {
  for (const [name, value] of Object.entries(node.attrs)) {
    const want = name === "value" ? (node.opType === "Constant" ? "tensor" : "number") : KINDS[name];
    const got = kindOf(value);
    if (want && got !== want) throw new ModelFormatError(`${where}: attribute ${name} is a ${got === "numbers" ? "list" : got}; ONNX defines it as a ${want === "numbers" ? "list of numbers" : want}`);
  }
}
