import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import type { CgroupManager, CgroupUsage, ContainerCgroup, Enforcement, Limits } from "./cgroups.js";
import { ContainerLog } from "./container-log.js";
import { containerEnv, DEFAULT_PATH, launchArgv, resolveExecutable } from "./launch.js";
import { startMemoryGuard, type MemoryGuard } from "./memory-guard.js";
import { containerPids, cpuNanosOf, exitCodeOf, isZombie, monotonicCounter, pollUntil, readProcTable, rssBytes, signalAll, type ProcEntry } from "./proc.js";

// A container is a process group the agent spawned (detached: its own session and group), with
// its output in a ContainerLog and its limits in a cgroup or, failing that, the memory guard.
// As with a pid namespace, the container ends when its main process ends: whatever it left
// behind is killed before `exited` resolves, and the cgroup is removed.

/** Options of {@link startContainer}. */
export interface StartContainerOptions {
  /** Stable across restarts of the same container (log files and cgroup are named after it). */
  id: string;
  /** Already resolved from image, command and args. */
  argv: string[];
  /** The whole environment; nothing is inherited from the agent (PATH gets a default). */
  env: Record<string, string>;
  /** Working directory (default "/"). */
  cwd?: string;
  logDir: string;
  /** Named network namespace to run in; otherwise the agent's network. */
  netns?: string;
  limits: Limits;
  cgroups: CgroupManager | null;
  /** Shell for joining the cgroup before exec (default /bin/sh; /bin/busybox works too). */
  shell?: string;
  /** Cap of one run's log (default 1 MiB). */
  logCapBytes?: number;
  /** Memory guard sampling interval when no cgroup holds the memory limit (default 250 ms). */
  memoryGuardIntervalMs?: number;
}

/** How a container ended, with Kubernetes' exit code (128 + signal number when killed). */
export interface ContainerExit {
  exitCode: number;
  signal?: string;
  oomKilled: boolean;
  /** Kubernetes' terminated reason. */
  reason: "Completed" | "Error" | "OOMKilled";
  startedAt: number;
  finishedAt: number;
}

/** What a command run "in" a container shares with it (see exec.ts). */
export interface ExecContext {
  readonly env: Record<string, string>;
  readonly cwd?: string;
  readonly netns?: string;
  /** The container's cgroup.procs files; empty without cgroups. */
  readonly procsFiles: readonly string[];
  readonly shell?: string;
}

/** A running (or finished) container. */
export interface ContainerHandle extends ExecContext {
  readonly id: string;
  readonly pid: number;
  /** Equal to pid: the container leads its own process group. */
  readonly pgid: number;
  readonly startedAt: number;
  readonly enforcement: Enforcement;
  readonly log: ContainerLog;
  /** Resolves once the main process and everything it left behind are gone. */
  readonly exited: Promise<ContainerExit>;
  /** SIGTERM to the whole group, SIGKILL to what remains after `graceMs`. */
  stop(graceMs: number): Promise<ContainerExit>;
  /** SIGKILL to everything in the container. */
  kill(): Promise<ContainerExit>;
  /** The container's live processes (session, group, descendants and cgroup members). */
  pids(): number[];
  /**
   * Current use: from the cgroup, else from /proc over the process tree (RSS, and CPU as a cumulative
   * counter from the container's start). `procTable` (read with zombies) lets a caller scan /proc once for many containers.
   */
  usage(procTable?: () => readonly ProcEntry[]): CgroupUsage;
}

/** The container could not be started (Kubernetes: StartError / ContainerCannotRun). */
export class ContainerStartError extends Error {
  override readonly name = "ContainerStartError";
}

/** How long `exited` waits for leftover processes and output pipes before giving up on them. */
const CLEANUP_TIMEOUT_MS = 5_000;

/** Starts a container process; throws ContainerStartError when it cannot run at all. */
export async function startContainer(opts: StartContainerOptions): Promise<ContainerHandle> {
  const env = containerEnv(opts.env);
  const cwd = opts.cwd ?? "/";
  const [command] = opts.argv;
  if (!command) throw new ContainerStartError("empty command");
  if (!resolveExecutable(command, env.PATH ?? DEFAULT_PATH, cwd)) {
    throw new ContainerStartError(`exec: "${command}": executable file not found in $PATH`);
  }
  // A limit that cannot be applied must not silently become no limit: the start fails instead.
  const cg = opts.cgroups
    ? await opts.cgroups.create(opts.id, opts.limits).catch((err: unknown) => {
        throw new ContainerStartError(`cgroup: ${err instanceof Error ? err.message : String(err)}`);
      })
    : undefined;
  const enforcement = enforcementFor(opts.limits, cg);
  const log = new ContainerLog({ dir: opts.logDir, name: opts.id, capBytes: opts.logCapBytes });
  log.startRun();
  const argv = launchArgv(opts.argv, { procsFiles: cg?.procsFiles, netns: opts.netns, shell: opts.shell });
  let child: ChildProcess;
  try {
    child = await spawnDetached(argv, env, cwd);
  } catch (err) {
    log.endRun();
    await cg?.remove();
    throw new ContainerStartError(err instanceof Error ? err.message : String(err));
  }
  return new ProcessContainer(opts, child, log, cg, enforcement);
}

function enforcementFor(limits: Limits, cg: ContainerCgroup | undefined): Enforcement {
  const via = cg?.version === "v2" ? "cgroup-v2" : "cgroup-v1";
  return {
    memory: limits.memoryMiB === undefined ? "none" : cg?.paths.memory ? via : "agent",
    cpu: limits.cpuMilli === undefined || !cg?.paths.cpu ? "none" : via,
  };
}

/** Spawns in a new session; resolves once the process exists, rejects if it could not be created. */
export function spawnDetached(argv: string[], env: Record<string, string>, cwd: string, stdin = false): Promise<ChildProcess> {
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, { detached: true, env, cwd, stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    child.once("spawn", () => resolve(child));
    child.once("error", reject);
  });
}

/** Waits until a pipe closes, or destroys it after `ms` (a process that escaped may still hold it). */
export function drained(stream: Readable | null, ms: number): Promise<void> {
  if (!stream || stream.destroyed || stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stream.destroy();
      resolve();
    }, ms);
    stream.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

class ProcessContainer implements ContainerHandle {
  readonly id: string;
  readonly pid: number;
  readonly pgid: number;
  readonly startedAt = Date.now();
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly netns?: string;
  readonly shell?: string;
  readonly procsFiles: readonly string[];
  readonly exited: Promise<ContainerExit>;
  private finished = false;
  private readonly guard: MemoryGuard | undefined;
  private readonly procCpu = monotonicCounter();
  private procCpuNanos = 0;

  constructor(
    opts: StartContainerOptions,
    private readonly child: ChildProcess,
    readonly log: ContainerLog,
    private readonly cg: ContainerCgroup | undefined,
    readonly enforcement: Enforcement,
  ) {
    this.id = opts.id;
    this.pid = child.pid!;
    this.pgid = this.pid;
    this.env = containerEnv(opts.env);
    this.cwd = opts.cwd ?? "/";
    if (opts.netns) this.netns = opts.netns;
    if (opts.shell) this.shell = opts.shell;
    this.procsFiles = cg?.procsFiles ?? [];
    child.stdout?.on("data", (chunk: Buffer) => log.write("stdout", chunk));
    child.stderr?.on("data", (chunk: Buffer) => log.write("stderr", chunk));
    if (enforcement.memory === "agent" && opts.limits.memoryMiB !== undefined) {
      this.guard = startMemoryGuard({
        limitBytes: opts.limits.memoryMiB * 1024 * 1024,
        pids: () => this.pids(),
        onExceeded: () => signalAll(this.pgid, this.pids(), "SIGKILL"),
        intervalMs: opts.memoryGuardIntervalMs,
      });
    }
    const leaderExit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("exit", (code, signal) => resolve([code, signal])),
    );
    this.exited = leaderExit.then(([code, signal]) => this.finish(code, signal));
  }

  pids(): number[] {
    if (this.finished) return [];
    return containerPids(this.pid, this.cg?.pids() ?? []);
  }

  usage(procTable?: () => readonly ProcEntry[]): CgroupUsage {
    const cg = this.cg?.usage() ?? {};
    if (cg.memoryBytes !== undefined && cg.cpuNanos !== undefined) return cg;
    // No cgroup, or one without the memory or cpuacct controller: the process tree answers for what is missing.
    if (!this.finished) {
      const table = procTable?.() ?? readProcTable("/proc", true);
      const members = containerPids(this.pid, this.cg?.pids() ?? [], table.filter((p) => !isZombie(p)));
      cg.memoryBytes ??= rssBytes(members);
      if (cg.cpuNanos === undefined) this.procCpuNanos = this.procCpu(cpuNanosOf(members, table));
    }
    return { memoryBytes: cg.memoryBytes ?? 0, cpuNanos: cg.cpuNanos ?? this.procCpuNanos };
  }

  async stop(graceMs: number): Promise<ContainerExit> {
    if (!this.finished) {
      signalAll(this.pgid, [], "SIGTERM");
      const timer = setTimeout(() => signalAll(this.pgid, this.pids(), "SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  async kill(): Promise<ContainerExit> {
    if (!this.finished) signalAll(this.pgid, this.pids(), "SIGKILL");
    return this.exited;
  }

  /** The main process is gone: kill what it left, drain its output, then release the cgroup. */
  private async finish(code: number | null, signal: NodeJS.Signals | null): Promise<ContainerExit> {
    const finishedAt = Date.now();
    this.guard?.stop();
    await pollUntil(() => {
      const left = containerPids(this.pid, this.cg?.pids() ?? []);
      signalAll(this.pgid, left, "SIGKILL");
      return left.length === 0;
    }, CLEANUP_TIMEOUT_MS);
    await Promise.all([drained(this.child.stdout, CLEANUP_TIMEOUT_MS), drained(this.child.stderr, CLEANUP_TIMEOUT_MS)]);
    this.log.endRun();
    const exitCode = exitCodeOf(code, signal);
    const oomKilled = this.guard?.fired === true || this.cg?.oomKilled(exitCode) === true;
    this.finished = true;
    await this.cg?.remove().catch(() => undefined);
    const reason = oomKilled ? "OOMKilled" : exitCode === 0 ? "Completed" : "Error";
    return { exitCode, ...(signal ? { signal } : {}), oomKilled, reason, startedAt: this.startedAt, finishedAt };
  }
}
