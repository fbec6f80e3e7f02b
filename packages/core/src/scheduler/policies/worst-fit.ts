import { formatCpu, formatMemory } from "../format.js";
import { compareRegistration, type Policy } from "./policy.js";

/** worst-fit: most free CPU after placement; ties by less free memory, then registration order. */
export const worstFit: Policy = {
  name: "worst-fit",
  // Only the CPU key is reversed; the tie-breaks stay as in best-fit.
  compare: (a, b) =>
    b.freeCpuAfter - a.freeCpuAfter || a.freeMemoryAfter - b.freeMemoryAfter || compareRegistration(a.node, b.node),
  pick: (view, pod) => view.firstByFreeCpuDescending(pod),
  describe(chosen, feasibleCount) {
    const rank = feasibleCount === 1 ? "the only feasible node" : `most of ${feasibleCount} feasible nodes`;
    return `worst-fit chose ${chosen.node.name}: ${formatCpu(chosen.freeCpuAfter)} CPU and ${formatMemory(chosen.freeMemoryAfter)} memory free after placement, ${rank}`;
  },
};
