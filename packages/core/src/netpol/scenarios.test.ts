import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrAround } from "./cidr.js";
import { allows, podEndpoint, type NetpolPod } from "./evaluate.js";
import { parseNetworkPolicyManifest } from "./manifest.js";
import { expectedMatrix, formatMatrix } from "./matrix.js";
import { modelForStep, NETPOL_SCENARIOS, scenarioModel, type ScenarioModel } from "./scenarios.js";
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, PolicyType } from "./types.js";

function policiesOf(manifests: Record<string, unknown>[]): NetworkPolicy[] {
  return manifests.map((doc) => {
    const r = parseNetworkPolicyManifest(doc);
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
    return r.policy;
  });
}

// The default model, and one with addresses like a real node's pod range: no scenario may depend on the defaults.
const MODELS: [string, ScenarioModel][] = [
  ["default IPs", scenarioModel()],
  ["192.168 IPs", scenarioModel(Object.fromEntries(scenarioModel().pods.map((p, i) => [`${p.namespace}/${p.name}`, `192.168.${7 + i}.${20 + i}`])))],
];

const cases = NETPOL_SCENARIOS.flatMap((scenario) => MODELS.map(([ips, model]) => ({ name: `${scenario.name} (${ips})`, scenario, model })));

describe("scenarios: Kubernetes' expected matrices against the policy semantics", () => {
  it.each(cases)("$name", ({ scenario, model }) => {
    for (const [i, step] of scenario.steps(model).entries()) {
      const policies = policiesOf(step.policies);
      const stepModel = modelForStep(model, step);
      for (const p of step.probes) {
        const got = expectedMatrix(stepModel.pods, stepModel.namespaces, policies, p.port, p.protocol);
        // the printed tables, so a failure shows the disagreeing cells
        expect(formatMatrix(got), `step ${i + 1} (${step.what}), ${p.port}/${p.protocol}`).toBe(formatMatrix(p.expected));
      }
    }
  });

  it("ports at least 15 upstream scenarios, each name once, each with a TCP probe for the real-connection suite", () => {
    const upstream = NETPOL_SCENARIOS.filter((s) => s.source === "upstream");
    expect(upstream.length).toBeGreaterThanOrEqual(15);
    expect(new Set(NETPOL_SCENARIOS.map((s) => s.name)).size).toBe(NETPOL_SCENARIOS.length);
    for (const s of NETPOL_SCENARIOS) {
      expect(s.steps(scenarioModel()).some((step) => step.probes.some((p) => p.protocol === "TCP")), s.name).toBe(true);
    }
  });

  it("every expected matrix is 9x9, rows and columns x/a .. z/c", () => {
    const names = ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"];
    for (const s of NETPOL_SCENARIOS) {
      for (const step of s.steps(scenarioModel())) {
        for (const p of step.probes) {
          const shape = { froms: p.expected.froms, tos: p.expected.tos, rows: p.expected.cells.map((r) => r.length) };
          expect(shape).toEqual({ froms: names, tos: names, rows: names.map(() => 9) });
        }
      }
    }
  });
});

// ---------------------------------------------------------------- property: policies only add

const MODEL = scenarioModel();
const selector = fc.constantFrom<LabelSelector>(
  { matchLabels: {}, matchExpressions: [] },
  { matchLabels: { pod: "a" }, matchExpressions: [] },
  { matchLabels: { ns: "y" }, matchExpressions: [] },
  { matchLabels: {}, matchExpressions: [{ key: "pod", operator: "In", values: ["a", "b"] }] },
  { matchLabels: {}, matchExpressions: [{ key: "pod", operator: "NotIn", values: ["c"] }] },
  { matchLabels: {}, matchExpressions: [{ key: "ns", operator: "NotIn", values: ["x"] }] },
  { matchLabels: {}, matchExpressions: [{ key: "pod", operator: "Exists", values: [] }] },
  { matchLabels: {}, matchExpressions: [{ key: "pod", operator: "DoesNotExist", values: [] }] },
);
const ips = MODEL.pods.map((p) => p.ip as string);
const peer: fc.Arbitrary<NetworkPolicyPeer> = fc.oneof(
  selector.map((podSelector) => ({ podSelector })),
  selector.map((namespaceSelector) => ({ namespaceSelector })),
  fc.tuple(selector, selector).map(([podSelector, namespaceSelector]) => ({ podSelector, namespaceSelector })),
  fc.tuple(fc.constantFrom(...ips), fc.constantFrom(...ips), fc.constantFrom(16, 24), fc.boolean()).map(([ip, other, prefix, withExcept]) => {
    // the model's pods are 10.9.<ns>.<pod>: a /16 holds them all, a /24 one namespace; except only within the block
    const cidr = cidrAround(ip, prefix);
    return { ipBlock: { cidr, except: withExcept && cidrAround(other, prefix) === cidr ? [`${other}/32`] : [] } };
  }),
);
const port = fc.constantFrom<NetworkPolicyPort>(
  { protocol: "TCP", port: 80 },
  { protocol: "TCP", port: 81 },
  { protocol: "TCP", port: 80, endPort: 81 },
  { protocol: "TCP", port: "serve-81-tcp" },
  { protocol: "UDP", port: 80 },
  { protocol: "TCP" },
);
const rules = fc.array(fc.record({ peers: fc.array(peer, { maxLength: 2 }), ports: fc.array(port, { maxLength: 2 }) }), { maxLength: 2 });
const policy: fc.Arbitrary<NetworkPolicy> = fc
  .record({
    namespace: fc.constantFrom("x", "y", "z"),
    podSelector: selector,
    policyTypes: fc.constantFrom<PolicyType[]>(["Ingress"], ["Egress"], ["Ingress", "Egress"]),
    ingress: rules,
    egress: rules,
  })
  .map((p) => ({
    name: "p",
    namespace: p.namespace,
    labels: {},
    annotations: {},
    podSelector: p.podSelector,
    policyTypes: p.policyTypes,
    ingress: p.ingress.map((r) => ({ from: r.peers, ports: r.ports })),
    egress: p.egress.map((r) => ({ to: r.peers, ports: r.ports })),
  }));

describe("policies are additive", () => {
  const pairs: [NetpolPod, NetpolPod][] = MODEL.pods.flatMap((from) => MODEL.pods.map((to): [NetpolPod, NetpolPod] => [from, to]));

  it("adding policies never unisolates a pod, and never takes away what an isolated side already allowed", () => {
    fc.assert(
      fc.property(fc.array(policy, { maxLength: 4 }), fc.array(policy, { minLength: 1, maxLength: 3 }), (p, q) => {
        for (const [from, to] of pairs) {
          for (const portNumber of [80, 81]) {
            const before = allows(podEndpoint(from), podEndpoint(to), portNumber, "TCP", p, MODEL.namespaces);
            const after = allows(podEndpoint(from), podEndpoint(to), portNumber, "TCP", [...q, ...p], MODEL.namespaces);
            for (const side of ["egress", "ingress"] as const) {
              if (before[side].isolated && !after[side].isolated) return false;
              if (before[side].isolated && before[side].allowed && !after[side].allowed) return false;
            }
            // and the order of the policies never matters
            const reversed = allows(podEndpoint(from), podEndpoint(to), portNumber, "TCP", [...p, ...q].reverse(), MODEL.namespaces);
            if (reversed.allowed !== after.allowed) return false;
          }
        }
        return true;
      }),
    );
  });
});
