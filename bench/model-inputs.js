// Deterministic inputs for any loaded model (its inputs' dtypes and shapes): floats in [-1, 1), integers over
// their byte range, from a seed. 4096 values are drawn and repeated, so that a large input costs little to
// make (the fuzzer meets inputs of tens of MB). Shared by the soak and the fuzzer.

const ARRAYS = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array, int64: BigInt64Array, bool: Uint8Array };

export function modelInputs(model, seed = 1) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / 2 ** 24;
  return model.inputs.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const Ctor = ARRAYS[t.dtype] ?? Uint8Array;
    const data = new Ctor(n);
    for (let i = 0; i < Math.min(n, 4096); i++) {
      const u = next();
      data[i] = t.dtype === "float32" ? u * 2 - 1 : t.dtype === "int64" ? BigInt(Math.floor(u * 256) - 128)
        : t.dtype === "bool" ? (u < 0.5 ? 0 : 1) : Math.floor(u * 256) - (t.dtype === "uint8" ? 0 : 128);
    }
    for (let have = 4096; have < n; have *= 2) data.copyWithin(have, 0, Math.min(have, n - have));
    return data;
  });
}
