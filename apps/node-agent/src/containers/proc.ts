import { readFileSync, readdirSync } from "node:fs";
import { constants } from "node:os";

// What /proc says about the processes of a container. A container is its own session and process
// group (spawned detached), so membership survives the leader's death: orphans are reparented
// away from the leader but keep their session id.

/** One row of the process table. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  state: string;
  /**
   * CPU time in clock ticks: the process's own (utime + stime, all its threads) plus that of the
   * children it has reaped (cutime + cstime), so a shell's finished commands still count.
   */
  cpuTicks: number;
}

/**
 * Clock ticks per second of the times in /proc/<pid>/stat (USER_HZ). It is part of the kernel's ABI
 * and 100 on every architecture Node runs on, so it is not looked up (a test checks `getconf CLK_TCK`).
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
export function parseStat(pid: number, text: string): ProcEntry | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  // Fields from the 3rd (state) on; utime, stime, cutime and cstime are the 14th to 17th.
  const fields = text.slice(close + 2).split(" ");
  const [state, ppid, pgrp, session] = fields;
  if (state === undefined || session === undefined) return undefined;
  const cpuTicks = [11, 12, 13, 14].reduce((sum, i) => sum + (Number(fields[i]) || 0), 0);
  return { pid, state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session), cpuTicks };
}

/** Whether a row is a process that is already dead (a zombie waiting to be reaped). */
export function isZombie(entry: ProcEntry): boolean {
  return entry.state === "Z" || entry.state === "X";
}

/**
 * Every live (non-zombie) process on the machine, or with `zombies` the dead-but-unreaped ones too;
 * processes that vanish mid-scan are skipped.
 */
export function readProcTable(procRoot = "/proc", zombies = false): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync(procRoot)) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      const entry = parseStat(pid, readFileSync(`${procRoot}/${name}/stat`, "utf8"));
      // Zombies are already dead; an init that never reaps them must not keep a container "running".
      if (entry && (zombies || !isZombie(entry))) out.push(entry);
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

/**
 * CPU time of a container's processes in nanoseconds, from a table read with zombies: the members'
 * own and reaped children's time, plus their zombie children's (a child that exited but is not reaped
 * yet has left its own figure and not yet joined its parent's, and must not drop out for that moment).
 */
export function cpuNanosOf(members: Iterable<number>, table: readonly ProcEntry[]): number {
  const set = new Set(members);
  let ticks = 0;
  for (const p of table) if (set.has(p.pid) || (isZombie(p) && set.has(p.ppid))) ticks += p.cpuTicks;
  return (ticks * 1e9) / CLOCK_TICKS_PER_SECOND;
}

/**
 * A cumulative CPU counter that never goes back: a process whose time nobody in the container reaps
 * (an orphan, adopted outside it) takes its figure with it when it ends, and that drop must not be
 * read as negative use. Returns the counter after taking `raw`.
 */
export function monotonicCounter(): (raw: number) => number {
  let last: number | undefined;
  let total = 0;
  return (raw) => {
    // The first reading counts whole: the container's processes started from zero with it.
    total += Math.max(0, raw - (last ?? 0));
    last = raw;
    return total;
  };
}

/**
 * The processes that belong to the container led by `leader`: its session, its process group,
 * anything descending from those (a child that called setsid is still a descendant while its
 * parent lives), and any extra pids (the cgroup's members).
 */
export function containerPids(leader: number, extra: Iterable<number> = [], table = readProcTable()): number[] {
  const members = new Set<number>(extra);
  for (const p of table) if (p.pid === leader || p.session === leader || p.pgrp === leader) members.add(p.pid);
  // Descendants: repeat until no new process joins (the table is unordered).
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of table) {
      if (!members.has(p.pid) && members.has(p.ppid)) {
        members.add(p.pid);
        grew = true;
      }
    }
  }
  const alive = new Set(table.map((p) => p.pid));
  return [...members].filter((pid) => alive.has(pid)).sort((a, b) => a - b);
}

/** Resident memory of the given processes in bytes (VmRSS); vanished processes count as 0. */
export function rssBytes(pids: Iterable<number>, procRoot = "/proc"): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`${procRoot}/${pid}/status`, "utf8"));
      if (match) total += Number(match[1]) * 1024;
    } catch {
      // exited
    }
  }
  return total;
}

/** Sends `signal` to a process group and to each pid, ignoring the ones already gone. */
export function signalAll(pgid: number | undefined, pids: Iterable<number>, signal: NodeJS.Signals): void {
  const send = (target: number) => {
    try {
      process.kill(target, signal);
    } catch {
      // ESRCH: nothing left there
    }
  };
  if (pgid !== undefined && pgid > 0) send(-pgid);
  for (const pid of pids) if (pid > 0) send(pid);
}

/** Kubernetes' exit code: the process's own code, or 128 + the signal number when a signal ended it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const num = signal ? constants.signals[signal] : undefined;
  return num === undefined ? 128 : 128 + num;
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; resolves with the last answer. */
export async function pollUntil(check: () => boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
