import { rmSync } from "node:fs";
import { join } from "node:path";
import {
  podConditions,
  podPhase,
  type ContainerEvent,
  type KubeletSettings,
  type LimitEnforcement,
  type PodAssignment,
  type PodCondition,
  type PodStatusReport,
} from "@kube9/core";
import type { CgroupManager, CgroupUsage } from "../containers/cgroups.js";
import type { ProcEntry } from "../containers/proc.js";
import type { ImageEnv } from "../images.js";
import { sleepUnless } from "../calls.js";
import type { PodAddress, PodNetwork } from "../network/pod-network.js";
import { ContainerRunner } from "./container-runner.js";
import { DEFAULT_KUBELET_SETTINGS } from "./kubelet-settings.js";

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
  /** The cluster's back-off settings, read at each container exit (default: core's). */
  settings?: () => KubeletSettings;
  /** How often due probes are looked for (default 100 ms). */
  probeTickMs?: number;
  /** Shell that joins a cgroup before exec (default /bin/sh). */
  shell?: string;
  /** Gives the pod its own namespace and IP (none, or not available: the agent's network). */
  network?: PodNetwork;
  /** Wait before trying again to set up a pod's network (default 2 s). */
  networkRetryMs?: number;
  /** Puts the pod's NetworkPolicy firewall in force in its new namespace: containers start only once it has. */
  secureNetwork?: (netns: string) => Promise<void>;
  /** The pod's status changed. */
  onChange?: () => void;
  /** Something worth an event happened to one of the pod's containers. */
  onEvent?: (container: string, event: ContainerEvent) => void;
}

/** One running container's counters: `id` is stable across restarts, `startedAt` (epoch ms) tells runs apart. */
export interface ContainerUsageReading {
  id: string;
  name: string;
  startedAt: number;
  usage: CgroupUsage;
}

const DEFAULT_PROBE_TICK_MS = 100;

const DEFAULT_NETWORK_RETRY_MS = 2_000;

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
  /** Aborted when the pod starts to stop: a network setup waiting to retry gives up. */
  private readonly stopping = new AbortController();
  private address: PodAddress | undefined;
  /** The pod's namespace from the moment it exists until its teardown begins. */
  private liveNetns: string | undefined;
  /** Why the pod's network could not be made (the pod waits in ContainerCreating meanwhile). */
  private sandboxError: string | undefined;
  private sandboxReady: Promise<void> = Promise.resolve();
  private networkGone: Promise<void> | undefined;

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
          settings: opts.settings ?? (() => DEFAULT_KUBELET_SETTINGS),
          ...(opts.shell ? { shell: opts.shell } : {}),
          sandbox: () => this.address,
          onChange: () => this.refresh(),
          onEvent: (event) => opts.onEvent?.(container.name, event),
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

  /** Makes the pod's network, then starts every container and the probe ticker. */
  start(): void {
    this.ticker = setInterval(() => {
      const now = Date.now();
      for (const r of this.runners) r.tick(now);
    }, this.opts.probeTickMs ?? DEFAULT_PROBE_TICK_MS);
    // Pods must not keep a finished agent (or test) alive.
    this.ticker.unref();
    const startRunners = () => {
      for (const r of this.runners) r.start();
    };
    // Without a pod network the containers start at once, as before: statuses are current right after sync().
    if (!this.opts.network?.available) return startRunners();
    this.sandboxReady = this.prepareNetwork().then((ready) => {
      if (ready && !this.stopping.signal.aborted) startRunners();
    });
  }

  /** The pod's network namespace while it exists, firewall or not yet (undefined without a pod network). */
  get netns(): string | undefined {
    return this.liveNetns;
  }

  /** The pod's IP, once its network exists (undefined without a pod network). */
  get podIP(): string | undefined {
    return this.address?.ip;
  }

  /** Sets up the pod's namespace, retrying until it works or the pod stops; false if it stopped first. */
  private async prepareNetwork(): Promise<boolean> {
    const net = this.opts.network!;
    while (!this.stopping.signal.aborted) {
      try {
        const address = await net.setup(this.id);
        this.liveNetns = address?.netns;
        // A pod never runs a moment without the policies that isolate it: a failure here is retried like a failed setup.
        if (address && this.opts.secureNetwork) await this.opts.secureNetwork(address.netns);
        this.address = address;
        this.sandboxError = undefined;
        this.refresh();
        return true;
      } catch (err) {
        // As Kubernetes' FailedCreatePodSandBox: the pod stays ContainerCreating and the kubelet retries.
        this.sandboxError = `FailedCreatePodSandBox: ${err instanceof Error ? err.message : String(err)}`;
        this.refresh();
        await sleepUnless(this.opts.networkRetryMs ?? DEFAULT_NETWORK_RETRY_MS, this.stopping.signal);
      }
    }
    return false;
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
    this.stopping.abort();
    await this.sandboxReady;
    await Promise.all(this.runners.map((r) => r.stop(graceMs)));
    // Only once no container is left in it; a teardown is never started twice.
    this.liveNetns = undefined;
    this.networkGone ??= this.opts.network?.teardown(this.id) ?? Promise.resolve();
    await this.networkGone;
  }

  /** Deletes the pod's container logs (once it is gone from the node). */
  removeLogs(): void {
    rmSync(this.podLogDir, { recursive: true, force: true });
  }

  /** Current use of each running container. */
  usage(procTable?: () => readonly ProcEntry[]): ContainerUsageReading[] {
    const out: ContainerUsageReading[] = [];
    for (const r of this.runners) {
      const u = r.usage(procTable);
      if (u) out.push({ id: r.id, name: r.name, ...u });
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
      ...(this.address ? { podIP: this.address.ip } : {}),
      ...(this.sandboxError ? { message: this.sandboxError } : {}),
      ...(Object.keys(enforcement).length > 0 ? { enforcement } : {}),
    };
  }
}
