// Compiles the NetworkPolicies that apply to one pod into the addresses and port numbers its node enforces (see
// firewall-types.ts), with exactly the semantics of allows() in evaluate.ts: selectors become the IPs of the pods they
// match now, named ports the numbers of the pods that declare them. The output is canonical (sorted, merged, without
// duplicates) so that the same cluster state always gives the same JSON, whose hash is the node's revision.

import { cidrContains, formatIp, parseCidr, parseIp, type Cidr, type IpAddress } from "./cidr.js";
import { peerMismatch, podEndpoint, policiesSelecting, type NetpolNamespace, type NetpolPod } from "./evaluate.js";
import type { FirewallPeer, FirewallPortRange, FirewallRule, PodFirewall } from "./firewall-types.js";
import { NETPOL_PROTOCOLS, type NetpolProtocol, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, type PolicyType } from "./types.js";

const MAX_PORT = 65535;

/** The cluster state a firewall is compiled against. */
interface Cluster {
  pods: readonly NetpolPod[];
  namespaces: readonly NetpolNamespace[];
}

/** A peer while compiling: parsed, so that sorting and containment need no re-parsing. */
interface ParsedPeer {
  cidr: Cidr;
  except: Cidr[];
}

const cidrText = (c: Cidr): string => `${formatIp(c)}/${c.prefix}`;

/** The single-address network of an IP: /32 or /128. */
const hostCidr = (ip: IpAddress): Cidr => ({ ...ip, prefix: ip.v6 ? 128 : 32 });

function compareCidr(a: Cidr, b: Cidr): number {
  if (a.v6 !== b.v6) return a.v6 ? 1 : -1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.prefix - b.prefix;
}

function compareCidrLists(a: readonly Cidr[], b: readonly Cidr[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareCidr(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Whether network `outer` holds all of `inner`. */
const covers = (outer: Cidr, inner: Cidr): boolean => outer.prefix <= inner.prefix && cidrContains(outer, inner);

/** A pod's IP when it has a usable one: a pod without an address cannot be matched by any packet. */
function podAddress(pod: NetpolPod): IpAddress | undefined {
  return pod.ip === undefined ? undefined : parseIp(pod.ip);
}

/**
 * An ipBlock as networks. Except entries of the other family can never match and are dropped (nftables would refuse
 * to mix families in one set); a block whose except covers it all matches nothing.
 */
function ipBlockPeer(block: NonNullable<NetworkPolicyPeer["ipBlock"]>): ParsedPeer | undefined {
  const cidr = parseCidr(block.cidr);
  if (!cidr) return undefined;
  const except = block.except.map(parseCidr).filter((e): e is Cidr => e !== undefined && e.v6 === cidr.v6);
  if (except.some((e) => covers(e, cidr))) return undefined;
  return { cidr, except };
}

/** The pods (with an address) a selector peer of a policy in `namespace` matches, as host networks. */
function selectedPodPeers(peer: NetworkPolicyPeer, namespace: string, cluster: Cluster): ParsedPeer[] {
  const out: ParsedPeer[] = [];
  for (const pod of cluster.pods) {
    const ip = podAddress(pod);
    if (ip && peerMismatch(peer, namespace, podEndpoint(pod), cluster.namespaces) === undefined) out.push({ cidr: hostCidr(ip), except: [] });
  }
  return out;
}

/** The union of a rule's peers; null for an empty list (every address). */
function rulePeers(peers: readonly NetworkPolicyPeer[], namespace: string, cluster: Cluster): ParsedPeer[] | null {
  if (peers.length === 0) return null;
  return peers.flatMap((peer) => {
    if (peer.ipBlock) {
      const block = ipBlockPeer(peer.ipBlock);
      return block ? [block] : [];
    }
    return selectedPodPeers(peer, namespace, cluster);
  });
}

/** A numbered port or a protocol-only port as a range; undefined for a named port (resolved per destination). */
function numericRange(p: NetworkPolicyPort): FirewallPortRange | undefined {
  if (p.port === undefined) return { protocol: p.protocol, from: 1, to: MAX_PORT };
  if (typeof p.port !== "number") return undefined;
  return { protocol: p.protocol, from: p.port, to: p.endPort ?? p.port };
}

/** The numbers a pod gives a named port of a protocol (a pod may declare one name more than once). */
function namedPortNumbers(pod: NetpolPod, name: string, protocol: NetpolProtocol): FirewallPortRange[] {
  return pod.ports.filter((c) => c.name === name && c.protocol === protocol).map((c) => ({ protocol, from: c.containerPort, to: c.containerPort }));
}

/** Canonical peers: no duplicates, sorted, and a plain network inside another plain network left out (the union is the same). */
function canonicalPeers(peers: ParsedPeer[]): FirewallPeer[] {
  const unique = new Map<string, ParsedPeer>();
  for (const p of peers) {
    const except = [...new Map(p.except.map((e) => [cidrText(e), e])).values()].sort(compareCidr);
    unique.set(`${cidrText(p.cidr)} ${except.map(cidrText).join(",")}`, { cidr: p.cidr, except });
  }
  const all = [...unique.values()];
  const plain = all.filter((p) => p.except.length === 0).map((p) => p.cidr);
  return all
    .filter((p) => p.except.length > 0 || !plain.some((q) => compareCidr(q, p.cidr) !== 0 && covers(q, p.cidr)))
    .sort((a, b) => compareCidr(a.cidr, b.cidr) || compareCidrLists(a.except, b.except))
    .map((p) => ({ cidr: cidrText(p.cidr), except: p.except.map(cidrText) }));
}

/** Canonical ports: per protocol (in NETPOL_PROTOCOLS order), overlapping or adjacent ranges merged; empty ranges dropped. */
function canonicalPorts(ranges: FirewallPortRange[]): FirewallPortRange[] {
  const out: FirewallPortRange[] = [];
  for (const protocol of NETPOL_PROTOCOLS) {
    const mine = ranges
      .filter((r) => r.protocol === protocol && r.from <= r.to)
      .map((r) => ({ protocol, from: Math.max(1, r.from), to: Math.min(MAX_PORT, r.to) }))
      .sort((a, b) => a.from - b.from || a.to - b.to);
    for (const r of mine) {
      const last = out[out.length - 1];
      if (last && last.protocol === protocol && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
      else out.push({ ...r });
    }
  }
  return out;
}

/** A rule, or undefined when its peers or ports resolved to nothing (it allows nothing; [] would mean everything). */
function finishRule(peers: ParsedPeer[] | null, ports: FirewallPortRange[] | null): FirewallRule | undefined {
  const p = peers === null ? null : canonicalPeers(peers);
  const q = ports === null ? null : canonicalPorts(ports);
  if (p?.length === 0 || q?.length === 0) return undefined;
  return { peers: p, ports: q };
}

/** An ingress rule of a policy isolating `pod`: named ports are the pod's own (it is the destination). */
function ingressRule(pod: NetpolPod, from: readonly NetworkPolicyPeer[], ports: readonly NetworkPolicyPort[], namespace: string, cluster: Cluster) {
  const ranges = ports.length === 0 ? null : ports.flatMap((p) => numericRange(p) ?? namedPortNumbers(pod, p.port as string, p.protocol));
  return finishRule(rulePeers(from, namespace, cluster), ranges);
}

/**
 * An egress rule: numbered ports go with the rule's peers; a named port is the destination's, so it becomes one
 * rule per destination pod (matched by the peers, or any pod for an empty `to`) that declares it.
 */
function egressRules(to: readonly NetworkPolicyPeer[], ports: readonly NetworkPolicyPort[], namespace: string, cluster: Cluster): FirewallRule[] {
  const named = ports.filter((p) => typeof p.port === "string");
  const numeric = ports.flatMap((p) => numericRange(p) ?? []);
  const rules: (FirewallRule | undefined)[] = [];
  if (ports.length === 0 || numeric.length > 0) rules.push(finishRule(rulePeers(to, namespace, cluster), ports.length === 0 ? null : numeric));
  if (named.length === 0) return rules.filter((r) => r !== undefined);
  for (const destination of cluster.pods) {
    const ip = podAddress(destination);
    if (!ip) continue;
    const matched = to.length === 0 || to.some((peer) => peerMismatch(peer, namespace, podEndpoint(destination), cluster.namespaces) === undefined);
    if (!matched) continue;
    const numbers = named.flatMap((p) => namedPortNumbers(destination, p.port as string, p.protocol));
    if (numbers.length > 0) rules.push(finishRule([{ cidr: hostCidr(ip), except: [] }], numbers));
  }
  return rules.filter((r) => r !== undefined);
}

/** Rules sorted by their JSON, duplicates dropped: policy and pod order never change the output. */
function canonicalRules(rules: FirewallRule[]): FirewallRule[] {
  const byKey = new Map(rules.map((r) => [JSON.stringify(r), r]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

function compileDirection(pod: NetpolPod, direction: PolicyType, policies: readonly NetworkPolicy[], cluster: Cluster): FirewallRule[] | null {
  const selecting = policiesSelecting(pod, direction, policies);
  if (selecting.length === 0) return null;
  const rules = selecting.flatMap((p) =>
    direction === "Ingress"
      ? p.ingress.flatMap((r) => ingressRule(pod, r.from, r.ports, p.namespace, cluster) ?? [])
      : p.egress.flatMap((r) => egressRules(r.to, r.ports, p.namespace, cluster)),
  );
  return canonicalRules(rules);
}

/** The firewall of one pod: what the policies of its namespace let in and out, resolved against the cluster's pods. */
export function compilePodFirewall(
  pod: NetpolPod,
  pods: readonly NetpolPod[],
  namespaces: readonly NetpolNamespace[],
  policies: readonly NetworkPolicy[],
): PodFirewall {
  const cluster = { pods, namespaces };
  return { ingress: compileDirection(pod, "Ingress", policies, cluster), egress: compileDirection(pod, "Egress", policies, cluster) };
}

function peerMatches(peer: FirewallPeer, ip: IpAddress): boolean {
  const cidr = parseCidr(peer.cidr);
  if (!cidr || !cidrContains(cidr, ip)) return false;
  return !peer.except.some((e) => {
    const inner = parseCidr(e);
    return inner !== undefined && cidrContains(inner, ip);
  });
}

function ruleMatches(rule: FirewallRule, other: IpAddress, port: number, protocol: NetpolProtocol): boolean {
  const peerOk = rule.peers === null || rule.peers.some((p) => peerMatches(p, other));
  const portOk = rule.ports === null || rule.ports.some((r) => r.protocol === protocol && port >= r.from && port <= r.to);
  return peerOk && portOk;
}

function directionAllows(rules: FirewallRule[] | null, other: IpAddress, port: number, protocol: NetpolProtocol): boolean {
  return rules === null || rules.some((r) => ruleMatches(r, other, port, protocol));
}

/**
 * Whether a new connection passes the compiled firewalls as the node's nftables rules judge it: the source's egress
 * (to `toIp`) and the destination's ingress (from `fromIp`). A pod's traffic to its own address goes over loopback,
 * which the rules always accept.
 */
export function firewallAllows(fromIp: string, from: PodFirewall, toIp: string, to: PodFirewall, port: number, protocol: NetpolProtocol): boolean {
  const source = parseIp(fromIp);
  const destination = parseIp(toIp);
  if (!source || !destination) return false;
  if (source.v6 === destination.v6 && source.value === destination.value) return true;
  return directionAllows(from.egress, destination, port, protocol) && directionAllows(to.ingress, source, port, protocol);
}
