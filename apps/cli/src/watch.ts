import { serialize } from "./output/format.js";
import type { parseOutput } from "./parse.js";

/** Resolves on the first SIGINT/SIGTERM (a second one forces exit 130), so a watch can end cleanly with 0. */
export function onceInterrupted(): { promise: Promise<void>; dispose(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  let count = 0;
  const handler = () => {
    count++;
    if (count > 1) process.exit(130);
    resolve();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    promise,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

interface Handlers<T> {
  onData(value: T): void;
  onError(err: unknown): void;
}

/**
 * Runs a tRPC subscription (SSE) until Ctrl-C, then unsubscribes and returns normally; an error from the
 * server (e.g. a bad token) rejects. The link reconnects on its own after network errors, resuming from
 * the last id it received.
 */
export async function watchUntilInterrupted<T>(
  subscribe: (handlers: Handlers<T>) => { unsubscribe(): void },
  onData: (value: T) => void,
): Promise<void> {
  const stop = onceInterrupted();
  let fail!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const sub = subscribe({ onData, onError: (err) => fail(err) });
  try {
    await Promise.race([stop.promise, failed]);
  } finally {
    sub.unsubscribe();
    stop.dispose();
  }
}

/** A table whose column widths are fixed by the first batch, so rows printed later line up with the header. */
export class WatchTable {
  private widths: number[] | undefined;

  constructor(
    private readonly headers: readonly string[],
    private readonly mins: readonly number[] = [],
  ) {}

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

/** What a nodes/pods watch sends: the list first, then one changed object at a time. */
export type WatchMessage<T> = { type: "snapshot"; items: T[] } | { type: "change"; item: T };

/**
 * Prints a nodes/pods watch like `kubectl get -w`: the current list as a table, then one row per change
 * (json: one object per line; yaml: one document per object). `keep` filters rows (e.g. --status).
 */
export function listWatchPrinter<T>(
  output: ReturnType<typeof parseOutput>,
  table: WatchTable,
  row: (item: T) => string[],
  keep: (item: T) => boolean,
  print: (text: string) => void,
): (m: WatchMessage<T>) => void {
  const emit = (items: T[]) => {
    if (output === "json") return items.forEach((i) => print(JSON.stringify(i)));
    if (output === "yaml") return items.forEach((i) => print("---\n" + (serialize("yaml", i) ?? "")));
    const lines = table.lines(items.map(row));
    if (lines.length) print(lines.join("\n"));
  };
  return (m) => emit((m.type === "snapshot" ? m.items : [m.item]).filter(keep));
}
