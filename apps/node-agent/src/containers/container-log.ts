import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";

// A container's stdout/stderr on disk, one record per line in the CRI log format
// (`<RFC3339 time> <stream> <F|P> <text>`), so tail, since, timestamps and follow can be served
// without keeping output in memory. Files, for a container named N:
//   N.log, N.log.1                   the current run (N.log.1 holds the older half after rotation)
//   N.previous.log, N.previous.log.1 the run before it (`logs --previous`)
// Writes are synchronous: records stay in order and a follower that reads the file and then
// subscribes in the same tick can neither miss nor repeat a line.

/** Default cap of one run's log (both of its files together). */
export const DEFAULT_LOG_CAP_BYTES = 1024 * 1024;
/** Longer lines are stored as several partial records, as container runtimes do. */
const MAX_RECORD_TEXT = 16 * 1024;

export type LogStream = "stdout" | "stderr";

/** One line of container output. */
export interface LogEntry {
  time: string;
  stream: LogStream;
  text: string;
}

/** Options of {@link ContainerLog.read} and {@link ContainerLog.follow}. */
export interface LogReadOptions {
  /** Only the last N lines. */
  tail?: number;
  /** The previous run instead of the current one. */
  previous?: boolean;
  /** Prefix each line with its RFC3339 time. */
  timestamps?: boolean;
  /** Only lines written at or after this time (Date, RFC3339 string or epoch ms). */
  since?: Date | string | number;
}

/** Parses stored records, joining partial (P) records with the rest of their line. */
export function parseRecords(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  const pending = new Map<string, LogEntry>();
  for (const line of text.split("\n")) {
    const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
    if (!m) continue;
    const [, time, stream, tag, body] = m as unknown as [string, string, LogStream, "F" | "P", string];
    const open = pending.get(stream);
    const entry = open ? { ...open, text: open.text + body } : { time, stream, text: body };
    if (tag === "P") pending.set(stream, entry);
    else {
      pending.delete(stream);
      out.push(entry);
    }
  }
  // A line still open when its run ended (no final newline) is shown as it is, after the finished ones: it
  // was finished last (sorting it by its first piece's time made the order depend on the clock's tick).
  const byTime = (a: LogEntry, b: LogEntry) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0);
  return [...out.sort(byTime), ...[...pending.values()].sort(byTime)];
}

function sinceMs(since: LogReadOptions["since"]): number | undefined {
  if (since === undefined) return undefined;
  return since instanceof Date ? since.getTime() : typeof since === "number" ? since : Date.parse(since);
}

/** Applies since and tail, then formats. */
function select(entries: LogEntry[], opts: LogReadOptions): string[] {
  const from = sinceMs(opts.since);
  let picked = from === undefined ? entries : entries.filter((e) => Date.parse(e.time) >= from);
  if (opts.tail !== undefined) picked = opts.tail <= 0 ? [] : picked.slice(-opts.tail);
  return picked.map((e) => formatEntry(e, opts.timestamps));
}

/** One line as `logs` prints it. */
export function formatEntry(entry: LogEntry, timestamps = false): string {
  return timestamps ? `${entry.time} ${entry.text}` : entry.text;
}

/** Options of a {@link ContainerLog}. */
export interface ContainerLogOptions {
  dir: string;
  /** File name stem; stable across restarts of the same container so --previous works. */
  name: string;
  /** Cap of one run in bytes (default 1 MiB); at least the newest half is always kept. */
  capBytes?: number;
}

/** The size-capped, rotated log of one container across its runs. */
export class ContainerLog {
  private readonly file: string;
  private readonly capBytes: number;
  private fd: number | undefined;
  private size = 0;
  private readonly decoders = new Map<LogStream, StringDecoder>();
  /** The unfinished line of each stream (already on disk as P records), for followers. */
  private readonly open = new Map<LogStream, LogEntry>();
  private readonly listeners = new Set<(entry: LogEntry | null) => void>();

  constructor(opts: ContainerLogOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.file = join(opts.dir, `${opts.name}.log`);
    this.capBytes = opts.capBytes ?? DEFAULT_LOG_CAP_BYTES;
  }

  /** Whether a run is being written. */
  get running(): boolean {
    return this.fd !== undefined;
  }

  /** Starts a new run: the current run's files become the previous run's. */
  startRun(): void {
    this.endRun();
    const prev = this.file.replace(/\.log$/, ".previous.log");
    for (const suffix of ["", ".1"]) {
      rmSync(prev + suffix, { force: true });
      if (existsSync(this.file + suffix)) renameSync(this.file + suffix, prev + suffix);
    }
    this.fd = openSync(this.file, "a");
    this.size = 0;
  }

  /** Appends a chunk of a stream's output; complete lines become F records, a trailing fragment a P record. */
  write(stream: LogStream, chunk: Buffer | string): void {
    if (this.fd === undefined) return;
    let decoder = this.decoders.get(stream);
    if (!decoder) this.decoders.set(stream, (decoder = new StringDecoder("utf8")));
    const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
    const parts = text.split("\n");
    const time = new Date().toISOString();
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      if (last && part === "") return;
      for (let at = 0; at < part.length || at === 0; at += MAX_RECORD_TEXT) {
        const piece = part.slice(at, at + MAX_RECORD_TEXT);
        const final = !last && at + MAX_RECORD_TEXT >= part.length;
        this.append(`${time} ${stream} ${final ? "F" : "P"} ${piece}\n`);
        this.extendOpen(stream, time, piece, final);
        if (part.length === 0) break;
      }
    });
  }

  /** Ends the run: unfinished lines are handed to followers, who then finish. */
  endRun(): void {
    if (this.fd === undefined) return;
    for (const entry of this.open.values()) this.emit(entry);
    this.open.clear();
    this.decoders.clear();
    closeSync(this.fd);
    this.fd = undefined;
    this.emit(null);
  }

  /** The lines of the current (or previous) run, filtered and formatted. */
  read(opts: LogReadOptions = {}): string[] {
    return select(this.entries(opts.previous), opts);
  }

  /** Every line of the current (or previous) run. */
  entries(previous = false): LogEntry[] {
    const base = previous ? this.file.replace(/\.log$/, ".previous.log") : this.file;
    const text = [`${base}.1`, base].map((f) => (existsSync(f) ? readFileSync(f, "utf8") : "")).join("");
    return parseRecords(text);
  }

  /** Yields the selected existing lines, then each new line, until `signal` aborts or the run ends. */
  async *follow(opts: Omit<LogReadOptions, "previous"> & { signal?: AbortSignal } = {}): AsyncGenerator<string> {
    const queue: (LogEntry | null)[] = [];
    let wake: (() => void) | undefined;
    const listener = (entry: LogEntry | null) => {
      queue.push(entry);
      wake?.();
    };
    const onAbort = () => wake?.();
    // Subscribing and reading in the same tick: no write can fall between them.
    this.listeners.add(listener);
    opts.signal?.addEventListener("abort", onAbort);
    try {
      const ended = !this.running;
      for (const line of select(this.entries(), opts)) yield line;
      if (ended) return;
      while (!opts.signal?.aborted) {
        const next = queue.shift();
        if (next === null) return;
        if (next) {
          yield formatEntry(next, opts.timestamps);
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.listeners.delete(listener);
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  private extendOpen(stream: LogStream, time: string, piece: string, final: boolean): void {
    const open = this.open.get(stream);
    const entry = open ? { ...open, text: open.text + piece } : { time, stream, text: piece };
    if (final) {
      this.open.delete(stream);
      this.emit(entry);
    } else this.open.set(stream, entry);
  }

  private emit(entry: LogEntry | null): void {
    for (const listener of this.listeners) listener(entry);
  }

  /** Writes one record; past half the cap the current file becomes `.1`, so the newest half survives. */
  private append(record: string): void {
    const bytes = Buffer.byteLength(record);
    if (this.fd === undefined) return;
    if (this.size > 0 && this.size + bytes > this.capBytes / 2) {
      closeSync(this.fd);
      renameSync(this.file, `${this.file}.1`);
      this.fd = openSync(this.file, "a");
      this.size = 0;
    }
    writeSync(this.fd, record);
    this.size += bytes;
  }

  /** Bytes the current run occupies on disk (both files). */
  diskBytes(): number {
    return [this.file, `${this.file}.1`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
  }
}
