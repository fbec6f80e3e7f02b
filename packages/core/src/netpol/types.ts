// NetworkPolicy (networking.k8s.io/v1) as Kube-9 holds it once read: Kubernetes' defaulting applied (policyTypes,
// port protocol TCP, namespace "default") so that evaluation never has to know what the manifest left out. The one
// absence that keeps its meaning is a peer's selector: absent and empty select different pods (see NetworkPolicyPeer).

import type { Labels } from "../types.js";

export const POLICY_TYPES = ["Ingress", "Egress"] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const NETPOL_PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
export type NetpolProtocol = (typeof NETPOL_PROTOCOLS)[number];

export const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

/** The label Kubernetes puts on every namespace, holding its name; policies select namespaces by name with it. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** One matchExpressions entry: In/NotIn carry values, Exists/DoesNotExist none. */
export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/** metav1.LabelSelector: every matchLabels pair and every expression must hold (AND); empty matches everything. */
export interface LabelSelector {
  matchLabels: Labels;
  matchExpressions: LabelSelectorRequirement[];
}

export interface IPBlock {
  /** As written (Kubernetes accepts host bits, e.g. 10.0.0.1/8 meaning 10.0.0.0/8). */
  cidr: string;
  except: string[];
}

/**
 * Exactly one of: ipBlock; podSelector; namespaceSelector; podSelector and namespaceSelector (AND).
 * An absent podSelector with a namespaceSelector means every pod of those namespaces; an absent namespaceSelector
 * with a podSelector means the policy's own namespace. `{}` is not absence: it is "every pod" / "every namespace".
 */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

/** A port, a named port (looked up on the destination pod), a range port..endPort, or (no port) every port. */
export interface NetworkPolicyPort {
  protocol: NetpolProtocol;
  port?: number | string;
  endPort?: number;
}

/** Empty `from` = every source; empty `ports` = every port. */
export interface NetworkPolicyIngressRule {
  from: NetworkPolicyPeer[];
  ports: NetworkPolicyPort[];
}

/** Empty `to` = every destination; empty `ports` = every port. */
export interface NetworkPolicyEgressRule {
  to: NetworkPolicyPeer[];
  ports: NetworkPolicyPort[];
}

export interface NetworkPolicy {
  name: string;
  namespace: string;
  labels: Labels;
  annotations: Labels;
  /** Which pods of `namespace` the policy isolates; `{}` is all of them. */
  podSelector: LabelSelector;
  /** Never empty once read: Ingress always, plus Egress when egress rules are given, unless the manifest says. */
  policyTypes: PolicyType[];
  ingress: NetworkPolicyIngressRule[];
  egress: NetworkPolicyEgressRule[];
}

/** The selector that matches everything. */
export function emptySelector(): LabelSelector {
  return { matchLabels: {}, matchExpressions: [] };
}

/** "namespace/name", how policies and pods are named in every message. */
export function policyRef(p: Pick<NetworkPolicy, "namespace" | "name">): string {
  return `${p.namespace}/${p.name}`;
}

function requirementMatches(r: LabelSelectorRequirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case "In":
      return has && r.values.includes(labels[r.key] as string);
    case "NotIn":
      // As in Kubernetes' labels package: a pod without the key is "not in" any set.
      return !has || !r.values.includes(labels[r.key] as string);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
}

/**
 * Whether labels satisfy a selector, with Kubernetes' semantics: an empty selector matches everything, and an absent
 * one (undefined) matches nothing, as metav1.LabelSelectorAsSelector(nil) does.
 */
export function selectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  return selector.matchExpressions.every((r) => requirementMatches(r, labels));
}

/** A selector as kubectl prints it ("pod=a,ns in (x,y),!gone"); the empty selector is "{}" (everything). */
export function formatSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions) {
    if (r.operator === "In") parts.push(`${r.key} in (${r.values.join(",")})`);
    else if (r.operator === "NotIn") parts.push(`${r.key} notin (${r.values.join(",")})`);
    else if (r.operator === "Exists") parts.push(r.key);
    else parts.push(`!${r.key}`);
  }
  return parts.length === 0 ? "{}" : parts.join(",");
}

/** Labels as "k=v,k=v" for messages ("no labels" when empty). */
export function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? "no labels" : entries.map(([k, v]) => `${k}=${v}`).join(",");
}
