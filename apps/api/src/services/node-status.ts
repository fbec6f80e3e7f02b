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

  /** Marks a node Failed and sends its pods back to the queue (one transaction), placing them at once. */
  async fail(node: NodeRecord, reason: string, message: string): Promise<void> {
    const { now, metrics, events } = this.deps;
    const evictMessage = `node ${node.name} failed: ${message}`;
    const { node: failed, evicted } = await this.deps.db.pods.transitionAndEvict(
      node.id,
      "Failed",
      { from: [node.status], reason: message, now: now() },
      { reason: "NodeFailed", message: evictMessage },
    );
    if (!failed) return;
    const beat = Math.max(node.lastHeartbeatAt ?? 0, this.deps.leases.lastBeat(node.id) ?? 0);
    metrics?.nodeFailed(beat > 0 ? (now() - beat) / 1000 : null);
    // The pods were requeued with the status change, before anyone (watchers, /metrics, the scheduler) sees the node Failed.
    this.deps.cache.putNode(failed);
    const told = events.node("Warning", reason, failed, message);
    await this.afterEviction(failed, evicted, evictMessage);
    await told;
  }

  /**
   * Changes a node's status and evicts its pods in one transaction (node remove, giving a node up);
   * null when the node was not in one of `opts.from`.
   */
  async transitionAndEvict(node: NodeRecord, to: NodeStatus, opts: TransitionNodeOptions, reason: string, message: string): Promise<{ node: NodeRecord; evicted: PodRecord[] } | null> {
    const done = await this.deps.db.pods.transitionAndEvict(node.id, to, opts, { reason, message });
    if (!done.node) return null;
    this.deps.cache.putNode(done.node);
    await this.afterEviction(done.node, done.evicted, message);
    return { node: done.node, evicted: done.evicted };
  }

  /**
   * Evicts the pods still bound to a node that cannot run them (Failed, Recovering, PermanentlyFailed,
   * Removed: a step that was interrupted, or a bind that raced the failure); nothing when the
   * database says the node is in none of `statuses` any more.
   */
  async evictStranded(node: NodeRecord, statuses: NodeStatus[]): Promise<PodRecord[]> {
    const message = `node ${node.name} is ${node.status}: its pods were still bound to it`;
    const done = await this.deps.db.pods.transitionAndEvict(node.id, null, { from: statuses, now: this.deps.now() }, { reason: "NodeFailed", message });
    if (!done.node) return [];
    if (done.node.status !== "Removed") this.deps.cache.putNode(done.node, true);
    await this.afterEviction(done.node, done.evicted, message);
    return done.evicted;
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
