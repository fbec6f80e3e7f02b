import type { WatchMessage } from "@kube9/client";
import { sanitizeForTerminal } from "./output/sanitize.js";
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

/** How often `top -w` and `alerts -w` redraw. */
export const REFRESH_MS = 2000;

/**
 * Redraws a snapshot every `intervalMs` until Ctrl-C, then returns normally (exit 0): these views are
 * polled (use and alerts change every second, not by events). An error from `frame` ends the watch.
 */
export async function refreshUntilInterrupted(frame: () => Promise<string>, show: (text: string) => void, intervalMs = REFRESH_MS): Promise<void> {
  const stop = onceInterrupted();
  let stopped = false;
  void stop.promise.then(() => (stopped = true));
  const interrupted = stop.promise.then(() => undefined);
  try {
    while (!stopped) {
      const next = frame();
      // A request still in flight when Ctrl-C comes may fail later; nobody waits for it any more.
      next.catch(() => undefined);
      const text = await Promise.race([next, interrupted]);
      if (text === undefined) break;
      show(text);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => (timer = setTimeout(r, intervalMs))), stop.promise]);
      clearTimeout(timer);
    }
  } finally {
    stop.dispose();
  }
}

/**
 * Shows one frame of a redrawn view: on a terminal the screen is cleared first, as `watch` does; into a
 * pipe or file, frames follow each other separated by a blank line, so nothing is lost.
 */
export function frameWriter(out: NodeJS.WriteStream = process.stdout): (text: string) => void {
  let first = true;
  return (text) => {
    const clean = sanitizeForTerminal(text);
    const body = clean.endsWith("\n") ? clean : clean + "\n";
    if (out.isTTY) out.write("\x1b[H\x1b[2J" + body);
    else out.write((first ? "" : "\n") + body);
    first = false;
  };
}
