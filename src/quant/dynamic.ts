// Dynamic activation quantization (ONNX DynamicQuantizeLinear, opset 11): the range comes from the data
// itself at run time, widened to include 0, mapped onto uint8 [0, 255] asymmetrically:
//   scale = (max(0, max x) - min(0, min x)) / 255          (float32)
//   zeroPoint = saturate(roundHalfEven(0 - min / scale))
//   q = saturate(roundHalfEven(x / scale) + zeroPoint)
// An all-zero input has no range; dyad then uses scale 1 (ONNX would divide by zero).

import { BufferError } from "../errors.js";
import { QTensor, roundHalfEven } from "../tensor/qtensor.js";
import { type Shape, checkShape, sizeOf, shapeString } from "../tensor/shape.js";

export function dynamicQuantizeLinear(x: Float32Array, shape: Shape): QTensor {
  checkShape(shape, "dynamicQuantizeLinear");
  if (x.length !== sizeOf(shape)) {
    throw new BufferError(`dynamicQuantizeLinear: shape ${shapeString(shape)} has ${sizeOf(shape)} elements, input has ${x.length}`);
  }
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) throw new BufferError(`dynamicQuantizeLinear: input element ${i} is ${v}`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi === lo ? 1 : Math.fround(Math.fround(hi - lo) / 255);
  const zp = Math.min(255, Math.max(0, roundHalfEven(Math.fround(0 - Math.fround(lo / scale)))));
  return QTensor.quantize(x, shape, { dtype: "uint8", scale, zeroPoint: zp });
}
