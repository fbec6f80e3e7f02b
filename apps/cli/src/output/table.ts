import { sanitizeCell } from "./sanitize.js";

/** Renders rows as left-aligned columns separated by three spaces, kubectl style (no borders). */
export function renderTable(headers: readonly string[], rawRows: readonly (readonly string[])[]): string {
  const rows = rawRows.map((r) => r.map(sanitizeCell));
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

/** A table whose column widths are fixed by the first batch, so rows printed later line up with the header. */
export class WatchTable {
  private widths: number[] | undefined;

  constructor(
    private readonly headers: readonly string[],
    private readonly mins: readonly number[] = [],
  ) {}

  /** Lines for a batch of rows; the first call also returns the header. */
  lines(rows: readonly (readonly string[])[]): string[] {
    const out: string[] = [];
    if (!this.widths) {
      this.widths = this.headers.map((h, i) => Math.max(h.length, this.mins[i] ?? 0, ...rows.map((r) => (r[i] ?? "").length)));
      out.push(this.format(this.headers));
    }
    for (const r of rows) out.push(this.format(r));
    return out;
  }

  private format(cells: readonly string[]): string {
    const widths = this.widths ?? [];
    return cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  }
}
