import type { PolicyName, SchedNode, SchedPod } from "../../types.js";
import { formatCpu, formatMemory } from "../format.js";

/** A feasible node with what it would have left after the pod is placed. */
export interface Candidate {
  node: SchedNode;
  freeCpuAfter: number;
  freeMemoryAfter: number;
}

/**
 * The searches a ClusterIndex offers policies. Each returns the first Ready node that passes
 * every filter for the pod (free CPU, free memory, nodeSelector) in one fixed order, using
 * the index instead of a scan; a policy is a choice of order plus how to explain it.
 */
export interface CapacityView {
  /** Order (freeCpu, freeMem, registration) ascending: least room first. */
  firstByFreeAscending(pod: SchedPod): SchedNode | undefined;
  /** Order freeCpu descending, then freeMem ascending, then registration: most CPU first. */
  firstByFreeCpuDescending(pod: SchedPod): SchedNode | undefined;
  /** Registration order. */
  firstByRegistration(pod: SchedPod): SchedNode | undefined;
}

/** A scheduling policy: a ranking over feasible nodes plus a fast search that agrees with it. */
export interface Policy {
  readonly name: PolicyName;
  /** Negative when a is preferred over b; a total order over candidates of one pod. */
  compare(a: Candidate, b: Candidate): number;
  /** The best feasible node according to compare, found through the index without a full scan. */
  pick(view: CapacityView, pod: SchedPod): SchedNode | undefined;
  /** Why the chosen node won, in user terms, for the Scheduled event. */
  describe(chosen: Candidate, feasibleCount: number): string;
}

/** Registration order: order ascending, then id so equal orders still give one answer. */
export function compareRegistration(a: SchedNode, b: SchedNode): number {
  if (a.order !== b.order) return a.order - b.order;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The ranking of the free-space policies: free CPU after placement (ascending for best-fit, descending for
 * worst-fit); ties always by less free memory, then registration order.
 */
export function compareByFreeCpu(cpuOrder: "ascending" | "descending"): (a: Candidate, b: Candidate) => number {
  const sign = cpuOrder === "ascending" ? 1 : -1;
  return (a, b) =>
    sign * (a.freeCpuAfter - b.freeCpuAfter) || a.freeMemoryAfter - b.freeMemoryAfter || compareRegistration(a.node, b.node);
}

/** The Scheduled-event text of a free-space policy: what the chosen node has left and how that ranks. */
export function describeFreeAfter(policy: PolicyName, rankWord: "least" | "most", chosen: Candidate, feasibleCount: number): string {
  const rank = feasibleCount === 1 ? "the only feasible node" : `${rankWord} of ${feasibleCount} feasible nodes`;
  return `${policy} chose ${chosen.node.name}: ${formatCpu(chosen.freeCpuAfter)} CPU and ${formatMemory(chosen.freeMemoryAfter)} memory free after placement, ${rank}`;
}
