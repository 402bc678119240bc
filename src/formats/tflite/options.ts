// Operator options both the TFLite importer and the ONNX exporter read, decoded with the check that names
// the op when the file holds a value dyad does not handle.

import { UnsupportedError } from "../../errors.js";
import type { FusedActivation } from "../../quant/activation.js";
import type { TfliteOperator } from "./model.js";
import { ACTIVATIONS, PADDINGS } from "./schema.js";

const FUSED: Record<string, FusedActivation> = { NONE: "none", RELU: "relu", RELU6: "relu6", RELU_N1_TO_1: "relu_n1_to_1" };

/** The op's fused_activation_function (NONE when the option is absent). */
export function fusedActivation(op: TfliteOperator): FusedActivation {
  const code = (op.options.fused_activation_function as number | undefined) ?? 0;
  const name = ACTIVATIONS[code];
  if (!FUSED[name]) throw new UnsupportedError(`op ${op.index} (${op.op}): fused activation ${name ?? code} is not supported`);
  return FUSED[name];
}

export function padding(op: TfliteOperator): "SAME" | "VALID" {
  const p = PADDINGS[op.options.padding as number];
  if (!p) throw new UnsupportedError(`op ${op.index} (${op.op}): padding ${op.options.padding} is not SAME or VALID`);
  return p;
}
