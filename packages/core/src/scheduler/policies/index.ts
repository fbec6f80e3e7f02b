import type { PolicyName } from "../../types.js";
import { bestFit } from "./best-fit.js";
import { firstFit } from "./first-fit.js";
import type { Policy } from "./policy.js";
import { worstFit } from "./worst-fit.js";

export * from "./policy.js";
export { bestFit, firstFit, worstFit };

/** Every policy by name; adding one is a new file plus a line here. */
export const POLICIES: Readonly<Record<PolicyName, Policy>> = Object.freeze({
  "first-fit": firstFit,
  "best-fit": bestFit,
  "worst-fit": worstFit,
});

/** The policy with that name; throws on names outside PolicyName (input that skipped validation). */
export function policyFor(name: PolicyName): Policy {
  const policy = Object.hasOwn(POLICIES, name) ? POLICIES[name] : undefined;
  if (!policy) throw new RangeError(`unknown scheduling policy "${String(name)}"`);
  return policy;
}
