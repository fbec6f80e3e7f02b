import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentExit, AgentSpec, NodeRuntime } from "./runtime.js";

interface Child {
  proc: ChildProcess;
  stopping: boolean;
  exited: Promise<void>;
}

/** Finds the node-agent entry point: an explicit path, else the workspace package's dist/main.js. */
export function resolveAgentEntry(explicit?: string): string {
  if (explicit) return explicit;
  const index = fileURLToPath(import.meta.resolve("@kube9/node-agent"));
  return join(dirname(index), "main.js");
}

/** Runs each node's agent as a child process of the API (the embedded default). */
export class ProcessRuntime implements NodeRuntime {
  readonly kind = "process" as const;
  private readonly children = new Map<string, Child>();
  private readonly listeners: Array<(exit: AgentExit) => void> = [];
  private closed = false;

  constructor(
    private readonly opts: { agentEntry: string; logDir: string; logLevel?: string },
  ) {
    mkdirSync(opts.logDir, { recursive: true });
  }

  async start(spec: AgentSpec): Promise<string> {
    // After stopAll nothing may start: a late start would outlive the API as an orphan.
    if (this.closed) throw new Error("the process runtime is shutting down");
    await this.stop(spec.nodeId, false);
    const log = createWriteStream(join(this.opts.logDir, `${spec.name}.log`), { flags: "a" });
    const proc = spawn(process.execPath, [this.opts.agentEntry], {
      env: {
        PATH: process.env.PATH ?? "",
        KUBE9_URL: spec.apiUrl,
        KUBE9_NODE_ID: spec.nodeId,
        KUBE9_NODE_TOKEN: spec.token,
        KUBE9_NODE_NAME: spec.name,
        KUBE9_LOG_LEVEL: this.opts.logLevel ?? "info",
        KUBE9_LOG_FORMAT: "json",
      },
      // The IPC channel closes when the API dies, so agents never outlive it as orphans.
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    const child: Child = {
      proc,
      stopping: false,
      exited: new Promise((resolve) => {
        proc.once("exit", (code, signal) => {
          log.end();
          if (this.children.get(spec.nodeId) === child) this.children.delete(spec.nodeId);
          if (!child.stopping) {
            const description = signal ? `agent process killed by ${signal}` : `agent process exited with code ${code}`;
            for (const l of this.listeners) l({ nodeId: spec.nodeId, description });
          }
          resolve();
        });
      }),
    };
    this.children.set(spec.nodeId, child);
    await new Promise<void>((resolve, reject) => {
      proc.once("spawn", () => resolve());
      proc.once("error", (err) => reject(new Error(`cannot start the node agent: ${err.message}`)));
    });
    return `pid-${proc.pid}`;
  }

  async stop(nodeId: string, graceful: boolean): Promise<void> {
    const child = this.children.get(nodeId);
    if (!child) return;
    child.stopping = true;
    child.proc.kill("SIGCONT");
    child.proc.kill(graceful ? "SIGTERM" : "SIGKILL");
    const timer = setTimeout(() => child.proc.kill("SIGKILL"), 3000);
    await child.exited;
    clearTimeout(timer);
  }

  async kill(nodeId: string): Promise<void> {
    const child = this.children.get(nodeId);
    if (!child) throw new Error("the node has no running agent");
    child.proc.kill("SIGKILL");
    await child.exited;
  }

  async pause(nodeId: string): Promise<void> {
    const child = this.children.get(nodeId);
    if (!child) throw new Error("the node has no running agent");
    child.proc.kill("SIGSTOP");
  }

  async resume(nodeId: string): Promise<void> {
    this.children.get(nodeId)?.proc.kill("SIGCONT");
  }

  has(nodeId: string): boolean {
    return this.children.has(nodeId);
  }

  onUnexpectedExit(listener: (exit: AgentExit) => void): void {
    this.listeners.push(listener);
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.children.keys()].map((id) => this.stop(id, true)));
  }
}
