import { describe, it, expect } from "vitest";
import { QTensor, roundHalfEven } from "../src/tensor/qtensor.js";
import { dynamicQuantizeLinear } from "../src/quant/dynamic.js";
import { activationClamp } from "../src/quant/activation.js";
import { DTypeError, QuantParamError, BufferError, ShapeError } from "../src/errors.js";

describe("QTensor", () => {
  it("rounds half to even", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
  });

  it("quantizes per tensor with saturation and dequantizes back", () => {
    const t = QTensor.quantize([0, 0.1, -0.1, 100, -100, 0.25], [6], { dtype: "int8", scale: 0.1, zeroPoint: 3 });
    expect(Array.from(t.data)).toEqual([3, 4, 2, 127, -128, 5]); // 0.25 / 0.1 is 2.4999... in float32
    expect(Array.from(t.dequantize())).toEqual([0, 1, -1, 124, -131, 2].map((q) => q * Math.fround(0.1)).map((v) => Math.fround(v)));
  });

  it("quantizes per axis", () => {
    const t = QTensor.quantize([1, 1, 1, 1, 1, 1], [2, 3], { dtype: "uint8", scale: [0.5, 0.25, 1], zeroPoint: [0, 10, 255], axis: 1 });
    expect(Array.from(t.data)).toEqual([2, 14, 255, 2, 14, 255]);
    expect(t.axis).toBe(1);
  });

  it("quantizes blocked along an axis (ONNX block_size)", () => {
    // x [2, 4], blocks of 2 along axis 1 -> scale [2, 2]
    const t = QTensor.quantize([1, 2, 3, 4, 5, 6, 7, 8], [2, 4], { dtype: "int8", scale: [1, 2, 0.5, 4], axis: 1, blockSize: 2 });
    expect(Array.from(t.data)).toEqual([1, 2, 2, 2, 10, 12, 2, 2]);
    expect(Array.from(t.dequantize())).toEqual([1, 2, 4, 4, 5, 6, 8, 8]);
  });

  it("packs int4 two per byte, low nibble first", () => {
    const t = QTensor.quantize([-8, 7, 1, -1, 3], [5], { dtype: "int4", scale: 1 });
    expect(Array.from(t.data)).toEqual([0x78, 0xf1, 0x03]);
    expect([0, 1, 2, 3, 4].map((i) => t.get(i))).toEqual([-8, 7, 1, -1, 3]);
    const u = QTensor.quantize([0, 15, 16, -1], [4], { dtype: "uint4", scale: 1 });
    expect([0, 1, 2, 3].map((i) => u.get(i))).toEqual([0, 15, 15, 0]);
  });

  it("rejects bad parameters with typed errors that name them", () => {
    expect(() => new QTensor({ dtype: "float32" as never, shape: [1] })).toThrow(DTypeError);
    expect(() => new QTensor({ dtype: "int8", shape: [2], data: new Uint8Array(2) })).toThrow(/Int8Array/);
    expect(() => new QTensor({ dtype: "int8", shape: [3], data: new Int8Array(2) })).toThrow(BufferError);
    expect(() => new QTensor({ dtype: "int8", shape: [-1] })).toThrow(ShapeError);
    expect(() => new QTensor({ dtype: "int8", shape: [2], scale: 0 })).toThrow(/scale\[0\] is 0/);
    expect(() => new QTensor({ dtype: "int8", shape: [2], scale: NaN })).toThrow(QuantParamError);
    expect(() => new QTensor({ dtype: "int8", shape: [2], scale: -1 })).toThrow(QuantParamError);
    expect(() => new QTensor({ dtype: "int8", shape: [2], scale: 1e-50 })).toThrow(/float32/);
    expect(() => new QTensor({ dtype: "int8", shape: [2], zeroPoint: 128 })).toThrow(/zeroPoint\[0\] is 128/);
    expect(() => new QTensor({ dtype: "uint8", shape: [2], zeroPoint: -1 })).toThrow(QuantParamError);
    expect(() => new QTensor({ dtype: "int8", shape: [2, 3], scale: [1, 2], axis: 1 })).toThrow(/needs 3 scales/);
    expect(() => new QTensor({ dtype: "int8", shape: [2, 3], scale: [1, 2], axis: 2 })).toThrow(/axis 2/);
    expect(() => QTensor.quantize([NaN], [1], { dtype: "int8", scale: 1 })).toThrow(/NaN/);
  });
});

describe("dynamicQuantizeLinear", () => {
  it("derives scale and zero point from the data, including 0", () => {
    const t = dynamicQuantizeLinear(Float32Array.of(0, 2, -3, -2.5, 1.34, 0.5), [6]);
    expect(t.scale[0]).toBe(Math.fround(5 / 255));
    expect(t.zeroPoint[0]).toBe(153);
    expect(Array.from(t.data)).toEqual([153, 255, 0, 26, 221, 179]);
  });
  it("uses scale 1 for an all-zero input", () => {
    const t = dynamicQuantizeLinear(new Float32Array(3), [3]);
    expect(t.scale[0]).toBe(1);
    expect(Array.from(t.data)).toEqual([0, 0, 0]);
  });
});

describe("activationClamp (TFLite CalculateActivationRangeQuantized)", () => {
  it("maps ReLU and ReLU6 to quantized bounds", () => {
    expect(activationClamp("relu", 0.05, -10, "int8")).toEqual({ min: -10, max: 127 });
    expect(activationClamp("relu6", 0.05, -10, "int8")).toEqual({ min: -10, max: 110 });
    expect(activationClamp("relu6", 0.01, 0, "int8")).toEqual({ min: 0, max: 127 });
    expect(activationClamp("none", 1, 0, "uint8")).toEqual({ min: 0, max: 255 });
  });
});
