import { describe, expect, it } from "vitest";
import { ipEndpoint, podEndpoint, type NetpolNamespace } from "./evaluate.js";
import { explainConnection } from "./explain.js";
import { parseNetworkPolicyManifest } from "./manifest.js";
import type { NetworkPolicy } from "./types.js";

function policy(namespace: string, name: string, spec: unknown): NetworkPolicy {
  const r = parseNetworkPolicyManifest({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.policy;
}

const pod = (namespace: string, name: string, ip: string) =>
  podEndpoint({ namespace, name, labels: { pod: name }, ip, ports: [{ name: "serve-80-tcp", containerPort: 80, protocol: "TCP" }] });

const NAMESPACES: NetpolNamespace[] = [
  { name: "x", labels: { ns: "x" } },
  { name: "y", labels: { ns: "y" } },
];
const POLICIES = [
  policy("x", "deny", { podSelector: {} }),
  policy("x", "allow-b", {
    podSelector: { matchLabels: { pod: "a" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }, { namespaceSelector: { matchLabels: { ns: "z" } } }], ports: [{ port: 81 }] }],
  }),
  policy("y", "egress", { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.1.0/24"] } }] }] }),
];

describe("explainConnection", () => {
  it("blocked on both sides: every isolating policy, and why each of its rules does not allow", () => {
    expect(explainConnection(pod("y", "a", "10.0.2.1"), pod("x", "a", "10.0.1.1"), 80, "TCP", POLICIES, NAMESPACES)).toBe(
      [
        "y/a -> x/a 80/TCP: blocked (by egress and ingress)",
        "egress from y/a: blocked: isolated for Egress by y/egress, and no rule allows 80/TCP to x/a",
        "  y/egress egress[0]:",
        "    to[0]: ipBlock 10.0.0.0/8 excepts 10.0.1.0/24, which contains 10.0.1.1",
        // y/egress has egress rules and no policyTypes, so it isolates y for ingress too, which does not matter here
        "ingress to x/a: blocked: isolated for Ingress by x/deny, x/allow-b, and no rule allows 80/TCP from y/a",
        "  x/deny: no ingress rules (allows no ingress)",
        "  x/allow-b ingress[0]:",
        "    from[0]: podSelector without namespaceSelector selects pods of namespace x only, not y",
        "    from[1]: namespaceSelector ns=z does not match namespace y (ns=y,kubernetes.io/metadata.name=y)",
        "    ports: 81/TCP do not include 80/TCP on x/a",
      ].join("\n"),
    );
  });

  it("allowed: the rule that allows, and the policies that isolate", () => {
    expect(explainConnection(pod("x", "b", "10.0.1.2"), pod("x", "a", "10.0.1.1"), 81, "TCP", POLICIES, NAMESPACES)).toBe(
      [
        "x/b -> x/a 81/TCP: allowed",
        "egress from x/b: allowed (not isolated: no NetworkPolicy in namespace x selects it for Egress)",
        "ingress to x/a: allowed by x/allow-b ingress[0] (isolated for Ingress by x/deny, x/allow-b)",
      ].join("\n"),
    );
  });

  it("an address that is no pod's has no policy of its own", () => {
    expect(explainConnection(ipEndpoint("192.0.2.1"), pod("x", "b", "10.0.1.2"), 80, "TCP", POLICIES, NAMESPACES)).toBe(
      [
        "192.0.2.1 -> x/b 80/TCP: blocked (by ingress)",
        "egress from 192.0.2.1: allowed (not a pod: no NetworkPolicy applies to it)",
        "ingress to x/b: blocked: isolated for Ingress by x/deny, and no rule allows 80/TCP from 192.0.2.1",
        "  x/deny: no ingress rules (allows no ingress)",
      ].join("\n"),
    );
  });

  it("names a named port that the destination does not serve", () => {
    const named = [policy("x", "named", { podSelector: {}, ingress: [{ ports: [{ port: "serve-81-tcp" }] }] })];
    expect(explainConnection(pod("y", "a", "10.0.2.1"), pod("x", "a", "10.0.1.1"), 80, "TCP", named, NAMESPACES).split("\n").slice(2)).toEqual([
      "ingress to x/a: blocked: isolated for Ingress by x/named, and no rule allows 80/TCP from y/a",
      "  x/named ingress[0]:",
      "    ports: serve-81-tcp/TCP do not include 80/TCP on x/a",
    ]);
  });
});
