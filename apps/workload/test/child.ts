/** Helpers for tests that run the bundled workload as a real child process. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The single-file bundle the images run; `npm run build` makes it. */
export const BUNDLE = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "workload.cjs");

export interface Child {
  proc: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or 128+signal) and how long the child ran. */
  exited: Promise<{ code: number; ms: number }>;
  /** Resolves once stdout holds a line matching `pattern`. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Starts `node workload.cjs ...args`. */
export function startWorkload(args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const started = Date.now();
  const proc = spawn(process.execPath, [BUNDLE, ...args], { env, stdio: "pipe" });
  running.add(proc);
  let out = "";
  let err = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number; ms: number }>((resolve) => {
    proc.once("close", (code, signal) => {
      running.delete(proc);
      resolve({ code: code ?? 128 + (signal === "SIGKILL" ? 9 : 15), ms: Date.now() - started });
    });
  });
  const waitFor = (pattern: RegExp, timeoutMs = 5000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = out.split("\n").find((l) => pattern.test(l));
        if (line === undefined) return false;
        clearTimeout(timer);
        proc.stdout.off("data", check);
        resolve(line);
        return true;
      };
      const timer = setTimeout(() => {
        proc.stdout.off("data", check);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout: ${out} stderr: ${err}`));
      }, timeoutMs);
      if (!check()) proc.stdout.on("data", check);
    });
  return { proc, stdout: () => out, stderr: () => err, exited, waitFor };
}

/** Kills whatever a test left running. */
export function killAll(): void {
  for (const proc of running) proc.kill("SIGKILL");
}

/** User plus system CPU time of a process so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  // USER_HZ is 100 on every Linux architecture Node supports.
  return ticks / 100;
}

/** Resident memory of a process, in MiB, from /proc/<pid>/status. */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Sleeps `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
