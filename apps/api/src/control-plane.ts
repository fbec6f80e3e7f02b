import { EventEmitter } from "node:events";
import {
  ClusterIndex,
  coresToMilli,
  decideRecovery,
  evaluateNodeHealth,
  explain,
  isTerminalNodeStatus,
  schedule,
  shouldResetRecoveryAttempts,
  statusOnHeartbeat,
  validateHealthConfig,
  type HealthConfig,
  type NodeStatus,
  type PodStatus,
  type PolicyName,
  type Resources,
  type RuntimeKind,
  type SchedNode,
} from "@kube9/core";
import {
  ConflictError,
  type ClusterRecord,
  type Database,
  type NodeRecord,
  type PodRecord,
  type Store,
} from "@kube9/db";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { toEventDTO, toNodeDTO, toPodDTO, type EventDTO, type NodeDTO, type NodeFitDTO, type PodDTO } from "./dto.js";
import { conflict, notFound, precondition } from "./errors.js";
import { EventLog } from "./event-log.js";
import { LeaseBuffer } from "./leases.js";
import type { Logger } from "./logger.js";
import type { ControlPlaneMetrics } from "./metrics.js";
import { RuntimeError, type NodeRuntime } from "./runtime/runtime.js";
import type { addNodeInput, heartbeatInput, launchPodInput } from "./schemas.js";
import type { Caller } from "./trpc.js";
import { hashToken, newNodeToken, nodeIdOfToken, randomSuffix } from "./tokens.js";

export const VERSION = "0.1.0";

/** Node memory when the user gives none: 4 GiB per core, like common cloud shapes. */
const DEFAULT_MIB_PER_CORE = 4096;
const MONITOR_TICK_MS = 250;
const LEASE_FLUSH_MS = 500;
const LEADER_RETRY_MS = 2000;
const PENDING_RETRY_MS = 1000;
/** Backstop only: foreign changes are noticed through allocation changes on the monitor's refresh. */
const LIVE_TTL_MS = 30_000;

const NODES_REFRESH_MS = 1000;

export interface ControlPlaneOptions {
  db: Database;
  runtimes: Partial<Record<RuntimeKind, NodeRuntime>>;
  defaultRuntime: RuntimeKind;
  adminTokenHash: string;
  log: Logger;
  /** The URL agents use to reach this API. */
  apiUrl: () => string;
  now?: () => number;
  /** Counters and histograms for /metrics (optional). */
  metrics?: ControlPlaneMetrics;
}

/** Change notifications for watchers (SSE subscriptions use them). */
export interface ControlPlaneEvents {
  event: [EventDTO];
  node: [NodeDTO];
  pod: [PodDTO];
}

/** Heartbeat-path cache of one node (reloaded after LIVE_TTL_MS so changes by other API processes arrive). */
interface LiveNode {
  status: NodeStatus;
  /** Pods the node should host (Scheduled or Running on it). */
  desired: Set<string>;
  /** Desired pods the node has not confirmed yet (Scheduled). */
  unconfirmed: Set<string>;
  podKey: string;
  componentsKey: string;
  loadedAt: number;
}

/** The control plane: node manager, scheduler and health monitor over one store. */
export class ControlPlane {
  readonly changes = new EventEmitter<ControlPlaneEvents>();
  private readonly store: Store;
  private readonly now: () => number;
  private readonly log: Logger;
  private cluster!: ClusterRecord;
  private index = new ClusterIndex();
  private readonly tokenCache = new Map<string, string>();
  /** Nodes frozen by fault injection: the operator recovers them, not the recovery controller. */
  private readonly paused = new Set<string>();
  private readonly failedAt = new Map<string, number>();
  /** Latest known node rows; refreshed from the database by the monitor, updated on local changes. */
  private readonly nodes = new Map<string, NodeRecord>();
  private nodesLoadedAt = 0;
  /** What the heartbeat path needs per node, so a steady-state heartbeat touches no table. */
  private readonly live = new Map<string, LiveNode>();
  private readonly leases: LeaseBuffer;
  private readonly events: EventLog;
  private timers: NodeJS.Timeout[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private leader = false;
  private leaderSince = 0;
  private stopped = false;
  private monitorBusy = false;
  private pendingPass: Promise<void> | null = null;
  private pendingAgain = false;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.store = opts.db.store;
    this.now = opts.now ?? Date.now;
    this.log = opts.log;
    this.leases = new LeaseBuffer(this.store);
    this.events = new EventLog(this.store, (e) => this.changes.emit("event", toEventDTO(e)));
    for (const rt of Object.values(opts.runtimes)) {
      rt?.onUnexpectedExit((exit) => {
        void this.onAgentExit(exit.nodeId, exit.description).catch((err) =>
          this.log.error("handling an agent exit failed", { err: String(err) }),
        );
      });
    }
  }

  /** Loads state and tries to become the controllers' leader, without starting timers. */
  async init(): Promise<void> {
    this.cluster = await this.store.getCluster();
    await this.reloadIndex();
    await this.leaderTick();
  }

  /** Starts the controllers' loops (leader election, health monitor, lease flush, pending retries). */
  async start(): Promise<void> {
    if (!this.cluster) await this.init();
    this.timers.push(setInterval(() => void this.flushLeases(), LEASE_FLUSH_MS));
    this.timers.push(setInterval(() => void this.track(this.leaderTick()), LEADER_RETRY_MS));
    this.timers.push(setInterval(() => void this.track(this.monitorTick()), MONITOR_TICK_MS));
    this.timers.push(setInterval(() => this.kickScheduler(), PENDING_RETRY_MS));
  }

  /** Stops controllers and agents; the store stays open for the caller to close. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // A controller pass in flight may be restarting an agent: let it finish, then stop every agent.
    await Promise.allSettled([...this.inflight]);
    await this.pendingPass;
    await Promise.all(Object.values(this.opts.runtimes).map((rt) => rt?.stopAll()));
    await this.flushLeases();
    await this.events.flush();
    if (this.leader) await this.opts.db.releaseLeadership();
    this.leader = false;
  }

  /** Remembers a controller pass so stop() can wait for it. */
  private track(p: Promise<void>): Promise<void> {
    this.inflight.add(p);
    return p.finally(() => this.inflight.delete(p));
  }

  /** True once init() has loaded the cluster; requests before that are refused as unavailable. */
  get ready(): boolean {
    return this.cluster !== undefined;
  }

  get clusterId(): string {
    return this.cluster.id;
  }

  get defaultRuntime(): RuntimeKind {
    return this.opts.defaultRuntime;
  }

  // ---------------------------------------------------------------- auth

  /** Maps a bearer token to a caller. */
  async identify(token: string | undefined): Promise<Caller> {
    if (!token) return { kind: "anonymous", why: "missing" };
    const hash = hashToken(token);
    if (hash === this.opts.adminTokenHash) return { kind: "admin" };
    const cached = this.tokenCache.get(hash);
    if (cached) return { kind: "node", nodeId: cached };
    const nodeId = nodeIdOfToken(token);
    if (nodeId) {
      const node = await this.store.getNode(nodeId);
      if (node && node.credentialHash === hash) {
        this.tokenCache.set(hash, nodeId);
        return { kind: "node", nodeId };
      }
    }
    return { kind: "anonymous", why: "invalid" };
  }

  // ---------------------------------------------------------------- queries

  /** Liveness and identity. */
  healthCheck(): { ok: true; version: string; clusterId: string } {
    return { ok: true, version: VERSION, clusterId: this.cluster.id };
  }

  /** Nodes in registration order, optionally filtered by status. */
  async listNodes(status?: NodeStatus[]): Promise<NodeDTO[]> {
    const nodes = await this.store.listNodes();
    return nodes.filter((n) => !status || status.includes(n.status)).map((n) => this.nodeDTO(n));
  }

  /** One node with its pods and recent events. */
  async describeNode(name: string): Promise<{ node: NodeDTO; pods: PodDTO[]; events: EventDTO[] }> {
    const node = await this.nodeByName(name);
    const [pods, events] = await Promise.all([
      this.store.listPods({ nodeId: node.id }),
      this.store.listEvents({ objectId: node.id, limit: 20 }),
    ]);
    return { node: this.nodeDTO(node), pods: pods.map(toPodDTO), events: events.map(toEventDTO) };
  }

  /** Pods in creation order, optionally filtered. */
  async listPods(filter: { status?: PodStatus[]; nodeName?: string }): Promise<PodDTO[]> {
    let nodeId: string | undefined;
    if (filter.nodeName) nodeId = (await this.nodeByName(filter.nodeName)).id;
    const pods = await this.store.listPods({ status: filter.status, nodeId });
    return pods.map(toPodDTO);
  }

  /** One pod with the per-node explanation of its placement. */
  async describePod(name: string): Promise<{ pod: PodDTO; policy: PolicyName; fits: NodeFitDTO[]; events: EventDTO[] }> {
    const pod = await this.podByName(name);
    const policy = pod.algorithm ?? this.cluster.algorithm;
    // Judge the pod's own node without the pod's own reservation, or it would not "fit" where it runs.
    const nodes = (await this.store.listNodes()).map((n) =>
      n.id === pod.nodeId && pod.status !== "Pending"
        ? toSched({
            ...n,
            allocated: {
              cpuMilli: Math.max(0, n.allocated.cpuMilli - pod.request.cpuMilli),
              memoryMiB: Math.max(0, n.allocated.memoryMiB - pod.request.memoryMiB),
            },
          })
        : toSched(n),
    );
    const fits = explain(nodes, { request: pod.request, nodeSelector: pod.nodeSelector }, policy).map((f) => ({
      nodeId: f.nodeId,
      nodeName: f.nodeName,
      feasible: f.feasible,
      chosen: pod.nodeId === f.nodeId,
      reasons: f.reasons,
      freeCpuAfter: f.freeCpuAfter ?? null,
      freeMemoryAfter: f.freeMemoryAfter ?? null,
    }));
    const events = await this.store.listEvents({ objectId: pod.id, limit: 20 });
    return { pod: toPodDTO(pod), policy, fits, events: events.map(toEventDTO) };
  }

  /** Totals for `cluster status`. */
  async clusterStatus() {
    const [nodes, pods] = await Promise.all([this.store.listNodes(), this.store.listPods()]);
    const nodesByStatus: Record<string, number> = {};
    const podsByStatus: Record<string, number> = {};
    const capacity = { cpuMilli: 0, memoryMiB: 0 };
    const allocated = { cpuMilli: 0, memoryMiB: 0 };
    for (const n of nodes) {
      nodesByStatus[n.status] = (nodesByStatus[n.status] ?? 0) + 1;
      if (isTerminalNodeStatus(n.status)) continue;
      capacity.cpuMilli += n.capacity.cpuMilli;
      capacity.memoryMiB += n.capacity.memoryMiB;
      allocated.cpuMilli += n.allocated.cpuMilli;
      allocated.memoryMiB += n.allocated.memoryMiB;
    }
    for (const p of pods) podsByStatus[p.status] = (podsByStatus[p.status] ?? 0) + 1;
    return {
      clusterId: this.cluster.id,
      algorithm: this.cluster.algorithm,
      runtime: this.opts.defaultRuntime,
      database: this.opts.db.kind,
      health: { ...this.cluster.health },
      nodes: { total: nodes.length, byStatus: nodesByStatus },
      pods: { total: pods.length, byStatus: podsByStatus },
      capacity,
      allocated,
    };
  }

  /** Events oldest first, after a given id. */
  async listEvents(opts: { afterId?: number; limit?: number; objectName?: string }): Promise<EventDTO[]> {
    if (!opts.objectName) {
      const events = await this.store.listEvents({ afterId: opts.afterId, limit: opts.limit ?? 100 });
      return events.map(toEventDTO);
    }
    const node = await this.store.getNodeByName(opts.objectName);
    const pod = node ? null : await this.store.getPodByName(opts.objectName);
    const id = node?.id ?? pod?.id;
    // A watcher may start before the object exists: nothing yet, not an error.
    if (!id) return [];
    const events = await this.store.listEvents({ afterId: opts.afterId, limit: opts.limit ?? 100, objectId: id });
    return events.map(toEventDTO);
  }

  // ---------------------------------------------------------------- cluster settings

  /** Changes the cluster's default scheduling algorithm. */
  async setAlgorithm(algorithm: PolicyName): Promise<{ algorithm: PolicyName; previous: PolicyName }> {
    const previous = this.cluster.algorithm;
    this.cluster = await this.store.updateCluster({ algorithm });
    await this.event("Normal", "AlgorithmChanged", "Cluster", null, "cluster", `scheduling algorithm ${previous} -> ${algorithm}`);
    return { algorithm, previous };
  }

  /** Changes health timings; the agents learn the interval from their next heartbeat answer. */
  async setHealthConfig(patch: Partial<HealthConfig>): Promise<HealthConfig> {
    const merged = { ...this.cluster.health, ...patch };
    const errors = validateHealthConfig(merged);
    if (errors.length > 0) throw new TRPCError({ code: "BAD_REQUEST", message: errors.join("; ") });
    this.cluster = await this.store.updateCluster({ health: merged });
    await this.event("Normal", "HealthConfigChanged", "Cluster", null, "cluster", JSON.stringify(patch));
    return merged;
  }

  // ---------------------------------------------------------------- nodes

  /** Creates a node and starts its agent; rolls the record back if the agent cannot start. */
  async addNode(input: z.infer<typeof addNodeInput>): Promise<NodeDTO> {
    const runtimeKind = input.runtime ?? this.opts.defaultRuntime;
    const runtime = this.opts.runtimes[runtimeKind];
    if (!runtime) {
      const have = Object.keys(this.opts.runtimes).join(", ");
      throw precondition(`runtime "${runtimeKind}" is not available on this API (available: ${have})`);
    }
    // Before any record exists: an engine that is down is the user's to fix, not a half-created node.
    if (runtime.check) await runtime.check().catch((err: unknown) => Promise.reject(runtimeFailure(err)));
    const name = input.name ?? `node-${randomSuffix()}`;
    const cpuMilli = coresToMilli(input.cpu);
    const memoryMiB = input.memoryMiB ?? Math.round(input.cpu * DEFAULT_MIB_PER_CORE);
    let node: NodeRecord;
    try {
      node = await this.store.createNode({
        name,
        role: input.role ?? "worker",
        runtime: runtimeKind,
        capacity: { cpuMilli, memoryMiB },
        labels: input.labels ?? {},
        credentialHash: "",
        now: this.now(),
      });
    } catch (err) {
      if (err instanceof ConflictError) throw conflict("node", name);
      throw err;
    }
    try {
      const handle = await this.startAgent(node, runtime, input.memoryMiB !== undefined);
      node = { ...node, containerId: handle };
    } catch (err) {
      await this.store.deleteNode(node.id);
      throw new TRPCError({
        code: err instanceof RuntimeError ? err.code : "INTERNAL_SERVER_ERROR",
        message: `could not start node "${name}": ${(err as Error).message}`,
        cause: err,
      });
    }
    await this.nodeEvent("Normal", "NodeAdded", node, `node added: ${input.cpu} CPU, ${memoryMiB} MiB, runtime ${runtimeKind}`);
    this.changes.emit("node", this.nodeDTO(node));
    return this.nodeDTO(node);
  }

  /** Whether a runtime can start agents now and whether it must prepare first (the CLI shows progress then). */
  async runtimeStatus(kind?: RuntimeKind) {
    const runtimeKind = kind ?? this.opts.defaultRuntime;
    const runtime = this.opts.runtimes[runtimeKind];
    if (!runtime) return { runtime: runtimeKind, available: false, message: `runtime "${runtimeKind}" is not available on this API`, imageReady: true };
    const status = runtime.status ? await runtime.status() : { available: true };
    return { runtime: runtimeKind, imageReady: true, ...status };
  }

  /** Prepares a runtime for its first node (the docker runtime builds the node image when missing). */
  async prepareRuntime(kind?: RuntimeKind) {
    const runtimeKind = kind ?? this.opts.defaultRuntime;
    const runtime = this.opts.runtimes[runtimeKind];
    if (!runtime) throw precondition(`runtime "${runtimeKind}" is not available on this API`);
    if (!runtime.prepare) return { runtime: runtimeKind, image: null, built: false, durationMs: 0, sizeBytes: 0 };
    try {
      await runtime.check?.();
      return { runtime: runtimeKind, ...(await runtime.prepare()) };
    } catch (err) {
      throw runtimeFailure(err);
    }
  }

  /** Drains a node (its pods are rescheduled first), stops its agent and deletes it. */
  async removeNode(name: string): Promise<{ node: NodeDTO; movedPods: PodDTO[] }> {
    const node = await this.nodeByName(name);
    const removed = await this.transition(node.id, "Removed", { reason: "removed by user", now: this.now() });
    if (!removed) throw precondition(`node "${name}" changed while removing it; try again`);
    this.index.remove(node.id);
    this.live.delete(node.id);
    const evicted = await this.store.evictNodePods(node.id, "NodeRemoved", `node ${name} is being removed`, this.now());
    this.opts.metrics?.podsRescheduled(evicted.length);
    this.live.delete(node.id);
    await this.runSchedulingPass();
    const runtime = this.opts.runtimes[node.runtime];
    await runtime?.stop(node.id, true);
    await this.store.deleteNode(node.id);
    this.nodes.delete(node.id);
    this.leases.forget(node.id);
    this.paused.delete(node.id);
    await this.nodeEvent("Normal", "NodeRemoved", removed, `node removed; ${evicted.length} pod(s) moved`);
    const moved = await Promise.all(evicted.map((p) => this.store.getPod(p.id)));
    this.changes.emit("node", this.nodeDTO(removed));
    return { node: this.nodeDTO(removed), movedPods: moved.filter((p): p is PodRecord => p !== null).map(toPodDTO) };
  }

  /** Fault injection: kill the agent abruptly, or freeze it so heartbeats stop. */
  async failNode(name: string, mode: "kill" | "pause"): Promise<NodeDTO> {
    const node = await this.nodeByName(name);
    const runtime = this.opts.runtimes[node.runtime];
    if (!runtime || !runtime.has(node.id)) {
      throw precondition(`node "${name}" has no running agent (status ${node.status})`);
    }
    if (this.paused.has(node.id)) throw precondition(`node "${name}" is already paused; use "node recover"`);
    await this.nodeEvent("Warning", "NodeFaultInjected", node, `fault injected: ${mode}`);
    if (mode === "pause") {
      this.paused.add(node.id);
      await runtime.pause(node.id);
    } else {
      await runtime.kill(node.id);
    }
    return this.nodeDTO((await this.store.getNode(node.id)) ?? node);
  }

  /** Brings a node back: unfreezes a paused agent, or restarts a failed one with a fresh credential. */
  async recoverNode(name: string): Promise<NodeDTO> {
    const node = await this.nodeByName(name);
    const runtime = this.opts.runtimes[node.runtime];
    if (!runtime) throw precondition(`runtime "${node.runtime}" is not available on this API`);
    if (this.paused.delete(node.id)) {
      await runtime.resume(node.id);
      await this.nodeEvent("Normal", "NodeResumed", node, "paused agent resumed");
      return this.nodeDTO(node);
    }
    if (node.status === "Ready" || node.status === "Cordoned") {
      throw precondition(`node "${name}" is ${node.status}; there is nothing to recover`);
    }
    const recovering = await this.transition(node.id, "Recovering", {
      from: [node.status],
      reason: "manual recovery",
      now: this.now(),
      recoveryAttempts: 0,
    });
    if (!recovering) throw precondition(`node "${name}" changed while recovering it; try again`);
    await this.nodeEvent("Normal", "NodeRecovering", recovering, "manual recovery: restarting the agent");
    await this.startAgent(recovering, runtime, true);
    this.changes.emit("node", this.nodeDTO(recovering));
    return this.nodeDTO(recovering);
  }

  // ---------------------------------------------------------------- pods

  /** Creates a pod and tries to place it at once; a pod that fits nowhere stays Pending with the reason. */
  async launchPod(input: z.infer<typeof launchPodInput>): Promise<{ pod: PodDTO; scheduled: boolean; message: string }> {
    const name = input.name ?? `pod-${randomSuffix()}`;
    const request = { cpuMilli: coresToMilli(input.cpu), memoryMiB: input.memoryMiB ?? 0 };
    const nodeSelector = input.nodeSelector ?? {};
    const started = performance.now();
    // The common case in one statement: choose the node first, then create the pod already bound.
    const choice = schedule(this.index, { request, nodeSelector }, input.algorithm ?? this.cluster.algorithm);
    if (choice.ok) this.index.assume(choice.node.id, request);
    let pod: PodRecord;
    try {
      pod = await this.store.createPod({
        name,
        request,
        labels: input.labels ?? {},
        nodeSelector,
        algorithm: input.algorithm ?? null,
        now: this.now(),
        bindTo: choice.ok ? { nodeId: choice.node.id, message: choice.message } : undefined,
      });
    } catch (err) {
      if (choice.ok) this.index.forget(choice.node.id, request);
      if (err instanceof ConflictError) throw conflict("pod", name);
      throw err;
    }
    if (choice.ok && pod.status === "Scheduled") {
      await this.afterBind(pod);
      this.opts.metrics?.schedulingAttempt("scheduled", (performance.now() - started) / 1000);
      return { pod: toPodDTO(pod), scheduled: true, message: choice.message };
    }
    if (choice.ok) {
      // Another scheduler filled the node first: refresh it and take the full path.
      this.index.forget(choice.node.id, request);
      await this.reloadNode(choice.node.id);
    }
    const outcome = await this.scheduleOne(pod, true);
    return { pod: toPodDTO(outcome.pod), scheduled: outcome.scheduled, message: outcome.message };
  }


  /** Deletes a pod and frees its reservation; waiting pods may then fit. */
  async deletePod(name: string): Promise<PodDTO> {
    const pod = await this.podByName(name);
    const deleted = await this.store.deletePod(pod.id);
    if (!deleted) throw notFound("pod", name);
    if (deleted.nodeId && deleted.status !== "Pending") {
      this.index.forget(deleted.nodeId, deleted.request);
      const live = this.live.get(deleted.nodeId);
      live?.desired.delete(deleted.id);
      live?.unconfirmed.delete(deleted.id);
      this.noteAllocation(deleted.nodeId, deleted.request, -1);
    }
    await this.podEvent("Normal", "PodDeleted", deleted, "pod deleted");
    this.changes.emit("pod", { ...toPodDTO(deleted), status: "Terminating" });
    this.kickScheduler();
    return toPodDTO(deleted);
  }

  // ---------------------------------------------------------------- agent protocol

  /** An agent announces itself; the node becomes Ready and learns the heartbeat interval. */
  async agentRegister(nodeId: string) {
    const node = await this.requireLiveNode(nodeId);
    this.recordBeat(nodeId, null);
    await this.markAlive(node, "agent registered");
    return {
      nodeId: node.id,
      name: node.name,
      role: node.role,
      heartbeatIntervalMs: this.cluster.health.heartbeatIntervalMs,
      capacity: { ...node.capacity },
    };
  }

  /** The hot path: records the beat in memory, confirms pods, answers with the desired pods; no table is touched unless something changed. */
  async agentHeartbeat(input: z.infer<typeof heartbeatInput>) {
    const now = this.now();
    let live = this.live.get(input.nodeId);
    if (!live || now - live.loadedAt > LIVE_TTL_MS) live = await this.loadLive(input.nodeId);
    if (statusOnHeartbeat(live.status) === null) {
      this.live.delete(input.nodeId);
      throw precondition(`node is ${live.status}; its agent must stop`);
    }
    this.recordBeat(input.nodeId, input.usage);
    this.opts.metrics?.heartbeat();
    if (statusOnHeartbeat(live.status) !== live.status) {
      await this.markAlive(await this.requireLiveNode(input.nodeId), "heartbeat received");
    }
    const reported = new Set(input.podIds);
    const toConfirm = [...live.unconfirmed].filter((id) => reported.has(id));
    const podKey = [...input.podIds].sort().join(",");
    const componentsKey = canonicalKey(input.components);
    const reportChanged = podKey !== live.podKey || componentsKey !== live.componentsKey;
    if (toConfirm.length > 0 || reportChanged) {
      // Confirmations and the node's report share one statement: agents report on every pod change.
      const report = reportChanged ? { podIds: input.podIds, components: input.components } : {};
      const running = await this.store.confirmAndReport(input.nodeId, toConfirm, report, now);
      for (const id of toConfirm) live.unconfirmed.delete(id);
      for (const p of running) {
        await this.podEvent("Normal", "Started", p, `running on node ${p.nodeName ?? input.nodeId}`);
        this.changes.emit("pod", toPodDTO(p));
      }
    }
    if (reportChanged) {
      live.podKey = podKey;
      live.componentsKey = componentsKey;
      const node = this.nodes.get(input.nodeId);
      if (node) {
        const updated = { ...node, podIds: [...input.podIds], components: { ...input.components } };
        this.nodes.set(node.id, updated);
        this.changes.emit("node", this.nodeDTO(updated));
      }
    }
    return { desiredPodIds: [...live.desired], heartbeatIntervalMs: this.cluster.health.heartbeatIntervalMs };
  }

  /** Loads a node's heartbeat cache entry from the database. */
  private async loadLive(nodeId: string): Promise<LiveNode> {
    const [node, pods] = await Promise.all([
      this.requireLiveNode(nodeId),
      this.store.listPods({ nodeId, status: ["Scheduled", "Running"] }),
    ]);
    this.nodes.set(node.id, node);
    const live: LiveNode = {
      status: node.status,
      desired: new Set(pods.map((p) => p.id)),
      unconfirmed: new Set(pods.filter((p) => p.status === "Scheduled").map((p) => p.id)),
      podKey: [...node.podIds].sort().join(","),
      componentsKey: canonicalKey(node.components),
      loadedAt: this.now(),
    };
    this.live.set(nodeId, live);
    return live;
  }

  /** An agent shutting down: its pods move at once. */
  async agentLeave(nodeId: string, reason: string): Promise<{ ok: true }> {
    const node = await this.store.getNode(nodeId);
    if (!node || isTerminalNodeStatus(node.status) || node.status === "Failed") return { ok: true };
    await this.failNodeNow(node, "NodeLeft", `agent left: ${reason}`);
    return { ok: true };
  }

  // ---------------------------------------------------------------- internals: nodes

  private nodeDTO(n: NodeRecord): NodeDTO {
    return toNodeDTO(n, this.leases.lastBeat(n.id));
  }

  private async nodeByName(name: string): Promise<NodeRecord> {
    const node = await this.store.getNodeByName(name);
    if (!node) throw notFound("node", name);
    return node;
  }

  private async podByName(name: string): Promise<PodRecord> {
    const pod = await this.store.getPodByName(name);
    if (!pod) throw notFound("pod", name);
    return pod;
  }

  private async requireLiveNode(nodeId: string): Promise<NodeRecord> {
    const node = await this.store.getNode(nodeId);
    if (!node) throw new TRPCError({ code: "NOT_FOUND", message: "this node no longer exists" });
    if (statusOnHeartbeat(node.status) === null) {
      throw precondition(`node is ${node.status}; its agent must stop`);
    }
    return node;
  }

  /** Gives a node a fresh credential and starts its agent. */
  private async startAgent(node: NodeRecord, runtime: NodeRuntime, memoryGiven: boolean): Promise<string> {
    if (this.stopped) throw new Error("the control plane is stopping");
    const token = newNodeToken(node.id);
    const hash = hashToken(token);
    await this.store.setNodeCredential(node.id, hash);
    for (const [h, id] of this.tokenCache) if (id === node.id) this.tokenCache.delete(h);
    this.tokenCache.set(hash, node.id);
    const handle = await runtime.start({
      nodeId: node.id,
      name: node.name,
      cpuMilli: node.capacity.cpuMilli,
      memoryMiB: node.capacity.memoryMiB,
      memoryGiven,
      apiUrl: this.opts.apiUrl(),
      token,
    });
    await this.store.setNodeContainer(node.id, handle);
    return handle;
  }

  private recordBeat(nodeId: string, usage: Resources | null): void {
    const at = this.now();
    this.leases.beat(nodeId, at, usage);
  }

  /** Moves a node that shows signs of life back to Ready, once. */
  private async markAlive(node: NodeRecord, why: string): Promise<void> {
    const next = statusOnHeartbeat(node.status);
    if (next === null || next === node.status) return;
    const updated = await this.transition(node.id, next, { from: [node.status], reason: why, now: this.now() });
    if (!updated) return;
    this.failedAt.delete(node.id);
    await this.nodeEvent("Normal", "NodeReady", updated, `node is Ready (${why}; was ${node.status})`);
    this.changes.emit("node", this.nodeDTO(updated));
    this.kickScheduler();
  }

  /** Marks a node Failed and sends its pods back to the queue. */
  private async failNodeNow(node: NodeRecord, reason: string, message: string): Promise<void> {
    const failed = await this.transition(node.id, "Failed", {
      from: [node.status],
      reason: message,
      now: this.now(),
    });
    if (!failed) return;
    this.failedAt.set(node.id, this.now());
    const beat = Math.max(node.lastHeartbeatAt ?? 0, this.leases.lastBeat(node.id) ?? 0);
    this.opts.metrics?.nodeFailed(beat > 0 ? (this.now() - beat) / 1000 : null);
    await this.nodeEvent("Warning", reason, failed, message);
    await this.evict(failed, `node ${failed.name} failed: ${message}`);
    this.changes.emit("node", this.nodeDTO((await this.store.getNode(node.id)) ?? failed));
  }

  private async evict(node: NodeRecord, message: string): Promise<void> {
    const evicted = await this.store.evictNodePods(node.id, "NodeFailed", message, this.now());
    this.live.delete(node.id);
    this.opts.metrics?.podsRescheduled(evicted.length);
    for (const p of evicted) {
      await this.podEvent("Warning", "PodEvicted", p, `${message}; rescheduling`);
      this.changes.emit("pod", toPodDTO(p));
    }
    await this.reloadNode(node.id);
    if (evicted.length > 0) await this.runSchedulingPass();
  }

  private async onAgentExit(nodeId: string, description: string): Promise<void> {
    if (this.stopped) return;
    const node = await this.store.getNode(nodeId);
    if (!node || isTerminalNodeStatus(node.status) || node.status === "Failed") return;
    await this.failNodeNow(node, "NodeFailed", description);
  }

  // ---------------------------------------------------------------- internals: scheduling

  /** Compare-and-set status change that keeps the scheduler index and the heartbeat cache in step. */
  private async transition(
    id: string,
    to: NodeStatus,
    opts: { from?: NodeStatus[]; reason?: string | null; now: number; recoveryAttempts?: number },
  ): Promise<NodeRecord | null> {
    const updated = await this.store.transitionNode(id, to, opts);
    if (updated) this.noteNode(updated);
    return updated;
  }

  /** Mirrors a reservation made or freed in the database in the cached node row, and tells watchers. */
  private noteAllocation(nodeId: string, request: Resources, sign: 1 | -1): void {
    const node = this.nodes.get(nodeId);
    if (!node) return;
    const updated: NodeRecord = {
      ...node,
      allocated: {
        cpuMilli: Math.max(0, node.allocated.cpuMilli + sign * request.cpuMilli),
        memoryMiB: Math.max(0, node.allocated.memoryMiB + sign * request.memoryMiB),
      },
    };
    this.nodes.set(nodeId, updated);
    this.changes.emit("node", this.nodeDTO(updated));
  }

  /** Records the latest known state of a node in the in-memory views. */
  private noteNode(node: NodeRecord): void {
    this.nodes.set(node.id, node);
    this.index.upsert(toSched(node));
    const live = this.live.get(node.id);
    if (live) live.status = node.status;
  }

  private async reloadIndex(): Promise<void> {
    const nodes = await this.store.listNodes();
    for (const n of nodes) {
      const known = this.nodes.get(n.id);
      // Another API process bound or freed pods here: reload this node's heartbeat cache.
      if (known && (known.allocated.cpuMilli !== n.allocated.cpuMilli || known.allocated.memoryMiB !== n.allocated.memoryMiB)) {
        this.live.delete(n.id);
      }
    }
    this.index = new ClusterIndex(nodes.map(toSched));
    this.nodes.clear();
    for (const n of nodes) this.nodes.set(n.id, n);
    this.nodesLoadedAt = this.now();
  }

  private async reloadNode(nodeId: string): Promise<void> {
    const node = await this.store.getNode(nodeId);
    if (node) this.noteNode(node);
    else {
      this.index.remove(nodeId);
      this.nodes.delete(nodeId);
      this.live.delete(nodeId);
    }
  }

  /**
   * Places one pod: pick from the in-memory index, assume the reservation, then bind atomically in the
   * database. A lost race (another scheduler filled the node) refreshes that node and tries again.
   */
  private async scheduleOne(pod: PodRecord, record: boolean): Promise<{ scheduled: boolean; message: string; pod: PodRecord }> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const out = await this.scheduleOneTimed(pod, record);
      this.opts.metrics?.schedulingAttempt(out.scheduled ? "scheduled" : "unschedulable", seconds());
      return out;
    } catch (err) {
      this.opts.metrics?.schedulingAttempt("error", seconds());
      throw err;
    }
  }

  private async scheduleOneTimed(pod: PodRecord, record: boolean): Promise<{ scheduled: boolean; message: string; pod: PodRecord }> {
    const policy = pod.algorithm ?? this.cluster.algorithm;
    const sp = { request: pod.request, nodeSelector: pod.nodeSelector };
    let message = "";
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = schedule(this.index, sp, policy);
      if (!result.ok) {
        message = result.message;
        break;
      }
      this.index.assume(result.node.id, pod.request);
      const outcome = await this.store.bindPod(pod.id, result.node.id, this.now(), result.message);
      if (outcome === "bound") {
        const bound: PodRecord = {
          ...pod,
          status: "Scheduled",
          nodeId: result.node.id,
          nodeName: result.node.name,
          reason: null,
          message: result.message,
          scheduledAt: this.now(),
        };
        await this.afterBind(bound);
        return { scheduled: true, message: result.message, pod: bound };
      }
      this.index.forget(result.node.id, pod.request);
      if (outcome === "pod-not-pending") {
        const now = (await this.store.getPod(pod.id)) ?? pod;
        return { scheduled: now.status !== "Pending", message: "already placed by another scheduler", pod: now };
      }
      await this.reloadNode(result.node.id);
    }
    if (record && (pod.reason !== "FailedScheduling" || pod.message !== message)) {
      await this.store.setPodReason(pod.id, "FailedScheduling", message);
      await this.podEvent("Warning", "FailedScheduling", pod, message);
      this.changes.emit("pod", toPodDTO({ ...pod, reason: "FailedScheduling", message }));
    }
    return { scheduled: false, message, pod: { ...pod, reason: "FailedScheduling", message } };
  }

  /** What follows every binding: the node's desired pods, its allocation, the event, the watchers. */
  private async afterBind(bound: PodRecord): Promise<void> {
    const nodeId = bound.nodeId!;
    const live = this.live.get(nodeId);
    live?.desired.add(bound.id);
    live?.unconfirmed.add(bound.id);
    this.noteAllocation(nodeId, bound.request, 1);
    await this.podEvent("Normal", "Scheduled", bound, bound.message ?? "");
    this.changes.emit("pod", toPodDTO(bound));
  }

  /** Asks for a pass over the Pending queue soon; passes never overlap. */
  private kickScheduler(): void {
    if (this.stopped) return;
    if (this.pendingPass) {
      this.pendingAgain = true;
      return;
    }
    void this.runSchedulingPass();
  }

  /** One pass over the Pending queue (the controller runs it on changes and every second). */
  runSchedulingPass(): Promise<void> {
    if (this.pendingPass) {
      this.pendingAgain = true;
      return this.pendingPass;
    }
    this.pendingPass = (async () => {
      try {
        do {
          this.pendingAgain = false;
          const pending = await this.store.listPendingPods(1000);
          for (const pod of pending) {
            if (this.stopped) return;
            await this.scheduleOne(pod, true);
          }
        } while (this.pendingAgain && !this.stopped);
      } catch (err) {
        this.log.error("scheduling pass failed", { err: String(err) });
      } finally {
        this.pendingPass = null;
      }
    })();
    return this.pendingPass;
  }

  // ---------------------------------------------------------------- internals: controllers

  /** Writes buffered heartbeats to the lease table in one statement. */
  async flushLeases(): Promise<void> {
    try {
      await this.leases.flush();
    } catch (err) {
      this.log.warn("writing heartbeat leases failed; will retry", { err: String(err) });
    }
  }


  /** Controllers run in one API process at a time: the holder of the database's leader lease. */
  private async leaderTick(): Promise<void> {
    if (this.stopped) return;
    let holds = false;
    try {
      // A leader asks again too: the lease lives on one database session, which can die.
      holds = await this.opts.db.tryAcquireLeadership();
    } catch (err) {
      this.log.warn("leader election failed", { err: String(err) });
    }
    if (this.leader && !holds) {
      this.leader = false;
      this.log.warn("lost the controllers' leader lease; another API process may lead now");
      return;
    }
    if (this.leader || !holds) return;
    this.leader = true;
    this.leaderSince = this.now();
    this.log.info("this API process leads the controllers");
    await this.restartLostAgents();
    this.kickScheduler();
  }


  /** Agents are children of the API that started them; after a restart, start them again. */
  private async restartLostAgents(): Promise<void> {
    const nodes = await this.store.listNodes();
    for (const node of nodes) {
      const runtime = this.opts.runtimes[node.runtime];
      // Docker containers outlive the API: running ones were adopted before this (has() is true); others start anew.
      if (!runtime || runtime.has(node.id) || isTerminalNodeStatus(node.status)) continue;
      try {
        await this.startAgent(node, runtime, true);
        this.log.info(`restarted agent of node ${node.name}`);
      } catch (err) {
        this.log.error(`could not restart agent of node ${node.name}`, { err: String(err) });
      }
    }
  }

  /** The health monitor: evaluates every node against the health rules and runs recovery. */
  async monitorTick(): Promise<void> {
    if (!this.leader || this.stopped || this.monitorBusy) return;
    this.monitorBusy = true;
    try {
      if (this.now() - this.nodesLoadedAt >= NODES_REFRESH_MS) {
        // Other API processes change nodes too; the database is the truth, memory a cache of it.
        this.cluster = await this.store.getCluster();
        await this.reloadIndex();
      }
      const nodes = [...this.nodes.values()];
      const now = this.now();
      const health = this.cluster.health;
      for (const node of nodes) {
        if (this.stopped) return;
        // A new leader gives every node a full period before judging it.
        const beat = Math.max(node.lastHeartbeatAt ?? 0, this.leases.lastBeat(node.id) ?? 0);
        const input = {
          status: node.status,
          lastHeartbeatAt: beat > 0 ? Math.max(beat, this.leaderSince) : null,
          statusChangedAt: Math.max(node.statusChangedAt, this.leaderSince),
          recoveryAttempts: node.recoveryAttempts,
        };
        const tr = evaluateNodeHealth(input, now, health);
        if (tr) {
          if (tr.status === "Failed") {
            await this.failNodeNow(node, tr.reason, tr.message);
          } else {
            const updated = await this.transition(node.id, tr.status, { from: [node.status], reason: tr.message, now });
            if (updated) {
              await this.nodeEvent(tr.type, tr.reason, updated, tr.message);
              this.changes.emit("node", this.nodeDTO(updated));
            }
          }
          continue;
        }
        if (node.status === "Failed") await this.recover(node, now, health);
        else if (node.recoveryAttempts > 0 && shouldResetRecoveryAttempts(input, now, health)) {
          await this.transition(node.id, node.status, { from: [node.status], now: node.statusChangedAt, recoveryAttempts: 0 });
        }
      }
    } catch (err) {
      this.log.error("health monitor tick failed", { err: String(err) });
    } finally {
      this.monitorBusy = false;
    }
  }

  private async recover(node: NodeRecord, now: number, health: HealthConfig): Promise<void> {
    const runtime = this.opts.runtimes[node.runtime];
    if (!runtime || this.paused.has(node.id) || this.stopped) return;
    // Leave a Failed node visible for one heartbeat period before restarting it.
    const since = this.failedAt.get(node.id) ?? node.statusChangedAt;
    if (now - since < health.heartbeatIntervalMs) return;
    const decision = decideRecovery(node, health);
    if (!decision) return;
    if (decision.action === "give-up") {
      const dead = await this.transition(node.id, "PermanentlyFailed", {
        from: ["Failed"],
        reason: `gave up after ${node.recoveryAttempts} recovery attempts`,
        now,
      });
      if (!dead) return;
      await runtime.stop(node.id, false);
      await this.store.setNodeContainer(node.id, null);
      await this.nodeEvent("Warning", "NodePermanentlyFailed", dead, `gave up after ${node.recoveryAttempts} recovery attempts; agent removed`);
      this.changes.emit("node", this.nodeDTO(dead));
      return;
    }
    const recovering = await this.transition(node.id, "Recovering", {
      from: ["Failed"],
      reason: `restart attempt ${decision.attempt}/${health.maxRecoveryAttempts}`,
      now,
      recoveryAttempts: decision.attempt,
    });
    if (!recovering) return;
    await this.nodeEvent(
      "Normal",
      "NodeRecovering",
      recovering,
      `restarting the agent (attempt ${decision.attempt}/${health.maxRecoveryAttempts})`,
    );
    this.changes.emit("node", this.nodeDTO(recovering));
    try {
      await this.startAgent(recovering, runtime, true);
    } catch (err) {
      // Shutting down is no failure of the node: the next start restarts its agent.
      if (this.stopped) return;
      await this.failNodeNow(recovering, "NodeRecoveryFailed", `restart failed: ${(err as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- internals: events

  private event(
    type: "Normal" | "Warning",
    reason: string,
    objectKind: "Node" | "Pod" | "Cluster",
    objectId: string | null,
    objectName: string,
    message: string,
  ): Promise<void> {
    return this.events.record({ time: this.now(), type, reason, objectKind, objectId, objectName, message });
  }

  private nodeEvent(type: "Normal" | "Warning", reason: string, node: NodeRecord, message: string): Promise<void> {
    return this.event(type, reason, "Node", node.id, node.name, message);
  }

  private podEvent(type: "Normal" | "Warning", reason: string, pod: PodRecord, message: string): Promise<void> {
    return this.event(type, reason, "Pod", pod.id, pod.name, message);
  }
}

/** A runtime's failure as an API error: its own code when it has one, else an internal error. */
function runtimeFailure(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TRPCError({ code: err instanceof RuntimeError ? err.code : "INTERNAL_SERVER_ERROR", message, cause: err });
}

/** The scheduler's view of a stored node. */
export function toSched(n: NodeRecord): SchedNode {
  return { id: n.id, name: n.name, order: n.seq, status: n.status, capacity: n.capacity, allocated: n.allocated, labels: n.labels };
}

/** A key-order-independent form of a flat record (jsonb does not keep key order). */
function canonicalKey(record: Record<string, string>): string {
  return Object.keys(record)
    .sort()
    .map((k) => `${k}=${record[k]}`)
    .join(",");
}
