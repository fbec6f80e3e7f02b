import type { PolicyName, SchedNode, SchedPod } from "../types.js";
import type { ClusterIndex } from "./cluster-index.js";
import { filterNode, freeCpu, freeMemory, KIND_CPU, KIND_MEMORY, KIND_SELECTOR, reasonKind, statusKind } from "./filter.js";
import { policyFor } from "./policies/index.js";

/** A node that cannot take the pod, with every reason. */
export interface NodeRejection {
  nodeId: string;
  nodeName: string;
  reasons: string[];
}

/**
 * The outcome of one scheduling attempt, with messages ready for a Scheduled/FailedScheduling event.
 * A failure carries only the counted summary, counted when its message is first read (read it
 * before changing the index: it describes the index then); the reason per node is built when
 * someone asks (explainRejections, explain), not on every attempt of a pod that fits nowhere.
 */
export type ScheduleResult = { ok: true; node: SchedNode; message: string } | { ok: false; message: string };

/** Picks a node for the pod and explains the choice or, failing that, counts the rejections; changes nothing. */
export function schedule(index: ClusterIndex, pod: SchedPod, policy: PolicyName): ScheduleResult {
  const impl = policyFor(policy);
  const node = index.pick(pod, policy);
  if (node) {
    const chosen = {
      node,
      freeCpuAfter: freeCpu(node) - pod.request.cpuMilli,
      freeMemoryAfter: freeMemory(node) - pod.request.memoryMiB,
    };
    return { ok: true, node, message: impl.describe(chosen, index.countFeasible(pod)) };
  }
  // Counted when first read, which the scheduler does at once; a launch whose first pick failed
  // (it retries through the queue) or a caller that only asks whether the pod fits never pays for it.
  let message: string | undefined;
  return {
    ok: false,
    get message() {
      return (message ??= summarizeNoFit(index, pod));
    },
  };
}

/** The FailedScheduling summary of a pod no node takes, from the index's counts (no reason per node). */
export function summarizeNoFit(index: ClusterIndex, pod: SchedPod): string {
  const r = index.rejectionCounts(pod);
  const counts = new Map<string, number>();
  for (const [status, n] of r.byStatus) counts.set(statusKind(status), n);
  if (r.cpu > 0) counts.set(KIND_CPU, r.cpu);
  if (r.memory > 0) counts.set(KIND_MEMORY, r.memory);
  if (r.selector > 0) counts.set(KIND_SELECTOR, r.selector);
  // Every node is rejected: a feasible one would have been picked.
  return formatSummary(r.total, r.total, counts);
}

/** Every node that cannot take the pod, with every reason, in the given order: the long form of a FailedScheduling summary. */
export function explainRejections(nodes: readonly SchedNode[], pod: SchedPod): NodeRejection[] {
  const out: NodeRejection[] = [];
  for (const n of nodes) {
    const reasons = filterNode(n, pod);
    if (reasons.length > 0) out.push({ nodeId: n.id, nodeName: n.name, reasons });
  }
  return out;
}

/** Kube-style summary: "0/3 nodes are available: 2 Insufficient cpu, 1 node is Failed." */
export function summarizeRejections(total: number, rejections: readonly NodeRejection[]): string {
  const counts = new Map<string, number>();
  for (const r of rejections) {
    // A node with two selector mismatches is still one node that failed the selector.
    for (const kind of new Set(r.reasons.map(reasonKind))) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return formatSummary(total, rejections.length, counts);
}

function formatSummary(total: number, rejected: number, counts: ReadonlyMap<string, number>): string {
  if (total === 0) return "0/0 nodes are available: no nodes in the cluster.";
  const parts = [...counts]
    .sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([kind, n]) => `${n} ${n > 1 && kind.startsWith("node is ") ? `nodes are ${kind.slice("node is ".length)}` : kind}`);
  return `${total - rejected}/${total} nodes are available: ${parts.join(", ")}.`;
}
