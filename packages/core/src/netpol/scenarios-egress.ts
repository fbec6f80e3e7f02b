// Upstream's egress scenarios, ipBlock ones included, ported to the full x/y/z x a/b/c model, and Kube-9's egress
// endPort scenario. Policies are written as upstream builds them: SetSpecEgressRules sets policyTypes [Egress].

import { cidrAround } from "./cidr.js";
import {
  egressPolicy as egress,
  expression,
  ingressPolicy as ingress,
  labelSelector as sel,
  netpol,
  oneStep,
  podIp,
  probe,
  type Scenario,
} from "./scenario-model.js";
import { NAMESPACE_NAME_LABEL } from "./types.js";

const pod = (name: string) => sel("pod", name);

export const EGRESS_SCENARIOS: Scenario[] = [
  // serve-80-tcp is looked up on each destination: every pod serves it on 80, so 80 goes anywhere, 81 nowhere
  oneStep("should allow egress access on one named port", (m) => ({
    what: "x sends only to named port serve-80-tcp",
    policies: [egress("x", "allow-egress", {}, [{ ports: [{ port: "serve-80-tcp" }] }])],
    probes: [probe(m, 80), probe(m, 81, (r) => r.expectPeer({ namespace: "x" }, {}, false))],
  })),
  oneStep("should deny egress from pods based on PodSelector", (m) => ({
    what: "x/a sends nothing",
    policies: [egress("x", "deny-egress-pod-a", pod("a"), [])],
    probes: [probe(m, 80, (r) => r.expectAllEgress("x/a", false))],
  })),
  oneStep("should deny egress from all pods in a namespace", (m) => ({
    what: "x sends nothing",
    policies: [egress("x", "deny-egress-ns-x", {}, [])],
    probes: [probe(m, 80, (r) => r.expectPeer({ namespace: "x" }, {}, false))],
  })),
  // one policy, both types: x/a takes only x/b, and sends only to port 80
  oneStep("should work with Ingress, Egress specified together", (m) => ({
    what: "x/a accepts ingress from x/b, sends on port 80 only",
    policies: [
      netpol("x", "allow-client-a-via-pod-selector", {
        podSelector: pod("a"),
        policyTypes: ["Egress", "Ingress"],
        ingress: [{ from: [{ podSelector: pod("b") }] }],
        egress: [{ ports: [{ port: 80 }] }],
      }),
    ],
    probes: [
      probe(m, 80, (r) => r.expectAllIngress("x/a", false).expect("x/b", "x/a", true)),
      probe(m, 81, (r) => r.expectAllIngress("x/a", false).expectAllEgress("x/a", false).expect("x/b", "x/a", true)),
    ],
  })),
  {
    // y/a and y/b both accept x/a, but x/a may only send to y/a: the client's egress wins for y/b
    name: "should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)",
    source: "upstream",
    steps: (m) => {
      const fromXa = [{ from: [{ namespaceSelector: sel("ns", "x"), podSelector: pod("a") }] }];
      return [
        {
          what: "x/a sends only to y/a; y/a and y/b accept only x/a",
          policies: [
            egress("x", "allow-to-ns-y-pod-a", pod("a"), [{ to: [{ namespaceSelector: sel("ns", "y"), podSelector: pod("a") }] }]),
            ingress("y", "allow-from-xa-on-ya-match-selector", pod("a"), fromXa),
            ingress("y", "allow-from-xa-on-yb-match-selector", pod("b"), fromXa),
          ],
          probes: [
            probe(m, 80, (r) =>
              r
                .expectPeer({ namespace: "x", pod: "a" }, {}, false)
                .expectPeer({}, { namespace: "y", pod: "a" }, false)
                .expectPeer({ namespace: "x", pod: "a" }, { namespace: "y", pod: "a" }, true)
                .expectPeer({}, { namespace: "y", pod: "b" }, false),
            ),
          ],
        },
      ];
    },
  },
  oneStep("should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector", (m) => ({
    what: "x/a sends only to y/a",
    policies: [egress("x", "allow-to-ns-y-pod-a", pod("a"), [{ to: [{ namespaceSelector: sel("ns", "y"), podSelector: pod("a") }] }])],
    probes: [probe(m, 80, (r) => r.expectAllEgress("x/a", false).expect("x/a", "y/a", true))],
  })),
  // ipBlock of y/b's IP /32: x/a reaches y/b only (ipBlock matches pod IPs)
  oneStep("should allow egress access to server in CIDR block", (m) => ({
    what: "x/a sends only to y/b's IP",
    policies: [egress("x", "allow-client-a-via-cidr-egress-rule", pod("a"), [{ to: [{ ipBlock: { cidr: `${podIp(m, "y/b")}/32` } }] }])],
    probes: [probe(m, 80, (r) => r.expectAllEgress("x/a", false).expect("x/a", "y/b", true))],
  })),
  {
    // a /4 around x/b's IP (which holds every pod IP of the model) except x/b itself
    name: "should enforce except clause while egress access to server in CIDR block",
    source: "upstream",
    steps: (m) => {
      const ipBlock = { cidr: cidrAround(podIp(m, "x/b"), 4), except: [`${podIp(m, "x/b")}/32`] };
      return [
        {
          what: "x/a sends to a large block around x/b's IP, except x/b",
          policies: [egress("x", "allow-client-a-via-cidr-egress-rule", pod("a"), [{ to: [{ ipBlock }] }])],
          probes: [probe(m, 80, (r) => r.expect("x/a", "x/b", false))],
        },
      ];
    },
  },
  {
    // the except above, then the policy updated to x/b's IP alone: x/b becomes x/a's only destination
    name: "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed",
    source: "upstream",
    steps: (m) => {
      const xb = `${podIp(m, "x/b")}/32`;
      const name = "allow-client-a-via-cidr-egress-rule";
      return [
        {
          what: "x/a sends to a large block around x/b's IP, except x/b",
          policies: [egress("x", name, pod("a"), [{ to: [{ ipBlock: { cidr: cidrAround(podIp(m, "x/b"), 4), except: [xb] } }] }])],
          probes: [probe(m, 80, (r) => r.expect("x/a", "x/b", false))],
        },
        {
          what: "the policy updated to x/b's IP alone",
          policies: [egress("x", name, pod("a"), [{ to: [{ ipBlock: { cidr: xb } }] }])],
          probes: [probe(m, 80, (r) => r.expectAllEgress("x/a", false).expect("x/a", "x/b", true))],
        },
      ];
    },
  },
  // NotIn [y] on the name label Kubernetes sets: x/a reaches x and z, not y
  oneStep("should enforce policy based on NamespaceSelector with MatchExpressions using default ns label", (m) => ({
    what: "x/a sends only to namespaces other than y",
    policies: [
      egress("x", "allow-ns-y-match-selector-for-immutable-ns-label", pod("a"), [
        { to: [{ namespaceSelector: expression(NAMESPACE_NAME_LABEL, "NotIn", "y") }] },
      ]),
    ],
    probes: [probe(m, 80, (r) => r.expectPeer({ namespace: "x", pod: "a" }, { namespace: "y" }, false))],
  })),
  // 79..80 ends below 81: x/a sends on 80 anywhere, on 81 nowhere
  oneStep("should allow egress traffic on a port range only (endPort)", (m) => ({
    what: "x/a sends on ports 79 to 80 only",
    policies: [egress("x", "allow-79-80", pod("a"), [{ ports: [{ port: 79, endPort: 80 }] }])],
    probes: [probe(m, 80), probe(m, 81, (r) => r.expectAllEgress("x/a", false))],
  }), "kube-9"),
];
