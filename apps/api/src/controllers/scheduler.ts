import { schedule, type Labels, type PolicyName, type Resources } from "@kube9/core";
import type { CreatePodInput, Database, PodRecord } from "@kube9/db";
import type { ControlPlaneMetrics } from "../metrics.js";
import { LoopController, type ControllerContext } from "./controller.js";

/** Pending pods are retried this often even when nothing tells the scheduler that room appeared. */
const PENDING_RETRY_MS = 1000;
/** A pick that loses its node to another scheduler is retried on a refreshed node this many times. */
const BIND_ATTEMPTS = 5;

export interface SchedulerDeps extends ControllerContext {
  db: Database;
  metrics?: ControlPlaneMetrics;
  /** A pod with containers was bound: its node should learn it now, not at its next heartbeat. */
  notifyNode?: (nodeId: string) => void;
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
 * The scheduler: owns the queue of Pending pods (the cache's pending set, oldest first) and every
 * binding. It picks a node from the cache's capacity index, reserves there in memory, then binds
 * atomically in the database (a conditional reservation that cannot overcommit); a lost race
 * refreshes the node and tries again. Runs a pass on every kick and every second while leading;
 * launches place their own pod at once on any API process.
 */
export class SchedulerController extends LoopController {
  private halted = false;

  constructor(private readonly deps: SchedulerDeps) {
    super("scheduler", PENDING_RETRY_MS, deps.log);
  }

  override start(): void {
    this.halted = false;
    super.start();
    this.trigger();
  }

  override async stop(): Promise<void> {
    this.halted = true;
    await super.stop();
  }

  /** Asks for a pass soon (ignored while not running). */
  kick(): void {
    this.trigger();
  }

  /** One pass over the Pending queue now (or joins the one in flight), also after stop(): evictions need it. */
  runPass(): Promise<void> {
    this.halted = false;
    return this.tick();
  }

  protected async pass(): Promise<void> {
    for (const pod of this.deps.cache.pendingPods()) {
      if (this.halted) return;
      // The queue is a snapshot: a pod placed or deleted meanwhile is skipped.
      if (this.deps.cache.pod(pod.id)?.status !== "Pending") continue;
      await this.place(pod, true);
    }
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
    try {
      const out = await this.attempt(pod, record);
      this.deps.metrics?.schedulingAttempt(out.scheduled ? "scheduled" : "unschedulable", seconds());
      return out;
    } catch (err) {
      this.deps.metrics?.schedulingAttempt("error", seconds());
      throw err;
    }
  }

  private async attempt(pod: PodRecord, record: boolean): Promise<Placement> {
    const { db, cache, now, events } = this.deps;
    const policy = pod.algorithm ?? cache.settings.algorithm;
    const sp = { request: pod.request, nodeSelector: pod.nodeSelector };
    let message = "";
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
      const result = schedule(cache.schedulerIndex, sp, policy);
      if (!result.ok) {
        message = result.message;
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
        return { scheduled: current.status !== "Pending", message: "already placed by another scheduler", pod: current };
      }
      await cache.reloadNode(result.node.id);
    }
    const unplaced: PodRecord = { ...pod, reason: "FailedScheduling", message };
    if (record && (pod.reason !== "FailedScheduling" || pod.message !== message)) {
      await db.pods.setReason(pod.id, "FailedScheduling", message, now());
      cache.putPod(unplaced);
      await events.pod("Warning", "FailedScheduling", pod, message);
    }
    return { scheduled: false, message, pod: unplaced };
  }

  /** What follows every binding: the node's allocation and desired pods (in the cache), the event. */
  private async bound(pod: PodRecord): Promise<void> {
    this.deps.cache.addAllocation(pod.nodeId!, pod.request, 1);
    this.deps.cache.putPod(pod);
    if (pod.spec) this.deps.notifyNode?.(pod.nodeId!);
    await this.deps.events.pod("Normal", "Scheduled", pod, pod.message ?? "");
  }
}
