import { describe, expect, it } from "vitest";
import { LABEL_KEY_RULE, LABEL_VALUE_RULE } from "../contracts.js";
import { networkPolicyToManifest, parseNetworkPolicyManifest } from "./manifest.js";
import type { NetworkPolicy } from "./types.js";

/** A NetworkPolicy manifest named "np"; `spec` replaces the spec, `metadata` patches the metadata. */
function np(spec?: unknown, metadata: object = {}): Record<string, unknown> {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "np", ...metadata },
    ...(spec === undefined ? {} : { spec }),
  };
}

function parsed(doc: unknown): NetworkPolicy {
  const result = parseNetworkPolicyManifest(doc);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join("\n"));
  return result.policy;
}

function messages(doc: unknown): string[] {
  const result = parseNetworkPolicyManifest(doc);
  return result.ok ? [] : result.errors.map((e) => e.message);
}

const ALL = { matchLabels: {}, matchExpressions: [] };
const podA = { matchLabels: { pod: "a" }, matchExpressions: [] };

describe("parseNetworkPolicyManifest accepts and applies Kubernetes' defaulting", () => {
  const cases: { name: string; doc: unknown; want: Partial<NetworkPolicy> }[] = [
    // default-deny-ingress: namespace "default", policyTypes defaults to Ingress, no rules
    {
      name: "default deny ingress",
      doc: np({ podSelector: {} }),
      want: { name: "np", namespace: "default", podSelector: ALL, policyTypes: ["Ingress"], ingress: [], egress: [] },
    },
    // Kubernetes decodes a missing spec as the zero spec: every pod, isolated for ingress
    { name: "no spec", doc: np(), want: { podSelector: ALL, policyTypes: ["Ingress"], ingress: [], egress: [] } },
    // a missing spec.podSelector is the zero selector too: all pods of the namespace
    { name: "no podSelector", doc: np({ policyTypes: ["Egress"] }), want: { podSelector: ALL, policyTypes: ["Egress"] } },
    // egress rules present and policyTypes absent: Ingress and Egress
    {
      name: "egress rules imply Egress",
      doc: np({ podSelector: { matchLabels: { pod: "a" } }, egress: [{}] }),
      want: { podSelector: podA, policyTypes: ["Ingress", "Egress"], egress: [{ to: [], ports: [] }] },
    },
    // an empty egress list is no egress rule: defaulting looks at the number of rules, as Kubernetes' does
    { name: "empty egress list", doc: np({ podSelector: {}, egress: [] }), want: { policyTypes: ["Ingress"], egress: [] } },
    // policyTypes given: kept as given (ingress rules are kept but will not apply)
    {
      name: "explicit Egress only",
      doc: np({ podSelector: {}, policyTypes: ["Egress"], ingress: [{}] }),
      want: { policyTypes: ["Egress"], ingress: [{ from: [], ports: [] }] },
    },
    // "ingress: [ - ]" in YAML is [null]: Kubernetes decodes the zero rule, which allows everything
    { name: "null rule is the empty rule", doc: np({ podSelector: {}, ingress: [null] }), want: { ingress: [{ from: [], ports: [] }] } },
    // every peer kind and port form; protocol defaults to TCP
    {
      name: "peers and ports",
      doc: np({
        podSelector: {},
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { pod: "b" } } },
              { namespaceSelector: { matchExpressions: [{ key: "ns", operator: "In", values: ["y", "z"] }] } },
              { podSelector: {}, namespaceSelector: {} },
              { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
            ],
            ports: [{ port: 80 }, { protocol: "UDP", port: "dns" }, { port: 8000, endPort: 8080 }, { protocol: "SCTP" }],
          },
        ],
      }),
      want: {
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { pod: "b" }, matchExpressions: [] } },
              { namespaceSelector: { matchLabels: {}, matchExpressions: [{ key: "ns", operator: "In", values: ["y", "z"] }] } },
              { podSelector: ALL, namespaceSelector: ALL },
              { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
            ],
            ports: [
              { protocol: "TCP", port: 80 },
              { protocol: "UDP", port: "dns" },
              { protocol: "TCP", port: 8000, endPort: 8080 },
              { protocol: "SCTP" },
            ],
          },
        ],
      },
    },
    // policy names are DNS subdomains: dots are allowed (pods and namespaces are DNS labels)
    { name: "dotted name", doc: np({}, { name: "allow.web", namespace: "x" }), want: { name: "allow.web", namespace: "x" } },
    // Kubernetes' legacy CIDR reading: host bits are accepted (and masked when evaluating)
    {
      name: "cidr with host bits",
      doc: np({ egress: [{ to: [{ ipBlock: { cidr: "10.0.0.1/8" } }] }] }),
      want: { egress: [{ to: [{ ipBlock: { cidr: "10.0.0.1/8", except: [] } }], ports: [] }] },
    },
  ];
  it.each(cases)("$name", ({ doc, want }) => {
    expect(parsed(doc)).toMatchObject(want);
  });
});

describe("parseNetworkPolicyManifest rejects as Kubernetes does, naming the field", () => {
  const ingressFrom = (...from: unknown[]) => np({ podSelector: {}, ingress: [{ from }] });
  const egressPorts = (...ports: unknown[]) => np({ podSelector: {}, egress: [{ ports }] });
  const cases: { name: string; doc: unknown; want: string[] }[] = [
    { name: "not an object", doc: "np", want: ['<root>: Invalid value: "np": must be an object'] },
    {
      name: "wrong apiVersion and kind",
      doc: { ...np({}), apiVersion: "v1", kind: "Policy" },
      want: [
        'apiVersion: Unsupported value: "v1": supported values: "networking.k8s.io/v1"',
        'kind: Unsupported value: "Policy": supported values: "NetworkPolicy"',
      ],
    },
    { name: "no metadata", doc: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" }, want: ["metadata.name: Required value: name or generateName is required"] },
    {
      name: "bad name and namespace",
      doc: np({}, { name: "Web_1", namespace: "team.a" }),
      want: [
        expect.stringMatching(/^metadata\.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of/),
        expect.stringMatching(/^metadata\.namespace: Invalid value: "team\.a": a lowercase RFC 1123 label must consist of/),
      ],
    },
    // strict decoding: the typo names its whole path
    { name: "unknown field", doc: np({ ingress: [{ form: [] }] }), want: ['unknown field "spec.ingress[0].form"'] },
    { name: "unknown top-level field", doc: { ...np({}), status: {} }, want: ['unknown field "status"'] },
    { name: "peer without a peer", doc: ingressFrom({}), want: ["spec.ingress[0].from[0]: Required value: must specify a peer"] },
    {
      name: "ipBlock with a selector",
      doc: ingressFrom({ podSelector: {} }, { ipBlock: { cidr: "10.0.0.0/8" }, namespaceSelector: {} }),
      want: ["spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer"],
    },
    { name: "ipBlock without cidr", doc: ingressFrom({ ipBlock: { except: [] } }), want: ["spec.ingress[0].from[0].ipBlock.cidr: Required value"] },
    {
      name: "invalid cidr",
      doc: ingressFrom({ podSelector: {} }, { ipBlock: { cidr: "10.0.0.0/33" } }),
      want: ['spec.ingress[0].from[1].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'],
    },
    {
      name: "except outside or equal to cidr, or not a cidr",
      doc: ingressFrom({ ipBlock: { cidr: "10.0.0.0/8", except: ["192.168.0.0/16", "10.0.0.0/8", "10.1.0.0"] } }),
      want: [
        'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
        'spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
        'spec.ingress[0].from[0].ipBlock.except[2]: Invalid value: "10.1.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    },
    {
      name: "endPort without port",
      doc: egressPorts({ endPort: 90 }),
      want: ["spec.egress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified"],
    },
    {
      name: "endPort below port",
      doc: egressPorts({ port: 80, endPort: 79 }),
      want: ["spec.egress[0].ports[0].endPort: Invalid value: 79: must be greater than or equal to `port`"],
    },
    {
      name: "endPort with a named port",
      doc: egressPorts({ port: "http", endPort: 90 }),
      want: ["spec.egress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric"],
    },
    {
      name: "port numbers out of range",
      doc: egressPorts({ port: 0 }, { port: 80, endPort: 65536 }),
      want: [
        "spec.egress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.egress[0].ports[1].endPort: Invalid value: 65536: must be between 1 and 65535, inclusive",
      ],
    },
    // a quoted number is a port NAME in Kubernetes (IntOrString), and names need a letter
    { name: "quoted number", doc: egressPorts({ port: "80" }), want: ['spec.egress[0].ports[0].port: Invalid value: "80": must contain at least one letter (a-z)'] },
    {
      name: "unsupported protocol",
      doc: egressPorts({ protocol: "ICMP" }),
      want: ['spec.egress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'],
    },
    {
      name: "policyTypes wrong case",
      doc: np({ policyTypes: ["ingress"] }),
      want: ['spec.policyTypes[0]: Unsupported value: "ingress": supported values: "Ingress", "Egress"'],
    },
    {
      name: "three policyTypes",
      doc: np({ policyTypes: ["Ingress", "Egress", "Ingress"] }),
      want: ['spec.policyTypes: Invalid value: ["Ingress","Egress","Ingress"]: may not specify more than two policyTypes'],
    },
    {
      name: "bad selector operator",
      doc: np({ podSelector: { matchExpressions: [{ key: "pod", operator: "Equals", values: ["a"] }] } }),
      want: ['spec.podSelector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator'],
    },
    {
      name: "In without values, Exists with values",
      doc: np({ podSelector: { matchExpressions: [{ key: "pod", operator: "In" }, { key: "pod", operator: "Exists", values: ["a"] }] } }),
      want: [
        "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.podSelector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      ],
    },
    {
      name: "bad label key and value in selectors",
      doc: ingressFrom({ namespaceSelector: { matchLabels: { "-bad": "x", ns: "x y" } } }),
      want: [
        `spec.ingress[0].from[0].namespaceSelector.matchLabels: Invalid value: "-bad": ${LABEL_KEY_RULE}`,
        `spec.ingress[0].from[0].namespaceSelector.matchLabels[ns]: Invalid value: "x y": ${LABEL_VALUE_RULE}`,
      ],
    },
    {
      name: "bad expression key and value",
      doc: np({ podSelector: { matchExpressions: [{ key: "a b", operator: "NotIn", values: ["ok", "not ok"] }] } }),
      want: [
        `spec.podSelector.matchExpressions[0].key: Invalid value: "a b": ${LABEL_KEY_RULE}`,
        `spec.podSelector.matchExpressions[0].values[1]: Invalid value: "not ok": ${LABEL_VALUE_RULE}`,
      ],
    },
    // every error at once, in manifest order, as kubectl prints them
    {
      name: "several errors",
      doc: np({ ingress: [{ ports: [{ port: 0 }], from: [{}] }], egress: [{ to: [{ ipBlock: { cidr: "x" } }] }] }),
      want: [
        "spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.ingress[0].from[0]: Required value: must specify a peer",
        'spec.egress[0].to[0].ipBlock.cidr: Invalid value: "x": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    },
  ];
  it.each(cases)("$name", ({ doc, want }) => {
    expect(messages(doc)).toEqual(want);
  });
});

describe("networkPolicyToManifest", () => {
  it("prints what kubectl get -o yaml prints: defaults shown, empty parts left out", () => {
    expect(networkPolicyToManifest(parsed(np({ podSelector: {} }, { namespace: "x" })))).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "np", namespace: "x" },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });
  });

  it("reads back to the same policy", () => {
    const policy = parsed(
      np(
        {
          podSelector: { matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "Exists" }] },
          policyTypes: ["Ingress", "Egress"],
          ingress: [
            {},
            {
              from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: "a" } } }],
              ports: [{ port: "serve-80-tcp" }, { protocol: "UDP", port: 53, endPort: 54 }],
            },
          ],
          egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }, { ipBlock: { cidr: "::/0" } }] }],
        },
        { namespace: "x", labels: { team: "a" }, annotations: { note: "free text" } },
      ),
    );
    expect(parsed(networkPolicyToManifest(policy))).toEqual(policy);
    expect(networkPolicyToManifest(policy).spec).toMatchObject({
      ingress: [{}, { ports: [{ protocol: "TCP", port: "serve-80-tcp" }, { protocol: "UDP", port: 53, endPort: 54 }] }],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }, { ipBlock: { cidr: "::/0" } }] }],
    });
  });
});
