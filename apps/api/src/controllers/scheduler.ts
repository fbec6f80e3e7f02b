import { schedule, SchedulingQueue, type Labels, type PolicyName, type QueuedPod, type QueueStats, type Resources } from "@kube9/core";
import type { CreatePodInput, Database, PodRecord } from "@kube9/db";
import type { ControlPlaneMetrics } from "../metrics.js";
import { LoopController, type ControllerContext } from "./controller.js";

/** How often the queue is looked at for pods whose backoff or unschedulable stay ended (kube-scheduler's flush period). */
const QUEUE_CHECK_MS = 1000;
/** Pods of one pass whose binds are in flight at once (picks stay in queue order). */
const PASS_CONCURRENCY = 8;
/** A pick that loses its node to another scheduler is retried on a refreshed node this many times. */
const BIND_ATTEMPTS = 5;

export interface SchedulerDeps extends ControllerContext {
  db: Database;
  metrics?: ControlPlaneMetrics;
  /** A pod with containers was bound: its node should learn it now, not at its next heartbeat. */
  notifyNode?: (nodeId: string) => void;
  /** Whether this process leads: only the leader records why pods fit nowhere (default: always). */
  leading?: () => boolean;
}

/** The outcome of placing one pod. */
export interface Placement {
  pod: PodRecord;
  scheduled: boolean;
  message: string;
}

/** What the scheduler needs of a pod it has not stored yet. */
export interface NewPodSpec {
  request: Resources;
  nodeSelector: Labels;
  algorithm: PolicyName | null;
}

/**
 * The scheduler: owns the queue of Pending pods (a SchedulingQueue fed by the cache's change events)
 * and every binding. It picks a node from the cache's capacity index, reserves there in memory, then
 * binds atomically in the database (a conditional reservation that cannot overcommit); a lost race
 * refreshes the node and tries again. A pod that fits nowhere is tried again only when a node change
 * can make it fit (after its backoff), or after 60 s; see docs/architecture.md, "The scheduler pass".
 * Passes run on kicks and every second while leading; launches place their own pod at once on any
 * API process.
 */
export class SchedulerController extends LoopController {
  private halted = false;
  private readonly queue = new SchedulingQueue();
  private attemptCount = 0;
  /** Whether the queue has learned the cache as loaded (at the first start or pass). */
  private learned = false;

  constructor(private readonly deps: SchedulerDeps) {
    super("scheduler", QUEUE_CHECK_MS, deps.log);
    const { cache } = deps;
    cache.changes.on("node", (n) => this.nodeChanged(n.id));
    cache.changes.on("pod", (p) => {
      if (p.status === "Pending") {
        if (this.queue.add(queued(p))) this.trigger();
        return;
      }
      this.queue.remove(p.id);
      // A finished pod's room is freed on its node (the node's own event usually says so first).
      if (p.nodeId && (p.status === "Succeeded" || p.status === "Failed")) this.nodeChanged(p.nodeId);
    });
    cache.changes.on("podDeleted", (p) => {
      this.queue.remove(p.id);
      if (p.nodeId) this.nodeChanged(p.nodeId);
    });
    cache.changes.on("settings", () => {
      if (this.queue.moveAll(deps.now()) > 0) this.trigger();
    });
  }

  override start(): void {
    this.halted = false;
    this.learnCache();
    // A new leader does not wait out backoffs that passes it did not run began.
    this.queue.endBackoffs();
    super.start();
    this.trigger();
  }

  /** Queues what the cache holds: its load announces nothing, and only later changes arrive as events. */
  private learnCache(): void {
    this.learned = true;
    const now = this.deps.now();
    for (const n of this.deps.cache.nodes()) this.nodeChanged(n.id, now);
    for (const p of this.deps.cache.pendingPods()) this.queue.add(queued(p));
  }

  /** Sizes of the Pending queue's parts. */
  queueStats(): QueueStats {
    return this.queue.stats();
  }

  /** Scheduling attempts so far (placed, unschedulable or failed), launches included. */
  get attempts(): number {
    return this.attemptCount;
  }

  override async stop(): Promise<void> {
    this.halted = true;
    await super.stop();
  }

  /** Asks for a pass soon (ignored while not running). */
  kick(): void {
    this.trigger();
  }

  /**
   * One pass now (or joins the one in flight), also after stop(): evictions need it. An explicit pass
   * does not wait out backoffs: the pods that events made worth trying are tried now.
   */
  runPass(): Promise<void> {
    this.halted = false;
    this.queue.endBackoffs();
    return this.tick();
  }

  protected async pass(): Promise<void> {
    const { cache, now } = this.deps;
    if (!this.learned) this.learnCache();
    const queue = this.queue.pop(now());
    // Until an event gives room, a pod just like one that fit nowhere fits nowhere either (kube-scheduler's
    // equivalence of identical pods): a burst of thousands costs one search, not thousands.
    const failed = new Map<string, { message: string; moveSeq: number }>();
    let next = 0;
    const worker = async () => {
      while (next < queue.length && !this.halted) {
        const pod = queue[next++]!;
        // The queue is a snapshot: a pod placed or deleted meanwhile is skipped.
        const current = cache.pod(pod.id);
        if (current?.status !== "Pending") {
          this.queue.remove(pod.id);
          continue;
        }
        const key = equivalenceKey(current, cache.settings.algorithm);
        const known = failed.get(key);
        if (known !== undefined && known.moveSeq === this.queue.moveSeq) {
          this.queue.failed(queued(current), now(), known.moveSeq);
          await this.recordUnplaced(current, known.message);
          continue;
        }
        const moveSeq = this.queue.moveSeq;
        // Each pick (schedule + assume) is synchronous, so workers pick in queue order, oldest first;
        // only the database writes overlap.
        const out = await this.place(current, true);
        if (!out.scheduled && out.pod.status === "Pending") failed.set(key, { message: out.message, moveSeq });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(PASS_CONCURRENCY, queue.length) }, worker));
    } finally {
      // A stopped pass gives back the pods it did not reach.
      for (let i = next; i < queue.length; i++) this.queue.unpop(queue[i]!.id);
    }
  }

  /** A node was added or changed (or a pod on it left): pods waiting for such room may move. */
  private nodeChanged(nodeId: string, now = this.deps.now()): void {
    const node = this.deps.cache.schedulerIndex.get(nodeId);
    if (!node) this.queue.nodeRemoved(nodeId);
    else if (this.queue.nodeChanged(node, now) > 0) this.trigger();
  }

  /**
   * Creates a pod and places it in the common case with one statement: choose the node first, then
   * insert the pod already bound there. When nothing fits, or the node filled up meanwhile, the pod
   * is created Pending and goes through place().
   */
  async launch(spec: NewPodSpec, create: (bindTo: CreatePodInput["bindTo"]) => Promise<PodRecord>): Promise<Placement> {
    const { cache, metrics } = this.deps;
    const started = performance.now();
    const policy = spec.algorithm ?? cache.settings.algorithm;
    const choice = schedule(cache.schedulerIndex, spec, policy);
    if (choice.ok) cache.assume(choice.node.id, spec.request);
    let pod: PodRecord;
    try {
      pod = await create(choice.ok ? { nodeId: choice.node.id, message: choice.message } : undefined);
    } finally {
      if (choice.ok) cache.settle(choice.node.id, spec.request);
    }
    if (choice.ok && pod.status === "Scheduled") {
      await this.bound(pod);
      metrics?.schedulingAttempt("scheduled", (performance.now() - started) / 1000);
      return { pod, scheduled: true, message: choice.message };
    }
    // Another scheduler filled the node first: refresh it and take the full path.
    if (choice.ok) await cache.reloadNode(choice.node.id);
    cache.putPod(pod, true);
    return this.place(pod, true);
  }

  /** Places one Pending pod, or records why it fits nowhere (when `record`, once per distinct reason). */
  async place(pod: PodRecord, record: boolean): Promise<Placement> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const moveSeq = this.queue.moveSeq;
    this.attemptCount++;
    try {
      const out = await this.attempt(pod, record, moveSeq);
      this.deps.metrics?.schedulingAttempt(out.scheduled ? "scheduled" : "unschedulable", seconds());
      return out;
    } catch (err) {
      this.queue.failed(queued(pod), this.deps.now(), moveSeq, true);
      this.deps.metrics?.schedulingAttempt("error", seconds());
      throw err;
    }
  }

  private async attempt(pod: PodRecord, record: boolean, moveSeq: number): Promise<Placement> {
    const { db, cache, now } = this.deps;
    const policy = pod.algorithm ?? cache.settings.algorithm;
    const sp = { request: pod.request, nodeSelector: pod.nodeSelector };
    let message = "";
    let unschedulable = false;
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
      const result = schedule(cache.schedulerIndex, sp, policy);
      if (!result.ok) {
        message = result.message;
        unschedulable = true;
        break;
      }
      cache.assume(result.node.id, pod.request);
      let outcome: Awaited<ReturnType<Database["pods"]["bind"]>>;
      try {
        outcome = await db.pods.bind(pod.id, result.node.id, now(), result.message);
      } finally {
        cache.settle(result.node.id, pod.request);
      }
      if (outcome === "bound") {
        const bound: PodRecord = {
          ...pod,
          status: "Scheduled",
          nodeId: result.node.id,
          nodeName: result.node.name,
          reason: null,
          message: result.message,
          scheduledAt: now(),
        };
        await this.bound(bound);
        return { scheduled: true, message: result.message, pod: bound };
      }
      if (outcome === "pod-not-pending") {
        const latest = await db.pods.get(pod.id);
        if (latest) cache.putPod(latest);
        else cache.dropPod(pod.id);
        const current = latest ?? pod;
        if (current.status !== "Pending") this.queue.remove(pod.id);
        return { scheduled: current.status !== "Pending", message: "already placed by another scheduler", pod: current };
      }
      await cache.reloadNode(result.node.id);
    }
    // Queued in the same tick as the verdict, so no event can slip between them; every bind lost to
    // another scheduler is an error: wait out the backoff rather than an event.
    this.queue.failed(queued(pod), now(), moveSeq, !unschedulable);
    const unplaced: PodRecord = { ...pod, reason: "FailedScheduling", message };
    if (record) await this.recordUnplaced(pod, message);
    return { scheduled: false, message, pod: unplaced };
  }

  /**
   * Records why a pod fits nowhere, once per distinct message, in the leader only: another API process's
   * cache may differ by a second of changes, and two writers would take turns rewriting the message. A
   * launch on another process still answers why; the leader's queue gets the pod with the next resync.
   */
  private async recordUnplaced(pod: PodRecord, message: string): Promise<void> {
    if (pod.reason === "FailedScheduling" && pod.message === message) return;
    if (this.deps.leading && !this.deps.leading()) return;
    const { db, cache, now, events } = this.deps;
    await db.pods.setReason(pod.id, "FailedScheduling", message, now());
    cache.putPod({ ...pod, reason: "FailedScheduling", message });
    await events.pod("Warning", "FailedScheduling", pod, message);
  }

  /** What follows every binding: the node's allocation and desired pods (in the cache), the event. */
  private async bound(pod: PodRecord): Promise<void> {
    this.deps.cache.addAllocation(pod.nodeId!, pod.request, 1);
    this.deps.cache.putPod(pod);
    if (pod.spec) this.deps.notifyNode?.(pod.nodeId!);
    await this.deps.events.pod("Normal", "Scheduled", pod, pod.message ?? "");
  }
}

/** A Pending pod as the queue sees it: creation order is its place in line. */
function queued(pod: PodRecord): QueuedPod {
  return { id: pod.id, order: pod.seq, request: pod.request, nodeSelector: pod.nodeSelector };
}

/** Pods with the same needs, selector and policy get the same answer from the same cluster. */
function equivalenceKey(pod: PodRecord, defaultPolicy: PolicyName): string {
  const selector = Object.keys(pod.nodeSelector)
    .sort()
    .map((k) => `${k}=${pod.nodeSelector[k]}`)
    .join(",");
  return `${pod.algorithm ?? defaultPolicy}|${pod.request.cpuMilli}|${pod.request.memoryMiB}|${selector}`;
}
