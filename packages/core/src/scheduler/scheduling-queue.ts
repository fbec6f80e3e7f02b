import type { Labels, SchedNode, SchedPod } from "../types.js";
import { fitsNode, freeCpu, freeMemory } from "./filter.js";

/** How long pods wait between attempts; the defaults are kube-scheduler's, with its unschedulable flush shortened. */
export interface QueueTiming {
  /** Backoff after the first failed attempt (podInitialBackoffSeconds). */
  initialBackoffMs: number;
  /** Longest backoff (podMaxBackoffSeconds). */
  maxBackoffMs: number;
  /** Longest stay among the unschedulable pods before a retry with no event (podMaxInUnschedulablePodsDuration). */
  maxUnschedulableMs: number;
}

/** 1 s doubling to 10 s, and every unschedulable pod tried again within 60 s. */
export const DEFAULT_QUEUE_TIMING: Readonly<QueueTiming> = Object.freeze({
  initialBackoffMs: 1000,
  maxBackoffMs: 10_000,
  maxUnschedulableMs: 60_000,
});

/** A Pending pod as the queue sees it: what it needs, and its place in line (lower = older = first). */
export interface QueuedPod extends SchedPod {
  id: string;
  order: number;
}

/** Where a pod waits: tried next, being tried, waiting out its backoff, or waiting for a cluster event. */
export type QueueState = "active" | "inFlight" | "backoff" | "unschedulable";

/** Sizes of the queue's parts, for /metrics and tests. */
export interface QueueStats {
  active: number;
  inFlight: number;
  backoff: number;
  unschedulable: number;
}

/** Backoff after a pod's n-th failed attempt: initial * 2^(n-1), at most max; 0 before any attempt. */
export function backoffMs(attempts: number, timing: QueueTiming = DEFAULT_QUEUE_TIMING): number {
  if (attempts <= 0) return 0;
  let ms = timing.initialBackoffMs;
  // Doubling stops at the cap, so a pod with a thousand attempts costs ten steps, not an overflow.
  for (let i = 1; i < attempts && ms < timing.maxBackoffMs; i++) ms *= 2;
  return Math.min(ms, timing.maxBackoffMs);
}

/** What the queue remembers of a node to tell whether a change gave pods more room. */
interface NodeMemo {
  ready: boolean;
  freeCpu: number;
  freeMem: number;
  labels: Labels;
}

/**
 * Whether a node's change can let a pod that fit nowhere fit now (kube-scheduler's QueueingHint
 * for node events): it is new, became Ready, has more free CPU or memory, or its labels changed.
 * A node that only filled up, or left Ready, cannot help.
 */
export function nodeChangeMayHelp(before: NodeMemo | undefined, after: SchedNode): boolean {
  if (after.status !== "Ready") return false;
  if (!before || !before.ready) return true;
  return freeCpu(after) > before.freeCpu || freeMemory(after) > before.freeMem || !sameLabels(before.labels, after.labels);
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  let n = 0;
  for (const key in a) {
    if (!Object.hasOwn(a, key)) continue;
    if (!Object.hasOwn(b, key) || a[key] !== b[key]) return false;
    n++;
  }
  for (const key in b) if (Object.hasOwn(b, key)) n--;
  return n === 0;
}

/** Pods that fit the same nodes: one fit check per class answers for all of them. */
function classKey(pod: SchedPod): string {
  const selector = Object.keys(pod.nodeSelector)
    .sort()
    .map((k) => `${k}=${pod.nodeSelector[k]}`)
    .join(",");
  return `${pod.request.cpuMilli}|${pod.request.memoryMiB}|${selector}`;
}

interface Entry {
  pod: QueuedPod;
  key: string;
  state: QueueState;
  attempts: number;
  /** When the last attempt failed; the backoff counts from here. */
  failedAt: number;
  /** When the pod joined the unschedulable pods (for the flush). */
  since: number;
  /** Bumped on every move, so stale backoff-heap items are recognised. */
  stamp: number;
}

interface BackoffItem {
  until: number;
  entry: Entry;
  stamp: number;
}

/**
 * The Pending pods' queue, as kube-scheduler's activeQ / backoffQ / unschedulablePods: new pods are
 * tried at once; a pod that fits nowhere waits among the unschedulable pods until a cluster event
 * that can make it fit (a node added, Ready, relabelled or with more free room), then goes back to
 * the active pods, or to the backoff pods while its backoff (1 s doubling to 10 s since its last
 * failure) lasts; with no such event it is tried again after 60 s. A pod whose attempt overlapped
 * such an event waits out its backoff instead (it may have missed the room). Pure: time is passed in.
 */
export class SchedulingQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly active = new Set<Entry>();
  private readonly backoff: BackoffItem[] = [];
  private backoffCount = 0;
  /** In the order they became unschedulable, so the flush reads from the front. */
  private readonly unschedulable = new Set<Entry>();
  /** Unschedulable pods by class (same request and selector). */
  private readonly classes = new Map<string, { pod: SchedPod; entries: Set<Entry> }>();
  private readonly nodes = new Map<string, NodeMemo>();
  private inFlight = 0;
  private moves = 0;

  constructor(private readonly timing: QueueTiming = DEFAULT_QUEUE_TIMING) {}

  /** Counts the events that may have made room; an attempt that saw another value overlapped one. */
  get moveSeq(): number {
    return this.moves;
  }

  /** Where the pod waits, or undefined if it is not queued. */
  state(podId: string): QueueState | undefined {
    return this.entries.get(podId)?.state;
  }

  /** Sizes of the queue's parts. */
  stats(): QueueStats {
    return { active: this.active.size, inFlight: this.inFlight, backoff: this.backoffCount, unschedulable: this.unschedulable.size };
  }

  /** A Pending pod: queued to be tried at once if it is new (true); a pod already queued keeps its place (false). */
  add(pod: QueuedPod): boolean {
    if (this.entries.has(pod.id)) return false;
    const entry: Entry = { pod, key: classKey(pod), state: "active", attempts: 0, failedAt: 0, since: 0, stamp: 0 };
    this.entries.set(pod.id, entry);
    this.active.add(entry);
    return true;
  }

  /** Forgets the pod (placed, deleted, or no longer Pending). */
  remove(podId: string): void {
    const entry = this.entries.get(podId);
    if (!entry) return;
    this.leave(entry);
    this.entries.delete(podId);
  }

  /**
   * The pods to try now, oldest first, marked in flight: the active pods plus those whose backoff
   * ended by `now` and those unschedulable for the longest allowed stay.
   */
  pop(now: number): QueuedPod[] {
    this.flushBackoff(now);
    for (const entry of this.unschedulable) {
      // Pods joined in time order, so the first one still within its stay ends the flush.
      if (now - entry.since < this.timing.maxUnschedulableMs) break;
      this.requeue(entry, now);
    }
    const out = [...this.active].sort((a, b) => a.pod.order - b.pod.order);
    this.active.clear();
    for (const entry of out) {
      entry.state = "inFlight";
      this.inFlight++;
    }
    return out.map((e) => e.pod);
  }

  /** A popped pod that was not tried after all (the pass stopped): first in line again. */
  unpop(podId: string): void {
    const entry = this.entries.get(podId);
    if (entry?.state !== "inFlight") return;
    this.leave(entry);
    this.enter(entry, "active");
  }

  /**
   * The pod was tried and fits nowhere (`error`: the attempt failed for another reason, such as lost
   * bind races). `seenMoveSeq` is moveSeq when the attempt began. A pod not queued yet (placed by a
   * launch) joins here.
   */
  failed(pod: QueuedPod, now: number, seenMoveSeq: number, error = false): void {
    let entry = this.entries.get(pod.id);
    if (!entry) {
      entry = { pod, key: classKey(pod), state: "active", attempts: 0, failedAt: 0, since: 0, stamp: 0 };
      this.entries.set(pod.id, entry);
    } else {
      this.leave(entry);
    }
    entry.attempts++;
    entry.failedAt = now;
    if (error || seenMoveSeq !== this.moves) this.toBackoff(entry, now);
    else {
      entry.since = now;
      this.enter(entry, "unschedulable");
    }
  }

  /**
   * A node was added or changed (`node` is its state now): the unschedulable pods that fit it now move,
   * if the change gave room (see nodeChangeMayHelp). Returns how many pods moved.
   */
  nodeChanged(node: SchedNode, now: number): number {
    const before = this.nodes.get(node.id);
    this.nodes.set(node.id, { ready: node.status === "Ready", freeCpu: freeCpu(node), freeMem: freeMemory(node), labels: node.labels });
    if (!nodeChangeMayHelp(before, node)) return 0;
    this.moves++;
    let moved = 0;
    for (const cls of this.classes.values()) {
      if (!fitsNode(node, cls.pod)) continue;
      for (const entry of [...cls.entries]) {
        this.requeue(entry, now);
        moved++;
      }
    }
    return moved;
  }

  /** A node is gone: forgotten, so if it comes back it counts as new. */
  nodeRemoved(nodeId: string): void {
    this.nodes.delete(nodeId);
  }

  /** Something every pod depends on changed (settings): every unschedulable pod moves. Returns how many. */
  moveAll(now: number): number {
    this.moves++;
    let moved = 0;
    for (const entry of [...this.unschedulable]) {
      this.requeue(entry, now);
      moved++;
    }
    return moved;
  }

  /** Every pod waiting out a backoff becomes active now (an explicit pass does not wait). Returns how many. */
  endBackoffs(): number {
    return this.flushBackoff(Infinity);
  }

  /** Moves a pod that may fit now: active if its backoff is over, else the backoff pods. */
  private requeue(entry: Entry, now: number): void {
    this.leave(entry);
    this.toBackoff(entry, now);
  }

  private toBackoff(entry: Entry, now: number): void {
    const until = entry.failedAt + backoffMs(entry.attempts, this.timing);
    if (until <= now) {
      this.enter(entry, "active");
      return;
    }
    this.enter(entry, "backoff");
    heapPush(this.backoff, { until, entry, stamp: entry.stamp });
  }

  private flushBackoff(now: number): number {
    let moved = 0;
    while (this.backoff.length > 0 && this.backoff[0]!.until <= now) {
      const item = heapPop(this.backoff)!;
      // Items of pods that moved on since (removed, requeued) are dropped here, not searched for on every move.
      if (item.stamp !== item.entry.stamp || item.entry.state !== "backoff") continue;
      this.leave(item.entry);
      this.enter(item.entry, "active");
      moved++;
    }
    return moved;
  }

  private enter(entry: Entry, state: QueueState): void {
    entry.state = state;
    entry.stamp++;
    if (state === "active") this.active.add(entry);
    else if (state === "inFlight") this.inFlight++;
    else if (state === "backoff") this.backoffCount++;
    else {
      this.unschedulable.add(entry);
      let cls = this.classes.get(entry.key);
      if (!cls) this.classes.set(entry.key, (cls = { pod: entry.pod, entries: new Set() }));
      cls.entries.add(entry);
    }
  }

  private leave(entry: Entry): void {
    if (entry.state === "active") this.active.delete(entry);
    else if (entry.state === "inFlight") this.inFlight--;
    else if (entry.state === "backoff") this.backoffCount--;
    else {
      this.unschedulable.delete(entry);
      const cls = this.classes.get(entry.key);
      cls?.entries.delete(entry);
      if (cls?.entries.size === 0) this.classes.delete(entry.key);
    }
    // The heap item of a backoff pod stays behind; its stamp no longer matches.
    entry.stamp++;
  }
}

function heapPush(heap: BackoffItem[], item: BackoffItem): void {
  heap.push(item);
  for (let i = heap.length - 1; i > 0; ) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.until <= heap[i]!.until) break;
    [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
    i = parent;
  }
}

function heapPop(heap: BackoffItem[]): BackoffItem | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  heap[0] = last;
  for (let i = 0; ; ) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && heap[l]!.until < heap[m]!.until) m = l;
    if (r < heap.length && heap[r]!.until < heap[m]!.until) m = r;
    if (m === i) break;
    [heap[m], heap[i]] = [heap[i]!, heap[m]!];
    i = m;
  }
  return top;
}
