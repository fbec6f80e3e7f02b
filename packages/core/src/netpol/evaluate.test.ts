import { describe, expect, it } from "vitest";
import { allows, endpointName, ipEndpoint, isolatedFor, podEndpoint, type Endpoint, type NetpolNamespace, type NetpolPod } from "./evaluate.js";
import { parseNetworkPolicyManifest } from "./manifest.js";
import type { NetpolProtocol, NetworkPolicy } from "./types.js";

const NAMESPACES: NetpolNamespace[] = [
  { name: "x", labels: { ns: "x" } },
  { name: "y", labels: { ns: "y", env: "prod" } },
  // z is not listed: it still has the kubernetes.io/metadata.name label Kubernetes always sets
];

function pod(namespace: string, name: string, ip: string | undefined, labels: Record<string, string> = {}): NetpolPod {
  return {
    namespace,
    name,
    labels: { pod: name, ...labels },
    ...(ip ? { ip } : {}),
    ports: [
      { name: "serve-80-tcp", containerPort: 80, protocol: "TCP" },
      { name: "serve-81-tcp", containerPort: 81, protocol: "TCP" },
      { name: "dns", containerPort: 53, protocol: "UDP" },
    ],
  };
}

const xa = podEndpoint(pod("x", "a", "10.0.1.1"));
const xb = podEndpoint(pod("x", "b", "10.0.1.2"));
const ya = podEndpoint(pod("y", "a", "10.0.2.1"));
const yb = podEndpoint(pod("y", "b", "10.0.2.2"));
const za = podEndpoint(pod("z", "a", "10.0.3.1"));
const noIp = podEndpoint(pod("y", "c", undefined));
const outside = ipEndpoint("203.0.113.7");

/** A policy named `name` in `namespace` from its manifest spec. */
function policy(namespace: string, name: string, spec: unknown): NetworkPolicy {
  const r = parseNetworkPolicyManifest({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.policy;
}

const denyIngressX = policy("x", "deny-ingress", { podSelector: {} });
const denyEgressX = policy("x", "deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
const ingressFrom = (...from: unknown[]) => policy("x", "allow", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from }] });
const ingressPorts = (...ports: unknown[]) => policy("x", "ports", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ ports }] });
const egressTo = (...to: unknown[]) => policy("x", "egress", { podSelector: { matchLabels: { pod: "a" } }, egress: [{ to }] });

interface Case {
  name: string;
  policies: NetworkPolicy[];
  from: Endpoint;
  to: Endpoint;
  port?: number;
  protocol?: NetpolProtocol;
  want: boolean;
}

describe("allows", () => {
  const cases: Case[] = [
    // nothing isolates anyone: Kubernetes' default is allow-all
    { name: "no policies", policies: [], from: ya, to: xa, want: true },
    // a policy that selects no pod isolates no pod
    { name: "policy selecting nothing", policies: [policy("x", "none", { podSelector: { matchLabels: { pod: "zzz" } } })], from: ya, to: xa, want: true },
    // default-deny-ingress in x: nothing gets into x, not even from x
    { name: "default deny ingress, from y", policies: [denyIngressX], from: ya, to: xa, want: false },
    { name: "default deny ingress, within x", policies: [denyIngressX], from: xb, to: xa, want: false },
    // ... and x's egress is untouched, nor is y
    { name: "default deny ingress, x out", policies: [denyIngressX], from: xa, to: ya, want: true },
    { name: "default deny ingress, y to y", policies: [denyIngressX], from: yb, to: ya, want: true },
    // default-deny-egress: x can send nothing, but still receive
    { name: "default deny egress, x out", policies: [denyEgressX], from: xa, to: ya, want: false },
    { name: "default deny egress, into x", policies: [denyEgressX], from: ya, to: xa, want: true },
    // both: x neither sends nor receives
    { name: "default deny both, in", policies: [denyIngressX, denyEgressX], from: ya, to: xa, want: false },
    { name: "default deny both, out", policies: [denyIngressX, denyEgressX], from: xa, to: ya, want: false },
    // allow-all ingress next to a default deny: policies add up, the allow wins
    { name: "allow-all ingress beats deny", policies: [denyIngressX, policy("x", "all", { podSelector: {}, ingress: [{}] })], from: za, to: xa, want: true },
    // an egress-only policy does not isolate ingress
    {
      name: "egress-only policy leaves ingress open",
      policies: [policy("x", "e", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: {} }] }] })],
      from: ya,
      to: xa,
      want: true,
    },
    // policyTypes defaulting: a policy with only egress rules and no policyTypes is Ingress+Egress, so it also
    // cuts every ingress to the pods it selects
    {
      name: "egress rules without policyTypes isolate ingress too",
      policies: [policy("x", "e", { podSelector: {}, egress: [{}] })],
      from: ya,
      to: xa,
      want: false,
    },
    // explicit policyTypes [Egress]: its ingress rules never apply (ingress stays open, not "allowed by" them)
    {
      name: "ingress rules of an Egress-only policy are ignored",
      policies: [denyIngressX, policy("x", "e", { podSelector: {}, policyTypes: ["Egress"], ingress: [{}], egress: [{}] })],
      from: ya,
      to: xa,
      want: false,
    },
    // policies only isolate pods of their own namespace
    { name: "policy in y does not isolate x", policies: [policy("y", "deny", { podSelector: {} })], from: ya, to: xa, want: true },
    // podSelector alone: pods of the policy's namespace only
    { name: "podSelector alone, same namespace", policies: [ingressFrom({ podSelector: { matchLabels: { pod: "b" } } })], from: xb, to: xa, want: true },
    { name: "podSelector alone, other namespace", policies: [ingressFrom({ podSelector: { matchLabels: { pod: "b" } } })], from: yb, to: xa, want: false },
    // podSelector {} alone: every pod of the policy's namespace, no other namespace
    { name: "podSelector {} alone, other namespace", policies: [ingressFrom({ podSelector: {} })], from: ya, to: xa, want: false },
    // namespaceSelector alone: every pod of the matching namespaces, own namespace only if it matches
    { name: "namespaceSelector alone, match", policies: [ingressFrom({ namespaceSelector: { matchLabels: { ns: "y" } } })], from: yb, to: xa, want: true },
    { name: "namespaceSelector alone, own ns not matching", policies: [ingressFrom({ namespaceSelector: { matchLabels: { ns: "y" } } })], from: xb, to: xa, want: false },
    // namespaceSelector {}: every namespace, including ones without any labels of their own
    { name: "namespaceSelector {} is every namespace", policies: [ingressFrom({ namespaceSelector: {} })], from: za, to: xa, want: true },
    // Kubernetes' automatic name label works for a namespace Kube-9 was told nothing about
    {
      name: "kubernetes.io/metadata.name",
      policies: [ingressFrom({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "z" } } })],
      from: za,
      to: xa,
      want: true,
    },
    // both selectors in ONE peer: AND (pod=b in a namespace with env=prod): y/b yes, x/b and y/a no
    ...[
      { from: yb, want: true },
      { from: xb, want: false },
      { from: ya, want: false },
    ].map(({ from, want }) => ({
      name: `one peer with both selectors (AND), from ${endpointName(from)}`,
      policies: [ingressFrom({ podSelector: { matchLabels: { pod: "b" } }, namespaceSelector: { matchLabels: { env: "prod" } } })],
      from,
      to: xa,
      want,
    })),
    // the same selectors as TWO peers: OR (pod=b in x, or anything in env=prod): x/b and y/a yes, z/a no
    ...[
      { from: xb, want: true },
      { from: ya, want: true },
      { from: za, want: false },
    ].map(({ from, want }) => ({
      name: `two peers (OR), from ${endpointName(from)}`,
      policies: [ingressFrom({ podSelector: { matchLabels: { pod: "b" } } }, { namespaceSelector: { matchLabels: { env: "prod" } } })],
      from,
      to: xa,
      want,
    })),
    // ipBlock with except: inside the cidr yes, inside the except no; pod IPs count (as Calico and Cilium do)
    { name: "ipBlock, external inside", policies: [ingressFrom({ ipBlock: { cidr: "203.0.113.0/24", except: ["203.0.113.128/25"] } })], from: outside, to: xa, want: true },
    { name: "ipBlock, external in except", policies: [ingressFrom({ ipBlock: { cidr: "203.0.113.0/25", except: ["203.0.113.0/29"] } })], from: outside, to: xa, want: false },
    { name: "ipBlock, pod IP inside", policies: [ingressFrom({ ipBlock: { cidr: "10.0.2.0/24" } })], from: ya, to: xa, want: true },
    { name: "ipBlock, pod IP excepted", policies: [ingressFrom({ ipBlock: { cidr: "10.0.0.0/16", except: ["10.0.2.2/32"] } })], from: yb, to: xa, want: false },
    { name: "ipBlock, pod without IP", policies: [ingressFrom({ ipBlock: { cidr: "0.0.0.0/0" } })], from: noIp, to: xa, want: false },
    // selectors never match an address that is no pod's
    { name: "namespaceSelector {} and an external source", policies: [ingressFrom({ namespaceSelector: {} })], from: outside, to: xa, want: false },
    // an external source has no egress policy; an external destination no ingress policy
    { name: "external to unisolated pod", policies: [], from: outside, to: xa, want: true },
    { name: "egress to external via ipBlock", policies: [egressTo({ ipBlock: { cidr: "203.0.113.0/24" } })], from: xa, to: outside, want: true },
    { name: "egress to external, not in ipBlock", policies: [egressTo({ ipBlock: { cidr: "198.51.100.0/24" } })], from: xa, to: outside, want: false },
    // ports: a number, a range (endPort inclusive), protocol must match, empty = all
    { name: "port 80 allowed", policies: [ingressPorts({ port: 80 })], from: ya, to: xa, port: 80, want: true },
    { name: "port 81 not listed", policies: [ingressPorts({ port: 80 })], from: ya, to: xa, port: 81, want: false },
    { name: "range start", policies: [ingressPorts({ port: 8000, endPort: 8080 })], from: ya, to: xa, port: 8000, want: true },
    { name: "range end (inclusive)", policies: [ingressPorts({ port: 8000, endPort: 8080 })], from: ya, to: xa, port: 8080, want: true },
    { name: "past the range", policies: [ingressPorts({ port: 8000, endPort: 8080 })], from: ya, to: xa, port: 8081, want: false },
    { name: "below the range", policies: [ingressPorts({ port: 8000, endPort: 8080 })], from: ya, to: xa, port: 7999, want: false },
    { name: "UDP rule, TCP connection", policies: [ingressPorts({ protocol: "UDP", port: 80 })], from: ya, to: xa, port: 80, want: false },
    { name: "protocol only: every UDP port", policies: [ingressPorts({ protocol: "UDP" })], from: ya, to: xa, port: 4242, protocol: "UDP", want: true },
    { name: "protocol only: no TCP port", policies: [ingressPorts({ protocol: "UDP" })], from: ya, to: xa, port: 4242, want: false },
    // named ports resolve against the destination pod's container ports
    { name: "named port, ingress", policies: [ingressPorts({ port: "serve-81-tcp" })], from: ya, to: xa, port: 81, want: true },
    { name: "named port, other number", policies: [ingressPorts({ port: "serve-81-tcp" })], from: ya, to: xa, port: 80, want: false },
    // the name exists but for UDP: a TCP rule for it matches nothing
    { name: "named port of another protocol", policies: [ingressPorts({ port: "dns" })], from: ya, to: xa, port: 53, want: false },
    { name: "named port with its protocol", policies: [ingressPorts({ protocol: "UDP", port: "dns" })], from: ya, to: xa, port: 53, protocol: "UDP", want: true },
    // egress named ports: looked up on the DESTINATION (the server), never on the client
    {
      name: "named port, egress, looked up on the server",
      policies: [policy("x", "e", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"], egress: [{ ports: [{ port: "serve-81-tcp" }] }] })],
      from: xa,
      to: ya,
      port: 81,
      want: true,
    },
    // an external destination has no named ports
    {
      name: "named port, egress to an address",
      policies: [policy("x", "e", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"], egress: [{ ports: [{ port: "serve-81-tcp" }] }] })],
      from: xa,
      to: outside,
      port: 81,
      want: false,
    },
  ];
  it.each(cases)("$name", ({ policies, from, to, port, protocol, want }) => {
    expect(allows(from, to, port ?? 80, protocol ?? "TCP", policies, NAMESPACES).allowed).toBe(want);
  });

  it("says which side blocks, which policies isolate it and every rule that allows", () => {
    const allowB = policy("x", "allow-b", { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }, {}] });
    const verdict = allows(xb, xa, 80, "TCP", [denyIngressX, allowB, denyEgressX], NAMESPACES);
    expect(verdict).toEqual({
      allowed: false,
      egress: { isolated: true, selectedBy: ["x/deny-egress"], allowedBy: [], allowed: false },
      ingress: {
        isolated: true,
        selectedBy: ["x/deny-ingress", "x/allow-b"],
        allowedBy: [{ policy: "x/allow-b", rule: 0 }, { policy: "x/allow-b", rule: 1 }],
        allowed: true,
      },
    });
  });
});

describe("isolatedFor", () => {
  const xaPod = (xa as { pod: NetpolPod }).pod;
  it.each([
    // the default-deny policy selects x/a for ingress only
    { name: "ingress, deny-ingress", policies: [denyIngressX], direction: "Ingress" as const, want: true },
    { name: "egress, deny-ingress", policies: [denyIngressX], direction: "Egress" as const, want: false },
    { name: "egress, deny-egress", policies: [denyEgressX], direction: "Egress" as const, want: true },
    // a policy of another namespace selecting everything does not isolate x/a
    { name: "other namespace", policies: [policy("y", "d", { podSelector: {} })], direction: "Ingress" as const, want: false },
    // a selector that misses x/a
    { name: "not selected", policies: [policy("x", "d", { podSelector: { matchExpressions: [{ key: "pod", operator: "NotIn", values: ["a"] }] } })], direction: "Ingress" as const, want: false },
  ])("$name", ({ policies, direction, want }) => {
    expect(isolatedFor(xaPod, direction, policies)).toBe(want);
  });
});
