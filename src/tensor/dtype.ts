// The dtype table: one row per element type dyad stores. int4/uint4 pack two elements per byte, element 2i
// in the low nibble and 2i+1 in the high nibble (DESIGN.md §2; also ONNX's INT4/UINT4 layout).

export type IntDType = "int4" | "uint4" | "int8" | "uint8" | "int16" | "uint16" | "int32";
export type DType = IntDType | "float32";

export type TypedData = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Float32Array;

export interface DTypeInfo {
  readonly name: DType;
  /** Bits per element. */
  readonly bits: 4 | 8 | 16 | 32;
  readonly signed: boolean;
  readonly integer: boolean;
  /** Smallest and largest representable value (integers only; ±Infinity for float32). */
  readonly min: number;
  readonly max: number;
  /** The typed array that holds the data (packed bytes for 4-bit types). */
  readonly array: { new (length: number): TypedData; readonly name: string };
}

export const DTYPES: { readonly [K in DType]: DTypeInfo } = {
  int4: { name: "int4", bits: 4, signed: true, integer: true, min: -8, max: 7, array: Uint8Array },
  uint4: { name: "uint4", bits: 4, signed: false, integer: true, min: 0, max: 15, array: Uint8Array },
  int8: { name: "int8", bits: 8, signed: true, integer: true, min: -128, max: 127, array: Int8Array },
  uint8: { name: "uint8", bits: 8, signed: false, integer: true, min: 0, max: 255, array: Uint8Array },
  int16: { name: "int16", bits: 16, signed: true, integer: true, min: -32768, max: 32767, array: Int16Array },
  uint16: { name: "uint16", bits: 16, signed: false, integer: true, min: 0, max: 65535, array: Uint16Array },
  int32: { name: "int32", bits: 32, signed: true, integer: true, min: -2147483648, max: 2147483647, array: Int32Array },
  float32: { name: "float32", bits: 32, signed: true, integer: false, min: -Infinity, max: Infinity, array: Float32Array },
};

export function isDType(x: unknown): x is DType {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(DTYPES, x);
}

/** Length of the typed array that holds `count` elements of `dtype`. */
export function storageLength(dtype: DType, count: number): number {
  return DTYPES[dtype].bits === 4 ? Math.ceil(count / 2) : count;
}

/** Reads element i of a 4-bit packed buffer as a number. */
export function getNibble(data: Uint8Array, i: number, signed: boolean): number {
  const byte = data[i >> 1];
  const v = i & 1 ? byte >> 4 : byte & 15;
  return signed && v >= 8 ? v - 16 : v;
}

/** Writes element i of a 4-bit packed buffer (value already in range). */
export function setNibble(data: Uint8Array, i: number, value: number): void {
  const v = value & 15;
  const j = i >> 1;
  data[j] = i & 1 ? (data[j] & 0x0f) | (v << 4) : (data[j] & 0xf0) | v;
}
