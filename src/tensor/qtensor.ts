// QTensor: integer data with affine quantization parameters, r = scale * (q - zeroPoint).
//
// Granularity: per tensor (one scale, axis null), per axis (one scale per index along `axis`), or blocked
// (groups of `blockSize` consecutive indices along `axis` share a scale; the scale tensor has the data's shape
// with that dimension divided by blockSize, rounded up: ONNX QuantizeLinear's block_size). Scales are float32,
// as in TFLite and ONNX files.

import { DTypeError, QuantParamError, BufferError } from "../errors.js";
import { DTYPES, type IntDType, type TypedData, isDType, storageLength, getNibble, setNibble } from "./dtype.js";
import { type Shape, checkShape, sizeOf, shapeString } from "./shape.js";

export interface QuantParamsInit {
  /** One value (per tensor), one per index along `axis`, or the blocked scale tensor, flattened. */
  scale: ArrayLike<number> | number;
  /** Same count as `scale`; defaults to zeros. */
  zeroPoint?: ArrayLike<number> | number;
  /** Quantization axis (negative counts from the end); null or absent for per tensor. */
  axis?: number | null;
  /** Block size along `axis` for blocked (group-wise) quantization; 0 or absent for none. */
  blockSize?: number;
}

export interface QTensorInit extends Partial<QuantParamsInit> {
  dtype: IntDType;
  shape: Shape;
  /** Defaults to zeros. 4-bit types: packed bytes. */
  data?: TypedData;
}

/** Round half to even, the rounding of ONNX QuantizeLinear and of wasm's `nearest`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function toArray(v: ArrayLike<number> | number): number[] {
  return typeof v === "number" ? [v] : Array.from(v);
}

export class QTensor {
  readonly dtype: IntDType;
  readonly shape: Shape;
  readonly data: TypedData;
  readonly scale: Float32Array;
  readonly zeroPoint: Int32Array;
  readonly axis: number | null;
  readonly blockSize: number;

  constructor(init: QTensorInit) {
    if (!isDType(init.dtype) || !DTYPES[init.dtype as IntDType].integer) {
      throw new DTypeError(`QTensor: dtype must be an integer dtype, got ${String(init.dtype)}`);
    }
    checkShape(init.shape, "QTensor");
    this.dtype = init.dtype;
    this.shape = Object.freeze([...init.shape]);
    const info = DTYPES[this.dtype];
    const length = storageLength(this.dtype, sizeOf(this.shape));
    if (init.data === undefined) {
      this.data = new info.array(length);
    } else {
      if (!(init.data instanceof info.array)) {
        throw new DTypeError(
          `QTensor: ${this.dtype} data must be a ${info.array.name}, got ${init.data?.constructor?.name ?? typeof init.data}`,
        );
      }
      if (init.data.length !== length) {
        throw new BufferError(
          `QTensor: shape ${shapeString(this.shape)} of ${this.dtype} needs ${length} elements of storage, data has ${init.data.length}`,
        );
      }
      this.data = init.data;
    }
    const q = validateQuantParams(this.dtype, this.shape, init.scale ?? 1, init.zeroPoint, init.axis ?? null, init.blockSize ?? 0, "QTensor");
    this.scale = q.scale;
    this.zeroPoint = q.zeroPoint;
    this.axis = q.axis;
    this.blockSize = q.blockSize;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  /** Element i (flat, row-major) as a number. */
  get(i: number): number {
    return DTYPES[this.dtype].bits === 4 ? getNibble(this.data as Uint8Array, i, this.dtype === "int4") : this.data[i];
  }

  /** True when one scale and zero point cover the whole tensor. */
  get perTensor(): boolean {
    return this.axis === null;
  }

  /** Real values: scale * (q - zeroPoint), in float32 (ONNX DequantizeLinear). */
  dequantize(): Float32Array {
    const n = this.size;
    const out = new Float32Array(n);
    const index = paramIndexer(this.shape, this.axis, this.blockSize);
    for (let i = 0; i < n; i++) {
      const p = index(i);
      out[i] = Math.fround((this.get(i) - this.zeroPoint[p]) * this.scale[p]);
    }
    return out;
  }

  /**
   * Quantizes float values (ONNX QuantizeLinear): q = saturate(roundHalfEven(x / scale) + zeroPoint), the
   * division in float32. NaN is rejected; ±Infinity saturates.
   */
  static quantize(x: ArrayLike<number>, shape: Shape, params: QuantParamsInit & { dtype: IntDType }): QTensor {
    checkShape(shape, "quantize");
    const n = sizeOf(shape);
    if (x.length !== n) throw new BufferError(`quantize: shape ${shapeString(shape)} has ${n} elements, input has ${x.length}`);
    const t = new QTensor({ ...params, shape });
    const { min, max, bits } = DTYPES[t.dtype];
    const index = paramIndexer(t.shape, t.axis, t.blockSize);
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      if (Number.isNaN(xi)) throw new BufferError(`quantize: input element ${i} is NaN`);
      const p = index(i);
      const q = roundHalfEven(Math.fround(Math.fround(xi) / t.scale[p])) + t.zeroPoint[p];
      const v = q < min ? min : q > max ? max : q;
      if (bits === 4) setNibble(t.data as Uint8Array, i, v);
      else t.data[i] = v;
    }
    return t;
  }
}

/** Maps a flat element index to its quantization parameter index. */
export function paramIndexer(shape: Shape, axis: number | null, blockSize: number): (i: number) => number {
  if (axis === null) return () => 0;
  const dim = shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  if (blockSize === 0) return (i) => Math.floor(i / inner) % dim;
  const blocks = Math.ceil(dim / blockSize);
  return (i) => {
    const outer = Math.floor(i / (dim * inner));
    const c = Math.floor(i / inner) % dim;
    return (outer * blocks + Math.floor(c / blockSize)) * inner + (i % inner);
  };
}

/** Validates and normalizes quantization parameters for a tensor of `dtype` and `shape`. */
export function validateQuantParams(
  dtype: IntDType,
  shape: Shape,
  scaleIn: ArrayLike<number> | number,
  zeroPointIn: ArrayLike<number> | number | undefined,
  axisIn: number | null,
  blockSize: number,
  what: string,
): { scale: Float32Array; zeroPoint: Int32Array; axis: number | null; blockSize: number } {
  const scales = toArray(scaleIn);
  let axis = axisIn;
  if (axis !== null) {
    if (!Number.isInteger(axis) || axis < -shape.length || axis >= shape.length) {
      throw new QuantParamError(`${what}: axis ${axis} is out of range for shape ${shapeString(shape)}`);
    }
    if (axis < 0) axis += shape.length;
  }
  if (!Number.isInteger(blockSize) || blockSize < 0) {
    throw new QuantParamError(`${what}: blockSize must be a non-negative integer, got ${blockSize}`);
  }
  if (blockSize > 0 && axis === null) throw new QuantParamError(`${what}: blockSize ${blockSize} needs an axis`);
  let expected = 1;
  if (axis !== null) {
    expected = blockSize === 0 ? shape[axis] : (sizeOf(shape) / shape[axis]) * Math.ceil(shape[axis] / blockSize);
  }
  if (scales.length !== expected) {
    const granularity = axis === null ? "per tensor" : blockSize ? `blocked by ${blockSize} along axis ${axis}` : `per axis ${axis}`;
    throw new QuantParamError(`${what}: ${granularity} quantization of shape ${shapeString(shape)} needs ${expected} scales, got ${scales.length}`);
  }
  const scale = new Float32Array(scales.length);
  scales.forEach((s, i) => {
    if (typeof s !== "number" || !Number.isFinite(s) || !(s > 0)) {
      throw new QuantParamError(`${what}: scale[${i}] is ${s}; scales must be finite and positive`);
    }
    scale[i] = s;
    if (!(scale[i] > 0) || !Number.isFinite(scale[i])) {
      throw new QuantParamError(`${what}: scale[${i}] = ${s} is not a positive finite float32`);
    }
  });
  const zps = zeroPointIn === undefined ? new Array<number>(scales.length).fill(0) : toArray(zeroPointIn);
  if (zps.length !== scales.length) {
    throw new QuantParamError(`${what}: ${scales.length} scales but ${zps.length} zero points`);
  }
  const { min, max } = DTYPES[dtype];
  const zeroPoint = new Int32Array(zps.length);
  zps.forEach((z, i) => {
    if (!Number.isInteger(z) || z < min || z > max) {
      throw new QuantParamError(`${what}: zeroPoint[${i}] is ${z}, outside ${dtype} range [${min}, ${max}]`);
    }
    zeroPoint[i] = z;
  });
  return { scale, zeroPoint, axis, blockSize };
}
