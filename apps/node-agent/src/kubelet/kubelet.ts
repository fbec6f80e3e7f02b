import { rmdirSync } from "node:fs";
import { join } from "node:path";
import type { BackoffOptions, KubeletEndpoint, KubeletSettings, PodAssignment, PodEventReport, PodStatusReport, PodTermination } from "@kube9/core";
import type { NetpolAssignment, NetpolReport } from "@kube9/core";
import { createCgroupManager, type CgroupManager } from "../containers/cgroups.js";
import { signalAll } from "../containers/proc.js";
import type { ImageEnv } from "../images.js";
import type { AgentLogger } from "../log.js";
import { createPolicyEnforcer } from "../network/nftables.js";
import { createPodNetwork, unavailablePodNetwork, type PodNetwork } from "../network/pod-network.js";
import { localKubeletSettings, settingsAfter } from "./kubelet-settings.js";
import { defaultPodLogDir, preparePodLogDir } from "./log-dir.js";
import { PodEventQueue, type PodEventQueueOptions } from "./pod-events.js";
import { PodFirewalls } from "./pod-firewalls.js";
import { PodWorker } from "./pod-worker.js";
import { startKubeletServer, type ContainerTarget, type KubeletServer } from "./server.js";
import { UsageTracker, type ContainersUsage } from "./usage-tracker.js";

// The node's kubelet: a pod worker per pod with a spec, the bare ids of pods without one
// (placeholders, which run nothing), and the server the API reaches for logs and exec. It is
// driven by heartbeat answers only; what it reports back is podIds(), the status changes and the
// events it saw.

/** What a heartbeat answer tells the kubelet. */
export interface SyncInput {
  desiredPodIds: string[];
  assignments?: PodAssignment[];
  terminating?: PodTermination[];
  /** The pods' NetworkPolicy firewalls, when they changed. */
  netpol?: NetpolAssignment;
}

/** What one sync changed: pods added, placeholders dropped, workers that began to stop. */
export interface SyncChanges {
  started: string[];
  stopped: string[];
  stopping: string[];
}

/** Options of a {@link Kubelet}. */
export interface KubeletOptions {
  nodeId: string;
  log: AgentLogger;
  /** Container log directory (default: a folder under the OS temp dir named by node id). */
  podLogDir?: string;
  /** "auto" uses a writable cgroup hierarchy if there is one; "off" always uses the memory guard. */
  cgroups?: "auto" | "off";
  imageEnv?: ImageEnv;
  /** CrashLoopBackOff timing until the API sends the cluster's (default: core's). */
  backoff?: BackoffOptions;
  backoffReset?: { resetAfterMs: number };
  events?: PodEventQueueOptions;
  probeTickMs?: number;
  execTimeoutMs?: number;
  /** Pod IPs: "auto" gives each pod its own network namespace where the machine allows it; "off" never. */
  podNetwork?: "auto" | "off";
  /** The namespace with the pods' bridge (default kube9-net; tests use their own). */
  sharedNetns?: string;
  /** Wait before trying a failed pod network setup again. */
  networkRetryMs?: number;
}

/** Runs the pods a node is given and answers for their containers. */
export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly placeholders = new Set<string>();
  /** Status version the API has acknowledged, per pod. */
  private readonly acked = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  /** Last statuses of pods that are gone, reported once with the beat that no longer lists them. */
  private readonly finals = new Map<string, PodStatusReport>();
  private finalsInFlight = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private cgroupManager: CgroupManager | null | undefined;
  private logDir: string | undefined;
  private server: KubeletServer | undefined;
  private syncAsked = false;
  private readonly usageTracker = new UsageTracker();
  private network: PodNetwork = unavailablePodNetwork("the node has not registered yet, so it has no podCIDR");
  private settings: KubeletSettings;
  private readonly events: PodEventQueue;
  private readonly firewalls: PodFirewalls;

  constructor(private readonly opts: KubeletOptions) {
    this.settings = localKubeletSettings(opts.backoff, opts.backoffReset);
    this.events = new PodEventQueue(opts.events);
    const sandboxes = () => [...this.workers.values()].flatMap((w) => (w.netns ? [{ id: w.id, netns: w.netns }] : []));
    this.firewalls = new PodFirewalls(opts.log, sandboxes, () => this.emit());
  }

  /**
   * Takes the cluster's settings (from a register or heartbeat answer): containers read them at each
   * exit, so new ones use them at once and running ones from their next restart.
   */
  applySettings(settings: KubeletSettings | undefined): void {
    this.settings = settingsAfter(this.settings, settings, this.opts.log);
  }

  /** Calls `listener` whenever the pod set or a pod's status changed. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the kubelet server; resolves with the endpoint to register. */
  async listen(): Promise<KubeletEndpoint> {
    this.server ??= await startKubeletServer({
      lookup: (podId, name) => this.target(podId, name),
      onSync: () => {
        this.syncAsked = true;
        this.emit();
      },
      probes: {
        unavailable: () => (this.network.available ? undefined : (this.network.reason ?? "no pod network")),
        netns: (podId) => this.workers.get(podId)?.netns,
      },
      ...(this.opts.execTimeoutMs !== undefined ? { execTimeoutMs: this.opts.execTimeoutMs } : {}),
    });
    return { url: this.server.url, token: this.server.token };
  }

  /**
   * Sets up pod IPs from the podCIDR the API gave at registration, after removing the namespaces
   * of this node's previous run; pods started later get the result. Logs which network pods get.
   */
  async configureNetwork(podCIDR: string | undefined): Promise<PodNetwork> {
    this.logDir ??= this.prepareLogDir();
    const stateDir = this.networkStateDir();
    const disabled = this.opts.podNetwork === "off" ? "KUBE9_POD_NETWORK=off" : !stateDir ? "no writable directory to record pod namespaces in" : undefined;
    this.network = await createPodNetwork({
      podCIDR,
      stateDir: stateDir ?? "",
      ...(disabled ? { disabled } : {}),
      ...(this.opts.sharedNetns ? { sharedNetns: this.opts.sharedNetns } : {}),
    });
    // A statement of how this node runs pods (like the cgroup line), not a fault: docker nodes never have one.
    this.opts.log.info(this.network.description);
    const enforcer = await createPolicyEnforcer(this.network);
    this.firewalls.setEnforcer(enforcer);
    this.opts.log.info(enforcer.description);
    return this.network;
  }

  /** Applies one heartbeat answer: new pods start, deleted ones terminate, ones moved away stop. */
  sync(answer: SyncInput): SyncChanges {
    const started: string[] = [];
    const stopped: string[] = [];
    const stopping: string[] = [];
    const desired = new Set(answer.desiredPodIds);
    // Before any pod starts, so that a new pod's namespace gets this answer's firewall.
    this.firewalls.update(answer.netpol);
    for (const t of answer.terminating ?? []) {
      if (this.placeholders.delete(t.id)) stopped.push(t.id);
      const worker = this.workers.get(t.id);
      if (worker && !worker.isTerminating) {
        void this.retire(worker, worker.terminate(t.gracePeriodSeconds));
        stopping.push(t.id);
      }
    }
    for (const [id, worker] of this.workers) {
      // Moved to another node or evicted: stop it as gently as a deletion would.
      if (!desired.has(id) && !worker.isTerminating) {
        void this.retire(worker, worker.terminate(worker.graceSeconds));
        stopping.push(id);
      }
    }
    for (const id of this.placeholders) {
      if (!desired.has(id)) {
        this.placeholders.delete(id);
        stopped.push(id);
      }
    }
    for (const a of answer.assignments ?? []) {
      if (!desired.has(a.id) || this.workers.has(a.id)) continue;
      this.placeholders.delete(a.id);
      this.startWorker(a);
      started.push(a.id);
    }
    for (const id of desired) {
      if (this.workers.has(id) || this.placeholders.has(id)) continue;
      this.placeholders.add(id);
      started.push(id);
    }
    return { started, stopped, stopping };
  }

  /** What the dataplane has in force, for every heartbeat. */
  netpolReport(): NetpolReport {
    return this.firewalls.report();
  }

  /** The pods to report: running and still-stopping workers, and placeholders. */
  podIds(): string[] {
    return [...this.workers.keys(), ...this.placeholders];
  }

  /** The name of a pod that runs containers here (undefined for placeholders). */
  podName(podId: string): string | undefined {
    return this.workers.get(podId)?.name;
  }

  /** The statuses that changed since the API last acknowledged them; call ackStatusChanges() once delivered. */
  takeStatusChanges(): PodStatusReport[] {
    this.inFlight.clear();
    this.finalsInFlight = new Set(this.finals.keys());
    const out: PodStatusReport[] = [...this.finals.values()];
    for (const [id, worker] of this.workers) {
      if (this.acked.get(id) === worker.version) continue;
      this.inFlight.set(id, worker.version);
      out.push(worker.status());
    }
    return out;
  }

  /** The last taken statuses reached the API (a failed heartbeat leaves them to be sent again). */
  ackStatusChanges(): void {
    for (const [id, version] of this.inFlight) if (this.workers.has(id)) this.acked.set(id, version);
    this.inFlight.clear();
    for (const id of this.finalsInFlight) this.finals.delete(id);
    this.finalsInFlight.clear();
  }

  /** The oldest pending events (at most one heartbeat's worth); call ackPodEvents() once delivered. */
  takePodEvents(): PodEventReport[] {
    const dropped = this.events.takeDropped();
    if (dropped > 0) this.opts.log.warn(`dropped the ${dropped} oldest pod events: the API did not take them in time`);
    return this.events.take();
  }

  /** The last taken events reached the API (a failed heartbeat leaves them to be sent again). */
  ackPodEvents(): void {
    this.events.ack();
  }

  /** Whether some event was not taken yet. */
  get hasPodEvents(): boolean {
    return this.events.hasUntaken;
  }

  /** Whether the API asked for a heartbeat now (POST /sync); reading it clears the request. */
  takeSyncRequest(): boolean {
    const asked = this.syncAsked;
    this.syncAsked = false;
    return asked;
  }

  /** Whether the API asked for a heartbeat that has not happened yet. */
  get syncRequested(): boolean {
    return this.syncAsked;
  }

  /** Whether some status changed and was not taken yet. */
  get hasStatusChanges(): boolean {
    for (const [id, worker] of this.workers) if (this.acked.get(id) !== worker.version && this.inFlight.get(id) !== worker.version) return true;
    return [...this.finals.keys()].some((id) => !this.finalsInFlight.has(id));
  }

  /** What each pod's running containers used since the previous call, and their total (one pass, so they agree). */
  sampleUsage(): ContainersUsage {
    return this.usageTracker.sample(this.workers.values());
  }

  /** Terminates every pod (SIGKILL after `graceMs`), closes the server and removes the node's cgroup and log dirs. */
  async shutdown(graceMs: number): Promise<void> {
    const workers = [...this.workers.values()];
    await Promise.all(workers.map((w) => this.retire(w, w.dispose(graceMs))));
    this.placeholders.clear();
    await this.server?.close();
    this.server = undefined;
    this.cgroupManager?.removeNodeDirs();
    for (const dir of [this.networkStateDir(), this.logDir]) {
      try {
        if (dir) rmdirSync(dir);
      } catch {
        // still holds something (or a configured directory shared with others): leave it
      }
    }
  }

  /** SIGKILLs every container synchronously, then deletes the pods' namespaces: the last thing a dying agent process does. */
  killAllNow(): void {
    for (const worker of this.workers.values()) signalAll(undefined, worker.pids(), "SIGKILL");
    this.network.teardownAllSync();
  }

  /** Records of the namespaces this node made, named by node id since a configured log dir may be shared. */
  private networkStateDir(): string | undefined {
    return this.logDir ? join(this.logDir, `.netns-${this.opts.nodeId}`) : undefined;
  }

  private startWorker(a: PodAssignment): void {
    this.logDir ??= this.prepareLogDir();
    const worker = new PodWorker(a, {
      logDir: this.logDir ?? this.opts.podLogDir ?? defaultPodLogDir(this.opts.nodeId),
      cgroups: () => this.cgroups(),
      ...(this.opts.imageEnv ? { imageEnv: this.opts.imageEnv } : {}),
      settings: () => this.settings,
      ...(this.opts.probeTickMs ? { probeTickMs: this.opts.probeTickMs } : {}),
      ...(this.opts.networkRetryMs ? { networkRetryMs: this.opts.networkRetryMs } : {}),
      network: this.network,
      ...(this.network.available ? { secureNetwork: (netns: string) => this.firewalls.secureNew(a.id, netns) } : {}),
      onChange: () => this.emit(),
      onEvent: (container, event) => {
        this.events.record(a.id, container, event);
        this.emit();
      },
    });
    this.workers.set(a.id, worker);
    worker.start();
  }

  /** Terminates a worker, then forgets it (the API deletes the pod once it is no longer reported). */
  private retire(worker: PodWorker, stopped: Promise<void>): Promise<void> {
    return stopped.then(() => {
      if (this.workers.get(worker.id) !== worker) return;
      this.workers.delete(worker.id);
      // How its containers ended (e.g. SIGKILLed after the grace period) is worth one last report.
      if (this.acked.get(worker.id) !== worker.version) this.finals.set(worker.id, worker.status());
      this.acked.delete(worker.id);
      this.events.forgetPod(worker.id);
      this.firewalls.forget(worker.id);
      worker.removeLogs();
      this.opts.log.info(`pod stopped ${worker.id}`);
      this.emit();
    });
  }

  private prepareLogDir(): string | undefined {
    const dir = preparePodLogDir(this.opts.nodeId, this.opts.podLogDir);
    const wanted = this.opts.podLogDir ?? defaultPodLogDir(this.opts.nodeId);
    if (!dir) this.opts.log.error(`no writable directory for container logs (tried ${wanted} and /dev/shm): containers cannot start`);
    else if (dir !== wanted) this.opts.log.warn(`${wanted} is not writable; container logs go to ${dir}`);
    return dir;
  }

  /** The cgroup manager, made on first use so that a node without pods touches no cgroup. */
  private cgroups(): CgroupManager | null {
    if (this.cgroupManager === undefined) {
      const off = this.opts.cgroups === "off";
      this.cgroupManager = off ? null : createCgroupManager({ nodeId: this.opts.nodeId });
      const how = this.cgroupManager
        ? `cgroup ${this.cgroupManager.layout.version}`
        : `the agent's memory guard (${off ? "KUBE9_CGROUPS=off" : "no writable cgroup hierarchy"})`;
      this.opts.log.info(`container limits enforced by ${how}`);
    }
    return this.cgroupManager;
  }

  private target(podId: string, name: string): ContainerTarget | undefined {
    const worker = this.workers.get(podId);
    const container = worker?.container(name);
    return worker && container ? { podName: worker.name, container } : undefined;
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
