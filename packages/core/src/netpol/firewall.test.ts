import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrStrictlyWithin, parseCidr } from "./cidr.js";
import { allows, podEndpoint, type NetpolContainerPort, type NetpolNamespace, type NetpolPod } from "./evaluate.js";
import { compilePodFirewall, firewallAllows } from "./firewall.js";
import type { PodFirewall } from "./firewall-types.js";
import { parseNetworkPolicyManifest } from "./manifest.js";
import { modelForStep, NETPOL_SCENARIOS, scenarioModel } from "./scenarios.js";
import type { LabelSelector, NetpolProtocol, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, PolicyType } from "./types.js";

const NAMESPACES: NetpolNamespace[] = [
  { name: "x", labels: { ns: "x" } },
  { name: "y", labels: { ns: "y", env: "prod" } },
];

function pod(namespace: string, name: string, ip: string | undefined, ports: NetpolContainerPort[] = []): NetpolPod {
  return { namespace, name, labels: { pod: name }, ...(ip ? { ip } : {}), ports };
}

const web: NetpolContainerPort[] = [
  { name: "http", containerPort: 8080, protocol: "TCP" },
  { name: "dns", containerPort: 53, protocol: "UDP" },
];
const xa = pod("x", "a", "10.0.1.1", web);
const xb = pod("x", "b", "10.0.1.2", [{ name: "http", containerPort: 9090, protocol: "TCP" }]);
const ya = pod("y", "a", "10.0.2.1", web);
const yb = pod("y", "b", "10.0.2.2");
const yc = pod("y", "c", undefined, web);
const PODS = [xa, xb, ya, yb, yc];

function policy(namespace: string, name: string, spec: unknown): NetworkPolicy {
  const r = parseNetworkPolicyManifest({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.policy;
}

const onA = { matchLabels: { pod: "a" } };
const ingressA = (...rules: unknown[]) => policy("x", "in", { podSelector: onA, ingress: rules });
const egressA = (...rules: unknown[]) => policy("x", "out", { podSelector: onA, policyTypes: ["Egress"], egress: rules });
const host = (ip: string) => ({ cidr: `${ip}/32`, except: [] });
const tcp = (from: number, to = from) => ({ protocol: "TCP" as const, from, to });

describe("compilePodFirewall", () => {
  const cases: { name: string; subject: NetpolPod; policies: NetworkPolicy[]; want: PodFirewall }[] = [
    // nothing selects x/a: open both ways
    { name: "no policies", subject: xa, policies: [], want: { ingress: null, egress: null } },
    // a policy whose podSelector matches no pod isolates no pod
    { name: "policy selecting nothing", subject: xa, policies: [policy("x", "n", { podSelector: { matchLabels: { pod: "zzz" } } })], want: { ingress: null, egress: null } },
    // a policy in y never isolates a pod of x
    { name: "other namespace's policy", subject: xa, policies: [policy("y", "d", { podSelector: {} })], want: { ingress: null, egress: null } },
    // default deny: isolated with no rule at all
    { name: "default deny ingress", subject: xa, policies: [policy("x", "d", { podSelector: {} })], want: { ingress: [], egress: null } },
    // an empty rule ({}): any peer, any port
    { name: "allow-all rule", subject: xa, policies: [ingressA({})], want: { ingress: [{ peers: null, ports: null }], egress: null } },
    // matchExpressions: pod in (a, b) of x -> x/a and x/b, by IP; y's pods are another namespace
    {
      name: "matchExpressions peer",
      subject: xa,
      policies: [ingressA({ from: [{ podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["a", "b"] }] } }] })],
      want: { ingress: [{ peers: [host("10.0.1.1"), host("10.0.1.2")], ports: null }], egress: null },
    },
    // namespaceSelector env=prod: every pod of y that has an IP (y/c has none yet and is left out)
    {
      name: "namespace peer skips pods without IP",
      subject: xa,
      policies: [ingressA({ from: [{ namespaceSelector: { matchLabels: { env: "prod" } } }] })],
      want: { ingress: [{ peers: [host("10.0.2.1"), host("10.0.2.2")], ports: null }], egress: null },
    },
    // the only pod a peer selects has no IP: the rule allows nothing and is dropped (never peers: [])
    {
      name: "peer resolving to nothing drops the rule",
      subject: xa,
      policies: [ingressA({ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: "c" } } }] })],
      want: { ingress: [], egress: null },
    },
    // ipBlock: host bits masked (the normalized network), except kept
    {
      name: "ipBlock with except",
      subject: xa,
      policies: [ingressA({ from: [{ ipBlock: { cidr: "10.0.7.9/16", except: ["10.0.2.0/24"] } }] })],
      want: { ingress: [{ peers: [{ cidr: "10.0.0.0/16", except: ["10.0.2.0/24"] }], ports: null }], egress: null },
    },
    // a pod's /32 inside a plain ipBlock of the same rule adds nothing to the union
    {
      name: "pod covered by an ipBlock of the same rule",
      subject: xa,
      policies: [ingressA({ from: [{ ipBlock: { cidr: "10.0.0.0/16" } }, { podSelector: { matchLabels: { pod: "b" } } }] })],
      want: { ingress: [{ peers: [{ cidr: "10.0.0.0/16", except: [] }], ports: null }], egress: null },
    },
    // endPort: an inclusive range; a second port inside it merges away
    {
      name: "endPort range",
      subject: xa,
      policies: [ingressA({ ports: [{ port: 8000, endPort: 8080 }, { port: 8010 }, { port: 8081 }] })],
      want: { ingress: [{ peers: null, ports: [tcp(8000, 8081)] }], egress: null },
    },
    // a protocol without a port: every port of that protocol
    { name: "protocol only", subject: xa, policies: [ingressA({ ports: [{ protocol: "UDP" }] })], want: { ingress: [{ peers: null, ports: [{ protocol: "UDP", from: 1, to: 65535 }] }], egress: null } },
    // ingress named port: resolved on x/a itself (the destination): http -> 8080; dns is UDP, so a TCP "dns" is nothing
    {
      name: "named port, ingress",
      subject: xa,
      policies: [ingressA({ ports: [{ port: "http" }, { port: "dns" }] })],
      want: { ingress: [{ peers: null, ports: [tcp(8080)] }], egress: null },
    },
    // a named port the pod does not declare: the rule allows nothing
    { name: "unknown named port", subject: xa, policies: [ingressA({ ports: [{ port: "metrics" }] })], want: { ingress: [], egress: null } },
    // egress named port: each destination's own number (x/b's http is 9090, x/a's and y/a's 8080); y/c has no IP
    {
      name: "named port, egress, per destination",
      subject: xa,
      policies: [egressA({ ports: [{ port: "http" }] })],
      want: {
        ingress: null,
        egress: [
          { peers: [host("10.0.1.1")], ports: [tcp(8080)] },
          { peers: [host("10.0.1.2")], ports: [tcp(9090)] },
          { peers: [host("10.0.2.1")], ports: [tcp(8080)] },
        ],
      },
    },
    // egress: numbered ports stay with the peers, named ports go per destination the peers match (y only)
    {
      name: "egress rule with numbered and named ports",
      subject: xa,
      policies: [egressA({ to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 443 }, { port: "dns", protocol: "UDP" }] })],
      want: {
        ingress: null,
        egress: [
          { peers: [host("10.0.2.1"), host("10.0.2.2")], ports: [tcp(443)] },
          { peers: [host("10.0.2.1")], ports: [{ protocol: "UDP", from: 53, to: 53 }] },
        ],
      },
    },
  ];
  it.each(cases)("$name", ({ subject, policies, want }) => {
    expect(compilePodFirewall(subject, PODS, NAMESPACES, policies)).toEqual(want);
  });

  it("gives the same output whatever the order of policies and pods", () => {
    const policies = [
      ingressA({ from: [{ podSelector: {} }], ports: [{ port: 80 }] }),
      policy("x", "b", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16", "10.0.0.0/16"] } }] }] }),
      egressA({ ports: [{ port: "http" }] }),
    ];
    const one = compilePodFirewall(xa, PODS, NAMESPACES, policies);
    const other = compilePodFirewall(xa, [...PODS].reverse(), NAMESPACES, [...policies].reverse());
    expect(JSON.stringify(other)).toBe(JSON.stringify(one));
    expect(one.ingress?.[0]?.peers?.[0]).toEqual({ cidr: "10.0.0.0/8", except: ["10.0.0.0/16", "10.1.0.0/16"] });
  });
});

describe("firewallAllows", () => {
  const open: PodFirewall = { ingress: null, egress: null };
  const cases: { name: string; from: PodFirewall; to: PodFirewall; fromIp?: string; port?: number; protocol?: NetpolProtocol; want: boolean }[] = [
    // neither side isolated
    { name: "open", from: open, to: open, want: true },
    // an isolated side with no rule lets nothing through
    { name: "ingress default deny", from: open, to: { ingress: [], egress: null }, want: false },
    { name: "egress default deny", from: { ingress: null, egress: [] }, to: open, want: false },
    // a peer rule: the source address must be in it
    { name: "ingress from listed peer", from: open, to: { ingress: [{ peers: [host("10.0.1.1")], ports: null }], egress: null }, want: true },
    { name: "ingress from other peer", from: open, to: { ingress: [{ peers: [host("10.0.1.9")], ports: null }], egress: null }, want: false },
    // except cuts a hole in the block
    { name: "in except", from: open, to: { ingress: [{ peers: [{ cidr: "10.0.0.0/16", except: ["10.0.1.0/24"] }], ports: null }], egress: null }, want: false },
    // ports: range inclusive, protocol must match
    { name: "port in range", port: 90, from: open, to: { ingress: [{ peers: null, ports: [tcp(80, 90)] }], egress: null }, want: true },
    { name: "port past range", port: 91, from: open, to: { ingress: [{ peers: null, ports: [tcp(80, 90)] }], egress: null }, want: false },
    { name: "other protocol", protocol: "UDP", from: open, to: { ingress: [{ peers: null, ports: [tcp(80, 90)] }], egress: null }, want: false },
    // a pod to its own address goes over loopback, which is always accepted
    { name: "to itself", fromIp: "10.0.2.1", from: { ingress: [], egress: [] }, to: { ingress: [], egress: [] }, want: true },
    // the egress rule matches the destination's address, not the source's
    { name: "egress to listed peer", from: { ingress: null, egress: [{ peers: [host("10.0.2.1")], ports: null }] }, to: open, want: true },
    { name: "egress, listed peer is the source", from: { ingress: null, egress: [{ peers: [host("10.0.1.1")], ports: null }] }, to: open, want: false },
  ];
  it.each(cases)("$name", ({ from, to, fromIp, port, protocol, want }) => {
    expect(firewallAllows(fromIp ?? "10.0.1.1", from, "10.0.2.1", to, port ?? 80, protocol ?? "TCP")).toBe(want);
  });
});

// ---------------------------------------------------------------- property: compiled firewalls agree with allows()

const PORT_NAMES = ["http", "dns", "metrics"] as const;
const PORT_NUMBERS = [53, 80, 81, 8080] as const;
const PROTOCOLS: NetpolProtocol[] = ["TCP", "UDP", "SCTP"];
/** Each (number, protocol) probed, plus numbers no pod declares, at the edges of the port range. */
const PROBE_PORTS = [1, ...PORT_NUMBERS, 443, 65535];

const labelValue = fc.constantFrom("a", "b", "c");
const labels = fc.dictionary(fc.constantFrom("app", "tier", "ns"), labelValue, { maxKeys: 2 });
const containerPort: fc.Arbitrary<NetpolContainerPort> = fc.record({
  name: fc.constantFrom(...PORT_NAMES),
  containerPort: fc.constantFrom(...PORT_NUMBERS),
  protocol: fc.constantFrom(...PROTOCOLS),
});

/** Pods with unique addresses (v4 and some v6 in one cluster), a few without any yet. */
const clusterPods: fc.Arbitrary<NetpolPod[]> = fc
  .array(
    fc.record({
      namespace: fc.constantFrom("x", "y", "z"),
      labels,
      address: fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom("10.1.0", "10.1.1", "10.2.0") }, { weight: 1, arbitrary: fc.constant("fd00::1") }), { freq: 6 }),
      ports: fc.array(containerPort, { maxLength: 3 }),
    }),
    { minLength: 2, maxLength: 7 },
  )
  .map((specs) =>
    specs.map((s, i): NetpolPod => {
      const ip = s.address === null ? undefined : s.address.includes(":") ? `${s.address}:${i + 1}` : `${s.address}.${i + 1}`;
      return { namespace: s.namespace, name: `p${i}`, labels: s.labels, ...(ip ? { ip } : {}), ports: s.ports };
    }),
  );

const clusterNamespaces: fc.Arbitrary<NetpolNamespace[]> = fc.tuple(labels, labels).map(([x, y]) => [
  { name: "x", labels: x },
  { name: "y", labels: y },
  // z is never listed: it only has the name label
]);

const selector: fc.Arbitrary<LabelSelector> = fc.oneof(
  fc.record({ matchLabels: fc.dictionary(fc.constantFrom("app", "tier", "ns", "kubernetes.io/metadata.name"), fc.constantFrom("a", "b", "x", "y"), { maxKeys: 2 }), matchExpressions: fc.constant<LabelSelector["matchExpressions"]>([]) }),
  fc.record({
    matchLabels: fc.constant({}),
    matchExpressions: fc.array(
      fc.oneof(
        fc.record({ key: fc.constantFrom("app", "tier", "ns"), operator: fc.constantFrom("In" as const, "NotIn" as const), values: fc.array(labelValue, { minLength: 1, maxLength: 2 }) }),
        fc.record({ key: fc.constantFrom("app", "tier"), operator: fc.constantFrom("Exists" as const, "DoesNotExist" as const), values: fc.constant<string[]>([]) }),
      ),
      { minLength: 1, maxLength: 2 },
    ),
  }),
);

const ipBlock: fc.Arbitrary<NetworkPolicyPeer> = fc
  .record({
    cidr: fc.constantFrom("10.1.0.0/16", "10.1.1.0/24", "10.0.0.0/8", "0.0.0.0/0", "fd00::/64", "::/0"),
    except: fc.subarray(["10.1.1.0/24", "10.1.0.1/32", "10.1.0.2/32", "fd00::2/128"]),
  })
  // except only where it lies strictly within the block, as validation demands
  .map((b) => ({ ipBlock: { cidr: b.cidr, except: b.except.filter((e) => cidrStrictlyWithin(parseCidr(e)!, parseCidr(b.cidr)!)) } }));
const peer: fc.Arbitrary<NetworkPolicyPeer> = fc.oneof(
  selector.map((podSelector) => ({ podSelector })),
  selector.map((namespaceSelector) => ({ namespaceSelector })),
  fc.tuple(selector, selector).map(([podSelector, namespaceSelector]) => ({ podSelector, namespaceSelector })),
  ipBlock,
);
const port: fc.Arbitrary<NetworkPolicyPort> = fc.oneof(
  fc.record({ protocol: fc.constantFrom(...PROTOCOLS), port: fc.constantFrom(...PORT_NUMBERS) }),
  fc.record({ protocol: fc.constantFrom(...PROTOCOLS), port: fc.constantFrom(53, 80), endPort: fc.constantFrom(81, 443, 8080) }),
  fc.record({ protocol: fc.constantFrom(...PROTOCOLS), port: fc.constantFrom(...PORT_NAMES) }),
  fc.record({ protocol: fc.constantFrom(...PROTOCOLS) }),
);
const rules = fc.array(fc.record({ peers: fc.array(peer, { maxLength: 3 }), ports: fc.array(port, { maxLength: 3 }) }), { maxLength: 3 });
const policy_: fc.Arbitrary<NetworkPolicy> = fc
  .record({
    namespace: fc.constantFrom("x", "y", "z"),
    podSelector: selector,
    policyTypes: fc.constantFrom<PolicyType[]>(["Ingress"], ["Egress"], ["Ingress", "Egress"]),
    ingress: rules,
    egress: rules,
  })
  .map((p): NetworkPolicy => ({
    name: "p",
    namespace: p.namespace,
    labels: {},
    annotations: {},
    podSelector: p.podSelector,
    policyTypes: p.policyTypes,
    ingress: p.ingress.map((r) => ({ from: r.peers, ports: r.ports })),
    egress: p.egress.map((r) => ({ to: r.peers, ports: r.ports })),
  }));

/** The first (from, to, port, protocol) where the compiled firewalls and allows() disagree, or undefined. */
function disagreement(pods: readonly NetpolPod[], namespaces: readonly NetpolNamespace[], policies: readonly NetworkPolicy[], ports: readonly number[], protocols: readonly NetpolProtocol[]) {
  const firewalls = new Map(pods.map((p) => [p, compilePodFirewall(p, pods, namespaces, policies)]));
  for (const from of pods) {
    for (const to of pods) {
      // traffic needs both addresses; a pod to itself goes over loopback, which upstream's matrices ignore too
      if (!from.ip || !to.ip || from === to) continue;
      for (const portNumber of ports) {
        for (const protocol of protocols) {
          const want = allows(podEndpoint(from), podEndpoint(to), portNumber, protocol, policies, namespaces).allowed;
          const got = firewallAllows(from.ip, firewalls.get(from)!, to.ip, firewalls.get(to)!, portNumber, protocol);
          if (got !== want) return { from: from.name, to: to.name, port: portNumber, protocol, want, got };
        }
      }
    }
  }
  return undefined;
}

describe("compiled firewalls allow exactly what the policies allow", () => {
  it("on random clusters and policies, for every pair, port and protocol", () => {
    fc.assert(
      fc.property(clusterPods, clusterNamespaces, fc.array(policy_, { maxLength: 4 }), (pods, namespaces, policies) => {
        expect(disagreement(pods, namespaces, policies, PROBE_PORTS, PROTOCOLS)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("never writes an empty peer or port list (that would mean any)", () => {
    fc.assert(
      fc.property(clusterPods, clusterNamespaces, fc.array(policy_, { maxLength: 4 }), (pods, namespaces, policies) => {
        for (const p of pods) {
          const fw = compilePodFirewall(p, pods, namespaces, policies);
          for (const r of [...(fw.ingress ?? []), ...(fw.egress ?? [])]) {
            expect(r.peers?.length ?? 1).toBeGreaterThan(0);
            expect(r.ports?.length ?? 1).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it.each(NETPOL_SCENARIOS.map((s) => [s.name, s] as const))("on every step of the scenario %s", (_, scenario) => {
    const model = scenarioModel();
    for (const step of scenario.steps(model)) {
      const policies = step.policies.map((doc) => {
        const r = parseNetworkPolicyManifest(doc);
        if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
        return r.policy;
      });
      const { pods, namespaces } = modelForStep(model, step);
      for (const probe of step.probes) {
        expect(disagreement(pods, namespaces, policies, [probe.port], [probe.protocol]), step.what).toBeUndefined();
        // and against the scenario's own expected matrix (its diagonal is loopback, ignored)
        const firewalls = pods.map((p) => compilePodFirewall(p, pods, namespaces, policies));
        pods.forEach((from, i) =>
          pods.forEach((to, j) => {
            if (i === j) return;
            const got = firewallAllows(from.ip!, firewalls[i]!, to.ip!, firewalls[j]!, probe.port, probe.protocol);
            expect(got, `${step.what}: ${from.namespace}/${from.name} -> ${to.namespace}/${to.name} ${probe.port}/${probe.protocol}`).toBe(probe.expected.cells[i]![j]);
          }),
        );
      }
    }
  });
});
