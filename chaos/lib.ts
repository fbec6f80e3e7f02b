import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root (chaos/ sits in it). */
export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** A seeded random source (mulberry32): the same seed gives the same fault schedule and load. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Resolves after ms milliseconds (or at once when the signal aborts). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res) => {
    if (signal?.aborted) return res();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      res();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

// One way to find a free port, shared with the benchmarks.
export { freePort } from "../bench/lib.js";

/** Parses "120s", "2m", "1500ms" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`${flag}: "${text}" is not a duration (e.g. 120s, 5m, 1500ms)`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

/** Milliseconds as "1.23 s". */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The current time, relative to the start of the run, for log lines. */
const T0 = Date.now();
export function stamp(): string {
  return `[${((Date.now() - T0) / 1000).toFixed(1).padStart(6)}s]`;
}

/** A process's parent pid and state letter (R, S, T = stopped, Z ...), or undefined when it is gone. */
export function procStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces or parentheses: fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** Every live pid on the machine with its parent. */
function allProcs(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s && s.state !== "Z") out.set(Number(name), s.ppid);
  }
  return out;
}

/** Every descendant of the given processes (children, grandchildren, ...), read from /proc. */
export function descendants(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of allProcs()) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** A process's environment (empty when it is gone or unreadable). */
export function procEnv(pid: number): Map<string, string> {
  const env = new Map<string, string>();
  try {
    for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
      const i = kv.indexOf("=");
      if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
    }
  } catch {
    // Gone.
  }
  return env;
}

/** Pids of every live process whose environment has key=value (e.g. agents of our API ports). */
export function procsWithEnv(match: (env: Map<string, string>) => boolean): number[] {
  const out: number[] = [];
  for (const pid of allProcs().keys()) {
    if (pid === process.pid) continue;
    if (match(procEnv(pid))) out.push(pid);
  }
  return out;
}

/** Sends a signal, ignoring processes that are already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
