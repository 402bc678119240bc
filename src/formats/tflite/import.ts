// TFLite -> dyad graph: tensors become GraphTensors, operators go through a registry of builders keyed by
// builtin name. No math here. Anything unsupported fails at load, naming the op, its index and what is missing.

import { sameShape } from "../../tensor/shape.js";
import { UnsupportedError } from "../../errors.js";
import type { Graph, GraphTensor, TensorDType } from "../../graph/ir.js";
import type { NodeBuilder } from "../../graph/node.js";
import { fullyConnected } from "../../ops/fully-connected.js";
import { conv2d, type Conv2DOptions } from "../../ops/conv2d.js";
import { depthwiseConv2d } from "../../ops/depthwise-conv2d.js";
import { reshape, squeeze, transpose, pad } from "../../ops/data-movement.js";
import { add } from "../../ops/add.js";
import { mean } from "../../ops/mean.js";
import { leakyRelu } from "../../ops/leaky-relu.js";
import { stridedSlice } from "../../ops/strided-slice.js";
import { binary } from "../../ops/binary.js";
import { relu, quantize, dequantize, lookupActivation, sigmoid, hardSwish } from "../../ops/unary.js";
import { pool, type PoolOptions } from "../../ops/pooling.js";
import { concatenation } from "../../ops/concat.js";
import { transposeConv } from "../../ops/transpose-conv.js";
import { softmax } from "../../ops/softmax.js";
import type { TfliteSubgraph } from "./model.js";
import type { TfliteModel, TfliteOperator, TfliteTensor } from "./model.js";
import { fusedActivation, padding } from "./options.js";

const DTYPES: Partial<Record<TfliteTensor["type"], TensorDType>> = {
  int8: "int8", uint8: "uint8", int16: "int16", int32: "int32", int64: "int64", float32: "float32", bool: "bool",
};

function convOptions(op: TfliteOperator): Conv2DOptions {
  const o = op.options;
  return {
    padding: padding(op),
    strideH: o.stride_h as number, strideW: o.stride_w as number,
    dilationH: o.dilation_h_factor as number, dilationW: o.dilation_w_factor as number, activation: fusedActivation(op),
  };
}

function poolOptions(op: TfliteOperator): PoolOptions {
  const o = op.options;
  return {
    padding: padding(op), strideH: o.stride_h as number, strideW: o.stride_w as number,
    filterH: o.filter_height as number, filterW: o.filter_width as number, activation: fusedActivation(op),
  };
}

/** ADD on the wasm kernel when both inputs are same-shape activations, else with broadcasting in TypeScript. */
function addOp(op: TfliteOperator, g: TfliteSubgraph): NodeBuilder {
  const [a, b] = op.inputs.map((i) => g.tensors[i]);
  const out = g.tensors[op.outputs[0]];
  // Missing tensors fall to the general path, whose checks name them.
  const same = (x?: TfliteTensor) => !!x && !!out && !x.data && sameShape(x.shape, out.shape);
  const pot = op.options.pot_scale_int16 as boolean;
  return same(a) && same(b) ? add(fusedActivation(op), pot) : binary("ADD", fusedActivation(op), pot);
}

/** Builtin name -> builder. One line per operator. */
export const TFLITE_OPS: Record<string, (op: TfliteOperator, g: TfliteSubgraph) => NodeBuilder> = {
  FULLY_CONNECTED: (op) => {
    if (op.options.weights_format !== 0) throw new UnsupportedError(`op ${op.index} (FULLY_CONNECTED): shuffled weights are not supported`);
    return fullyConnected(fusedActivation(op), op.options.keep_num_dims as boolean);
  },
  CONV_2D: (op) => conv2d(convOptions(op)),
  DEPTHWISE_CONV_2D: (op) => depthwiseConv2d({ ...convOptions(op), depthMultiplier: op.options.depth_multiplier as number }),
  ADD: addOp,
  SUB: (op) => binary("SUB", fusedActivation(op), op.options.pot_scale_int16 as boolean),
  MUL: (op) => binary("MUL", fusedActivation(op)),
  AVERAGE_POOL_2D: (op) => pool("average", poolOptions(op)),
  MAX_POOL_2D: (op) => pool("max", poolOptions(op)),
  CONCATENATION: (op) => concatenation(op.options.axis as number),
  SQUEEZE: (op) => squeeze(op.options.squeeze_dims as number[]),
  PADV2: () => pad(true),
  RELU: () => relu("relu"),
  RELU6: () => relu("relu6"),
  RELU_N1_TO_1: () => relu("relu_n1_to_1"),
  QUANTIZE: () => quantize(),
  DEQUANTIZE: () => dequantize(),
  LOGISTIC: () => lookupActivation(sigmoid),
  TANH: () => lookupActivation(Math.tanh),
  HARD_SWISH: () => hardSwish(),
  SOFTMAX: (op) => softmax(op.options.beta as number),
  TRANSPOSE_CONV: (op) => transposeConv({
    padding: padding(op), strideH: op.options.stride_h as number, strideW: op.options.stride_w as number, activation: fusedActivation(op),
  }),
  LEAKY_RELU: (op) => leakyRelu(op.options.alpha as number),
  STRIDED_SLICE: (op) => stridedSlice({
    beginMask: op.options.begin_mask as number, endMask: op.options.end_mask as number,
    ellipsisMask: op.options.ellipsis_mask as number, newAxisMask: op.options.new_axis_mask as number,
    shrinkAxisMask: op.options.shrink_axis_mask as number, offset: op.options.offset as boolean,
  }),
  MEAN: (op) => mean(op.options.keep_dims as boolean),
  RESHAPE: (op) => {
    // The shape input wins over the new_shape option, as in TFLite's reshape.cc; an empty option is no option.
    const newShape = op.options.new_shape as number[];
    return reshape(newShape.length ? newShape : null, true);
  },
  TRANSPOSE: () => transpose(),
  PAD: () => pad(),
};

function toGraphTensor(t: TfliteTensor): GraphTensor {
  const dtype = DTYPES[t.type];
  if (!dtype) throw new UnsupportedError(`tensor ${t.index} (${t.name}): dtype ${t.type} is not supported`);
  const q = t.quantization;
  return {
    id: t.index, name: t.name, dtype, shape: t.shape, data: t.data,
    quant: q ? {
      scale: Float32Array.from(q.scale),
      zeroPoint: Int32Array.from(q.zeroPoint.length ? q.zeroPoint : q.scale.map(() => 0)),
      axis: q.scale.length > 1 ? q.quantizedDimension : null,
    } : null,
  };
}

export function importTflite(model: TfliteModel): { graph: Graph; builders: NodeBuilder[] } {
  if (model.subgraphs.length !== 1) throw new UnsupportedError(`tflite: models with ${model.subgraphs.length} subgraphs are not supported (control flow)`);
  const g = model.subgraphs[0];
  const missing = g.operators.filter((op) => !TFLITE_OPS[op.op]);
  if (missing.length > 0) {
    const list = missing.slice(0, 8).map((op) => `${op.op} (op ${op.index})`).join(", ");
    throw new UnsupportedError(`tflite: unsupported operators: ${list}${missing.length > 8 ? `, and ${missing.length - 8} more` : ""}`);
  }
  const graph: Graph = {
    tensors: g.tensors.map(toGraphTensor),
    nodes: g.operators.map((op) => ({ index: op.index, op: op.op, inputs: op.inputs, outputs: op.outputs })),
    inputs: g.inputs,
    outputs: g.outputs,
  };
  return { graph, builders: g.operators.map((op) => TFLITE_OPS[op.op](op, g)) };
}
