import { rmSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_BACKOFF,
  DEFAULT_BACKOFF_RESET,
  podConditions,
  podPhase,
  type BackoffOptions,
  type LimitEnforcement,
  type PodAssignment,
  type PodCondition,
  type PodStatusReport,
} from "@kube9/core";
import type { CgroupManager, CgroupUsage } from "../containers/cgroups.js";
import type { ImageEnv } from "../images.js";
import { ContainerRunner } from "./container-runner.js";

// One pod on this node: its containers, the pod status derived from theirs, and its termination.
// The status is recomputed on every container event and compared with the last one, so the agent
// reports a pod only when something a user could see changed.

/** Options shared by every pod worker of a kubelet. */
export interface PodWorkerOptions {
  /** Parent of the per-pod log directories. */
  logDir: string;
  /** The node's cgroup manager, or null (memory guard); asked at each container start. */
  cgroups: () => CgroupManager | null;
  imageEnv?: ImageEnv;
  backoff?: BackoffOptions;
  backoffReset?: { resetAfterMs: number };
  /** How often due probes are looked for (default 100 ms). */
  probeTickMs?: number;
  /** Shell that joins a cgroup before exec (default /bin/sh). */
  shell?: string;
  /** The pod's status changed. */
  onChange?: () => void;
}

const DEFAULT_PROBE_TICK_MS = 100;

/** Runs one pod's containers and keeps its status. */
export class PodWorker {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  private readonly runners: ContainerRunner[];
  private readonly scheduledAt = Date.now();
  private readonly podLogDir: string;
  private conditions: PodCondition[] = [];
  private report: PodStatusReport;
  private key = "";
  private changes = 0;
  private ticker: NodeJS.Timeout | undefined;
  private terminating: Promise<void> | undefined;

  constructor(
    private readonly assignment: PodAssignment,
    private readonly opts: PodWorkerOptions,
  ) {
    this.id = assignment.id;
    this.name = assignment.name;
    this.namespace = assignment.namespace;
    this.podLogDir = join(opts.logDir, assignment.id);
    const { spec } = assignment;
    this.runners = spec.containers.map(
      (container) =>
        new ContainerRunner({
          pod: { id: assignment.id, name: assignment.name, namespace: assignment.namespace },
          spec: container,
          restartPolicy: spec.restartPolicy,
          graceMs: spec.terminationGracePeriodSeconds * 1000,
          logDir: this.podLogDir,
          cgroups: opts.cgroups,
          imageEnv: opts.imageEnv ?? process.env,
          backoff: opts.backoff ?? DEFAULT_BACKOFF,
          backoffReset: opts.backoffReset ?? DEFAULT_BACKOFF_RESET,
          ...(opts.shell ? { shell: opts.shell } : {}),
          onChange: () => this.refresh(),
        }),
    );
    this.report = this.compute();
    // The first status (containers being created) is news too.
    this.key = JSON.stringify(this.report);
    this.changes = 1;
  }

  /** Grows each time the status changes (compare with the version last reported). */
  get version(): number {
    return this.changes;
  }

  /** Whether terminate() or dispose() was called. */
  get isTerminating(): boolean {
    return this.terminating !== undefined;
  }

  /** Starts every container and the probe ticker. */
  start(): void {
    this.ticker = setInterval(() => {
      const now = Date.now();
      for (const r of this.runners) r.tick(now);
    }, this.opts.probeTickMs ?? DEFAULT_PROBE_TICK_MS);
    // Pods must not keep a finished agent (or test) alive.
    this.ticker.unref();
    for (const r of this.runners) r.start();
  }

  /** The pod's current status. */
  status(): PodStatusReport {
    return this.report;
  }

  /** One container, by name (for logs and exec). */
  container(name: string): ContainerRunner | undefined {
    return this.runners.find((r) => r.name === name);
  }

  /** The pod's terminationGracePeriodSeconds. */
  get graceSeconds(): number {
    return this.assignment.spec.terminationGracePeriodSeconds;
  }

  /** SIGTERM to every container, SIGKILL after the grace period; resolves when all are gone. Idempotent. */
  terminate(graceSeconds: number): Promise<void> {
    this.terminating ??= this.stopAll(Math.max(0, graceSeconds) * 1000);
    return this.terminating;
  }

  /** Stops everything within `graceMs` (agent shutting down), cutting short a longer termination under way. */
  dispose(graceMs = 0): Promise<void> {
    const stopping = this.stopAll(graceMs);
    this.terminating ??= stopping;
    return stopping;
  }

  private async stopAll(graceMs: number): Promise<void> {
    clearInterval(this.ticker);
    await Promise.all(this.runners.map((r) => r.stop(graceMs)));
  }

  /** Deletes the pod's container logs (once it is gone from the node). */
  removeLogs(): void {
    rmSync(this.podLogDir, { recursive: true, force: true });
  }

  /** Summed use of the running containers, per container id for CPU accounting. */
  usage(): Map<string, CgroupUsage> {
    const out = new Map<string, CgroupUsage>();
    for (const r of this.runners) {
      const u = r.usage();
      if (u) out.set(r.id, u);
    }
    return out;
  }

  /** Pids of live containers, for a last-resort synchronous kill. */
  pids(): number[] {
    return this.runners.flatMap((r) => r.pids());
  }

  private refresh(): void {
    const report = this.compute();
    const key = JSON.stringify(report);
    if (key === this.key) return;
    this.key = key;
    this.report = report;
    this.conditions = report.conditions;
    this.changes++;
    this.opts.onChange?.();
  }

  private compute(): PodStatusReport {
    const statuses = this.runners.map((r) => r.status());
    const phase = podPhase(this.assignment.spec, statuses);
    const conditions = podConditions(phase, statuses, this.scheduledAt, Date.now(), this.conditions);
    const enforcement: Record<string, LimitEnforcement> = {};
    for (const r of this.runners) if (r.enforcement) enforcement[r.name] = r.enforcement;
    return {
      podId: this.id,
      phase,
      containerStatuses: statuses,
      conditions,
      ...(Object.keys(enforcement).length > 0 ? { enforcement } : {}),
    };
  }
}
