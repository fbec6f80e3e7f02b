// What Kubernetes' NetworkPolicy semantics allow for one connection. A pod is isolated in a direction when some
// policy of ITS namespace selects it with that policy type; an isolated pod lets through only what the union of
// those policies' rules allows; a connection needs the source's egress and the destination's ingress. Policies
// only ever allow, so their order never matters. Every "no" carries its reason, which `net explain` prints.

import type { Labels } from "../types.js";
import { cidrContains, parseCidr, parseIp } from "./cidr.js";
import {
  formatLabels,
  formatSelector,
  NAMESPACE_NAME_LABEL,
  policyRef,
  selectorMatches,
  type IPBlock,
  type NetpolProtocol,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyType,
} from "./types.js";

export interface NetpolNamespace {
  name: string;
  labels: Labels;
}

export interface NetpolContainerPort {
  name?: string;
  containerPort: number;
  protocol: NetpolProtocol;
}

/** What policies need of a pod: where it is, its labels, its IP (once it has one) and its named ports. */
export interface NetpolPod {
  namespace: string;
  name: string;
  labels: Labels;
  ip?: string;
  ports: NetpolContainerPort[];
}

/** One end of a connection: a pod, or an address outside the cluster's pods (which no policy isolates). */
export type Endpoint = { kind: "pod"; pod: NetpolPod } | { kind: "ip"; ip: string };

/** One rule of one policy: `rule` indexes the policy's ingress (or egress) list. */
export interface RuleRef {
  policy: string;
  rule: number;
}

export interface DirectionVerdict {
  /** Some policy selects this side for this direction; then only `allowedBy` lets traffic through. */
  isolated: boolean;
  /** The policies ("ns/name") isolating this side for this direction. */
  selectedBy: string[];
  allowedBy: RuleRef[];
  allowed: boolean;
}

export interface ConnectionVerdict {
  allowed: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
}

/** A rule of a selecting policy and why it does not allow the connection: one reason per failing part (none = allows). */
export interface RuleResult extends RuleRef {
  reasons: string[];
}

/** One direction in full: which policies isolate the subject and what each of their rules says. */
export interface DirectionDetail {
  selecting: NetworkPolicy[];
  rules: RuleResult[];
}

/** An endpoint for a pod. */
export function podEndpoint(pod: NetpolPod): Endpoint {
  return { kind: "pod", pod };
}

/** An endpoint for an address that is no pod's. */
export function ipEndpoint(ip: string): Endpoint {
  return { kind: "ip", ip };
}

/** "ns/name" for a pod, the address otherwise. */
export function endpointName(e: Endpoint): string {
  return e.kind === "pod" ? `${e.pod.namespace}/${e.pod.name}` : e.ip;
}

/** The policies of the pod's own namespace that select it for `direction`. */
export function policiesSelecting(pod: NetpolPod, direction: PolicyType, policies: readonly NetworkPolicy[]): NetworkPolicy[] {
  return policies.filter(
    (p) => p.namespace === pod.namespace && p.policyTypes.includes(direction) && selectorMatches(p.podSelector, pod.labels),
  );
}

/** Whether a pod is isolated for ingress or egress: some policy in its namespace selects it with that type. */
export function isolatedFor(pod: NetpolPod, direction: PolicyType, policies: readonly NetworkPolicy[]): boolean {
  return policiesSelecting(pod, direction, policies).length > 0;
}

/** A namespace's labels, with the name label Kubernetes always sets (and lets no one change). */
export function namespaceLabels(name: string, namespaces: readonly NetpolNamespace[]): Labels {
  const found = namespaces.find((n) => n.name === name);
  return { ...found?.labels, [NAMESPACE_NAME_LABEL]: name };
}

function ipBlockMismatch({ cidr, except }: IPBlock, other: Endpoint): string | undefined {
  // Kubernetes leaves ipBlock on pod IPs to the plugin; Kube-9 matches pod IPs too, as Calico and Cilium do.
  const text = other.kind === "pod" ? other.pod.ip : other.ip;
  if (text === undefined) return `ipBlock ${cidr}: ${endpointName(other)} has no IP yet`;
  const ip = parseIp(text);
  const network = parseCidr(cidr);
  if (!ip || !network || !cidrContains(network, ip)) return `ipBlock ${cidr} does not contain ${text}`;
  const excepted = except.find((e) => {
    const inner = parseCidr(e);
    return inner !== undefined && cidrContains(inner, ip);
  });
  return excepted ? `ipBlock ${cidr} excepts ${excepted}, which contains ${text}` : undefined;
}

/** Why a peer of a policy in `policyNamespace` does not match the other end (undefined when it matches). */
export function peerMismatch(
  peer: NetworkPolicyPeer,
  policyNamespace: string,
  other: Endpoint,
  namespaces: readonly NetpolNamespace[],
): string | undefined {
  if (peer.ipBlock) return ipBlockMismatch(peer.ipBlock, other);
  if (!peer.podSelector && !peer.namespaceSelector) return "an empty peer selects nothing";
  if (other.kind !== "pod") return `selects pods, and ${other.ip} is not a pod's address`;
  const pod = other.pod;
  if (peer.namespaceSelector) {
    const labels = namespaceLabels(pod.namespace, namespaces);
    if (!selectorMatches(peer.namespaceSelector, labels)) {
      return `namespaceSelector ${formatSelector(peer.namespaceSelector)} does not match namespace ${pod.namespace} (${formatLabels(labels)})`;
    }
  } else if (pod.namespace !== policyNamespace) {
    return `podSelector without namespaceSelector selects pods of namespace ${policyNamespace} only, not ${pod.namespace}`;
  }
  if (peer.podSelector && !selectorMatches(peer.podSelector, pod.labels)) {
    return `podSelector ${formatSelector(peer.podSelector)} does not match ${endpointName(other)} (${formatLabels(pod.labels)})`;
  }
  return undefined;
}

/** A policy port as people write it: "80/TCP", "80-90/TCP", "http/TCP", "all TCP ports". */
export function formatPolicyPort(p: NetworkPolicyPort): string {
  if (p.port === undefined) return `all ${p.protocol} ports`;
  return p.endPort !== undefined ? `${p.port}-${p.endPort}/${p.protocol}` : `${p.port}/${p.protocol}`;
}

function portMatches(p: NetworkPolicyPort, port: number, protocol: NetpolProtocol, destination: Endpoint): boolean {
  if (p.protocol !== protocol) return false;
  if (p.port === undefined) return true;
  if (typeof p.port === "number") return port >= p.port && port <= (p.endPort ?? p.port);
  // A named port is the destination pod's, in both directions (an egress rule names the server's port).
  if (destination.kind !== "pod") return false;
  return destination.pod.ports.some((c) => c.name === p.port && c.protocol === protocol && c.containerPort === port);
}

function portsMismatch(ports: readonly NetworkPolicyPort[], port: number, protocol: NetpolProtocol, destination: Endpoint) {
  if (ports.length === 0 || ports.some((p) => portMatches(p, port, protocol, destination))) return undefined;
  return `ports: ${ports.map(formatPolicyPort).join(", ")} do not include ${port}/${protocol} on ${endpointName(destination)}`;
}

/** One connection and the cluster state it is judged against: what allows, connectionDetail and explainConnection take. */
export type ConnectionQuery = [
  from: Endpoint,
  to: Endpoint,
  port: number,
  protocol: NetpolProtocol,
  policies: readonly NetworkPolicy[],
  namespaces: readonly NetpolNamespace[],
];

/** Every rule of every policy isolating one side (the source for Egress), with why it does not allow (if it does not). */
function directionDetail(direction: PolicyType, query: ConnectionQuery): DirectionDetail | undefined {
  const [from, to, port, protocol, policies, namespaces] = query;
  const subject = direction === "Ingress" ? to : from;
  const other = direction === "Ingress" ? from : to;
  if (subject.kind !== "pod") return undefined;
  const selecting = policiesSelecting(subject.pod, direction, policies);
  const rules: RuleResult[] = [];
  const peersKey = direction === "Ingress" ? "from" : "to";
  for (const p of selecting) {
    const list = direction === "Ingress"
      ? p.ingress.map((r) => ({ peers: r.from, ports: r.ports }))
      : p.egress.map((r) => ({ peers: r.to, ports: r.ports }));
    list.forEach(({ peers, ports }, rule) => {
      const peerReasons = peers.map((peer, i) => {
        const why = peerMismatch(peer, p.namespace, other, namespaces);
        return why === undefined ? undefined : `${peersKey}[${i}]: ${why}`;
      });
      const reasons = peerReasons.length > 0 && peerReasons.every((w) => w !== undefined) ? (peerReasons as string[]) : [];
      const portReason = portsMismatch(ports, port, protocol, to);
      if (portReason !== undefined) reasons.push(portReason);
      rules.push({ policy: policyRef(p), rule, reasons });
    });
  }
  return { selecting, rules };
}

/** Not isolated: what a side with no selecting policy, or with no pod at all, lets through (everything). */
const open = (): DirectionVerdict => ({ isolated: false, selectedBy: [], allowedBy: [], allowed: true });

function verdictOf(detail: DirectionDetail): DirectionVerdict {
  if (detail.selecting.length === 0) return open();
  const allowedBy = detail.rules.filter((r) => r.reasons.length === 0).map(({ policy, rule }) => ({ policy, rule }));
  return { isolated: true, selectedBy: detail.selecting.map(policyRef), allowedBy, allowed: allowedBy.length > 0 };
}

/** Both sides of one connection in full; a side that is not a pod has no detail (no policy applies to it). */
export function connectionDetail(...query: ConnectionQuery): { egress?: DirectionDetail; ingress?: DirectionDetail } {
  const egress = directionDetail("Egress", query);
  const ingress = directionDetail("Ingress", query);
  return { ...(egress ? { egress } : {}), ...(ingress ? { ingress } : {}) };
}

/** Whether `from` may open a connection to `to` on port/protocol: the source's egress AND the destination's ingress. */
export function allows(...query: ConnectionQuery): ConnectionVerdict {
  const detail = connectionDetail(...query);
  const egress = detail.egress ? verdictOf(detail.egress) : open();
  const ingress = detail.ingress ? verdictOf(detail.ingress) : open();
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}
