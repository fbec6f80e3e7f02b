import { compareByFreeCpu, describeFreeAfter, type Policy } from "./policy.js";

/** best-fit: least free CPU after placement; ties by less free memory, then registration order. */
export const bestFit: Policy = {
  name: "best-fit",
  compare: compareByFreeCpu("ascending"),
  // Free-after differs from free-before by the same request on every node, so the order is the same.
  pick: (view, pod) => view.firstByFreeAscending(pod),
  describe: (chosen, feasibleCount) => describeFreeAfter("best-fit", "least", chosen, feasibleCount),
};
