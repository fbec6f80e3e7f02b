import type { PolicyName, SchedNode, SchedPod } from "../types.js";
import type { ClusterIndex } from "./cluster-index.js";
import { collectRejections, freeCpu, freeMemory, reasonKind } from "./filter.js";
import { policyFor } from "./policies/index.js";

/** A node that cannot take the pod, with every reason. */
export interface NodeRejection {
  nodeId: string;
  nodeName: string;
  reasons: string[];
}

/** The outcome of one scheduling attempt, with messages ready for a Scheduled/FailedScheduling event. */
export type ScheduleResult =
  | { ok: true; node: SchedNode; message: string }
  | { ok: false; message: string; rejections: NodeRejection[] };

/** Picks a node for the pod and explains the choice or, failing that, every rejection; changes nothing. */
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
  const nodes = index.nodes();
  const rejections: NodeRejection[] = [];
  const counts = new Map<string, number>();
  for (const n of nodes) {
    const reasons: string[] = [];
    const kinds: string[] = [];
    collectRejections(n, pod, reasons, kinds);
    if (reasons.length === 0) continue;
    rejections.push({ nodeId: n.id, nodeName: n.name, reasons });
    for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return { ok: false, message: formatSummary(nodes.length, rejections.length, counts), rejections };
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
