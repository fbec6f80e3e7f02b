import type { PodStatus, Resources } from "./types.js";

/** A pod as the rescheduling rules see it. */
export interface BoundPod {
  id: string;
  name: string;
  nodeId: string | null;
  status: PodStatus;
  request: Resources;
  createdAt: number;
}

/** What happens to a lost node's pods. */
export interface EvictionPlan<T extends BoundPod = BoundPod> {
  /** Scheduled/Running pods: back to Pending (nodeId null), same id, oldest first. */
  requeue: T[];
  /** Terminating pods: they were being deleted anyway, so finish the deletion. */
  finalize: T[];
}

/** Pods that must go back to Pending when a node fails or leaves, and those to delete; finished pods stay as history. */
export function planEviction<T extends BoundPod>(nodeId: string, pods: readonly T[]): EvictionPlan<T> {
  const requeue: T[] = [];
  const finalize: T[] = [];
  for (const pod of pods) {
    if (pod.nodeId !== nodeId) continue;
    if (pod.status === "Scheduled" || pod.status === "Running") requeue.push(pod);
    else if (pod.status === "Terminating") finalize.push(pod);
  }
  return { requeue: pendingQueueOrder(requeue), finalize: pendingQueueOrder(finalize) };
}

/** Order in which Pending pods are (re)tried: oldest first (createdAt, then id) so rescheduling is FIFO and deterministic. */
export function pendingQueueOrder<T extends { createdAt: number; id: string }>(pods: readonly T[]): T[] {
  // Plain code-unit comparison, not localeCompare: the order must not depend on the host's locale.
  return [...pods].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
