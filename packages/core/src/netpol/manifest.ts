// A NetworkPolicy manifest (networking.k8s.io/v1) read strictly, as pod manifests are: every error collected with
// its path, worded as Kubernetes' ValidateNetworkPolicy words it; unknown fields are errors (kubectl
// --validate=strict); Kubernetes' defaulting applied (namespace, policyTypes, protocol TCP).

import { LIMITS } from "../config.js";
import { isValidLabelKey, isValidLabelValue, LABEL_KEY_RULE, LABEL_VALUE_RULE } from "../contracts.js";
import { child, FieldErrors, type FieldError } from "../pods/field-errors.js";
import { DEFAULT_NAMESPACE } from "../pods/manifest.js";
import { checkPortNumber, portNameProblems } from "../pods/probe-manifest.js";
import { cidrStrictlyWithin, parseCidr } from "./cidr.js";
import { readLabelSelector, selectorToManifest } from "./selector-manifest.js";
import {
  emptySelector,
  NETPOL_PROTOCOLS,
  POLICY_TYPES,
  type IPBlock,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyType,
} from "./types.js";

export const NETWORK_POLICY_API_VERSION = "networking.k8s.io/v1";
export const NETWORK_POLICY_KIND = "NetworkPolicy";

export type NetworkPolicyManifestResult = { ok: true; policy: NetworkPolicy } | { ok: false; errors: FieldError[] };

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start " +
  "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_RULE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " +
  "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const CIDR_RULE = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

// YAML's "- " (an empty list item) is null; Kubernetes decodes it as the zero value, so Kube-9 does too.
const orEmpty = (value: unknown): unknown => (value === null ? {} : value);

type Metadata = Pick<NetworkPolicy, "name" | "namespace" | "labels" | "annotations">;

function readMetadata(errs: FieldErrors, value: unknown): Metadata {
  const out: Metadata = { name: "", namespace: DEFAULT_NAMESPACE, labels: {}, annotations: {} };
  if (value === undefined || value === null) {
    errs.required("metadata.name", "name or generateName is required");
    return out;
  }
  const meta = errs.object(value, "metadata", ["name", "generateName", "namespace", "labels", "annotations"]);
  if (!meta) return out;
  if (meta.generateName !== undefined) errs.forbidden("metadata.generateName", "not supported by Kube-9; set metadata.name");
  const name = errs.string(meta.name, "metadata.name", true);
  // Policy names are DNS subdomains (dots allowed), unlike namespaces and pods.
  if (name !== undefined && name.length > 253) errs.invalid("metadata.name", name, "must be no more than 253 characters");
  else if (name !== undefined && !SUBDOMAIN.test(name)) errs.invalid("metadata.name", name, SUBDOMAIN_RULE);
  out.name = name ?? "";
  out.namespace = errs.string(meta.namespace, "metadata.namespace") ?? DEFAULT_NAMESPACE;
  if (out.namespace.length > LIMITS.maxNameLength) {
    errs.invalid("metadata.namespace", out.namespace, `must be no more than ${LIMITS.maxNameLength} characters`);
  } else if (!LIMITS.namePattern.test(out.namespace)) {
    errs.invalid("metadata.namespace", out.namespace, LABEL_RULE);
  }
  const keyProblem = (key: string) => (isValidLabelKey(key) ? undefined : LABEL_KEY_RULE);
  const valueProblem = (v: string) => (isValidLabelValue(v) ? undefined : LABEL_VALUE_RULE);
  out.labels = errs.stringMap(meta.labels, "metadata.labels", keyProblem, valueProblem);
  const count = Object.keys(out.labels).length;
  if (count > LIMITS.maxLabels) errs.tooMany("metadata.labels", count, LIMITS.maxLabels);
  out.annotations = errs.stringMap(meta.annotations, "metadata.annotations", keyProblem);
  return out;
}

function readPort(errs: FieldErrors, value: unknown, path: string): NetworkPolicyPort | undefined {
  const p = errs.object(orEmpty(value), path, ["protocol", "port", "endPort"]);
  if (!p) return undefined;
  const before = errs.list.length;
  const protocol = errs.oneOf(p.protocol, child(path, "protocol"), NETPOL_PROTOCOLS, "TCP");
  const port = p.port ?? undefined;
  const endPort = p.endPort ?? undefined;
  const endPath = child(path, "endPort");
  if (typeof port === "number") {
    checkPortNumber(errs, port, child(path, "port"));
    if (endPort !== undefined) {
      if (typeof endPort === "number" && endPort < port) errs.invalid(endPath, endPort, "must be greater than or equal to `port`");
      checkPortNumber(errs, endPort, endPath);
    }
  } else if (typeof port === "string") {
    if (endPort !== undefined) errs.invalid(endPath, endPort, "may not be specified when `port` is non-numeric");
    for (const problem of portNameProblems(port)) errs.invalid(child(path, "port"), port, problem);
  } else if (port !== undefined) {
    errs.invalid(child(path, "port"), port, "must be a port number or a port name");
  } else if (endPort !== undefined) {
    errs.invalid(endPath, endPort, "may not be specified when `port` is not specified");
  }
  if (errs.list.length > before) return undefined;
  return {
    protocol,
    ...(port !== undefined ? { port: port as number | string } : {}),
    ...(endPort !== undefined ? { endPort: endPort as number } : {}),
  };
}

function readIpBlock(errs: FieldErrors, value: unknown, path: string): IPBlock | undefined {
  const b = errs.object(value, path, ["cidr", "except"]);
  if (!b) return undefined;
  const before = errs.list.length;
  const cidr = errs.string(b.cidr, child(path, "cidr"), true);
  const except = errs.strings(b.except, child(path, "except"));
  if (cidr === undefined) return undefined;
  const network = parseCidr(cidr);
  if (!network) {
    errs.invalid(child(path, "cidr"), cidr, CIDR_RULE);
    return undefined;
  }
  except.forEach((text, i) => {
    const at = `${child(path, "except")}[${i}]`;
    const inner = parseCidr(text);
    if (!inner) errs.invalid(at, text, CIDR_RULE);
    else if (!cidrStrictlyWithin(inner, network)) errs.invalid(at, text, "must be a strict subset of `cidr`");
  });
  return errs.list.length > before ? undefined : { cidr, except };
}

function readPeer(errs: FieldErrors, value: unknown, path: string): NetworkPolicyPeer | undefined {
  const peer = errs.object(orEmpty(value), path, ["podSelector", "namespaceSelector", "ipBlock"]);
  if (!peer) return undefined;
  const before = errs.list.length;
  const podSelector = readLabelSelector(errs, peer.podSelector, child(path, "podSelector"));
  const namespaceSelector = readLabelSelector(errs, peer.namespaceSelector, child(path, "namespaceSelector"));
  const hasIpBlock = peer.ipBlock !== undefined && peer.ipBlock !== null;
  const ipBlock = hasIpBlock ? readIpBlock(errs, peer.ipBlock, child(path, "ipBlock")) : undefined;
  const given = [peer.podSelector, peer.namespaceSelector, peer.ipBlock].filter((v) => v !== undefined && v !== null);
  if (given.length === 0) errs.required(path, "must specify a peer");
  else if (given.length > 1 && hasIpBlock) errs.forbidden(path, "may not specify both ipBlock and another peer");
  if (errs.list.length > before) return undefined;
  return { ...(podSelector ? { podSelector } : {}), ...(namespaceSelector ? { namespaceSelector } : {}), ...(ipBlock ? { ipBlock } : {}) };
}

/** Reads one ingress or egress rule: its peers (under `peersKey`, "from" or "to") and its ports. */
function readRule(errs: FieldErrors, value: unknown, path: string, peersKey: "from" | "to") {
  const rule = errs.object(orEmpty(value), path, [peersKey, "ports"]);
  const peers: NetworkPolicyPeer[] = [];
  const ports: NetworkPolicyPort[] = [];
  if (!rule) return { peers, ports };
  (errs.array(rule.ports, child(path, "ports")) ?? []).forEach((item, i) => {
    const port = readPort(errs, item, `${child(path, "ports")}[${i}]`);
    if (port) ports.push(port);
  });
  (errs.array(rule[peersKey], child(path, peersKey)) ?? []).forEach((item, i) => {
    const peer = readPeer(errs, item, `${child(path, peersKey)}[${i}]`);
    if (peer) peers.push(peer);
  });
  return { peers, ports };
}

function readPolicyTypes(errs: FieldErrors, value: unknown, hasEgressRules: boolean): PolicyType[] {
  const list = errs.strings(value, "spec.policyTypes");
  if (list.length > POLICY_TYPES.length) {
    errs.invalid("spec.policyTypes", list, "may not specify more than two policyTypes");
    return [];
  }
  list.forEach((t, i) => {
    if (!(POLICY_TYPES as readonly string[]).includes(t)) errs.unsupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES);
  });
  if (list.length > 0) return list as PolicyType[];
  // Kubernetes' defaulting: every policy affects ingress; egress only when it has egress rules.
  return hasEgressRules ? ["Ingress", "Egress"] : ["Ingress"];
}

type Spec = Pick<NetworkPolicy, "podSelector" | "policyTypes" | "ingress" | "egress">;

function readSpec(errs: FieldErrors, value: unknown): Spec {
  // An absent spec is Kubernetes' zero spec: every pod of the namespace, isolated for ingress.
  const spec = errs.object(value ?? {}, "spec", ["podSelector", "policyTypes", "ingress", "egress"]) ?? {};
  const podSelector = readLabelSelector(errs, spec.podSelector, "spec.podSelector") ?? emptySelector();
  const ingress = (errs.array(spec.ingress, "spec.ingress") ?? []).map((item, i) => {
    const { peers, ports } = readRule(errs, item, `spec.ingress[${i}]`, "from");
    return { from: peers, ports };
  });
  const egress = (errs.array(spec.egress, "spec.egress") ?? []).map((item, i) => {
    const { peers, ports } = readRule(errs, item, `spec.egress[${i}]`, "to");
    return { to: peers, ports };
  });
  return { podSelector, policyTypes: readPolicyTypes(errs, spec.policyTypes, egress.length > 0), ingress, egress };
}

/** Reads a NetworkPolicy manifest (already parsed from YAML/JSON) strictly into a normalized policy, or all its errors. */
export function parseNetworkPolicyManifest(doc: unknown): NetworkPolicyManifestResult {
  const errs = new FieldErrors();
  const root = errs.object(doc, "", ["apiVersion", "kind", "metadata", "spec"]);
  if (!root) return { ok: false, errors: errs.list };
  const apiVersion = errs.string(root.apiVersion, "apiVersion", true);
  if (apiVersion !== undefined && apiVersion !== NETWORK_POLICY_API_VERSION) {
    errs.unsupported("apiVersion", apiVersion, [NETWORK_POLICY_API_VERSION]);
  }
  const kind = errs.string(root.kind, "kind", true);
  if (kind !== undefined && kind !== NETWORK_POLICY_KIND) errs.unsupported("kind", kind, [NETWORK_POLICY_KIND]);
  const metadata = readMetadata(errs, root.metadata);
  const spec = readSpec(errs, root.spec);
  if (errs.list.length > 0) return { ok: false, errors: errs.list };
  return { ok: true, policy: { ...metadata, ...spec } };
}

function peerToManifest(peer: NetworkPolicyPeer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (peer.podSelector) out.podSelector = selectorToManifest(peer.podSelector);
  if (peer.namespaceSelector) out.namespaceSelector = selectorToManifest(peer.namespaceSelector);
  if (peer.ipBlock) {
    out.ipBlock = { cidr: peer.ipBlock.cidr, ...(peer.ipBlock.except.length > 0 ? { except: [...peer.ipBlock.except] } : {}) };
  }
  return out;
}

function ruleToManifest(peersKey: "from" | "to", peers: NetworkPolicyPeer[], ports: NetworkPolicyPort[]) {
  const out: Record<string, unknown> = {};
  if (ports.length > 0) out.ports = ports.map((p) => ({ ...p }));
  if (peers.length > 0) out[peersKey] = peers.map(peerToManifest);
  return out;
}

/** The manifest `kubectl get networkpolicy -o yaml` would print (defaults shown); it reads back to the same policy. */
export function networkPolicyToManifest(p: NetworkPolicy): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: p.name, namespace: p.namespace };
  if (Object.keys(p.labels).length > 0) metadata.labels = { ...p.labels };
  if (Object.keys(p.annotations).length > 0) metadata.annotations = { ...p.annotations };
  const spec: Record<string, unknown> = { podSelector: selectorToManifest(p.podSelector), policyTypes: [...p.policyTypes] };
  if (p.ingress.length > 0) spec.ingress = p.ingress.map((r) => ruleToManifest("from", r.from, r.ports));
  if (p.egress.length > 0) spec.egress = p.egress.map((r) => ruleToManifest("to", r.to, r.ports));
  return { apiVersion: NETWORK_POLICY_API_VERSION, kind: NETWORK_POLICY_KIND, metadata, spec };
}
