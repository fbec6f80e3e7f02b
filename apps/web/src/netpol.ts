import { useQuery } from "@tanstack/react-query";
import type { NetworkPolicyDTO, PodDTO } from "./api";
import { useLive } from "./live";

// Namespaces and policies have no watch of their own: their events refetch them at once (live.tsx), and a
// slow poll follows what changes without an event of theirs (pods counted, pods a policy selects).
const POLL_MS = 3000;

/** Every namespace with its labels, status and how many pods and policies it holds. */
export function useNamespaces() {
  const { client } = useLive();
  return useQuery({ queryKey: ["namespaces"], queryFn: () => client.namespaces.list.query(), refetchInterval: POLL_MS });
}

/** Every network policy, in every namespace. */
export function useNetworkPolicies() {
  const { client } = useLive();
  return useQuery({ queryKey: ["network-policies"], queryFn: () => client.networkPolicies.list.query(), refetchInterval: POLL_MS });
}

/** Where a policy's selected pods are isolated: nodes enforcing it, pods whose node cannot (with why), pods on no node. */
export interface PolicyEnforcement {
  enforcedOn: string[];
  notEnforced: Array<{ pod: string; node: string; reason: string }>;
  unplaced: string[];
}

/**
 * A policy's enforcement as it matters for its own pods: rules are applied in the selected pods' network
 * namespaces, so a selected pod on a node that cannot enforce is not isolated, whatever the policy says.
 */
export function policyEnforcement(policy: NetworkPolicyDTO, pods: PodDTO[]): PolicyEnforcement {
  const enforcing = new Set(policy.enforcement.enforcing);
  const refused = new Map(policy.enforcement.notEnforcing.map((n) => [n.node, n.reason]));
  const out: PolicyEnforcement = { enforcedOn: [], notEnforced: [], unplaced: [] };
  for (const name of policy.selectedPods) {
    const node = pods.find((p) => p.namespace === policy.namespace && p.name === name)?.nodeName;
    const reason = node ? refused.get(node) : undefined;
    if (node && enforcing.has(node)) {
      if (!out.enforcedOn.includes(node)) out.enforcedOn.push(node);
    } else if (node && reason !== undefined) out.notEnforced.push({ pod: name, node, reason });
    else out.unplaced.push(name);
  }
  return out;
}

/** "ns/name" (as the probe names pods) as the explain call takes it. */
export function podRef(text: string): { namespace: string; name: string } {
  const i = text.indexOf("/");
  return { namespace: text.slice(0, i), name: text.slice(i + 1) };
}
