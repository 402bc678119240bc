// dyad's public API. Isomorphic: no Node imports here (see node.ts).
export { Dyad, DEFAULT_WASM_URL, RELAXED_WASM_URL, chooseBuild, type BuildChoice, type MemoryStats, type LoadModelOptions } from "./dyad.js";
export { type WasmSource, type RuntimeOptions, type Features, probeFeatures } from "./runtime/runtime.js";
export { KERNELS, type KernelInfo } from "./runtime/kernels.js";
export * from "./errors.js";
export { DTYPES, type DType, type IntDType, type DTypeInfo, type TypedData } from "./tensor/dtype.js";
export { type Shape, sizeOf } from "./tensor/shape.js";
export { QTensor, type QTensorInit, type QuantParamsInit, roundHalfEven } from "./tensor/qtensor.js";
export { quantizeMultiplier, fp32Multiplier, type QuantizedMultiplier, type RequantMode, REQUANT_MODES } from "./quant/multiplier.js";
export {
  requantize, requantTflite, requantSingle, requantFp32, outputStage,
  saturatingRoundingDoublingHighMul, roundingDivideByPOT,
} from "./quant/requant.js";
export { dynamicQuantizeLinear } from "./quant/dynamic.js";
export { activationClamp, type FusedActivation } from "./quant/activation.js";
export { MatMul, type MatMulSpec, type MatMulInput } from "./ops/matmul.js";
export { MatMulF32, type MatMulF32Spec, type F32Tensor } from "./ops/matmul-f32.js";
export { Linear, type LinearSpec, type ActivationQuantMode } from "./ops/linear.js";
export {
  fitCodebook, decodeCodebook, uniformInt4, reconstructionError, kmeans1d, type CodebookWeights, type CodebookMethod, type FitOptions,
} from "./quant/codebook.js";
export type { ActivationQuant, OutputQuant } from "./ops/quant-args.js";
export { Model, type ModelOutput, type RunOptions, type TensorInfo, type ModelMemory } from "./graph/model.js";
export { parseTflite, type TfliteModel } from "./formats/tflite/model.js";
export { modelFormat, type ModelFormat } from "./formats/detect.js";
export { inspectTflite } from "./formats/tflite/inspect.js";
export { inspectOnnx } from "./formats/onnx/inspect.js";
export {
  decodeModel as decodeOnnxModel, decodeTensor as decodeOnnxTensor, type OnnxModel, type OnnxNode, type OnnxTensor,
} from "./formats/onnx/proto.js";
export { tfliteToOnnx } from "./formats/onnx/export-tflite.js";
export { simulateTflite } from "./quant/simulate-tflite.js";
export {
  Observer, ChannelObserver, paramsFromRange, dyadicScale,
  type CalibrationMethod, type ObserverOptions, type QuantRange, type AffineQuantParams,
} from "./quant/calibrate.js";
export { readIdx, type IdxArray } from "./data/idx.js";
export { quantizeOnnx, type PtqOptions, type PtqReport } from "./quant/ptq.js";
export { Network, seeded, type LayerSpec, type OptimizerOptions } from "./train/model.js";
