// Facts of the TFLite schema (tensorflow/lite/schema/schema.fbs, schema version 3): enum values and the
// vtable slot of each field dyad reads. A union field takes two slots: its type, then its value.

export const TFLITE_IDENTIFIER = "TFL3";

export const MODEL = { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4 } as const;
export const OPERATOR_CODE = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 } as const;
export const SUBGRAPH = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 } as const;
export const TENSOR = { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, isVariable: 5, sparsity: 6 } as const;
export const QUANTIZATION = { min: 0, max: 1, scale: 2, zeroPoint: 3, detailsType: 4, quantizedDimension: 6 } as const;
export const OPERATOR = { opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4, customOptions: 5 } as const;
export const BUFFER = { data: 0, offset: 1, size: 2 } as const;

/** TensorType. */
export const TENSOR_TYPES = [
  "float32", "float16", "int32", "uint8", "int64", "string", "bool", "int16", "complex64", "int8", "float64",
  "complex128", "uint64", "resource", "variant", "uint32", "uint16", "int4",
] as const;
export type TfliteType = (typeof TENSOR_TYPES)[number];

/** BuiltinOperator, by value (0 .. 161). */
export const BUILTIN_OPERATORS = [
  "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE",
  "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
  "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1",
  "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS",
  "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER",
  "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
  "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT",
  "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS",
  "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
  "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW",
  "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND",
  "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD",
  "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE",
  "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG",
  "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4",
  "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
  "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL",
  "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL",
  "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
  "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1",
  "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN",
  "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
] as const;

export function builtinName(code: number): string {
  return BUILTIN_OPERATORS[code] ?? `BUILTIN_${code}`;
}

/** ActivationFunctionType. */
export const ACTIVATIONS = ["NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"] as const;
/** Padding. */
export const PADDINGS = ["SAME", "VALID"] as const;

/**
 * The options table of each builtin dyad reads, as [field name, slot, kind, default]. Kinds: int32, int8
 * (enums), bool, float32, int32s. Fields not listed are not read.
 */
type Field = readonly [string, number, "int32" | "int8" | "bool" | "float32" | "int32s", number | boolean];
const conv: Field[] = [["padding", 0, "int8", 0], ["stride_w", 1, "int32", 0], ["stride_h", 2, "int32", 0],
  ["fused_activation_function", 3, "int8", 0], ["dilation_w_factor", 4, "int32", 1], ["dilation_h_factor", 5, "int32", 1]];
export const OPTIONS: Record<string, readonly Field[]> = {
  CONV_2D: conv,
  DEPTHWISE_CONV_2D: [["padding", 0, "int8", 0], ["stride_w", 1, "int32", 0], ["stride_h", 2, "int32", 0],
    ["depth_multiplier", 3, "int32", 0], ["fused_activation_function", 4, "int8", 0],
    ["dilation_w_factor", 5, "int32", 1], ["dilation_h_factor", 6, "int32", 1]],
  AVERAGE_POOL_2D: [["padding", 0, "int8", 0], ["stride_w", 1, "int32", 0], ["stride_h", 2, "int32", 0],
    ["filter_width", 3, "int32", 0], ["filter_height", 4, "int32", 0], ["fused_activation_function", 5, "int8", 0]],
  FULLY_CONNECTED: [["fused_activation_function", 0, "int8", 0], ["weights_format", 1, "int8", 0],
    ["keep_num_dims", 2, "bool", false], ["asymmetric_quantize_inputs", 3, "bool", false]],
  SOFTMAX: [["beta", 0, "float32", 0]],
  CONCATENATION: [["axis", 0, "int32", 0], ["fused_activation_function", 1, "int8", 0]],
  ADD: [["fused_activation_function", 0, "int8", 0], ["pot_scale_int16", 1, "bool", true]],
  SUB: [["fused_activation_function", 0, "int8", 0], ["pot_scale_int16", 1, "bool", true]],
  MUL: [["fused_activation_function", 0, "int8", 0]],
  RESHAPE: [["new_shape", 0, "int32s", 0]],
  MEAN: [["keep_dims", 0, "bool", false]],
  SQUEEZE: [["squeeze_dims", 0, "int32s", 0]],
  STRIDED_SLICE: [["begin_mask", 0, "int32", 0], ["end_mask", 1, "int32", 0], ["ellipsis_mask", 2, "int32", 0],
    ["new_axis_mask", 3, "int32", 0], ["shrink_axis_mask", 4, "int32", 0], ["offset", 5, "bool", false]],
  LEAKY_RELU: [["alpha", 0, "float32", 0]],
  TRANSPOSE_CONV: [["padding", 0, "int8", 0], ["stride_w", 1, "int32", 0], ["stride_h", 2, "int32", 0],
    ["fused_activation_function", 3, "int8", 0]],
};
OPTIONS.MAX_POOL_2D = OPTIONS.AVERAGE_POOL_2D;
