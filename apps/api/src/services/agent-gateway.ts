import { isTerminalNodeStatus, statusOnHeartbeat, type NodeRole, type Resources } from "@kube9/core";
import type { Database, NodeRecord } from "@kube9/db";
import { recordKey } from "../cache/change-keys.js";
import type { ClusterCache } from "../cache/cluster-cache.js";
import { DomainError, precondition } from "../errors.js";
import type { EventRecorder } from "../event-recorder.js";
import type { LeaseBuffer } from "../lease-buffer.js";
import type { ControlPlaneMetrics } from "../metrics.js";
import type { NodeStatusService } from "./node-status.js";

/** What an agent reports with each heartbeat. */
export interface HeartbeatReport {
  podIds: string[];
  usage: Resources;
  components: Record<string, "Healthy" | "Unhealthy">;
}

export interface AgentGatewayDeps {
  db: Database;
  cache: ClusterCache;
  events: EventRecorder;
  leases: LeaseBuffer;
  status: NodeStatusService;
  now: () => number;
  metrics?: ControlPlaneMetrics;
}

/**
 * The agent protocol (the API side of a kubelet's node status and pod sync): register, heartbeat and
 * leave, for the node whose credential called (the router passes the authenticated node id). The
 * heartbeat is the hot path: it reads the cache, notes the beat in memory, and writes to the database
 * only when the node confirms pods or its report changed (see docs/architecture.md, "Heartbeats").
 */
export class AgentGateway {
  constructor(private readonly deps: AgentGatewayDeps) {}

  /** An agent announces itself; the node becomes Ready and learns the heartbeat interval. */
  async register(nodeId: string): Promise<{ nodeId: string; name: string; role: NodeRole; heartbeatIntervalMs: number; capacity: Resources }> {
    const node = await this.liveNode(nodeId);
    this.deps.leases.beat(nodeId, this.deps.now(), null);
    await this.deps.status.markAlive(node, "agent registered");
    return {
      nodeId: node.id,
      name: node.name,
      role: node.role,
      heartbeatIntervalMs: this.deps.cache.settings.health.heartbeatIntervalMs,
      capacity: { ...node.capacity },
    };
  }

  /** Records the beat, confirms started pods, stores a changed report; answers with the pods the node should run. */
  async heartbeat(nodeId: string, report: HeartbeatReport): Promise<{ desiredPodIds: string[]; heartbeatIntervalMs: number }> {
    const { cache, db, events, leases, now: clock } = this.deps;
    const now = clock();
    let node = await this.liveNode(nodeId);
    leases.beat(nodeId, now, report.usage);
    this.deps.metrics?.heartbeat();
    if (statusOnHeartbeat(node.status) !== node.status) {
      await this.deps.status.markAlive(node, "heartbeat received");
      node = cache.node(nodeId) ?? node;
    }
    const desired: string[] = [];
    const toConfirm: string[] = [];
    const reported = new Set(report.podIds);
    for (const p of cache.podsOn(nodeId)) {
      if (p.status !== "Scheduled" && p.status !== "Running") continue;
      desired.push(p.id);
      if (p.status === "Scheduled" && reported.has(p.id)) toConfirm.push(p.id);
    }
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
    if (reportChanged) {
      const latest = cache.node(nodeId) ?? node;
      cache.putNode({ ...latest, podIds: [...report.podIds], components: { ...report.components } });
    }
    return { desiredPodIds: desired, heartbeatIntervalMs: cache.settings.health.heartbeatIntervalMs };
  }

  /** An agent shutting down: its pods move at once. */
  async leave(nodeId: string, reason: string): Promise<{ ok: true }> {
    const node = this.deps.cache.node(nodeId) ?? (await this.deps.cache.reloadNode(nodeId));
    if (!node || isTerminalNodeStatus(node.status) || node.status === "Failed") return { ok: true };
    await this.deps.status.fail(node, "NodeLeft", `agent left: ${reason}`);
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
