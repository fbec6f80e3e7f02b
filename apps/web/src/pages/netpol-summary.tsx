import { useNetworkPolicies } from "../netpol";
import { LinkedTitle } from "../ui";

/** The overview's glance at network policies: how many, what they select, and any node that cannot enforce them; nothing without policies. */
export function NetpolSummary() {
  const policies = useNetworkPolicies().data ?? [];
  if (policies.length === 0) return null;
  const namespaces = [...new Set(policies.map((p) => p.namespace))];
  const selected = policies.reduce((n, p) => n + p.selectedPods.length, 0);
  const refusing = policies[0]!.enforcement.notEnforcing;
  return (
    <div className="card" data-testid="netpol-summary">
      <LinkedTitle title="Network policies" href="#/network-policies" link="policies and reachability →" />
      <div>
        {policies.length} {policies.length === 1 ? "policy" : "policies"} in {namespaces.join(", ")}, selecting {selected} pod{selected === 1 ? "" : "s"}.
      </div>
      {refusing.length > 0 && (
        <div className="error small" data-testid="netpol-summary-not-enforcing">
          Not enforced on {refusing.map((n) => n.node).join(", ")}: {refusing[0]!.reason}
          {refusing.length > 1 ? " (and others; see the page)" : ""}
        </div>
      )}
    </div>
  );
}
