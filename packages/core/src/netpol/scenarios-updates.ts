// Upstream's scenarios that change something between probes: a policy updated, added or deleted, a pod or a
// namespace relabelled. Each step lists every policy in force and every label added so far.

import { egressPolicy as egress, ingressPolicy as ingress, labelSelector as sel, netpol, probe, type Scenario } from "./scenario-model.js";

const pod = (name: string) => sel("pod", name);

export const UPDATE_SCENARIOS: Scenario[] = [
  {
    // the same policy, first with an allow-all rule, then with none: from open to default deny
    name: "should enforce updated policy",
    source: "upstream",
    steps: (m) => [
      { what: "allow all ingress in x", policies: [ingress("x", "allow-all-mutate-to-deny-all", {}, [{}])], probes: [probe(m, 81)] },
      {
        what: "the policy updated to deny all ingress",
        policies: [ingress("x", "allow-all-mutate-to-deny-all", {}, [])],
        probes: [probe(m, 81, (r) => r.expectPeer({}, { namespace: "x" }, false))],
      },
    ],
  },
  {
    // x/a accepts namespaces labelled ns2=updated: none at first, then y once labelled
    name: "should allow ingress access from updated namespace",
    source: "upstream",
    steps: (m) => {
      const policies = [ingress("x", "allow-client-a-via-ns-selector", pod("a"), [{ from: [{ namespaceSelector: sel("ns2", "updated") }] }])];
      return [
        { what: "no namespace has ns2=updated", policies, probes: [probe(m, 80, (r) => r.expectAllIngress("x/a", false))] },
        {
          what: "namespace y labelled ns2=updated",
          policies,
          namespaceLabels: { y: { ns2: "updated" } },
          probes: [probe(m, 80, (r) => r.expectAllIngress("x/a", false).expectPeer({ namespace: "y" }, {}, true))],
        },
      ];
    },
  },
  {
    // x/a accepts pod=b,pod2=updated: nobody at first, then x/b once labelled (y/b, not in x, never)
    name: "should allow ingress access from updated pod",
    source: "upstream",
    steps: (m) => {
      const bUpdated = { matchLabels: { pod: "b", pod2: "updated" } };
      const policies = [ingress("x", "allow-client-a-via-pod-selector", pod("a"), [{ from: [{ podSelector: bUpdated }] }])];
      return [
        { what: "no pod has pod2=updated", policies, probes: [probe(m, 80, (r) => r.expectAllIngress("x/a", false))] },
        {
          what: "pod x/b labelled pod2=updated",
          policies,
          podLabels: { "x/b": { pod2: "updated" } },
          probes: [probe(m, 80, (r) => r.expectAllIngress("x/a", false).expect("x/b", "x/a", true))],
        },
      ];
    },
  },
  {
    // a deny policy for target=isolated selects nobody, then x/a once labelled
    name: "should deny ingress access to updated pod",
    source: "upstream",
    steps: (m) => {
      const policies = [ingress("x", "deny-ingress-via-label-selector", sel("target", "isolated"), [])];
      return [
        { what: "no pod has target=isolated", policies, probes: [probe(m, 80)] },
        {
          what: "pod x/a labelled target=isolated",
          policies,
          podLabels: { "x/a": { target: "isolated" } },
          probes: [probe(m, 80, (r) => r.expectAllIngress("x/a", false))],
        },
      ];
    },
  },
  {
    // port 80 only, then an allow-all policy next to it: policies add up, so everything is open again
    name: "should enforce multiple ingress policies with ingress allow-all policy taking precedence",
    source: "upstream",
    steps: (m) => {
      const port80 = ingress("x", "allow-ingress-port-80", {}, [{ ports: [{ port: 80 }] }]);
      return [
        { what: "x accepts ingress on port 80 only", policies: [port80], probes: [probe(m, 81, (r) => r.expectPeer({}, { namespace: "x" }, false))] },
        { what: "an allow-all ingress policy added", policies: [port80, ingress("x", "allow-ingress", {}, [{}])], probes: [probe(m, 81)] },
      ];
    },
  },
  {
    // the same with egress: x sends on port 80 only, then anything
    name: "should enforce multiple egress policies with egress allow-all policy taking precedence",
    source: "upstream",
    steps: (m) => {
      const port80 = egress("x", "allow-egress-port-80", {}, [{ ports: [{ port: 80 }] }]);
      return [
        { what: "x sends on port 80 only", policies: [port80], probes: [probe(m, 81, (r) => r.expectPeer({ namespace: "x" }, {}, false))] },
        { what: "an allow-all egress policy added", policies: [port80, egress("x", "allow-egress", {}, [{}])], probes: [probe(m, 81)] },
      ];
    },
  },
  {
    // deny all in and out of x, then no policy at all: everything open again
    name: "should stop enforcing policies after they are deleted",
    source: "upstream",
    steps: (m) => [
      {
        what: "deny all ingress and egress in x",
        policies: [netpol("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })],
        probes: [probe(m, 80, (r) => r.expectPeer({ namespace: "x" }, {}, false).expectPeer({}, { namespace: "x" }, false))],
      },
      { what: "the policy deleted", policies: [], probes: [probe(m, 80)] },
    ],
  },
  {
    // x/a may send anywhere (egress allow-all), then a second policy cuts its ingress: only ingress changes
    name: "should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector",
    source: "upstream",
    steps: (m) => {
      const allowEgress = egress("x", "allow-egress-for-target", pod("a"), [{}]);
      return [
        { what: "x/a may send anywhere", policies: [allowEgress], probes: [probe(m, 80)] },
        {
          what: "x/a denies all ingress",
          policies: [allowEgress, ingress("x", "deny-ingress-via-label-selector", pod("a"), [])],
          probes: [probe(m, 80, (r) => r.expectAllIngress("x/a", false))],
        },
      ];
    },
  },
];
