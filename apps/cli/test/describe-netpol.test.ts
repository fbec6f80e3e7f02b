// `describe networkpolicy|namespace`: kubectl's text, then which pods a policy selects and whether it is enforced.
import { describe, expect, it } from "vitest";
import { describeNamespace, describeNetworkPolicy } from "../src/output/describe-netpol.js";
import { renderProbe } from "../src/commands/net.js";
import type { NetworkPolicyDTO, ProbeResultDTO } from "../src/types.js";

const manifest = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "db", namespace: "x" },
  spec: {
    podSelector: { matchLabels: { role: "db" } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      { from: [{ ipBlock: { cidr: "172.17.0.0/16", except: ["172.17.1.0/24"] } }, { namespaceSelector: { matchLabels: { project: "p" } }, podSelector: { matchExpressions: [{ key: "role", operator: "In", values: ["fe", "be"] }] } }], ports: [{ protocol: "TCP", port: 6379 }] },
    ],
    egress: [{ to: [], ports: [{ protocol: "TCP", port: 5978, endPort: 5980 }] }],
  },
};

const policy = (enforcement: NetworkPolicyDTO["enforcement"]): NetworkPolicyDTO => ({
  namespace: "x",
  name: "db",
  uid: "u",
  generation: 1,
  createdAt: "2026-11-29T10:00:00.000Z",
  podSelector: "role=db",
  policyTypes: ["Ingress", "Egress"],
  manifest,
  selectedPods: ["db-0"],
  enforcement,
});

describe("describe networkpolicy", () => {
  it("prints kubectl's sections: selector, each rule's ports and peers (AND within a peer), policy types", () => {
    const text = describeNetworkPolicy(policy({ enforcing: ["n1"], notEnforcing: [] }));
    expect(text).toContain("  PodSelector:     role=db");
    expect(text).toContain("    To Port: 6379/TCP\n    From:\n      IPBlock:\n        CIDR: 172.17.0.0/16\n        Except: 172.17.1.0/24");
    expect(text).toContain("    From:\n      PodSelector: role in (fe,be)\n      NamespaceSelector: project=p");
    expect(text).toContain("  Allowing egress traffic:\n    To Port: 5978-5980/TCP\n    To: <any> (traffic not restricted by destination)");
    expect(text).toContain("  Policy Types: Ingress, Egress");
    expect(text).toContain("Selected Pods:  db-0");
    expect(text).toContain("Enforcement:    nftables in each pod's network namespace on n1");
  });

  it("says plainly when a policy is not enforced, or only on some nodes", () => {
    const none = describeNetworkPolicy(policy({ enforcing: [], notEnforcing: [{ node: "n1", reason: "the agent does not run as root" }] }));
    expect(none).toContain("Enforcement:    NOT ENFORCED: no node can enforce policies; connections are not filtered:\n  n1: the agent does not run as root");
    const partial = describeNetworkPolicy(policy({ enforcing: ["n1"], notEnforcing: [{ node: "h1", reason: "hollow node" }] }));
    expect(partial).toContain("PARTIAL: enforced on n1; NOT enforced on:\n  h1: hollow node");
  });

  it("an empty selector and an isolating policy without rules read as kubectl says them", () => {
    const deny = { ...policy({ enforcing: [], notEnforcing: [] }), podSelector: "{}", policyTypes: ["Ingress"] as NetworkPolicyDTO["policyTypes"], manifest: { spec: { podSelector: {}, policyTypes: ["Ingress"] } } };
    const text = describeNetworkPolicy(deny);
    expect(text).toContain("PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)");
    expect(text).toContain("  Allowing ingress traffic:\n    <none> (Selected pods are isolated for ingress connectivity)\n  Not affecting egress traffic");
  });
});

describe("describe namespace", () => {
  it("shows its labels, status and contents", () => {
    const text = describeNamespace({ name: "x", labels: { "kubernetes.io/metadata.name": "x" }, status: "Active", pods: 3, networkPolicies: 1, createdAt: "T" }, [policy({ enforcing: [], notEnforcing: [] })]);
    expect(text).toMatch(/Name:\s+x/);
    expect(text).toMatch(/Status:\s+Active/);
    expect(text).toMatch(/NetworkPolicies:\s+db/);
  });
});

describe("net probe output", () => {
  const matrix = (cells: (boolean | null)[][]) => ({ froms: ["x/a", "x/b"], tos: ["x/a", "x/b"], cells });
  const result = (observed: (boolean | null)[][], expected?: boolean[][]): ProbeResultDTO => ({
    pods: ["x/a", "x/b"],
    ports: [{ port: 80, protocol: "TCP", observed: matrix(observed), ...(expected ? { expected: matrix(expected), comparison: { froms: [], tos: [], cells: [], correct: 0, wrong: 0, ignored: 0 } } : {}) }],
    skipped: [{ pod: "x/c", reason: "has no pod IP" }],
    errors: [],
    connections: 4,
    durationMs: 1234,
    policiesInForce: true,
    waitedMs: 3,
  });

  it("prints the matrix upstream's way, with unknown cells as ?", () => {
    const { text, wrong } = renderProbe(result([[true, false], [null, true]]));
    expect(text).toContain("-\tx/a\tx/b\nx/a\t.\tX\nx/b\t?\t.");
    expect(text).toContain("4 connections from 2 pods in 1.23 s; policies in force.");
    expect(text).toContain("skipped x/c: has no pod IP");
    expect(wrong).toBe(0);
  });

  it("with --expect, counts and shows every cell where the dataplane disagrees", () => {
    const { text, wrong } = renderProbe(result([[true, true], [true, true]], [[true, false], [true, true]]));
    // x/a -> x/b connected although the policies block it: one wrong cell (pod-to-itself cells are ignored).
    expect(wrong).toBe(1);
    expect(text).toContain("reachability: correct:1, incorrect:1, result=false");
  });
});
