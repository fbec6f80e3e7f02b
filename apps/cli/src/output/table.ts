/** Renders rows as left-aligned columns separated by three spaces, kubectl style (no borders). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    widths
      .map((w, i) => {
        const cell = cells[i] ?? "";
        // The last column is not padded so lines carry no trailing spaces.
        return i === widths.length - 1 ? cell : cell.padEnd(w);
      })
      .join("   ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** Renders "Key:  value" lines with the values aligned, for describe-style output. */
export function renderFields(fields: readonly (readonly [string, string])[], indent = ""): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length + 1));
  return fields.map(([k, v]) => `${indent}${(k + ":").padEnd(width)}  ${v}`.trimEnd()).join("\n");
}

/** Indents every line of a block (for nested tables in describe output). */
export function indent(block: string, prefix = "  "): string {
  return block
    .split("\n")
    .map((l) => (l ? prefix + l : l))
    .join("\n");
}
