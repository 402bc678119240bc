// Types for onnx-node-core.mjs (plain JavaScript shared with the other runtimes).
import type { OnnxNode, OnnxTensor, OnnxModel } from "../../src/formats/onnx/proto.js";

export interface OnnxLib {
  QTensor: unknown;
  dynamicQuantizeLinear: unknown;
  decodeOnnxModel(bytes: Uint8Array): OnnxModel;
  decodeOnnxTensor(bytes: Uint8Array): OnnxTensor;
}
export interface OnnxCase { node: OnnxNode; inputs: (OnnxTensor | undefined)[]; outputs: OnnxTensor[] }
export interface NodeResult { dtype: string; dims: number[]; values: ArrayLike<number> }
export declare const ONNX_OPS: Set<string>;
export declare function loadOnnxCase(lib: OnnxLib, modelBytes: Uint8Array, dataFiles: string[], read: (file: string) => Uint8Array): OnnxCase;
export declare function unsupportedReason(node: OnnxNode, inputs: (OnnxTensor | undefined)[], outputs: OnnxTensor[]): string | null;
export declare function runOnnxNode(dyad: unknown, lib: OnnxLib, node: OnnxNode, inputs: (OnnxTensor | undefined)[]): NodeResult[];
export declare function matchesExpected(results: NodeResult[], outputs: OnnxTensor[]): string | null;
