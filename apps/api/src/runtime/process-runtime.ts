import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalAgents } from "./local-agents.js";
import type { AgentSpec, NodeRuntime } from "./runtime.js";

interface Child {
  proc: ChildProcess;
  stopping: boolean;
  exited: Promise<void>;
  /** While paused: the process that continues the agent if this API dies (see pause). */
  pauseGuard?: ChildProcess;
}

/**
 * Finds the node-agent entry point: an explicit path, else the workspace package's one-file bundle
 * (dist/agent.bundle.cjs, what docker nodes run), else its dist/main.js. The bundle loads one file
 * instead of every module of the agent, core and their dependencies: an idle agent holds less memory.
 */
export function resolveAgentEntry(explicit?: string, dist = dirname(fileURLToPath(import.meta.resolve("@kube9/node-agent")))): string {
  if (explicit) return explicit;
  const bundle = join(dist, "agent.bundle.cjs");
  return existsSync(bundle) ? bundle : join(dist, "main.js");
}

/**
 * V8 flags every process agent runs with: no optimizing (TurboFan) or baseline (Sparkplug) compiler.
 * An agent's JavaScript is a little work once a second, which the interpreter does as cheaply, and
 * without compiled code an idle agent holds about 5 MiB less (48 -> 43 MiB RSS; bench/real-nodes-bench.ts).
 * Not --jitless or --lite-mode, which save as much but also take WebAssembly away, and with it fetch.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ["--no-opt", "--no-sparkplug"];

/** The node arguments of an agent: AGENT_NODE_FLAGS, then KUBE9_AGENT_NODE_ARGS (space-separated; e.g. --cpu-prof to profile agents). */
export function agentNodeArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = env.KUBE9_AGENT_NODE_ARGS?.trim();
  return [...AGENT_NODE_FLAGS, ...(extra ? extra.split(/\s+/) : [])];
}

/** Runs each node's agent as a child process of the API (the embedded default). */
export class ProcessRuntime extends LocalAgents<Child> implements NodeRuntime {
  readonly kind = "process" as const;

  constructor(
    private readonly opts: { agentEntry: string; logDir: string; logLevel?: string },
  ) {
    super();
    mkdirSync(opts.logDir, { recursive: true });
  }

  async start(spec: AgentSpec): Promise<string> {
    this.refuseAfterShutdown("process");
    await this.stop(spec.nodeId, false);
    // The log file itself, not a pipe through this process: an agent this process lets go of (see release())
    // keeps writing its log after this process is gone.
    const log = openSync(join(this.opts.logDir, `${spec.name}.log`), "a");
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, [...agentNodeArgs(), this.opts.agentEntry], {
        env: {
          PATH: process.env.PATH ?? "",
          KUBE9_URL: spec.apiUrl,
          KUBE9_NODE_ID: spec.nodeId,
          KUBE9_NODE_TOKEN: spec.token,
          KUBE9_NODE_NAME: spec.name,
          KUBE9_LOG_LEVEL: this.opts.logLevel ?? "info",
          KUBE9_LOG_FORMAT: "json",
        },
        // The IPC channel closes when the API dies: an agent that knows no other API process then ends with it.
        stdio: ["ignore", log, log, "ipc"],
      });
    } finally {
      closeSync(log);
    }
    const child: Child = {
      proc,
      stopping: false,
      exited: new Promise((resolve) => {
        proc.once("exit", (code, signal) => {
          endPauseGuard(child);
          if (this.agents.get(spec.nodeId) === child) this.agents.delete(spec.nodeId);
          if (!child.stopping) {
            const description = signal ? `agent process killed by ${signal}` : `agent process exited with code ${code}`;
            this.exited(spec.nodeId, description);
          }
          resolve();
        });
      }),
    };
    this.agents.set(spec.nodeId, child);
    await new Promise<void>((resolve, reject) => {
      proc.once("spawn", () => resolve());
      proc.once("error", (err) => reject(new Error(`cannot start the node agent: ${err.message}`)));
    });
    return `pid-${proc.pid}`;
  }

  async stop(nodeId: string, graceful: boolean): Promise<void> {
    const child = this.agents.get(nodeId);
    if (!child) {
      // Started by another API process that let go of it (or is gone): found by its node id.
      await stopForeign(nodeId, graceful);
      return;
    }
    child.stopping = true;
    child.proc.kill("SIGCONT");
    if (graceful) child.proc.kill("SIGTERM");
    else killNode(child.proc);
    const timer = setTimeout(() => killNode(child.proc), 3000);
    await child.exited;
    clearTimeout(timer);
  }

  async kill(nodeId: string): Promise<void> {
    const child = this.agents.get(nodeId);
    if (!child) return killForeign(this.foreign(nodeId));
    killNode(child.proc);
    await child.exited;
  }

  /**
   * Freezes the agent (SIGSTOP). A stopped process cannot notice its API dying, so a small guard
   * waits on a pipe from this process: when the pipe closes (this API exits, even by kill -9), the
   * guard sends SIGCONT and the agent, now running, sees its IPC channel gone and exits.
   */
  async pause(nodeId: string): Promise<void> {
    const child = this.agents.get(nodeId);
    if (!child) {
      // Started by another API process that let go of it: found by its node id.
      process.kill(this.foreign(nodeId), "SIGSTOP");
      return;
    }
    if (!child.pauseGuard && child.proc.pid !== undefined) {
      const guard = spawn("sh", ["-c", 'cat >/dev/null; kill -CONT "$0" 2>/dev/null', String(child.proc.pid)], {
        stdio: ["pipe", "ignore", "ignore"],
        // Its own group: a Ctrl-C to the terminal's group must not end it before the API resumes its agents.
        detached: true,
      });
      guard.on("error", () => {});
      guard.unref();
      (guard.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      child.pauseGuard = guard;
    }
    child.proc.kill("SIGSTOP");
  }

  async resume(nodeId: string): Promise<void> {
    const child = this.agents.get(nodeId);
    if (!child) {
      const pid = agentPids(new Set([nodeId])).get(nodeId);
      if (pid !== undefined) signal(pid, "SIGCONT");
      return;
    }
    child.proc.kill("SIGCONT");
    endPauseGuard(child);
  }

  /**
   * Lets go of every agent without stopping it: another API process serves the cluster, and the nodes are
   * the cluster's. Each agent learns it through its IPC channel and carries on with the other API processes
   * it knows (see the node agent's main.ts); no exit is reported from now on.
   */
  async release(): Promise<void> {
    this.close();
    for (const child of this.agents.values()) {
      child.stopping = true;
      if (child.proc.connected) child.proc.disconnect();
      child.proc.unref();
    }
    this.agents.clear();
  }

  /** Stops every agent this process runs, and the agents of `nodeIds` that other API processes let go of. */
  override async stopAll(nodeIds: readonly string[] = []): Promise<void> {
    await super.stopAll();
    const others = agentPids(new Set(nodeIds));
    await Promise.all([...others.keys()].map((id) => stopForeign(id, true, others.get(id))));
  }

  runsHere(nodeId: string): boolean {
    return this.agents.has(nodeId) || agentPids(new Set([nodeId])).has(nodeId);
  }

  /** The pid of a node's agent that another API process started, or an error saying there is none. */
  private foreign(nodeId: string): number {
    const pid = agentPids(new Set([nodeId])).get(nodeId);
    if (pid === undefined) throw new Error("the node has no running agent");
    return pid;
  }
}

/** The node agents running on this machine for the given node ids, by their environment (KUBE9_NODE_ID). */
function agentPids(nodeIds: ReadonlySet<string>): Map<string, number> {
  const found = new Map<string, number>();
  if (nodeIds.size === 0) return found;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, "latin1");
    } catch {
      continue;
    }
    const id = /(?:^|\0)KUBE9_NODE_ID=([^\0]*)/.exec(environ)?.[1];
    // The agent itself, not a container it started (those do not carry the agent's environment, but be sure).
    if (id && nodeIds.has(id) && /(?:^|\0)KUBE9_NODE_TOKEN=/.test(environ) && !found.has(id)) found.set(id, Number(name));
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  return signal(pid, 0);
}

/** Kills a foreign agent and everything under it, and waits until it is gone. */
async function killForeign(pid: number): Promise<void> {
  const pids = descendants(pid);
  signal(pid, "SIGKILL");
  for (const p of pids) signal(p, "SIGKILL");
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
}

/** Stops an agent another API process started: SIGTERM (it leaves and stops its pods) or at once; SIGKILL after 3 s. */
async function stopForeign(nodeId: string, graceful: boolean, known?: number): Promise<void> {
  const pid = known ?? agentPids(new Set([nodeId])).get(nodeId);
  if (pid === undefined) return;
  if (!graceful) return killForeign(pid);
  signal(pid, "SIGCONT");
  signal(pid, "SIGTERM");
  for (let i = 0; i < 150 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  if (alive(pid)) await killForeign(pid);
}

/** Ends a paused agent's guard: the agent runs again (resumed) or is gone. */
function endPauseGuard(child: Child): void {
  child.pauseGuard?.kill("SIGKILL");
  child.pauseGuard = undefined;
}

/**
 * Kills an agent and every process under it at once: its pods' containers run in their own process
 * groups and would outlive it (reparented to init); a node that dies takes its containers with it.
 */
function killNode(proc: ChildProcess): void {
  const pids = proc.pid === undefined ? [] : descendants(proc.pid);
  proc.kill("SIGKILL");
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Every descendant of a process (children, grandchildren, ...), read from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    // The command name may hold spaces or parentheses: fields start after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}
