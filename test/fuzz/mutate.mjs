// Mutations of model files for the fuzzer: byte-level ones (bit flips, edge values, truncation, duplicated
// and deleted chunks) and structure-aware ones that change one field of the file's own structure: in a
// .tflite flatbuffer the scalars dyad reads (tensor shapes, types and buffer indices, operator inputs,
// outputs and opcodes, options such as strides, dilations and axes, quantization scales, zero points and
// quantized dimensions), in an .onnx protobuf any varint, fixed32 or length-delimited field of any message
// (dims, dtypes, attribute ints and floats, opset numbers, names), re-encoded with consistent lengths.

const EDGE_INTS = [0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1024, 65535, 65536,
  0x7fffffff, -1, -2, -128, -129, -32768, -2147483648, 32513, 1 << 20, 1 << 24];
const EDGE_FLOATS = [0, -0, 1, -1, 0.5, 1e-30, 1e30, 3.4028234663852886e38, 1.401298464324817e-45, NaN, Infinity, -Infinity, 2 ** 31, 1e-8];

const pick = (rng, list) => list[Math.floor(rng() * list.length)];
const randInt = (rng, n) => Math.floor(rng() * n);

// ---- byte level ----

export function mutateBytes(src, rng) {
  let b = src.slice();
  const kind = randInt(rng, 7);
  if (kind === 0) {
    for (let f = 1 + randInt(rng, 8); f > 0 && b.length; f--) b[randInt(rng, b.length)] ^= 1 << randInt(rng, 8);
  } else if (kind === 1 && b.length) {
    b[randInt(rng, b.length)] = pick(rng, [0, 0xff, 0x7f, 0x80, 0x01, 0xfe]);
  } else if (kind === 2 && b.length >= 4) {
    const at = randInt(rng, b.length - 3) & ~3;
    new DataView(b.buffer, b.byteOffset).setInt32(at, pick(rng, EDGE_INTS), true);
  } else if (kind === 3) {
    b = b.subarray(0, randInt(rng, b.length + 1)).slice();
  } else if (kind === 4 && b.length) {
    const at = randInt(rng, b.length), len = 1 + randInt(rng, Math.min(256, b.length - at));
    const out = new Uint8Array(b.length + len);
    out.set(b.subarray(0, at + len));
    out.set(b.subarray(at, at + len), at + len);
    out.set(b.subarray(at + len), at + 2 * len);
    b = out;
  } else if (kind === 5 && b.length) {
    const at = randInt(rng, b.length), len = 1 + randInt(rng, Math.min(256, b.length - at));
    b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + len)]);
  } else if (b.length >= 4) {
    const at = randInt(rng, b.length - 3);
    new DataView(b.buffer, b.byteOffset).setFloat32(at, pick(rng, EDGE_FLOATS), true);
  }
  return b;
}

// ---- TFLite: the scalar fields of the schema that dyad reads ----

/** Locations of fields in a flatbuffer: [offset, kind] with kind "i32", "u32", "i8", "f32" or "i64". */
export function tfliteFields(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields = [];
  const ok = (at, n) => at >= 0 && at + n <= bytes.length;
  const table = (at) => {
    if (!ok(at, 4)) return null;
    const vt = at - dv.getInt32(at, true);
    if (!ok(vt, 4)) return null;
    const vtLen = dv.getUint16(vt, true);
    return (slot) => {
      const o = 4 + 2 * slot;
      if (o + 2 > vtLen || !ok(vt + o, 2)) return -1;
      const off = dv.getUint16(vt + o, true);
      return off === 0 ? -1 : at + off;
    };
  };
  const deref = (at) => (ok(at, 4) ? at + dv.getUint32(at, true) : -1);
  const vector = (at) => {
    const v = deref(at);
    return ok(v, 4) ? { start: v + 4, length: Math.min(dv.getUint32(v, true), 1 << 16) } : null;
  };
  const scalars = (t, slot, kind, size) => {
    const at = t(slot);
    if (at >= 0 && ok(at, size)) fields.push([at, kind]);
  };
  const vectorOf = (t, slot, kind, size) => {
    const at = t(slot);
    if (at < 0) return;
    const v = vector(at);
    if (!v) return;
    for (let i = 0; i < v.length && ok(v.start + i * size, size); i++) fields.push([v.start + i * size, kind]);
  };
  const tables = (t, slot) => {
    const at = t(slot);
    const v = at >= 0 ? vector(at) : null;
    const out = [];
    if (v) for (let i = 0; i < v.length && ok(v.start + 4 * i, 4); i++) {
      const sub = table(deref(v.start + 4 * i));
      if (sub) out.push(sub);
    }
    return out;
  };
  try {
    const root = table(deref(0));
    if (!root) return fields;
    scalars(root, 0, "u32", 4); // version
    for (const code of tables(root, 1)) { scalars(code, 0, "i8", 1); scalars(code, 3, "i32", 4); scalars(code, 2, "i32", 4); }
    for (const g of tables(root, 2)) {
      vectorOf(g, 1, "i32", 4); vectorOf(g, 2, "i32", 4);
      for (const t of tables(g, 0)) {
        vectorOf(t, 0, "i32", 4); scalars(t, 1, "i8", 1); scalars(t, 2, "u32", 4);
        const qAt = t(4);
        const q = qAt >= 0 ? table(deref(qAt)) : null;
        if (q) { vectorOf(q, 2, "f32", 4); vectorOf(q, 3, "i64", 8); scalars(q, 6, "i32", 4); }
      }
      for (const op of tables(g, 3)) {
        scalars(op, 0, "u32", 4); vectorOf(op, 1, "i32", 4); vectorOf(op, 2, "i32", 4);
        const oAt = op(4);
        const o = oAt >= 0 ? table(deref(oAt)) : null;
        // Options tables hold small scalars in their first slots (strides, filters, axes, activations, masks).
        if (o) for (let slot = 0; slot < 8; slot++) scalars(o, slot, slot === 0 ? "i8" : "i32", slot === 0 ? 1 : 4);
      }
    }
  } catch {
    // A file the walk cannot follow still gets byte-level mutations.
  }
  return fields;
}

export function mutateTflite(src, rng, fields) {
  if (!fields.length || rng() < 0.3) return mutateBytes(src, rng);
  const b = src.slice();
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let n = 1 + (rng() < 0.3 ? randInt(rng, 3) : 0); n > 0; n--) {
    const [at, kind] = pick(rng, fields);
    const small = rng() < 0.5;
    const value = small ? randInt(rng, 9) - 2 : pick(rng, EDGE_INTS);
    if (kind === "i8") b[at] = value & 0xff;
    else if (kind === "f32") dv.setFloat32(at, pick(rng, EDGE_FLOATS), true);
    else if (kind === "i64") dv.setBigInt64(at, BigInt(value), true);
    else dv.setInt32(at, value, true);
  }
  return b;
}

// ---- ONNX: a protobuf walked generically, one field changed, re-encoded ----

function readVarint(b, at) {
  let v = 0n, shift = 0n;
  for (;;) {
    if (at >= b.length || shift > 63n) return null;
    const byte = b[at++];
    v |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (!(byte & 0x80)) return { value: v, at };
  }
}

function writeVarint(out, v) {
  let x = BigInt.asUintN(64, BigInt(v));
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x) byte |= 0x80;
    out.push(byte);
  } while (x);
}

/** A message as fields {field, wire, value | bytes, children}; null when `b` is not a well-formed message. */
export function parseProto(b, depth = 0) {
  const fields = [];
  let at = 0;
  while (at < b.length) {
    const tag = readVarint(b, at);
    if (!tag || tag.value === 0n) return null;
    at = tag.at;
    const field = Number(tag.value >> 3n), wire = Number(tag.value & 7n);
    if (wire === 0) {
      const v = readVarint(b, at);
      if (!v) return null;
      fields.push({ field, wire, value: v.value });
      at = v.at;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (at + n > b.length) return null;
      fields.push({ field, wire, bytes: b.slice(at, at + n) });
      at += n;
    } else if (wire === 2) {
      const len = readVarint(b, at);
      if (!len || len.at + Number(len.value) > b.length) return null;
      const body = b.subarray(len.at, len.at + Number(len.value));
      const children = depth < 8 && body.length > 0 ? parseProto(body, depth + 1) : null;
      fields.push({ field, wire, bytes: body.slice(), children });
      at = len.at + Number(len.value);
    } else {
      return null;
    }
  }
  return fields;
}

export function encodeProto(fields) {
  const out = [];
  for (const f of fields) {
    writeVarint(out, (BigInt(f.field) << 3n) | BigInt(f.wire));
    if (f.wire === 0) writeVarint(out, f.value);
    else if (f.wire === 2) {
      const body = f.children ? encodeProto(f.children) : f.bytes;
      writeVarint(out, body.length);
      for (const x of body) out.push(x);
    } else for (const x of f.bytes) out.push(x);
  }
  return Uint8Array.from(out);
}

function allFields(fields, into = []) {
  for (const f of fields) {
    into.push([fields, f]);
    if (f.children) allFields(f.children, into);
  }
  return into;
}

export function mutateOnnx(src, rng) {
  const tree = rng() < 0.3 ? null : parseProto(src);
  if (!tree) return mutateBytes(src, rng);
  const all = allFields(tree);
  if (!all.length) return mutateBytes(src, rng);
  for (let n = 1 + (rng() < 0.3 ? randInt(rng, 3) : 0); n > 0; n--) {
    const [parent, f] = pick(rng, all);
    const kind = randInt(rng, 10);
    if (f.wire === 0 && kind < 6) f.value = BigInt(rng() < 0.5 ? randInt(rng, 9) - 2 : pick(rng, EDGE_INTS));
    else if (f.wire === 5 && kind < 6) new DataView(f.bytes.buffer).setFloat32(0, pick(rng, EDGE_FLOATS), true);
    else if (f.wire === 2 && !f.children && kind < 6 && f.bytes.length) f.bytes = f.bytes.subarray(0, randInt(rng, f.bytes.length)).slice();
    else if (kind < 8) parent.splice(parent.indexOf(f), 1); // a field removed
    else parent.splice(parent.indexOf(f), 0, structuredClone(f)); // a field repeated
  }
  return encodeProto(tree);
}

/** A mutator for one seed file: structure-aware for its format, byte-level otherwise. */
export function mutatorFor(bytes) {
  const tflite = bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === "TFL3";
  if (tflite) {
    const fields = tfliteFields(bytes);
    return (src, rng) => mutateTflite(src, rng, src === bytes ? fields : tfliteFields(src));
  }
  return mutateOnnx;
}
