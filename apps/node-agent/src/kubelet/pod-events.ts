import type { ContainerEvent, PodEventReport } from "@kube9/core";

// What the kubelet saw happen to its pods, waiting for the next heartbeat. Delivered like the
// status changes: taken for a beat, dropped only once the API acknowledged that beat, so a
// failed beat sends them again. Bounded, since an API outage must not grow the agent without end.

/** Options of a {@link PodEventQueue}. */
export interface PodEventQueueOptions {
  /** Events kept while the API is unreachable; the oldest go first (default 1,000). */
  capacity?: number;
  /** An event identical to its container's previous one within this window is not recorded again (default 10 s). */
  collapseMs?: number;
  now?: () => number;
}

interface Queued {
  seq: number;
  event: PodEventReport;
}

/** The most events one heartbeat may carry (the API's limit). */
export const MAX_EVENTS_PER_BEAT = 200;
const DEFAULT_CAPACITY = 1_000;
const DEFAULT_COLLAPSE_MS = 10_000;

/** Pending pod events with at-least-once delivery through heartbeats. */
export class PodEventQueue {
  private queue: Queued[] = [];
  private nextSeq = 0;
  /** Highest sequence number of the last taken batch (acknowledged by ack()). */
  private takenUpTo = -1;
  /** Per pod and container: the last recorded event and when, to collapse repeats. */
  private readonly last = new Map<string, { key: string; at: number }>();
  private dropped = 0;

  constructor(private readonly opts: PodEventQueueOptions = {}) {}

  /** Queues an event about `container` of pod `podId` (container undefined: the pod as a whole). */
  record(podId: string, container: string | undefined, event: ContainerEvent): void {
    const now = (this.opts.now ?? Date.now)();
    const who = `${podId}/${container ?? ""}`;
    const key = `${event.type}\n${event.reason}\n${event.message}`;
    const prev = this.last.get(who);
    // A probe failing every second would otherwise send the same line every second.
    if (prev?.key === key && now - prev.at < (this.opts.collapseMs ?? DEFAULT_COLLAPSE_MS)) return;
    this.last.set(who, { key, at: now });
    this.queue.push({ seq: this.nextSeq++, event: { podId, type: event.type, reason: event.reason, message: event.message } });
    const over = this.queue.length - (this.opts.capacity ?? DEFAULT_CAPACITY);
    if (over > 0) {
      this.queue.splice(0, over);
      this.dropped += over;
    }
  }

  /** Forgets the collapse memory of a pod that is gone (its id is never reused). */
  forgetPod(podId: string): void {
    for (const who of this.last.keys()) if (who.startsWith(`${podId}/`)) this.last.delete(who);
  }

  /** The oldest pending events, at most `max`; they stay pending until ack(). */
  take(max = MAX_EVENTS_PER_BEAT): PodEventReport[] {
    const batch = this.queue.slice(0, max);
    this.takenUpTo = batch.at(-1)?.seq ?? -1;
    return batch.map((q) => q.event);
  }

  /** The last taken batch reached the API. */
  ack(): void {
    const upTo = this.takenUpTo;
    this.queue = this.queue.filter((q) => q.seq > upTo);
    this.takenUpTo = -1;
  }

  /** Whether some event was not taken yet. */
  get hasUntaken(): boolean {
    return (this.queue.at(-1)?.seq ?? -1) > this.takenUpTo;
  }

  /** Events waiting (taken or not). */
  get size(): number {
    return this.queue.length;
  }

  /** How many events were dropped for lack of room since the last call (to log it once). */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }
}
