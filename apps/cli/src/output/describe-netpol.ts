import type { NamespaceDTO, NetworkPolicyDTO } from "../types.js";
import { formatLabels } from "./format.js";
import { renderFields } from "./table.js";

// `kube9 describe networkpolicy|namespace`: kubectl's layout (describe.go's describeNetworkPolicy), then what only
// Kube-9 can say: which pods the policy selects now, and whether the nodes running them enforce it.

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface Port {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: Port[];
}

/** A selector as kubectl prints it (metav1.FormatLabelSelector): "<none>" for an empty one. */
function selectorText(s: Selector | undefined): string {
  const parts = Object.entries(s?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(",") : "<none>";
}

function peerLines(peer: Peer, pad: string): string[] {
  if (peer.ipBlock) {
    return [`${pad}IPBlock:`, `${pad}  CIDR: ${peer.ipBlock.cidr}`, `${pad}  Except: ${(peer.ipBlock.except ?? []).join(", ")}`];
  }
  const lines: string[] = [];
  if (peer.podSelector) lines.push(`${pad}PodSelector: ${selectorText(peer.podSelector)}`);
  if (peer.namespaceSelector) lines.push(`${pad}NamespaceSelector: ${selectorText(peer.namespaceSelector)}`);
  return lines;
}

function ruleLines(rules: Rule[], dir: "ingress" | "egress"): string[] {
  const peersKey = dir === "ingress" ? "from" : "to";
  const word = dir === "ingress" ? "From" : "To";
  const lines: string[] = [];
  rules.forEach((rule, i) => {
    if (i > 0) lines.push("    ----------");
    const ports = rule.ports ?? [];
    if (ports.length === 0) lines.push("    To Port: <any> (traffic allowed to all ports)");
    for (const p of ports) {
      const port = p.port === undefined ? "<any>" : p.endPort !== undefined ? `${p.port}-${p.endPort}` : String(p.port);
      lines.push(`    To Port: ${port}/${p.protocol ?? "TCP"}`);
    }
    const peers = rule[peersKey] ?? [];
    if (peers.length === 0) lines.push(`    ${word}: <any> (traffic not restricted by ${dir === "ingress" ? "source" : "destination"})`);
    for (const peer of peers) lines.push(`    ${word}:`, ...peerLines(peer, "      "));
  });
  return lines;
}

/** `describe networkpolicy`: kubectl's text, then the selected pods and the enforcement of the nodes running them. */
export function describeNetworkPolicy(p: NetworkPolicyDTO): string {
  const m = p.manifest as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { ingress?: Rule[]; egress?: Rule[] } };
  const types = p.policyTypes;
  const lines = [
    renderFields([
      ["Name", p.name],
      ["Namespace", p.namespace],
      ["Created on", p.createdAt],
      ["Labels", formatLabels(m.metadata?.labels ?? {})],
      ["Annotations", formatLabels(m.metadata?.annotations ?? {})],
    ]),
    "Spec:",
    `  PodSelector:     ${p.podSelector === "{}" ? "<none> (Allowing the specific traffic to all pods in this namespace)" : p.podSelector}`,
  ];
  const ingress = m.spec?.ingress ?? [];
  const egress = m.spec?.egress ?? [];
  if (types.includes("Ingress")) {
    if (ingress.length === 0) lines.push("  Allowing ingress traffic:", "    <none> (Selected pods are isolated for ingress connectivity)");
    else lines.push("  Allowing ingress traffic:", ...ruleLines(ingress, "ingress"));
  } else lines.push("  Not affecting ingress traffic");
  if (types.includes("Egress")) {
    if (egress.length === 0) lines.push("  Allowing egress traffic:", "    <none> (Selected pods are isolated for egress connectivity)");
    else lines.push("  Allowing egress traffic:", ...ruleLines(egress, "egress"));
  } else lines.push("  Not affecting egress traffic");
  lines.push(`  Policy Types: ${types.join(", ")}`);
  lines.push(`Selected Pods:  ${p.selectedPods.length ? p.selectedPods.join(", ") : "<none>"}`);
  lines.push(...enforcementLines(p.enforcement));
  return lines.join("\n");
}

/** Whether isolation is real: "Enforced" only when every node running the namespace's pods enforces it. */
function enforcementLines(e: NetworkPolicyDTO["enforcement"]): string[] {
  if (e.notEnforcing.length === 0 && e.enforcing.length === 0) return ["Enforcement:    no node runs pods with containers yet"];
  if (e.notEnforcing.length === 0) return [`Enforcement:    nftables in each pod's network namespace on ${e.enforcing.join(", ")}`];
  const head = e.enforcing.length
    ? `Enforcement:    PARTIAL: enforced on ${e.enforcing.join(", ")}; NOT enforced on:`
    : "Enforcement:    NOT ENFORCED: no node can enforce policies; connections are not filtered:";
  return [head, ...e.notEnforcing.map((n) => `  ${n.node}: ${n.reason}`)];
}

/** `describe namespace`: kubectl's fields, with its pods and policies counted. */
export function describeNamespace(n: NamespaceDTO, policies: readonly NetworkPolicyDTO[]): string {
  return [
    renderFields([
      ["Name", n.name],
      ["Labels", formatLabels(n.labels)],
      ["Annotations", "<none>"],
      ["Status", n.status],
    ]),
    "",
    "No resource quota.",
    "",
    "No LimitRange resource.",
    "",
    renderFields([
      ["Pods", String(n.pods)],
      ["NetworkPolicies", policies.length ? policies.map((p) => p.name).join(", ") : "<none>"],
    ]),
  ].join("\n");
}
