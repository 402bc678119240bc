// Typed errors. Every check that rejects user input throws one of these, naming the argument and the value;
// no bad input reaches a kernel.

export type DyadErrorCode =
  | "E_SHAPE"
  | "E_DTYPE"
  | "E_QPARAM"
  | "E_BUFFER"
  | "E_UNSUPPORTED"
  | "E_MEMORY"
  | "E_LOAD"
  | "E_STATE"
  | "E_FORMAT";

export class DyadError extends Error {
  readonly code: DyadErrorCode;
  constructor(code: DyadErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A shape, rank or dimension does not fit the operation. */
export class ShapeError extends DyadError {
  constructor(message: string) {
    super("E_SHAPE", message);
  }
}

/** A tensor or parameter has a dtype the operation does not take. */
export class DTypeError extends DyadError {
  constructor(message: string) {
    super("E_DTYPE", message);
  }
}

/** A scale or zero point is invalid: non-finite, non-positive, out of range, or of the wrong count. */
export class QuantParamError extends DyadError {
  constructor(message: string) {
    super("E_QPARAM", message);
  }
}

/** A data buffer is too small, too large or of the wrong kind for its shape and dtype. */
export class BufferError extends DyadError {
  constructor(message: string) {
    super("E_BUFFER", message);
  }
}

/** A valid request that dyad does not implement (yet). */
export class UnsupportedError extends DyadError {
  constructor(message: string) {
    super("E_UNSUPPORTED", message);
  }
}

/** The arena cannot grow to hold a request, or would pass its configured limit. */
export class MemoryError extends DyadError {
  constructor(message: string) {
    super("E_MEMORY", message);
  }
}

/** The wasm module cannot be loaded or lacks a feature dyad needs. */
export class LoadError extends DyadError {
  constructor(message: string) {
    super("E_LOAD", message);
  }
}

/** An object was used after dispose(). */
export class StateError extends DyadError {
  constructor(message: string) {
    super("E_STATE", message);
  }
}

/** A model file is malformed: wrong magic, truncated, an offset out of range. Names the byte offset. */
export class ModelFormatError extends DyadError {
  /** Byte offset in the file where the problem is, when known. */
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super("E_FORMAT", offset === undefined ? message : `${message} (at byte offset ${offset})`);
    this.offset = offset;
  }
}
