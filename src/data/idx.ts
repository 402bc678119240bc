// The IDX format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist): a big-endian header, magic
// 0x00000800 + (type code << 8) + rank, then `rank` uint32 dimensions, then the values row-major. dyad reads
// the unsigned-byte type (0x08), which both datasets use for images and labels.

import { ModelFormatError, UnsupportedError } from "../errors.js";

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function readIdx(bytes: Uint8Array): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new ModelFormatError("idx: the file must be a Uint8Array");
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) throw new ModelFormatError("idx: the file is gzip-compressed; decompress it first (loadIdxFile in dyad/node does)");
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new ModelFormatError(`idx: bad magic at offset 0 (${Array.from(bytes.subarray(0, 4)).join(" ")})`);
  if (bytes[2] !== 0x08) throw new UnsupportedError(`idx: value type 0x${bytes[2].toString(16)} at offset 2; only unsigned bytes (0x08)`);
  const rank = bytes[3];
  if (rank < 1 || bytes.length < 4 + 4 * rank) throw new ModelFormatError(`idx: a header of rank ${rank} needs ${4 + 4 * rank} bytes, the file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (bytes.length !== start + size) throw new ModelFormatError(`idx: dims [${dims}] need ${size} values after the ${start}-byte header, the file has ${bytes.length - start}`);
  return { dims, data: bytes.subarray(start) };
}
