import { statusOnHeartbeat, type HealthInput, type NodeStatus } from "@kube9/core";
import type { NodeRecord, PodRecord, TransitionNodeOptions } from "@kube9/db";
import type { NodeSideContext } from "./service-context.js";

export interface NodeStatusDeps extends NodeSideContext {
  /** When this process became the controllers' leader (0 when it never led). */
  leaderSince: () => number;
  /** Places pods now (a scheduling pass), used after evictions so pods move at once. */
  schedule: () => Promise<void>;
}

/**
 * Node status changes shared by the controllers, the agent gateway and the node service: the
 * compare-and-set transition, failing a node (and evicting its pods), and bringing one back to
 * Ready. Every change goes to the database first, then to the cache, with its event.
 */
export class NodeStatusService {
  constructor(private readonly deps: NodeStatusDeps) {}

  /** Compare-and-set status change (only from `opts.from`, when given); null when the node was not in such a state. */
  async transition(id: string, to: NodeStatus, opts: TransitionNodeOptions): Promise<NodeRecord | null> {
    const updated = await this.deps.db.nodes.transition(id, to, opts);
    if (updated) this.deps.cache.putNode(updated);
    return updated;
  }

  /** What the health rules need of a node: its freshest heartbeat, and no judgement before this process led for a period. */
  healthInput(node: NodeRecord): HealthInput {
    const since = this.deps.leaderSince();
    const beat = Math.max(node.lastHeartbeatAt ?? 0, this.deps.leases.lastBeat(node.id) ?? 0);
    return {
      status: node.status,
      lastHeartbeatAt: beat > 0 ? Math.max(beat, since) : null,
      statusChangedAt: Math.max(node.statusChangedAt, since),
      recoveryAttempts: node.recoveryAttempts,
    };
  }

  /** Marks a node Failed and sends its pods back to the queue, placing them at once. */
  async fail(node: NodeRecord, reason: string, message: string): Promise<void> {
    const { db, cache, now, metrics, events } = this.deps;
    const failed = await db.nodes.transition(node.id, "Failed", { from: [node.status], reason: message, now: now() });
    if (!failed) return;
    const beat = Math.max(node.lastHeartbeatAt ?? 0, this.deps.leases.lastBeat(node.id) ?? 0);
    metrics?.nodeFailed(beat > 0 ? (now() - beat) / 1000 : null);
    // The pods are requeued before anyone (watchers, /metrics, the scheduler) sees the node Failed.
    const evictMessage = `node ${failed.name} failed: ${message}`;
    const evicted = await db.pods.evictFromNode(node.id, "NodeFailed", evictMessage, now());
    cache.putNode(failed);
    const told = events.node("Warning", reason, failed, message);
    await this.afterEviction(failed, evicted, evictMessage);
    await told;
  }

  /** Requeues a node's pods (same ids, restarts + 1), frees its allocation, and places them elsewhere. */
  async evict(node: NodeRecord, reason: string, message: string): Promise<PodRecord[]> {
    const evicted = await this.deps.db.pods.evictFromNode(node.id, reason, message, this.deps.now());
    await this.afterEviction(node, evicted, message);
    return evicted;
  }

  private async afterEviction(node: NodeRecord, evicted: PodRecord[], message: string): Promise<void> {
    const { cache, metrics, events } = this.deps;
    metrics?.podsRescheduled(evicted.length);
    const told = evicted.map((p) => {
      cache.putPod(p);
      return events.pod("Warning", "PodEvicted", p, `${message}; rescheduling`);
    });
    // Terminating pods of the node were deleted by the same statement; the re-read drops them from the cache.
    await cache.reloadNode(node.id);
    for (const p of cache.podsOn(node.id)) if (p.status === "Terminating") cache.dropPod(p.id);
    await Promise.all(told);
    if (evicted.length > 0) await this.deps.schedule();
  }

  /** markAlive for many nodes at once: one statement per status they come from, then their events. */
  async markAliveMany(nodes: NodeRecord[], why: string): Promise<void> {
    const byNext = new Map<NodeStatus, Array<{ id: string; from: NodeStatus }>>();
    const was = new Map<string, NodeStatus>();
    for (const node of nodes) {
      const next = statusOnHeartbeat(node.status);
      if (next === null || next === node.status) continue;
      was.set(node.id, node.status);
      const list = byNext.get(next) ?? [];
      list.push({ id: node.id, from: node.status });
      byNext.set(next, list);
    }
    if (was.size === 0) return;
    const told: Promise<void>[] = [];
    for (const [next, changes] of byNext) {
      for (const updated of await this.deps.db.nodes.transitionMany(changes, next, { reason: why, now: this.deps.now() })) {
        this.deps.cache.putNode(updated);
        told.push(this.deps.events.node("Normal", "NodeReady", updated, `node is Ready (${why}; was ${was.get(updated.id)})`));
      }
    }
    await Promise.all(told);
    this.deps.kickScheduler();
  }

  /** Moves a node that shows signs of life back to Ready, once. */
  async markAlive(node: NodeRecord, why: string): Promise<void> {
    const next = statusOnHeartbeat(node.status);
    if (next === null || next === node.status) return;
    const updated = await this.transition(node.id, next, { from: [node.status], reason: why, now: this.deps.now() });
    if (!updated) return;
    await this.deps.events.node("Normal", "NodeReady", updated, `node is Ready (${why}; was ${node.status})`);
    this.deps.kickScheduler();
  }
}
