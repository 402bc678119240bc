// Prints benchmark records as a table: per case, each engine's median ms and GOPS, and the ratios the
// targets are stated in (dyad over each peer: > 1 means dyad is faster).

const RATIOS = [
  ["dyad", "ort-web", "int8 vs ort-web"],
  ["dyad", "dyad-fp32", "int8 vs dyad fp32"],
  ["dyad-fp32", "ort-web-fp32", "fp32 vs ort-web fp32"],
  ["dyad-int4", "ort-web-int4", "int4 vs ort-web int4"],
  ["dyad-int4", "dyad", "int4 vs dyad int8"],
  ["dyad-relaxed", "dyad-int4", "int4 relaxed vs simd"],
  ["dyad-n4", "dyad-int4", "codebook vs int4"],
];

export function formatReport(records) {
  const cases = [...new Set(records.map((r) => `${r.suite}/${r.case}`))];
  const engines = [...new Set(records.map((r) => r.engine))];
  const get = (c, e) => records.find((r) => `${r.suite}/${r.case}` === c && r.engine === e);
  const ratios = RATIOS.filter(([a, b]) => engines.includes(a) && engines.includes(b));
  const header = ["case", ...engines.map((e) => `${e} ms (GOPS)`), ...ratios.map(([, , name]) => name)];
  const rows = cases.map((c) => [
    c,
    ...engines.map((e) => {
      const r = get(c, e);
      return r ? `${r.ms.toFixed(3)} (${r.gops.toFixed(1)})` : "-";
    }),
    ...ratios.map(([a, b]) => {
      const ra = get(c, a), rb = get(c, b);
      return ra && rb ? `${(rb.ms / ra.ms).toFixed(2)}x` : "-";
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
