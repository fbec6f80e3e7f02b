// Every network-policy scenario of the x/y/z x a/b/c model, with its expected matrices: the core's tests check the
// semantics against them, and the API's suite replays the same steps on real pods and compares real connections.

import { EGRESS_SCENARIOS } from "./scenarios-egress.js";
import { INGRESS_SCENARIOS } from "./scenarios-ingress.js";
import { PORT_SCENARIOS } from "./scenarios-ports.js";
import { UPDATE_SCENARIOS } from "./scenarios-updates.js";
import type { Scenario } from "./scenario-model.js";

export * from "./scenario-model.js";

/** All scenarios: upstream's, by their It() names, then Kube-9's own (source "kube-9"). */
export const NETPOL_SCENARIOS: readonly Scenario[] = [
  ...INGRESS_SCENARIOS,
  ...PORT_SCENARIOS,
  ...UPDATE_SCENARIOS,
  ...EGRESS_SCENARIOS,
].sort((a, b) => (a.source === b.source ? 0 : a.source === "upstream" ? -1 : 1));
