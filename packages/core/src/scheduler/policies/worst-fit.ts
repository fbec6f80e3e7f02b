import { compareByFreeCpu, describeFreeAfter, type Policy } from "./policy.js";

/** worst-fit: most free CPU after placement; ties by less free memory, then registration order. */
export const worstFit: Policy = {
  name: "worst-fit",
  // Only the CPU key is reversed; the tie-breaks stay as in best-fit.
  compare: compareByFreeCpu("descending"),
  pick: (view, pod) => view.firstByFreeCpuDescending(pod),
  describe: (chosen, feasibleCount) => describeFreeAfter("worst-fit", "most", chosen, feasibleCount),
};
