import { EventEmitter } from "node:events";
import { isTerminalNodeStatus, type Expander, type RuntimeKind } from "@kube9/core";
import type { Database, NodeRecord } from "@kube9/db";
import { Authenticator } from "./auth.js";
import { ClusterCache } from "./cache/cluster-cache.js";
import { CacheResync } from "./controllers/cache-resync.js";
import type { Controller } from "./controllers/controller.js";
import { LeaderElection } from "./controllers/leader-election.js";
import { LeaseWriter } from "./controllers/lease-writer.js";
import { NodeLifecycleController } from "./controllers/node-lifecycle.js";
import { NodeRecoveryController } from "./controllers/node-recovery.js";
import { SchedulerController } from "./controllers/scheduler.js";
import { toEventDTO, toNodeDTO, toPodDTO, type EventDTO, type NodeDTO, type PodDTO } from "./dto.js";
import { EventRecorder } from "./event-recorder.js";
import { LeaseBuffer } from "./lease-buffer.js";
import type { Logger } from "./logger.js";
import type { ControlPlaneMetrics } from "./metrics.js";
import type { NodeRuntime } from "./runtime/runtime.js";
import { AgentGateway } from "./services/agent-gateway.js";
import { ClusterService } from "./services/cluster-service.js";
import { KubeletProxy } from "./services/kubelet-proxy.js";
import { NodeAgents } from "./services/node-agents.js";
import { BootstrapTokenService } from "./services/bootstrap-token-service.js";
import { NodeService } from "./services/node-service.js";
import { NodeStatusService } from "./services/node-status.js";
import { PodService } from "./services/pod-service.js";
import { Queries } from "./services/queries.js";
import { UsageQueries } from "./services/usage-queries.js";
import { UsageHistoryController } from "./controllers/usage-history.js";
import { UsageRetentionController } from "./controllers/usage-retention.js";
import { UsageStore } from "./usage/usage-store.js";
import { metricHelp, renderAlerts, renderSamples } from "./usage/metric-samples.js";
import { AlertingController } from "./controllers/alerting.js";
import { WebhookNotifier } from "./alerts/webhook-notifier.js";
import { AlertService } from "./services/alert-service.js";
import { AutoscalerController } from "./controllers/autoscaler.js";
import { NodeGroupService } from "./services/node-group-service.js";
import { NamespaceService } from "./services/namespace-service.js";
import { NetworkPolicyService } from "./services/network-policy-service.js";
import { NamespaceController } from "./controllers/namespace-controller.js";
import { NetpolSyncController } from "./controllers/netpol-sync.js";
import { NetpolDataplane } from "./netpol/dataplane.js";
import { NetService } from "./services/net-service.js";
import { EventLoopLag } from "./event-loop-lag.js";

export { VERSION } from "./services/queries.js";

export interface ControlPlaneOptions {
  db: Database;
  runtimes: Partial<Record<RuntimeKind, NodeRuntime>>;
  defaultRuntime: RuntimeKind;
  /** The admin token's hash for a new cluster (a database with none yet); the database's hash is the one checked. */
  adminTokenHash?: string;
  log: Logger;
  /** The URL agents use to reach this API. */
  apiUrl: () => string;
  now?: () => number;
  /** Counters and histograms for /metrics (optional). */
  metrics?: ControlPlaneMetrics;
  /** The API's own event-loop lag (default: measured with perf_hooks while started); tests may play a stall. */
  eventLoopLag?: { recentMs(windowMs: number): number };
}

/** Change notifications for watchers (SSE subscriptions use them). */
export interface ControlPlaneEvents {
  event: [EventDTO];
  node: [NodeDTO];
  pod: [PodDTO];
}

/** Time for a beat to reach this process from another one (its lease flush, then this cache's resync). */
const ORPHAN_GRACE_MS = 2000;

/** When a controller runs: in every API process, or only in the one holding the leader lease. */
type Runs = "always" | "while-leading";

/**
 * The control plane's wiring and lifecycle, and nothing else: one cache, the controllers over it,
 * and the services and queries the routers call (see docs/architecture.md for the layers).
 */
export class ControlPlane {
  readonly changes = new EventEmitter<ControlPlaneEvents>();
  readonly cache: ClusterCache;
  readonly auth: Authenticator;
  readonly queries: Queries;
  /** Measured use: latest samples and series. */
  readonly usage: UsageQueries;
  readonly usageStore = new UsageStore();
  readonly alerts: AlertService;
  readonly alerting: AlertingController;
  readonly nodeGroups: NodeGroupService;
  readonly autoscaler: AutoscalerController;
  private readonly notifier: WebhookNotifier;
  readonly nodes: NodeService;
  readonly bootstrapTokens: BootstrapTokenService;
  readonly pods: PodService;
  readonly namespaces: NamespaceService;
  readonly networkPolicies: NetworkPolicyService;
  readonly dataplane: NetpolDataplane;
  readonly net: NetService;
  readonly cluster: ClusterService;
  readonly agents: AgentGateway;
  readonly kubelets: KubeletProxy;
  readonly scheduler: SchedulerController;
  readonly lifecycle: NodeLifecycleController;
  readonly recovery: NodeRecoveryController;
  private readonly election: LeaderElection;
  private readonly runtimes: NodeAgents;
  /** The event log (watch-hub.ts follows it). */
  readonly events: EventRecorder;
  /** Every controller, and when it runs. A new controller is one more line here. */
  private readonly controllers: Array<{ controller: Controller; runs: Runs }>;
  private started = false;
  private stopped = false;
  /** A new leader's look, a few seconds on, at agents that beat recently but nobody here runs. */
  private orphanCheck: NodeJS.Timeout | undefined;
  private readonly leases: LeaseBuffer;
  /** The addresses of the other live API processes on the database (refreshed by the election's ticks). */
  private peers: string[] = [];
  private readonly lag = new EventLoopLag();

  /** The API's log (procedures that answer for many items log what a failed call would). */
  get log(): Logger {
    return this.opts.log;
  }

  constructor(private readonly opts: ControlPlaneOptions) {
    const { db, log, metrics } = opts;
    const now = opts.now ?? Date.now;
    const cache = (this.cache = new ClusterCache(db));
    const leases = (this.leases = new LeaseBuffer(db));
    const view = (n: NodeRecord) => toNodeDTO(n, leases.lastBeat(n.id));
    const events = (this.events = new EventRecorder(db, now, (e) => this.changes.emit("event", toEventDTO(e))));
    cache.changes.on("node", (n) => this.changes.emit("node", view(n)));
    cache.changes.on("pod", (p) => this.changes.emit("pod", toPodDTO(p)));
    // Watchers learn of a deletion as the pod's last state, Terminating.
    cache.changes.on("podDeleted", (p) => this.changes.emit("pod", { ...toPodDTO(p), status: "Terminating" }));

    this.runtimes = new NodeAgents({ db, cache, runtimes: opts.runtimes, defaultRuntime: opts.defaultRuntime, apiUrl: () => this.apiUrls().join(","), now });
    this.election = new LeaderElection({
      db,
      now,
      log,
      onElected: () => this.elected(),
      onDeposed: () => this.runControllers("while-leading", "stop"),
      onPeers: (peers) => (this.peers = peers.filter((p) => p !== "" && p !== opts.apiUrl())),
    });
    const kubelets = (this.kubelets = new KubeletProxy(cache));
    const notifyNode = (nodeId: string) => kubelets.poke(nodeId);
    const scheduler = (this.scheduler = new SchedulerController({ db, cache, events, now, log, metrics, notifyNode, leading: () => this.election.isLeader }));
    const status = new NodeStatusService({
      db,
      cache,
      events,
      leases,
      now,
      metrics,
      leaderSince: () => this.election.leaderSince,
      schedule: () => scheduler.runPass(),
      kickScheduler: () => scheduler.kick(),
    });
    const stopping = () => this.stopped;
    const lag = opts.eventLoopLag ?? this.lag;
    this.lifecycle = new NodeLifecycleController({
      cache,
      events,
      status,
      now,
      log,
      stopping,
      recentLagMs: (windowMs) => lag.recentMs(windowMs),
      databaseStallMs: () => leases.databaseStallMs(),
      removedNodes: () => db.nodes.listRemoved(),
      finishRemoval: (node, moved) => this.nodes.finishRemoval(node, moved),
    });
    this.recovery = new NodeRecoveryController({ cache, events, status, agents: this.runtimes, now, log });
    const usageStore = this.usageStore;
    // A sample older than three heartbeats is not current use any more.
    const staleAfterMs = () => Math.max(3000, 3 * cache.settings.health.heartbeatIntervalMs);
    this.notifier = new WebhookNotifier({ url: () => cache.settings.alerting.webhookUrl, externalUrl: opts.apiUrl, log });
    // Alerts look back further than "latest" (as Prometheus' lookback): one late heartbeat on a busy
    // machine must not resolve a firing alert and fire it again a second later.
    const alertLookbackMs = () => Math.max(10_000, 5 * cache.settings.health.heartbeatIntervalMs);
    this.alerting = new AlertingController({ cache, events, now, log, usage: usageStore, notifier: this.notifier, staleAfterMs: alertLookbackMs });
    this.nodes = new NodeService({ db, cache, events, leases, agents: this.runtimes, status, now, view });
    this.bootstrapTokens = new BootstrapTokenService({ db, events, nodes: this.nodes, now });
    this.nodeGroups = new NodeGroupService({ db, cache, events, now, nodes: this.nodes, defaultRuntime: () => opts.defaultRuntime, kick: () => this.autoscaler.kick() });
    this.autoscaler = new AutoscalerController({ db, cache, events, now, log, groups: this.nodeGroups, nodes: this.nodes, usage: usageStore, staleAfterMs });
    this.controllers = [
      // Leases only of nodes not heard here within an interval: with every node beating here (one API), none.
      { controller: new CacheResync(cache, log, () => leases.quiet(cache.nodes().map((n) => n.id), now() - cache.settings.health.heartbeatIntervalMs)), runs: "always" },
      { controller: new LeaseWriter(leases, log), runs: "always" },
      { controller: new UsageHistoryController({ db, usage: usageStore, now, log, staleAfterMs }), runs: "always" },
      { controller: new UsageRetentionController(db, now, log), runs: "while-leading" },
      { controller: this.alerting, runs: "while-leading" },
      { controller: this.autoscaler, runs: "while-leading" },
      { controller: this.scheduler, runs: "while-leading" },
      { controller: this.lifecycle, runs: "while-leading" },
      { controller: this.recovery, runs: "while-leading" },
    ];
    this.runtimes.onUnexpectedExit((exit) => {
      void this.lifecycle.agentExited(exit).catch((err) => log.error("handling an agent exit failed", { err: String(err) }));
    });

    this.auth = new Authenticator(cache, db);
    this.queries = new Queries({ db, cache, view, runtime: () => opts.defaultRuntime });
    this.pods = new PodService({ db, cache, events, scheduler, now, notifyNode });
    this.namespaces = new NamespaceService({ db, cache, events, now, pods: this.pods });
    this.dataplane = new NetpolDataplane(cache);
    this.net = new NetService({ cache, dataplane: this.dataplane });
    this.controllers.push({ controller: new NetpolSyncController(cache, this.dataplane, notifyNode, log), runs: "always" });
    this.networkPolicies = new NetworkPolicyService({ db, cache, events, now, enforcement: () => this.dataplane.enforcement() });
    this.controllers.push({ controller: new NamespaceController(cache, this.namespaces, log), runs: "while-leading" });
    this.cluster = new ClusterService({ db, cache, events });
    this.agents = new AgentGateway({ db, cache, events, leases, status, now, metrics, usage: usageStore, dataplane: this.dataplane, kickScheduler: () => scheduler.kick(), apiUrls: () => this.apiUrls() });
    this.usage = new UsageQueries({ db, cache, usage: usageStore, now, staleAfterMs });
    this.alerts = new AlertService({ db, cache, events, now, alerting: this.alerting });
  }

  /** Loads the cache and takes the leader lease if it is free, without starting any loop. */
  async init(): Promise<void> {
    await this.cache.load();
    if (this.opts.adminTokenHash && this.cache.settings.adminTokenHash === null) {
      this.cache.setSettings(await this.opts.db.cluster.update({ adminTokenHash: this.opts.adminTokenHash }));
    }
    await this.election.tick();
  }

  /** Starts the controllers: the always-on ones now, the others while this process leads. */
  async start(): Promise<void> {
    if (!this.cache.loaded) await this.init();
    this.started = true;
    this.lag.start();
    this.runControllers("always", "start");
    this.election.start();
    if (this.election.isLeader) this.runControllers("while-leading", "start");
  }

  /** Stops controllers and agents (waiting for passes in flight); the database stays open for the caller to close. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.orphanCheck);
    await this.election.stop();
    await this.runControllers("while-leading", "stop");
    // A controller pass in flight may have been restarting an agent: it has finished; now stop every agent.
    await this.runtimes.stopAll();
    await this.runControllers("always", "stop");
    await this.notifier.stop();
    await this.events.flush();
    await this.election.resign();
    this.lag.stop();
  }

  /** Where agents reach the cluster: this process first, then the other live API processes. */
  apiUrls(): string[] {
    const own = this.opts.apiUrl();
    return own ? [own, ...this.peers] : [...this.peers];
  }

  /** Usage gauges of nodes and pods, the alerts now and the autoscaler's figures, in Prometheus text (appended to /metrics). */
  metricsText(): string {
    const samples = this.alerting.samples().filter((s) => s.metric.startsWith("kube9_node_") || s.metric.startsWith("kube9_pod_"));
    return renderSamples(samples, metricHelp) + renderAlerts(this.alerting.alerts()) + this.autoscaler.metricsText() + this.lifecycle.metricsText();
  }

  /** Sets how the autoscaler picks the group to grow. */
  async setExpander(expander: Expander): Promise<{ expander: Expander; previous: Expander }> {
    const previous = this.cache.settings.autoscaler.expander;
    this.cache.setSettings(await this.opts.db.cluster.update({ autoscaler: { ...this.cache.settings.autoscaler, expander } }));
    await this.events.cluster("ExpanderChanged", `autoscaler expander ${previous} -> ${expander}`);
    return { expander, previous };
  }

  /** True once the cache is loaded; requests before that are refused as unavailable. */
  get ready(): boolean {
    return this.cache.loaded;
  }

  /** Whether this process holds the leader lease now. */
  get isLeader(): boolean {
    return this.election.isLeader;
  }

  get clusterId(): string {
    return this.cache.settings.id;
  }

  get defaultRuntime(): RuntimeKind {
    return this.opts.defaultRuntime;
  }

  private async runControllers(runs: Runs, action: "start" | "stop"): Promise<void> {
    const chosen = this.controllers.filter((c) => c.runs === runs).map((c) => c.controller);
    if (action === "start") for (const c of chosen) c.start();
    else await Promise.all(chosen.map((c) => c.stop()));
  }

  /**
   * A new leader restarts the agents nobody runs any more, then starts the leader-only controllers. Node
   * agents belong to the cluster: one this process does not run may be run by another API process (live, or
   * gone while its agent carries on with the others), so only a node silent for longer than failedAfter is
   * restarted at once; one that beat recently is left to its agent, and restarted only if no beat from it
   * reaches the database within two heartbeats and the lease flush (it was dead after all). No node gets a
   * second agent.
   */
  private async elected(): Promise<void> {
    const now = this.opts.now ?? Date.now;
    const electedAt = now();
    const health = this.cache.settings.health;
    const waiting: string[] = [];
    for (const node of this.orphans()) {
      // Hollow agents live inside the API process that ran them: none outlives it; nor does a process agent
      // when no other API process is alive and none runs here (the usual restart of the only API process).
      const gone = node.runtime === "hollow" || (this.peers.length === 0 && this.runtimes.runtime(node.runtime)?.runsHere?.(node.id) === false);
      if (!gone && electedAt - this.lastBeat(node) <= health.failedAfterMs) waiting.push(node.id);
      else await this.restartAgent(node);
    }
    if (waiting.length > 0) {
      clearTimeout(this.orphanCheck);
      this.orphanCheck = setTimeout(() => {
        if (this.stopped || !this.election.isLeader) return;
        const silent = this.orphans().filter((n) => waiting.includes(n.id) && this.lastBeat(n) <= electedAt);
        void Promise.all(silent.map((n) => this.restartAgent(n)));
      }, 2 * health.heartbeatIntervalMs + ORPHAN_GRACE_MS);
      this.orphanCheck.unref();
    }
    if (this.started && !this.stopped) this.runControllers("while-leading", "start");
    else void this.scheduler.runPass();
  }

  /** Live nodes whose agent no runtime of this process runs (and that one of them could run). */
  private orphans(): NodeRecord[] {
    return this.cache.nodes().filter((node) => {
      const runtime = this.runtimes.runtime(node.runtime);
      // Docker containers outlive the API: running ones were adopted before this (has() is true).
      return runtime !== undefined && !runtime.has(node.id) && !isTerminalNodeStatus(node.status);
    });
  }

  /** The node's last beat as this process knows it: its own buffer, or the database's lease (via the cache). */
  private lastBeat(node: NodeRecord): number {
    return Math.max(this.cache.node(node.id)?.lastHeartbeatAt ?? node.lastHeartbeatAt ?? 0, this.leases.lastBeat(node.id) ?? 0);
  }

  private async restartAgent(node: NodeRecord): Promise<void> {
    const runtime = this.runtimes.runtime(node.runtime);
    if (!runtime || this.stopped) return;
    try {
      await this.runtimes.start(node, runtime, true);
      this.opts.log.info(`restarted agent of node ${node.name}`);
    } catch (err) {
      this.opts.log.error(`could not restart agent of node ${node.name}`, { err: String(err) });
    }
  }
}
