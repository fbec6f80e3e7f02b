import type { Kube9Client, WatchMessage } from "@kube9/client";
import { CliError } from "../errors.js";
import { toKubeNamespace, toKubeNetworkPolicy, toKubeNode, toKubePod } from "../output/kube-objects.js";
import {
  kubectlNamespaceHeaders,
  kubectlNamespaceRow,
  kubectlNetpolHeaders,
  kubectlNetpolRow,
  kubectlNodeHeaders,
  kubectlNodeRow,
  kubectlPodHeaders,
  kubectlPodRow,
} from "../output/kubectl.js";
import { nsInput, type Scope } from "../scope.js";
import type { NamespaceDTO, NetworkPolicyDTO, NodeDTO, PodDTO } from "../types.js";
import type { Handlers } from "../watch.js";

// The resource types the kubectl-style verbs (get, describe, delete) know, by every name kubectl accepts.

export type ResourceKind = "pod" | "node" | "nodegroup" | "namespace" | "networkpolicy";

const NAMES: Record<string, ResourceKind> = {
  pods: "pod", pod: "pod", po: "pod",
  nodes: "node", node: "node", no: "node",
  nodegroups: "nodegroup", nodegroup: "nodegroup", ng: "nodegroup",
  namespaces: "namespace", namespace: "namespace", ns: "namespace",
  networkpolicies: "networkpolicy", networkpolicy: "networkpolicy", netpol: "networkpolicy",
  "networkpolicies.networking.k8s.io": "networkpolicy", "networkpolicy.networking.k8s.io": "networkpolicy",
};

/** One resource type as `get` shows it: where its objects come from and how they print. */
export interface Resource<T> {
  kind: ResourceKind;
  /** Namespaced kinds take -n/-A; the others ignore them, as kubectl does. */
  namespaced: boolean;
  list(client: Kube9Client, scope: Scope): Promise<T[]>;
  get(client: Kube9Client, name: string, scope: Scope): Promise<T>;
  /** Undefined for kinds that cannot be watched. */
  watch?(client: Kube9Client, handlers: Handlers<{ data: WatchMessage<T> }>): { unsubscribe(): void };
  name(item: T): string;
  namespace(item: T): string | undefined;
  headers(wide: boolean): string[];
  row(item: T, wide: boolean): string[];
  /** Minimum column widths for `get -w`, whose first batch may be too small to size the columns. */
  minWidths: readonly number[];
  /** The object as Kubernetes shapes it, for -o json|yaml. */
  toKube(item: T): unknown;
}

export const POD_RESOURCE: Resource<PodDTO> = {
  kind: "pod",
  namespaced: true,
  list: (client, scope) => client.pods.list.query(scope.all ? {} : { namespace: scope.namespace }),
  get: async (client, name, scope) => (await client.pods.get.query({ name, ...nsInput(scope) })).pod,
  watch: (client, h) => client.pods.watch.subscribe(undefined, h),
  name: (p) => p.name,
  namespace: (p) => p.namespace,
  headers: kubectlPodHeaders,
  row: (p, wide) => kubectlPodRow(p, wide),
  minWidths: [12, 5, 17, 8, 4, 9, 12],
  toKube: toKubePod,
};

export const NODE_RESOURCE: Resource<NodeDTO> = {
  kind: "node",
  namespaced: false,
  list: (client) => client.nodes.list.query({}),
  get: async (client, name) => (await client.nodes.get.query({ name })).node,
  watch: (client, h) => client.nodes.watch.subscribe(undefined, h),
  name: (n) => n.name,
  namespace: () => undefined,
  headers: kubectlNodeHeaders,
  row: (n, wide) => kubectlNodeRow(n, wide),
  minWidths: [12, 8, 13, 4, 7, 4, 6, 7],
  toKube: toKubeNode,
};

export const NAMESPACE_RESOURCE: Resource<NamespaceDTO> = {
  kind: "namespace",
  namespaced: false,
  list: (client) => client.namespaces.list.query(),
  get: (client, name) => client.namespaces.get.query({ name }),
  name: (n) => n.name,
  namespace: () => undefined,
  headers: kubectlNamespaceHeaders,
  row: (n, wide) => kubectlNamespaceRow(n, wide),
  minWidths: [12, 11, 4],
  toKube: toKubeNamespace,
};

export const NETPOL_RESOURCE: Resource<NetworkPolicyDTO> = {
  kind: "networkpolicy",
  namespaced: true,
  list: (client, scope) => client.networkPolicies.list.query(scope.all ? {} : { namespace: scope.namespace }),
  get: (client, name, scope) => client.networkPolicies.get.query({ name, namespace: scope.namespace }),
  name: (p) => p.name,
  namespace: (p) => p.namespace,
  headers: kubectlNetpolHeaders,
  row: (p, wide) => kubectlNetpolRow(p, wide),
  minWidths: [12, 12, 4],
  toKube: toKubeNetworkPolicy,
};

/** The resource of a kind `get` lists with kubectl's columns (node groups have their own views). */
export function resourceOf(kind: Exclude<ResourceKind, "nodegroup">): Resource<unknown> {
  const all = { pod: POD_RESOURCE, node: NODE_RESOURCE, namespace: NAMESPACE_RESOURCE, networkpolicy: NETPOL_RESOURCE };
  return all[kind] as unknown as Resource<unknown>;
}

/** Reads a resource type name (pods, po, nodes, no, nodegroups, ng, namespaces, ns, networkpolicies, netpol), case-insensitively. */
export function parseResourceKind(raw: string): ResourceKind {
  const kind = NAMES[raw.trim().toLowerCase()];
  // kubectl's words for an unknown type, then what Kube-9 does know.
  if (!kind) {
    throw new CliError(`the server doesn't have a resource type "${raw}" (Kube-9 knows pods (po), nodes (no), namespaces (ns), networkpolicies (netpol) and nodegroups (ng))`);
  }
  return kind;
}

/**
 * The type and optional name from `<type> [name]` or `<type>/<name>`, as kubectl takes them;
 * `kube9 get pod/web extra` is refused rather than guessed at.
 */
export function parseResourceArgs(resource: string, name: string | undefined): { kind: ResourceKind; name?: string } {
  const slash = resource.indexOf("/");
  if (slash < 0) return { kind: parseResourceKind(resource), ...(name !== undefined ? { name } : {}) };
  if (name !== undefined) {
    throw new CliError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (got "${resource}" and "${name}")`);
  }
  const own = resource.slice(slash + 1);
  if (!own) throw new CliError(`arguments in resource/name form must have a single resource and name (got "${resource}")`);
  return { kind: parseResourceKind(resource.slice(0, slash)), name: own };
}
