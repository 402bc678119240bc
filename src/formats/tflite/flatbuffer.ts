// A bounds-checked view of a FlatBuffer over the `flatbuffers` runtime's ByteBuffer. The runtime itself trusts
// its input (an offset past the end reads undefined); every access here is checked first, so a malformed or
// truncated file yields a ModelFormatError naming the byte offset and the field, never a wrong number.
// Layout facts (FlatBuffers binary format): a table starts with an int32 soffset to its vtable; a vtable is
// [u16 vtable bytes, u16 table bytes, u16 field offsets...]; vectors and strings are a u32 length then data,
// reached through a u32 uoffset relative to where the offset is stored.

import { ByteBuffer } from "flatbuffers";
import { ModelFormatError } from "../../errors.js";

export class FbTable {
  constructor(
    readonly fb: FlatBufferView,
    /** Byte offset of the table. */
    readonly pos: number,
    private readonly vtable: number,
    private readonly vtableBytes: number,
    private readonly tableBytes: number,
    /** Name used in errors, e.g. "subgraphs[0].tensors[3]". */
    readonly path: string,
  ) {}

  /** Offset of field `slot` inside the table, or 0 when absent. */
  private fieldOffset(slot: number): number {
    const at = 4 + 2 * slot;
    if (at + 2 > this.vtableBytes) return 0;
    const off = this.fb.bb.readUint16(this.vtable + at);
    if (off !== 0 && off + 1 > this.tableBytes) {
      throw new ModelFormatError(`${this.path}: field ${slot} lies outside its table`, this.pos + off);
    }
    return off;
  }

  has(slot: number): boolean {
    return this.fieldOffset(slot) !== 0;
  }

  /** Byte offset in the file of scalar field `slot`, or null when the field is absent (for tools that patch a copy). */
  position(slot: number): number | null {
    const off = this.fieldOffset(slot);
    return off === 0 ? null : this.pos + off;
  }

  private scalar(slot: number, bytes: number, read: (at: number) => number, fallback: number): number {
    const off = this.fieldOffset(slot);
    if (off === 0) return fallback;
    this.fb.check(this.pos + off, bytes, `${this.path} field ${slot}`);
    return read(this.pos + off);
  }

  int8(slot: number, fallback = 0): number {
    return this.scalar(slot, 1, (at) => this.fb.bb.readInt8(at), fallback);
  }
  uint8(slot: number, fallback = 0): number {
    return this.scalar(slot, 1, (at) => this.fb.bb.readUint8(at), fallback);
  }
  bool(slot: number, fallback = false): boolean {
    return this.scalar(slot, 1, (at) => this.fb.bb.readUint8(at), fallback ? 1 : 0) !== 0;
  }
  int32(slot: number, fallback = 0): number {
    return this.scalar(slot, 4, (at) => this.fb.bb.readInt32(at), fallback);
  }
  uint32(slot: number, fallback = 0): number {
    return this.scalar(slot, 4, (at) => this.fb.bb.readUint32(at), fallback);
  }
  float32(slot: number, fallback = 0): number {
    return this.scalar(slot, 4, (at) => this.fb.bb.readFloat32(at), fallback);
  }
  uint64(slot: number, fallback = 0): number {
    const off = this.fieldOffset(slot);
    if (off === 0) return fallback;
    this.fb.check(this.pos + off, 8, `${this.path} field ${slot}`);
    const v = this.fb.bb.readUint64(this.pos + off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFormatError(`${this.path} field ${slot}: ${v} is too large`, this.pos + off);
    return Number(v);
  }

  /** Target of the uoffset stored in field `slot`, or null when absent. */
  private indirect(slot: number): number | null {
    const off = this.fieldOffset(slot);
    if (off === 0) return null;
    return this.fb.follow(this.pos + off, `${this.path} field ${slot}`);
  }

  table(slot: number, name: string): FbTable | null {
    const at = this.indirect(slot);
    return at === null ? null : this.fb.table(at, `${this.path}.${name}`);
  }

  string(slot: number, name: string): string | null {
    const v = this.vector(slot, 1, name);
    return v === null ? null : this.fb.decoder.decode(this.fb.bytes.subarray(v.start, v.start + v.length));
  }

  /** A vector of `elemBytes`-sized scalars: its data offset and element count, checked against the file. */
  vector(slot: number, elemBytes: number, name: string): { start: number; length: number } | null {
    const at = this.indirect(slot);
    if (at === null) return null;
    this.fb.check(at, 4, `${this.path}.${name} length`);
    const length = this.fb.bb.readUint32(at);
    this.fb.check(at + 4, length * elemBytes, `${this.path}.${name} (${length} elements)`);
    return { start: at + 4, length };
  }

  int32s(slot: number, name: string): number[] {
    const v = this.vector(slot, 4, name);
    return v ? Array.from({ length: v.length }, (_, i) => this.fb.bb.readInt32(v.start + 4 * i)) : [];
  }
  float32s(slot: number, name: string): number[] {
    const v = this.vector(slot, 4, name);
    return v ? Array.from({ length: v.length }, (_, i) => this.fb.bb.readFloat32(v.start + 4 * i)) : [];
  }
  int64s(slot: number, name: string): number[] {
    const v = this.vector(slot, 8, name);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => {
      const x = this.fb.bb.readInt64(v.start + 8 * i);
      if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new ModelFormatError(`${this.path}.${name}[${i}] = ${x} is out of range`, v.start + 8 * i);
      }
      return Number(x);
    });
  }
  /** Bytes of a [ubyte] vector, as a view into the file. */
  bytesOf(slot: number, name: string): Uint8Array | null {
    const v = this.vector(slot, 1, name);
    return v ? this.fb.bytes.subarray(v.start, v.start + v.length) : null;
  }
  tables(slot: number, name: string): FbTable[] {
    const v = this.vector(slot, 4, name);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => {
      const at = this.fb.follow(v.start + 4 * i, `${this.path}.${name}[${i}]`);
      return this.fb.table(at, `${this.path}.${name}[${i}]`);
    });
  }
}

export class FlatBufferView {
  readonly bb: ByteBuffer;
  readonly decoder = new TextDecoder("utf-8", { fatal: false });

  constructor(readonly bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
  }

  check(offset: number, bytes: number, what: string): void {
    if (!(offset >= 0) || !(bytes >= 0) || offset + bytes > this.bytes.length) {
      throw new ModelFormatError(`${what}: ${bytes} bytes at ${offset} run past the end of the ${this.bytes.length}-byte file`, offset);
    }
  }

  /** Follows the uoffset stored at `at`. */
  follow(at: number, what: string): number {
    this.check(at, 4, what);
    const target = at + this.bb.readUint32(at);
    this.check(target, 0, what);
    return target;
  }

  table(pos: number, path: string): FbTable {
    this.check(pos, 4, path);
    const vtable = pos - this.bb.readInt32(pos);
    this.check(vtable, 4, `${path} vtable`);
    const vtableBytes = this.bb.readUint16(vtable);
    const tableBytes = this.bb.readUint16(vtable + 2);
    if (vtableBytes < 4 || vtableBytes % 2 !== 0) throw new ModelFormatError(`${path}: vtable size ${vtableBytes} is invalid`, vtable);
    this.check(vtable, vtableBytes, `${path} vtable`);
    this.check(pos, tableBytes, path);
    return new FbTable(this, pos, vtable, vtableBytes, tableBytes, path);
  }

  /** The root table; `identifier` is the 4-byte file identifier after the root offset. */
  root(identifier: string, what: string): FbTable {
    if (this.bytes.length < 8) throw new ModelFormatError(`${what}: ${this.bytes.length} bytes is too short for a FlatBuffer`, 0);
    const id = String.fromCharCode(...this.bytes.subarray(4, 8));
    if (id !== identifier) throw new ModelFormatError(`${what}: file identifier is "${id}", expected "${identifier}"`, 4);
    return this.table(this.follow(0, `${what} root`), what);
  }
}
