import type { PolicyName, SchedNode, SchedPod } from "../types.js";
import { filterNode, freeCpu, freeMemory } from "./filter.js";
import { compareRegistration, type Candidate } from "./policies/policy.js";
import { policyFor } from "./policies/index.js";

/** One node's verdict for a pod: the API's "why not here" row. */
export interface NodeFit {
  nodeId: string;
  nodeName: string;
  feasible: boolean;
  /** Every failed filter; [] when feasible. */
  reasons: string[];
  /** Free CPU (millicores) left if the pod were placed here; only for feasible nodes. */
  freeCpuAfter?: number;
  /** Free memory (MiB) left if the pod were placed here; only for feasible nodes. */
  freeMemoryAfter?: number;
  /** Whether the policy would choose this node. */
  chosen: boolean;
}

/** The policy's best candidate by a plain scan: the reference the fast index must agree with. */
export function bestCandidate(candidates: readonly Candidate[], policy: PolicyName): Candidate | undefined {
  const { compare } = policyFor(policy);
  let best: Candidate | undefined;
  for (const c of candidates) if (!best || compare(c, best) < 0) best = c;
  return best;
}

/** Every node's verdict for the pod in registration order, marking the one the policy picks. */
export function explain(nodes: readonly SchedNode[], pod: SchedPod, policy: PolicyName): NodeFit[] {
  const ordered = [...nodes].sort(compareRegistration);
  // Candidates are gathered while filtering: a describe at thousands of nodes filters each node once.
  const candidates: Candidate[] = [];
  const fits = ordered.map((node): NodeFit => {
    const reasons = filterNode(node, pod);
    if (reasons.length > 0) return { nodeId: node.id, nodeName: node.name, feasible: false, reasons, chosen: false };
    const candidate = { node, freeCpuAfter: freeCpu(node) - pod.request.cpuMilli, freeMemoryAfter: freeMemory(node) - pod.request.memoryMiB };
    candidates.push(candidate);
    return { nodeId: node.id, nodeName: node.name, feasible: true, reasons, freeCpuAfter: candidate.freeCpuAfter, freeMemoryAfter: candidate.freeMemoryAfter, chosen: false };
  });
  const best = bestCandidate(candidates, policy);
  if (best) {
    const fit = fits[ordered.indexOf(best.node)];
    if (fit) fit.chosen = true;
  }
  return fits;
}
