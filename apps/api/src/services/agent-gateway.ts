import pLimit from "p-limit";
import { isTerminalNodeStatus, statusOnHeartbeat, type KubeletEndpoint, type NodeRole, type KubeletSettings, type NetpolAssignment, type NetpolReport, type PodAssignment, type PodEventReport, type PodStatusReport, type PodTermination, type PodUsageReport, type Resources } from "@kube9/core";
import type { NodeRecord, PodRecord } from "@kube9/db";
import { recordKey } from "../cache/change-keys.js";
import { DomainError, ERROR_CODE_OF, precondition } from "../errors.js";
import { BeatRateLimiter } from "./beat-rate-limiter.js";
import type { NodeStatusService } from "./node-status.js";
import type { NodeSideContext } from "./service-context.js";
import type { UsageStore } from "../usage/usage-store.js";
import type { NetpolDataplane } from "../netpol/dataplane.js";

/** What an agent reports with each heartbeat. */
export interface HeartbeatReport {
  podIds: string[];
  usage: Resources;
  /** The agent's own part of `usage`. */
  agentUsage?: Resources;
  /** Each running pod's containers' use over the last interval. */
  podUsage?: PodUsageReport;
  components: Record<string, "Healthy" | "Unhealthy">;
  /** Pods whose status changed since the node's last report (nodes that run containers). */
  podStatuses?: PodStatusReport[];
  /** What the kubelet saw happen to its pods since its last report. */
  podEvents?: PodEventReport[];
  /** The node's policy dataplane: the firewall revision it applied, and whether it can enforce at all. */
  netpol?: NetpolReport;
}

/** The answer to a heartbeat: the whole desired set, plus what the node needs to act on it. */
export interface HeartbeatAnswer {
  desiredPodIds: string[];
  /** Specs of desired pods the node does not report yet. */
  assignments: PodAssignment[];
  /** Pods being deleted that the node still reports: stop their containers, then drop them. */
  terminating: PodTermination[];
  heartbeatIntervalMs: number;
  kubelet: KubeletSettings;
  /** Its pods' firewalls, when the node's applied revision is not the current one. */
  netpol?: NetpolAssignment;
  /** Every API process of the cluster (this one first): where the agent goes when this one stops answering. */
  apiUrls?: string[];
}

/** One beat's outcome in a batch: the answer a single heartbeat would get, or why it was refused. */
export type BatchedHeartbeatResult =
  | { nodeId: string; answer: HeartbeatAnswer; error?: undefined }
  | { nodeId: string; answer?: undefined; error: { code: BatchErrorCode; message: string } };

/** What register answers: the node's identity, size, heartbeat interval, pod address range and kubelet settings. */
export interface RegisterAnswer {
  nodeId: string;
  name: string;
  role: NodeRole;
  heartbeatIntervalMs: number;
  capacity: Resources;
  podCIDR: string;
  kubelet: KubeletSettings;
}

/** One registration's outcome in a batch. */
export type BatchedRegisterResult =
  | { nodeId: string; answer: RegisterAnswer; error?: undefined }
  | { nodeId: string; answer?: undefined; error: { code: BatchErrorCode; message: string } };

type BatchErrorCode = "UNAUTHORIZED" | (typeof ERROR_CODE_OF)[keyof typeof ERROR_CODE_OF];

export interface AgentGatewayDeps extends NodeSideContext {
  status: NodeStatusService;
  /** Where measured use goes (latest samples, series). */
  usage?: UsageStore;
  /** The policy dataplane: each node's firewalls, and what its agent applied. */
  dataplane?: NetpolDataplane;
  /** The addresses of every live API process of the cluster, this one first (empty: not known). */
  apiUrls?: () => string[];
}

/**
 * The agent protocol (the API side of a kubelet's node status and pod sync): register, heartbeat and
 * leave, for the node whose credential called (the router passes the authenticated node id). The
 * heartbeat is the hot path: it reads the cache, notes the beat in memory, and writes to the database
 * only when the node confirms pods or its report changed (see docs/architecture.md, "Heartbeats").
 */
export class AgentGateway {
  /** Refuses beats far faster than the interval (a flood), before they touch anything. */
  private readonly beats = new BeatRateLimiter();
  /** Re-reads of nodes that beat after a silence, at most 16 at once. */
  private readonly refreshes = pLimit(16);

  constructor(private readonly deps: AgentGatewayDeps) {}

  /** An agent announces itself; the node becomes Ready and learns the heartbeat interval. */
  async register(nodeId: string, kubelet?: KubeletEndpoint): Promise<RegisterAnswer> {
    const node = await this.liveNode(nodeId);
    this.deps.leases.beat(nodeId, this.deps.now(), null);
    if (JSON.stringify(kubelet ?? null) !== JSON.stringify(node.kubelet)) {
      // A restarted agent listens somewhere new (or nowhere): logs and exec follow it.
      await this.deps.db.nodes.setKubelet(nodeId, kubelet ?? null, this.deps.now());
      this.deps.cache.putNode({ ...(this.deps.cache.node(nodeId) ?? node), kubelet: kubelet ?? null }, true);
    }
    await this.deps.status.markAlive(node, "agent registered");
    return this.registration(node);
  }

  /**
   * Registrations of many nodes (one fleet's request): each counts only when `verify` accepts its node's
   * own credential; the nodes that become Ready change in one statement, so a fleet of thousands is
   * Ready in a few round trips rather than one write per node.
   */
  async registerBatch(
    nodes: Array<{ nodeId: string; token: string; kubelet?: KubeletEndpoint }>,
    verify: (nodeId: string, token: string) => Promise<boolean>,
  ): Promise<BatchedRegisterResult[]> {
    const { cache, db, leases, now: clock } = this.deps;
    const now = clock();
    const results: BatchedRegisterResult[] = [];
    const live: NodeRecord[] = [];
    for (const { nodeId, token, kubelet } of nodes) {
      try {
        if (!(await verify(nodeId, token))) {
          results.push({ nodeId, error: { code: "UNAUTHORIZED", message: "invalid node credential" } });
          continue;
        }
        const node = await this.liveNode(nodeId);
        leases.beat(nodeId, now, null);
        if (JSON.stringify(kubelet ?? null) !== JSON.stringify(node.kubelet)) {
          await db.nodes.setKubelet(nodeId, kubelet ?? null, now);
          cache.putNode({ ...(cache.node(nodeId) ?? node), kubelet: kubelet ?? null }, true);
        }
        live.push(node);
        results.push({ nodeId, answer: this.registration(cache.node(nodeId) ?? node) });
      } catch (err) {
        if (err instanceof DomainError) results.push({ nodeId, error: { code: ERROR_CODE_OF[err.kind], message: err.message } });
        else throw err;
      }
    }
    await this.deps.status.markAliveMany(live, "agent registered");
    return results;
  }

  /** What a registered agent learns: its identity, size, interval and pod address range. */
  private registration(node: NodeRecord): RegisterAnswer {
    return {
      nodeId: node.id,
      name: node.name,
      role: node.role,
      heartbeatIntervalMs: this.deps.cache.settings.health.heartbeatIntervalMs,
      capacity: { ...node.capacity },
      podCIDR: podCidrOf(node.seq),
      kubelet: this.kubeletSettings(),
    };
  }

  /** Records the beat, confirms started pods, stores a changed report; answers with the pods the node should run. */
  async heartbeat(nodeId: string, report: HeartbeatReport): Promise<HeartbeatAnswer> {
    const { cache, db, events, leases, now: clock } = this.deps;
    const now = clock();
    this.beats.admit(nodeId, cache.node(nodeId)?.name ?? nodeId, now, cache.settings.health.heartbeatIntervalMs);
    // A beat after a silence: another API process may have failed the node and moved its pods meanwhile,
    // before this cache heard of it; the answer (what the node runs) comes from the database then, so no
    // pod is told to run on two nodes.
    // With no other API process alive, every change went through this cache: nothing to re-read (at
    // 10,000 nodes, a stall of this process made every node "silent" at once, and two reads per beat
    // then kept the database, and the API waiting on it, behind). With others, a few at a time.
    const lastBeat = Math.max(leases.lastBeat(nodeId) ?? 0, cache.node(nodeId)?.lastHeartbeatAt ?? 0);
    if (now - lastBeat > 2 * cache.settings.health.heartbeatIntervalMs && (this.deps.apiUrls?.().length ?? 0) > 1) {
      await this.refreshes(() => cache.refreshNode(nodeId));
    }
    let node = await this.liveNode(nodeId);
    leases.beat(nodeId, now, report.usage);
    this.deps.usage?.record(nodeId, now, report.usage, report.agentUsage, this.ownPods(nodeId, report.podUsage));
    this.deps.metrics?.heartbeat();
    if (statusOnHeartbeat(node.status) !== node.status) {
      await this.deps.status.markAlive(node, "heartbeat received");
      node = cache.node(nodeId) ?? node;
    }
    if (report.podStatuses?.length) await this.storeStatuses(nodeId, report.podStatuses, now);
    const desired: string[] = [];
    const toConfirm: string[] = [];
    const assignments: PodAssignment[] = [];
    const terminating: PodTermination[] = [];
    const stopped: PodRecord[] = [];
    const reported = new Set(report.podIds);
    for (const p of cache.podsOn(nodeId)) {
      if (p.status === "Terminating") {
        if (reported.has(p.id)) terminating.push({ id: p.id, gracePeriodSeconds: p.spec?.terminationGracePeriodSeconds ?? 0 });
        else stopped.push(p);
        continue;
      }
      if (p.status !== "Scheduled" && p.status !== "Running") continue;
      desired.push(p.id);
      if (!reported.has(p.id) && p.spec) assignments.push({ id: p.id, name: p.name, namespace: p.namespace, spec: p.spec });
      if (p.status === "Scheduled" && reported.has(p.id)) toConfirm.push(p.id);
    }
    for (const p of stopped) await this.finalize(p, now);
    const reportChanged = sortedKey(report.podIds) !== sortedKey(node.podIds) || recordKey(report.components) !== recordKey(node.components);
    if (toConfirm.length > 0 || reportChanged) {
      // Confirmations and the node's report share one statement: agents report on every pod change.
      const changes = reportChanged ? { podIds: report.podIds, components: report.components } : {};
      const running = await db.pods.confirmAndReport(nodeId, toConfirm, changes, now);
      for (const p of running) {
        cache.putPod(p);
        await events.pod("Normal", "Started", p, `running on node ${p.nodeName ?? nodeId}`);
      }
    }
    // After the confirmations: a pod's Started comes before what its kubelet saw next.
    if (report.podEvents?.length) await this.recordEvents(nodeId, report.podEvents);
    if (reportChanged) {
      const latest = cache.node(nodeId) ?? node;
      cache.putNode({ ...latest, podIds: [...report.podIds], components: { ...report.components } });
    }
    const netpol = this.deps.dataplane?.onHeartbeat(nodeId, report.netpol);
    const apiUrls = this.deps.apiUrls?.() ?? [];
    return {
      desiredPodIds: desired,
      assignments,
      terminating,
      heartbeatIntervalMs: cache.settings.health.heartbeatIntervalMs,
      kubelet: this.kubeletSettings(),
      ...(netpol ? { netpol } : {}),
      ...(apiUrls.length > 0 ? { apiUrls } : {}),
    };
  }

  /**
   * Heartbeats of many nodes (one fleet's request): each beat counts only when `verify` accepts its
   * node's own credential, and a beat that fails (bad credential, node gone) fails alone.
   */
  async heartbeatBatch(
    beats: Array<{ nodeId: string; token: string; report: HeartbeatReport }>,
    verify: (nodeId: string, token: string) => Promise<boolean>,
  ): Promise<BatchedHeartbeatResult[]> {
    return Promise.all(
      beats.map(async ({ nodeId, token, report }): Promise<BatchedHeartbeatResult> => {
        try {
          if (!(await verify(nodeId, token))) return { nodeId, error: { code: "UNAUTHORIZED", message: "invalid node credential" } };
          return { nodeId, answer: await this.heartbeat(nodeId, report) };
        } catch (err) {
          if (err instanceof DomainError) return { nodeId, error: { code: ERROR_CODE_OF[err.kind], message: err.message } };
          throw err;
        }
      }),
    );
  }

  /** The node's measurements of its own pods only (a pod moved elsewhere is measured by its new node). */
  private ownPods(nodeId: string, pods: PodUsageReport | undefined): PodUsageReport | undefined {
    if (!pods) return undefined;
    let own: PodUsageReport | undefined;
    for (const id of Object.keys(pods)) {
      if (this.deps.cache.pod(id)?.nodeId === nodeId) continue;
      own ??= { ...pods };
      delete own[id];
    }
    return own ?? pods;
  }

  /** The kubelet's part of the cluster settings. */
  private kubeletSettings(): KubeletSettings {
    const h = this.deps.cache.settings.health;
    return { backoffInitialMs: h.crashLoopBackoffInitialMs, backoffMaxMs: h.crashLoopBackoffMaxMs, backoffResetMs: h.crashLoopBackoffResetMs };
  }

  /** Records what a node's kubelet saw, about that node's own pods only. */
  private async recordEvents(nodeId: string, reports: PodEventReport[]): Promise<void> {
    const told: Promise<void>[] = [];
    for (const e of reports) {
      const pod = this.deps.cache.pod(e.podId);
      if (pod?.nodeId !== nodeId) continue;
      told.push(this.deps.events.pod(e.type, e.reason, pod, e.message));
    }
    await Promise.all(told);
  }

  /** Stores reported pod statuses; a pod whose containers all ended for good (Succeeded/Failed) frees its room. */
  private async storeStatuses(nodeId: string, reports: PodStatusReport[], now: number): Promise<void> {
    const { db, cache, events } = this.deps;
    for (const p of await db.pods.reportStatuses(nodeId, reports, now)) {
      cache.putPod(p);
      const phase = p.podStatus?.phase;
      if ((phase !== "Succeeded" && phase !== "Failed") || (p.status !== "Scheduled" && p.status !== "Running")) continue;
      const finished = await db.pods.finish(p.id, phase, p.podStatus?.reason ?? (phase === "Succeeded" ? "Completed" : "Error"), p.podStatus?.message ?? null, now);
      if (!finished) continue;
      cache.addAllocation(nodeId, finished.request, -1);
      cache.putPod(finished);
      await events.pod(phase === "Succeeded" ? "Normal" : "Warning", phase === "Succeeded" ? "Completed" : "PodFailed", finished, `pod ${phase}: its containers ended`);
      this.deps.kickScheduler();
    }
  }

  /** A Terminating pod its node no longer runs: the deletion is complete. */
  private async finalize(pod: PodRecord, now: number): Promise<void> {
    const { db, cache, events } = this.deps;
    const deleted = await db.pods.delete(pod.id, now);
    if (!deleted) return;
    if (deleted.nodeId) cache.addAllocation(deleted.nodeId, deleted.request, -1);
    await events.pod("Normal", "PodDeleted", deleted, "containers stopped; pod deleted");
    cache.dropPod(deleted.id);
    this.deps.kickScheduler();
  }

  /** An agent shutting down: its pods move at once. */
  async leave(nodeId: string, reason: string): Promise<{ ok: true }> {
    // The status change is compare-and-set: when the lifecycle controller moved the node meanwhile
    // (Ready -> Suspect), the leave is applied again to the node as it is now.
    for (let attempt = 0; attempt < 3; attempt++) {
      const node = this.deps.cache.node(nodeId) ?? (await this.deps.cache.reloadNode(nodeId));
      if (!node || isTerminalNodeStatus(node.status) || node.status === "Failed") return { ok: true };
      await this.deps.status.fail(node, "NodeLeft", `agent left: ${reason}`);
    }
    return { ok: true };
  }

  /** The caller's node, which must still be allowed to run (another API process may have just made it). */
  private async liveNode(nodeId: string): Promise<NodeRecord> {
    const node = this.deps.cache.node(nodeId) ?? (await this.deps.cache.reloadNode(nodeId));
    if (!node) throw new DomainError("not-found", "this node no longer exists");
    if (statusOnHeartbeat(node.status) === null) throw precondition(`node is ${node.status}; its agent must stop`);
    return node;
  }
}

function sortedKey(ids: readonly string[]): string {
  return [...ids].sort().join(",");
}

/**
 * The node's pod address range, as Kubernetes gives each node a podCIDR: a /24 of 10.244.0.0/14 picked
 * by registration order (1,024 nodes before ranges repeat), so pods on different nodes never share an IP.
 * The addresses live only in network namespaces kube9 creates; the host never routes them.
 */
export function podCidrOf(seq: number): string {
  const n = ((seq % 1024) + 1024) % 1024;
  return `10.${244 + (n >> 8)}.${n & 255}.0/24`;
}
