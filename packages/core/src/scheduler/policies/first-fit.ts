import { formatCpu, formatMemory } from "../format.js";
import { compareRegistration, type Policy } from "./policy.js";

/** first-fit: the first feasible node in registration order. */
export const firstFit: Policy = {
  name: "first-fit",
  compare: (a, b) => compareRegistration(a.node, b.node),
  pick: (view, pod) => view.firstByRegistration(pod),
  describe(chosen, feasibleCount) {
    const rank = feasibleCount === 1 ? "the only feasible node" : `first of ${feasibleCount} feasible nodes in registration order`;
    return `first-fit chose ${chosen.node.name}: ${rank}; ${formatCpu(chosen.freeCpuAfter)} CPU and ${formatMemory(chosen.freeMemoryAfter)} memory free after placement`;
  },
};
