import type { WatchMessage } from "@kube9/client";
import { serialize } from "./output/format.js";
import type { WatchTable } from "./output/table.js";
import type { OutputFormat } from "./parse.js";

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

/** The callbacks a tRPC subscription takes (the parts a watch uses). */
export interface Handlers<T> {
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

/**
 * A printer for a stream of objects, like `kubectl get -w`: an aligned table (`tableLines` turns each batch
 * into lines), or one JSON object per line, or one YAML document per object.
 */
export function streamPrinter<T>(
  output: OutputFormat,
  tableLines: (items: readonly T[]) => string[],
  print: (text: string) => void,
  toDoc: (item: T) => unknown = (item) => item,
): (items: readonly T[]) => void {
  return (items) => {
    if (output === "json") return items.forEach((i) => print(JSON.stringify(toDoc(i))));
    if (output === "yaml") return items.forEach((i) => print("---\n" + (serialize("yaml", toDoc(i)) ?? "")));
    const lines = tableLines(items);
    if (lines.length) print(lines.join("\n"));
  };
}

/**
 * Prints a nodes/pods watch: the current list, then one row per change. `keep` filters rows (e.g. --status);
 * `toDoc` is what json/yaml print for an item (the item itself unless given).
 */
export function listWatchPrinter<T>(
  output: OutputFormat,
  table: WatchTable,
  row: (item: T) => string[],
  keep: (item: T) => boolean,
  print: (text: string) => void,
  toDoc?: (item: T) => unknown,
): (m: WatchMessage<T>) => void {
  const emit = streamPrinter<T>(output, (items) => table.lines(items.map(row)), print, toDoc);
  return (m) => emit((m.type === "snapshot" ? m.items : [m.item]).filter(keep));
}
