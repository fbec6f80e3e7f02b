// Upstream's port and protocol scenarios (numbered ports, named ports, protocol-only ports, SCTP and UDP rules
// that must not let TCP through), ported to the full x/y/z x a/b/c model, and Kube-9's own endPort scenarios
// (upstream's merged suite has none: its endPort tests only check the API accepts the field).

import { ingressPolicy as ingress, labelSelector as sel, oneStep, probe, type Reachability, type Scenario } from "./scenario-model.js";

const pod = (name: string) => sel("pod", name);
const nsY = sel("ns", "y");
const xa = { namespace: "x", pod: "a" };
/** x/a accepts namespace y on one port (number or name) over TCP. */
const yOnPort = (name: string, port: number | string) =>
  ingress("x", name, pod("a"), [{ from: [{ namespaceSelector: nsY }], ports: [{ port, protocol: "TCP" }] }]);

/** Only namespace y reaches x/a: x and z are refused. */
const onlyYIntoXa = (r: Reachability) => r.expectPeer({ namespace: "x" }, xa, false).expectPeer({ namespace: "z" }, xa, false);

/** A TCP-probed scenario where x/a's only ingress rule is for another protocol: everything into x/a is refused. */
function otherProtocolOnly(name: string, policyName: string, port: number, protocol: string, extra: Record<string, unknown>[] = []): Scenario {
  return oneStep(name, (m) => ({
    what: `x/a accepts ingress only over ${protocol} on port ${port}`,
    policies: [...extra, ingress("x", policyName, pod("a"), [{ ports: [{ port, protocol }] }])],
    probes: [probe(m, 81, (r) => (extra.length > 0 ? r.expectPeer({}, { namespace: "x" }, false) : r.expectAllIngress("x/a", false)))],
  }));
}

export const PORT_SCENARIOS: Scenario[] = [
  // namespace y on port 81 only; Kube-9 also probes port 80, where the same policy lets nobody into x/a
  oneStep("should enforce policy based on Ports", (m) => ({
    what: "x/a accepts ingress from namespace y on port 81",
    policies: [yOnPort("allow-client-a-via-ns-selector", 81)],
    probes: [probe(m, 81, onlyYIntoXa), probe(m, 80, (r) => r.expectAllIngress("x/a", false))],
  })),
  {
    // two policies select x/a, one per port: the second opens port 80 exactly as the first opened 81
    name: "should enforce multiple, stacked policies with overlapping podSelectors",
    source: "upstream",
    steps: (m) => {
      const port81 = yOnPort("allow-client-a-via-ns-selector", 81);
      const port80 = yOnPort("allow-client-a-via-ns-selector-80", 80);
      return [
        {
          what: "a policy for port 81 only",
          policies: [port81],
          probes: [probe(m, 81, onlyYIntoXa), probe(m, 80, (r) => r.expectAllIngress("x/a", false))],
        },
        { what: "a second policy for port 80", policies: [port81, port80], probes: [probe(m, 80, onlyYIntoXa), probe(m, 81, onlyYIntoXa)] },
      ];
    },
  },
  {
    // an empty ingress rule allows everything on every port
    name: "should support allow-all policy",
    source: "upstream",
    steps: (m) => [{ what: "allow all ingress in x", policies: [ingress("x", "allow-all", {}, [{}])], probes: [probe(m, 80), probe(m, 81)] }],
  },
  // serve-81-tcp resolves to 81 on every pod of x: 81 open to all, 80 closed to all
  oneStep("should allow ingress access on one named port", (m) => ({
    what: "x accepts ingress on its named port serve-81-tcp only",
    policies: [ingress("x", "allow-all", {}, [{ ports: [{ port: "serve-81-tcp" }] }])],
    probes: [probe(m, 81), probe(m, 80, (r) => r.expectPeer({}, { namespace: "x" }, false))],
  })),
  // namespace y on x/a's serve-80-tcp: port 80 from y only, port 81 from nobody
  oneStep("should allow ingress access from namespace on one named port", (m) => ({
    what: "x/a accepts ingress from namespace y on its named port serve-80-tcp",
    policies: [yOnPort("allow-client-a-via-ns-selector-80", "serve-80-tcp")],
    probes: [probe(m, 80, onlyYIntoXa), probe(m, 81, (r) => r.expectAllIngress("x/a", false))],
  })),
  // a port entry with a protocol and no port: every TCP port; UDP is refused by x/a's isolation
  oneStep("should enforce ingress policy allowing any port traffic to a server on a specific protocol", (m) => ({
    what: "x/a accepts ingress on any TCP port",
    policies: [ingress("x", "allow-ingress-by-proto", pod("a"), [{ ports: [{ protocol: "TCP" }] }])],
    probes: [probe(m, 80), probe(m, 80, (r) => r.expectPeer({}, xa, false), "UDP")],
  })),
  // default deny in x plus an SCTP-only allow for x/a: TCP 81 must stay closed everywhere in x
  otherProtocolOnly(
    "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
    "allow-only-sctp-ingress-on-port-81",
    81,
    "SCTP",
    [ingress("x", "deny-ingress", {}, [])],
  ),
  // an SCTP-only policy still isolates x/a: TCP 81 is refused
  otherProtocolOnly(
    "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP",
    "allow-only-sctp-ingress-on-port-80",
    80,
    "SCTP",
  ),
  // a UDP-only rule does not open TCP 81
  otherProtocolOnly("should not allow access by TCP when a policy specifies only UDP", "allow-only-udp-ingress-on-port-81", 81, "UDP"),
  // 80..81 from namespace y: both ports open from y, closed from x and z
  oneStep("should allow ingress traffic from a namespace on a port range (endPort)", (m) => ({
    what: "x/a accepts ingress from namespace y on ports 80 to 81",
    policies: [ingress("x", "allow-y-80-81", pod("a"), [{ from: [{ namespaceSelector: nsY }], ports: [{ port: 80, endPort: 81 }] }])],
    probes: [probe(m, 80, onlyYIntoXa), probe(m, 81, onlyYIntoXa)],
  }), "kube-9"),
  // 81..82 starts above 80: 81 open to all, 80 closed to all
  oneStep("should not allow ingress traffic below a port range (endPort)", (m) => ({
    what: "x/a accepts ingress on ports 81 to 82",
    policies: [ingress("x", "allow-81-82", pod("a"), [{ ports: [{ port: 81, endPort: 82 }] }])],
    probes: [probe(m, 81), probe(m, 80, (r) => r.expectAllIngress("x/a", false))],
  }), "kube-9"),
];
