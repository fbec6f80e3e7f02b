import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** A PostgreSQL server for the benchmark: KUBE9_BENCH_PG_URL, or a throwaway one started with scripts/pg.sh. */
export async function benchPostgres(): Promise<{ url: string; stop(): void; pids(): number[] }> {
  // Another's server: its processes are not ours to count.
  if (process.env.KUBE9_BENCH_PG_URL) return { url: process.env.KUBE9_BENCH_PG_URL, stop() {}, pids: () => [] };
  const dir = mkdtempSync(join(tmpdir(), "kube9-bench-pg-"));
  const port = await freePort();
  execFileSync(join(ROOT, "scripts/pg.sh"), ["start", dir, String(port)], { stdio: ["ignore", "ignore", "inherit"] });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** The server's processes now: the postmaster and its children (one backend per connection). */
    pids() {
      const postmaster = Number(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
      return [postmaster, ...childPids(postmaster)];
    },
    stop() {
      execFileSync(join(ROOT, "scripts/pg.sh"), ["stop", dir], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Polls until check() returns a value, every `everyMs`; throws after timeoutMs. */
export async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 10): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs tasks with at most `limit` in flight. */
export async function pool<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident memory of a process in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The children of a process, from /proc (those that exit while we read are skipped). */
export function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === parent) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Pids whose environment has the given VAR=value (the kubelet sets POD_NAME; the runtime sets KUBE9_NODE_NAME). */
export function pidsWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "utf8").split("\0").includes(entry)) out.push(Number(name));
    } catch {
      // Gone, or not readable.
    }
  }
  return out;
}

/** CPU seconds of several processes; one that exited counts 0 (read it before it goes). */
export function cpuSecondsOf(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += cpuSeconds(pid);
    } catch {
      // Exited.
    }
  }
  return sum;
}

/** Busy CPU seconds of the whole machine (all cores, everything but idle and iowait), from /proc/stat. */
export function machineBusySeconds(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return (total - f[3]! - f[4]!) / TICKS_PER_SECOND;
}

/**
 * CPU seconds a process has used, summed over its threads from /proc/<pid>/task/<tid>/schedstat: nanosecond
 * precision, where /proc/<pid>/stat counts 10 ms ticks (too coarse for a process that runs ~1 ms a second).
 */
export function preciseCpuSeconds(pid: number): number {
  let nanos = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanos += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nanos / 1e9;
}
