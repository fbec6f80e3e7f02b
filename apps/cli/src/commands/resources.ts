import type { Kube9Client, WatchMessage } from "@kube9/client";
import { CliError } from "../errors.js";
import { toKubeNode, toKubePod } from "../output/kube-objects.js";
import { kubectlNodeHeaders, kubectlNodeRow, kubectlPodHeaders, kubectlPodRow } from "../output/kubectl.js";
import type { NodeDTO, PodDTO } from "../types.js";
import type { Handlers } from "../watch.js";

// The resource types the kubectl-style verbs (get, describe, delete) know, by every name kubectl accepts.

export type ResourceKind = "pod" | "node" | "nodegroup";

const NAMES: Record<string, ResourceKind> = {
  pods: "pod", pod: "pod", po: "pod",
  nodes: "node", node: "node", no: "node",
  nodegroups: "nodegroup", nodegroup: "nodegroup", ng: "nodegroup",
};

/** One resource type as `get` shows it: where its objects come from and how they print. */
export interface Resource<T> {
  kind: ResourceKind;
  list(client: Kube9Client): Promise<T[]>;
  get(client: Kube9Client, name: string): Promise<T>;
  watch(client: Kube9Client, handlers: Handlers<{ data: WatchMessage<T> }>): { unsubscribe(): void };
  name(item: T): string;
  headers(wide: boolean): string[];
  row(item: T, wide: boolean): string[];
  /** Minimum column widths for `get -w`, whose first batch may be too small to size the columns. */
  minWidths: readonly number[];
  /** The object as Kubernetes shapes it, for -o json|yaml. */
  toKube(item: T): unknown;
}

/** A resource from where its objects come from and how they print (all named by their `name`). */
function resource<T extends { name: string }>(
  kind: ResourceKind,
  source: Pick<Resource<T>, "list" | "get" | "watch">,
  view: Pick<Resource<T>, "headers" | "row" | "minWidths" | "toKube">,
): Resource<T> {
  return { kind, ...source, ...view, name: (item) => item.name };
}

export const POD_RESOURCE = resource<PodDTO>("pod", {
  list: (client) => client.pods.list.query({}),
  get: async (client, name) => (await client.pods.get.query({ name })).pod,
  watch: (client, h) => client.pods.watch.subscribe(undefined, h),
}, { headers: kubectlPodHeaders, row: (p, wide) => kubectlPodRow(p, wide), minWidths: [12, 5, 17, 8, 4, 9, 12], toKube: toKubePod });

export const NODE_RESOURCE = resource<NodeDTO>("node", {
  list: (client) => client.nodes.list.query({}),
  get: async (client, name) => (await client.nodes.get.query({ name })).node,
  watch: (client, h) => client.nodes.watch.subscribe(undefined, h),
}, { headers: kubectlNodeHeaders, row: (n, wide) => kubectlNodeRow(n, wide), minWidths: [12, 8, 13, 4, 7, 4, 6, 7], toKube: toKubeNode });

/** Reads a resource type name (pods, pod, po, nodes, node, no, nodegroups, nodegroup, ng), case-insensitively. */
export function parseResourceKind(raw: string): ResourceKind {
  const kind = NAMES[raw.trim().toLowerCase()];
  // kubectl's words for an unknown type, then what Kube-9 does know.
  if (!kind) throw new CliError(`the server doesn't have a resource type "${raw}" (Kube-9 knows pods (po), nodes (no) and nodegroups (ng))`);
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
