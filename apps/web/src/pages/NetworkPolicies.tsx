import { useNamespaces, useNetworkPolicies } from "../netpol";
import { NamespacesTable } from "./namespaces-table";
import { PoliciesTable } from "./policies-table";
import { ReachabilityCard } from "./reachability";

/** Namespaces, the network policies in them and whether they are enforced, and the reachability matrix made of real connections. */
export function NetworkPoliciesPage() {
  const namespaces = useNamespaces();
  const policies = useNetworkPolicies();
  return (
    <div className="page">
      <h1>Network policies</h1>
      <NotEnforcingNodes />
      <PoliciesTable policies={policies.data} error={policies.error?.message} />
      <ReachabilityCard namespaces={namespaces.data ?? []} />
      <NamespacesTable namespaces={namespaces.data} error={namespaces.error?.message} />
    </div>
  );
}

/** Nodes running pods that cannot enforce policies, with their agents' reasons; nothing when every such node enforces. */
export function NotEnforcingNodes() {
  const nodes = useNetworkPolicies().data?.[0]?.enforcement.notEnforcing ?? [];
  if (nodes.length === 0) return null;
  return (
    <div className="alert-banner" role="status" data-testid="not-enforcing">
      <b>Policies are not enforced on {nodes.length === 1 ? "1 node" : `${nodes.length} nodes`}: their pods accept every connection.</b>
      <ul>
        {nodes.map((n) => (
          <li key={n.node}>
            <span className="mono">{n.node}</span>: {n.reason}
          </li>
        ))}
      </ul>
    </div>
  );
}
