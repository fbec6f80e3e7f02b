import type { ContainerUsageDTO, NodeUsageDTO, PodUsageDTO } from "../types.js";
import { formatPercent } from "./format.js";
import { renderTable } from "./table.js";

// `kubectl top` as kubectl's top printer shows it (k8s.io/kubectl/pkg/metricsutil): CPU in whole millicores,
// memory in whole Mi, `<unknown>` for a node without a fresh sample, pods without metrics left out. Requests
// and limits use the same units, so use and allocation compare at a glance.

export const TOP_SORT_KEYS = ["cpu", "memory"] as const;
export type TopSortKey = (typeof TOP_SORT_KEYS)[number];

/** How `top pods` was asked to look: which namespace(s), per container or per pod, in which order. */
export interface TopPodsOptions {
  allNamespaces: boolean;
  namespace: string;
  containers: boolean;
  sortBy?: TopSortKey;
}

const UNKNOWN = "<unknown>";
const NONE = "<none>";

/** CPU as `kubectl top` prints it: whole millicores ("250m"). */
export function formatCpuUsage(milli: number): string {
  return `${Math.round(milli)}m`;
}

/** Memory as `kubectl top` prints it: whole MiB ("200Mi"). */
export function formatMemoryUsage(mib: number): string {
  return `${Math.round(mib)}Mi`;
}

/** A request or limit; 0 or absent is no request at all, as Kubernetes treats it. */
function amount(value: number | undefined, format: (v: number) => string): string {
  return value ? format(value) : NONE;
}

/** Use as a share of a request (HPA's utilization: over 100% means under-requested); `<none>` without one. */
function ofRequest(used: number, request: number | undefined): string {
  return request ? formatPercent(used, request) : NONE;
}

/** Allocation with its share of capacity, as `kubectl describe node` shows it: "1500m (37%)". */
function allocation(value: number, capacity: number, format: (v: number) => string): string {
  return `${format(value)} (${formatPercent(value, capacity)})`;
}

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);

export const TOP_NODE_HEADERS = ["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%", "CPU-REQUESTS", "MEMORY-REQUESTS"];

/** One node as `top nodes` cells: use against capacity, then what its pods requested. */
export function topNodeRow(n: NodeUsageDTO): string[] {
  const u = n.usage;
  return [
    n.name,
    u ? formatCpuUsage(u.cpuMilli) : UNKNOWN,
    u ? formatPercent(u.cpuMilli, n.capacity.cpuMilli) : UNKNOWN,
    u ? formatMemoryUsage(u.memoryMiB) : UNKNOWN,
    u ? formatPercent(u.memoryMiB, n.capacity.memoryMiB) : UNKNOWN,
    allocation(n.allocated.cpuMilli, n.capacity.cpuMilli, formatCpuUsage),
    allocation(n.allocated.memoryMiB, n.capacity.memoryMiB, formatMemoryUsage),
  ];
}

/** The `top nodes` table, by name; undefined when there are no nodes. */
export function renderTopNodes(nodes: readonly NodeUsageDTO[]): string | undefined {
  if (nodes.length === 0) return undefined;
  return renderTable(TOP_NODE_HEADERS, [...nodes].sort(byName).map(topNodeRow));
}

/** Pods in the namespace asked for (every namespace with -A). */
function inScope(pods: readonly PodUsageDTO[], opts: TopPodsOptions): PodUsageDTO[] {
  return opts.allNamespaces ? [...pods] : pods.filter((p) => p.namespace === opts.namespace);
}

/** Descending by the sort key, as `kubectl top --sort-by` does; by namespace and name otherwise (and on ties). */
function podOrder(sortBy: TopSortKey | undefined): (a: PodUsageDTO, b: PodUsageDTO) => number {
  const key = (p: PodUsageDTO) => (sortBy === "memory" ? p.usage!.memoryMiB : p.usage!.cpuMilli);
  return (a, b) => (sortBy ? key(b) - key(a) : 0) || a.namespace.localeCompare(b.namespace) || byName(a, b);
}

/** The pods `top pods` shows, in order: those in scope that have metrics. */
export function selectTopPods(pods: readonly PodUsageDTO[], opts: TopPodsOptions): PodUsageDTO[] {
  return inScope(pods, opts)
    .filter((p) => p.usage !== null)
    .sort(podOrder(opts.sortBy));
}

const LIMIT_HEADERS = ["CPU-REQ", "CPU-LIM", "MEM-REQ", "MEM-LIM"];

/** Column headers of `top pods`: per pod, or per container with --containers; -A puts NAMESPACE first. */
export function topPodHeaders(opts: TopPodsOptions): string[] {
  const own = opts.containers
    ? ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)", ...LIMIT_HEADERS]
    : ["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%", ...LIMIT_HEADERS];
  return opts.allNamespaces ? ["NAMESPACE", ...own] : own;
}

function limitCells(requests: { cpuMilli?: number; memoryMiB?: number }, limits: { cpuMilli?: number; memoryMiB?: number }): string[] {
  return [
    amount(requests.cpuMilli, formatCpuUsage),
    amount(limits.cpuMilli, formatCpuUsage),
    amount(requests.memoryMiB, formatMemoryUsage),
    amount(limits.memoryMiB, formatMemoryUsage),
  ];
}

/** One pod (with metrics) as `top pods` cells; percentages are of the pod's requests. */
export function topPodRow(p: PodUsageDTO, opts: TopPodsOptions): string[] {
  const u = p.usage!;
  const row = [
    p.name,
    formatCpuUsage(u.cpuMilli),
    ofRequest(u.cpuMilli, p.requests.cpuMilli),
    formatMemoryUsage(u.memoryMiB),
    ofRequest(u.memoryMiB, p.requests.memoryMiB),
    ...limitCells(p.requests, p.limits),
  ];
  return opts.allNamespaces ? [p.namespace, ...row] : row;
}

/** One container (with metrics) of a pod as `top pods --containers` cells. */
export function topContainerRow(p: PodUsageDTO, c: ContainerUsageDTO, opts: TopPodsOptions): string[] {
  const u = c.usage!;
  const row = [p.name, c.name, formatCpuUsage(u.cpuMilli), formatMemoryUsage(u.memoryMiB), ...limitCells(c.requests, c.limits)];
  return opts.allNamespaces ? [p.namespace, ...row] : row;
}

/** The `top pods` table, or undefined when nothing in scope has metrics. */
export function renderTopPods(pods: readonly PodUsageDTO[], opts: TopPodsOptions): string | undefined {
  const shown = selectTopPods(pods, opts);
  const rows = opts.containers
    ? shown.flatMap((p) => p.containers.filter((c) => c.usage !== null).map((c) => topContainerRow(p, c, opts)))
    : shown.map((p) => topPodRow(p, opts));
  if (rows.length === 0) return undefined;
  return renderTable(topPodHeaders(opts), rows);
}

/**
 * What kubectl says instead of an empty `top pods` table: "metrics not available yet" (an error) when pods
 * are there but none has been measured, else "No resources found".
 */
export function noTopPods(pods: readonly PodUsageDTO[], opts: TopPodsOptions): { message: string; error: boolean } {
  if (inScope(pods, opts).length > 0) return { message: "metrics not available yet", error: true };
  return { message: opts.allNamespaces ? "No resources found" : `No resources found in ${opts.namespace} namespace.`, error: false };
}
