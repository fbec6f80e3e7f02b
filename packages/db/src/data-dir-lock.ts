import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, rmSync, rmdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";

/** Thrown when another live process holds the embedded database's folder. */
export class DataDirLockedError extends Error {}

/** A process's start time (Linux: clock ticks since boot, /proc/<pid>/stat field 22); "" where unknown. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

/** Whether the process that wrote a lock still runs: its pid answers and, where known, it started when the lock says. */
function alive(pid: number, started: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // A pid reused by an unrelated process (common after a reboot or in a container) is not the holder.
  const now = started ? startTime(pid) : "";
  return !started || !now || now === started;
}

interface Holder {
  pid: number;
  started: string;
  text: string;
}

/** The lock file's holder, or undefined when there is no lock file. */
function readHolder(file: string): Holder | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const [pid, started] = text.trim().split(/\s+/);
  return { pid: Number(pid), started: started ?? "", text };
}

/** A guard older than this was left by a process that died while breaking a stale lock (breaking takes microseconds). */
const STALE_GUARD_MS = 10_000;

/**
 * Removes a lock left by a dead process, unless someone else already replaced it. Only the holder of
 * the guard folder (mkdir is atomic) may remove the lock, and it does so only if the lock still
 * says what the caller read: two processes finding the same stale lock cannot both remove it and
 * then both take it (one would remove the other's fresh lock).
 */
function breakStaleLock(file: string, stale: Holder): void {
  const guard = `${file}.break`;
  try {
    mkdirSync(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    try {
      if (Date.now() - statSync(guard).mtimeMs > STALE_GUARD_MS) rmdirSync(guard);
    } catch {
      // Gone meanwhile: the breaker finished.
    }
    return;
  }
  try {
    if (readHolder(file)?.text === stale.text) unlinkSync(file);
  } finally {
    rmdirSync(guard);
  }
}

/**
 * Takes the embedded database's folder for this process: PGlite has no lock of its own, and two
 * processes writing one folder corrupt it. The lock file appears whole or not at all (written
 * aside, then hard-linked into place: link fails when the name exists), so nobody ever reads a
 * half-written lock; a lock left by a dead process is taken over under a guard.
 */
export function lockDataDir(dir: string): () => void {
  // Beside the folder, not in it: PGlite's initdb wants an empty folder.
  const file = `${dir.replace(/\/+$/, "")}.lock`;
  const mine = `${process.pid} ${startTime(process.pid)}\n`;
  const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    writeFileSync(aside, mine, { mode: 0o600 });
    try {
      linkSync(aside, file);
      return () => {
        // Only our own lock: never remove one another process took after ours was broken.
        if (readHolder(file)?.text === mine) rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      rmSync(aside, { force: true });
    }
    const holder = readHolder(file);
    if (!holder) continue;
    if (holder.pid > 0 && holder.pid !== process.pid && alive(holder.pid, holder.started)) {
      throw new DataDirLockedError(
        `the embedded database in ${dir} is in use by another process (pid ${holder.pid}, e.g. another "kube9 up"); ` +
          "stop it, or use another KUBE9_HOME",
      );
    }
    breakStaleLock(file, holder);
  }
  throw new DataDirLockedError(`could not lock the embedded database in ${dir}: other processes keep taking and breaking the lock`);
}
