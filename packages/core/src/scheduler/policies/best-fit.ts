import { formatCpu, formatMemory } from "../format.js";
import { compareRegistration, type Policy } from "./policy.js";

/** best-fit: least free CPU after placement; ties by less free memory, then registration order. */
export const bestFit: Policy = {
  name: "best-fit",
  compare: (a, b) =>
    a.freeCpuAfter - b.freeCpuAfter || a.freeMemoryAfter - b.freeMemoryAfter || compareRegistration(a.node, b.node),
  // Free-after differs from free-before by the same request on every node, so the order is the same.
  pick: (view, pod) => view.firstByFreeAscending(pod),
  describe(chosen, feasibleCount) {
    const rank = feasibleCount === 1 ? "the only feasible node" : `least of ${feasibleCount} feasible nodes`;
    return `best-fit chose ${chosen.node.name}: ${formatCpu(chosen.freeCpuAfter)} CPU and ${formatMemory(chosen.freeMemoryAfter)} memory free after placement, ${rank}`;
  },
};
