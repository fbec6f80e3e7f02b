/** A node of a cluster trace: its name and what it offers (CPU and memory only). */
export interface TraceNode {
  name: string;
  cpuMilli: number;
  memoryMiB: number;
}

/** A pod of a cluster trace: its request and its life span in trace seconds. */
export interface TracePod {
  name: string;
  cpuMilli: number;
  memoryMiB: number;
  creationTime: number;
  deletionTime: number;
}

/** A malformed trace file; the message names the line (1-based, header = line 1) and, when known, the column. */
export class TraceParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column?: string,
  ) {
    super(message);
    this.name = "TraceParseError";
  }
}

interface Table {
  /** Column name -> position in each row. */
  columns: Map<string, number>;
  rows: { line: number; cells: string[] }[];
}

/**
 * Splits CSV text into a header and rows. The traces have no quoted fields, so a quote is an
 * error rather than something silently mis-split.
 */
function readTable(text: string, required: readonly string[]): Table {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").replace(/^\uFEFF/, "");
  if (header.trim() === "") throw new TraceParseError("line 1: missing header row", 1);
  const names = header.split(",").map((s) => s.trim());
  const columns = new Map<string, number>();
  names.forEach((name, i) => columns.set(name, i));
  const missing = required.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new TraceParseError(`line 1: missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (header: ${header})`, 1);
  }
  const rows: Table["rows"] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === "") continue;
    const line = i + 1;
    if (raw.includes('"')) throw new TraceParseError(`line ${line}: quoted fields are not supported`, line);
    const cells = raw.split(",");
    if (cells.length !== names.length) {
      throw new TraceParseError(`line ${line}: expected ${names.length} fields, got ${cells.length}`, line);
    }
    rows.push({ line, cells });
  }
  return { columns, rows };
}

function cell(table: Table, row: Table["rows"][number], column: string): string {
  return row.cells[table.columns.get(column)!]!.trim();
}

/** Trace quantities are whole, non-negative numbers; anything else is a broken file, not a value to guess at. */
function wholeNumber(table: Table, row: Table["rows"][number], column: string): number {
  const raw = cell(table, row, column);
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new TraceParseError(`line ${row.line}, column ${column}: expected a whole number >= 0, got "${raw}"`, row.line, column);
  }
  return value;
}

function name(table: Table, row: Table["rows"][number], column: string, seen: Set<string>): string {
  const value = cell(table, row, column);
  if (value === "") throw new TraceParseError(`line ${row.line}, column ${column}: empty name`, row.line, column);
  // Placements are keyed by name, so a repeated name would make two objects one.
  if (seen.has(value)) throw new TraceParseError(`line ${row.line}, column ${column}: duplicate name "${value}"`, row.line, column);
  seen.add(value);
  return value;
}

/** Parses a nodes table (columns sn, cpu_milli, memory_mib; others ignored), keeping file order. */
export function parseTraceNodes(text: string): TraceNode[] {
  const table = readTable(text, ["sn", "cpu_milli", "memory_mib"]);
  const seen = new Set<string>();
  return table.rows.map((row) => ({
    name: name(table, row, "sn", seen),
    cpuMilli: wholeNumber(table, row, "cpu_milli"),
    memoryMiB: wholeNumber(table, row, "memory_mib"),
  }));
}

/** Parses a pods table (columns name, cpu_milli, memory_mib, creation_time, deletion_time; others ignored). */
export function parseTracePods(text: string): TracePod[] {
  const table = readTable(text, ["name", "cpu_milli", "memory_mib", "creation_time", "deletion_time"]);
  const seen = new Set<string>();
  return table.rows.map((row) => {
    const pod = {
      name: name(table, row, "name", seen),
      cpuMilli: wholeNumber(table, row, "cpu_milli"),
      memoryMiB: wholeNumber(table, row, "memory_mib"),
      creationTime: wholeNumber(table, row, "creation_time"),
      deletionTime: wholeNumber(table, row, "deletion_time"),
    };
    if (pod.deletionTime < pod.creationTime) {
      throw new TraceParseError(
        `line ${row.line}, column deletion_time: ${pod.deletionTime} is before creation_time ${pod.creationTime}`,
        row.line,
        "deletion_time",
      );
    }
    return pod;
  });
}
