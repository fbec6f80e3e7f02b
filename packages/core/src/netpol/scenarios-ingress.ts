// Upstream's ingress scenarios (test/e2e/network/netpol/network_policy.go), ported to the full x/y/z x a/b/c model.
// Upstream now runs each test on the few pods it needs; where the full model adds pods its expectation leaves out,
// the comment says what they add. Policies are written as upstream builds them: SetSpecIngressRules sets
// policyTypes [Ingress].

import { expression, ingressPolicy as ingress, labelSelector as sel, netpol, oneStep, probe, type Scenario } from "./scenario-model.js";
import { NAMESPACE_NAME_LABEL } from "./types.js";

const pod = (name: string) => sel("pod", name);
const ns = (name: string) => sel("ns", name);
const xa = { namespace: "x", pod: "a" };
const notX = expression("ns", "NotIn", "x");
const denyIngress = (namespace: string, name = "deny-ingress") => ingress(namespace, name, {}, []);

/** Scenario `name`: policy `policyName` lets into x/a only the `from` peers; of all pods, only `allowed` get in. */
function onlyIntoXa(name: string, policyName: string, from: object[], allowed: string[]): Scenario {
  return oneStep(name, (m) => ({
    what: "x/a accepts ingress only from the listed peers",
    policies: [ingress("x", policyName, pod("a"), [{ from }])],
    probes: [probe(m, 80, (r) => allowed.reduce((acc, source) => acc.expect(source, "x/a", true), r.expectAllIngress("x/a", false)))],
  }));
}

/** Scenario `name`: x/a accepts only from namespace y (every pod there), so x and z are refused. */
function onlyFromY(name: string, namespaceSelector: object): Scenario {
  return oneStep(name, (m) => ({
    what: "x/a accepts ingress only from namespace y",
    policies: [ingress("x", "allow-client-a-via-ns-selector", pod("a"), [{ from: [{ namespaceSelector }] }])],
    probes: [probe(m, 80, (r) => r.expectPeer({ namespace: "x" }, xa, false).expectPeer({ namespace: "z" }, xa, false))],
  }));
}

export const INGRESS_SCENARIOS: Scenario[] = [
  // an empty podSelector with no ingress rule: nothing gets into any pod of x, x itself included
  oneStep("should support a 'default-deny-ingress' policy", (m) => ({
    what: "default deny ingress in x",
    policies: [denyIngress("x")],
    probes: [probe(m, 80, (r) => r.expectPeer({}, { namespace: "x" }, false))],
  })),
  // both types, no rules: x neither receives nor sends
  oneStep("should support a 'default-deny-all' policy", (m) => ({
    what: "default deny ingress and egress in x",
    policies: [netpol("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })],
    probes: [probe(m, 80, (r) => r.expectPeer({}, { namespace: "x" }, false).expectPeer({ namespace: "x" }, {}, false))],
  })),
  // a podSelector alone is x's pods only: x/b gets in, y/b (also pod=b) does not
  onlyIntoXa(
    "should enforce policy to allow traffic from pods within server namespace based on PodSelector",
    "x-a-allows-x-b", [{ podSelector: pod("b") }], ["x/b"],
  ),
  // deny-all in x, then a policy for x/a allowing every pod of every namespace: x/a open, x/b and x/c closed
  // (upstream's 3-pod version names x/b only; x/c is closed the same way)
  oneStep("should enforce policy to allow ingress traffic for a target", (m) => ({
    what: "deny all ingress in x, allow all ingress to x/a",
    policies: [denyIngress("x", "deny-all"), ingress("x", "allow-all-to-a", pod("a"), [{ from: [{ podSelector: {}, namespaceSelector: {} }] }])],
    probes: [probe(m, 80, (r) => r.expectPeer({}, { namespace: "x" }, false).expectAllIngress("x/a", true))],
  })),
  // namespaceSelector {} is every namespace, x included: nothing changes
  oneStep("should enforce policy to allow ingress traffic from pods in all namespaces", (m) => ({
    what: "x/a accepts ingress from every namespace",
    policies: [ingress("x", "allow-from-another-ns", pod("a"), [{ from: [{ namespaceSelector: { matchLabels: {} } }] }])],
    probes: [probe(m, 80)],
  })),
  // namespaceSelector alone: every pod of y, and no pod of x (its own namespace) or z
  onlyFromY(
    "should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector",
    ns("y"),
  ),
  // matchExpressions In [b]: the same as matchLabels pod=b
  onlyIntoXa(
    "should enforce policy based on PodSelector with MatchExpressions",
    "x-a-allows-x-b", [{ podSelector: expression("pod", "In", "b") }], ["x/b"],
  ),
  // matchExpressions In [y] on the namespace label: the same as matchLabels ns=y
  onlyFromY(
    "should enforce policy based on NamespaceSelector with MatchExpressions",
    expression("ns", "In", "y"),
  ),
  // two peers are OR: any pod outside x, or x/b; so of x's pods only x/b gets in
  oneStep("should enforce policy based on PodSelector or NamespaceSelector", (m) => ({
    what: "x/a accepts ingress from namespaces other than x, or from pod=b in x",
    policies: [ingress("x", "allow-ns-y-match-selector", pod("a"), [{ from: [{ namespaceSelector: notX }, { podSelector: pod("b") }] }])],
    probes: [probe(m, 80, (r) => r.expect("x/a", "x/a", false).expect("x/c", "x/a", false))],
  })),
  // one peer with both selectors is AND: pod=b outside x, so y/b and z/b only
  oneStep("should enforce policy based on PodSelector and NamespaceSelector", (m) => ({
    what: "x/a accepts ingress from pod=b in namespaces other than x",
    policies: [ingress("x", "allow-ns-y-podselector-and-nsselector", pod("a"), [{ from: [{ namespaceSelector: notX, podSelector: pod("b") }] }])],
    probes: [probe(m, 80, (r) => r.expectAllIngress("x/a", false).expect("y/b", "x/a", true).expect("z/b", "x/a", true))],
  })),
  // pod in (b,c) AND namespace not x: y/b, y/c, z/b, z/c (upstream's 5-pod version lacks z/a, refused too)
  oneStep("should enforce policy based on Multiple PodSelectors and NamespaceSelectors", (m) => ({
    what: "x/a accepts ingress from pods b and c outside x",
    policies: [
      ingress("x", "allow-ns-y-z-pod-b-c", pod("a"), [{ from: [{ namespaceSelector: notX, podSelector: expression("pod", "In", "b", "c") }] }]),
    ],
    probes: [probe(m, 80, (r) => r.expectPeer({ namespace: "x" }, xa, false).expect("y/a", "x/a", false).expect("z/a", "x/a", false))],
  })),
  // two podSelector peers: x/b or x/c
  onlyIntoXa(
    "should enforce policy based on any PodSelectors",
    "allow-ns-x-pod-b-c", [{ podSelector: pod("b") }, { podSelector: pod("c") }], ["x/b", "x/c"],
  ),
  // namespace y AND pod a: y/a only
  oneStep("should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", (m) => ({
    what: "x/a accepts ingress from y/a only",
    policies: [
      ingress("x", "allow-ns-y-pod-a-via-namespace-pod-selector", pod("a"), [{ from: [{ namespaceSelector: ns("y"), podSelector: pod("a") }] }]),
    ],
    probes: [probe(m, 80, (r) => r.expectAllIngress("x/a", false).expect("y/a", "x/a", true))],
  })),
  // a podSelector {} peer is every pod of x, and of no other namespace
  oneStep("should deny ingress from pods on other namespaces", (m) => ({
    what: "x accepts ingress from x only",
    policies: [ingress("x", "deny-empty-policy", {}, [{ from: [{ podSelector: { matchLabels: {} } }] }])],
    probes: [
      probe(m, 80, (r) => r.expectPeer({ namespace: "y" }, { namespace: "x" }, false).expectPeer({ namespace: "z" }, { namespace: "x" }, false)),
    ],
  })),
  // the kubernetes.io/metadata.name label Kubernetes sets on every namespace selects y by name
  onlyFromY(
    "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label",
    sel(NAMESPACE_NAME_LABEL, "y"),
  ),
];
