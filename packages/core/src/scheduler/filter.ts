import { NODE_STATUSES, type Labels, type NodeStatus, type SchedNode, type SchedPod } from "../types.js";
import { formatCpu, formatMemory } from "./format.js";

/** The summary kinds of the capacity and selector filters, as counted in "0/N nodes are available". */
export const KIND_CPU = "Insufficient cpu";
export const KIND_MEMORY = "Insufficient memory";
export const KIND_SELECTOR = "node selector mismatch";
const KINDS = [KIND_CPU, KIND_MEMORY, KIND_SELECTOR] as const;

/** CPU (millicores) not yet reserved on the node; negative if it is overcommitted. */
export function freeCpu(node: SchedNode): number {
  return node.capacity.cpuMilli - node.allocated.cpuMilli;
}

/** Memory (MiB) not yet reserved on the node; negative if it is overcommitted. */
export function freeMemory(node: SchedNode): number {
  return node.capacity.memoryMiB - node.allocated.memoryMiB;
}

/** Whether the node's labels contain every key=value of the selector. */
export function matchesSelector(labels: Labels, selector: Labels): boolean {
  for (const key in selector) {
    // hasOwn: a selector key like "constructor" must not match Object.prototype.
    if (!Object.hasOwn(selector, key)) continue;
    if (!Object.hasOwn(labels, key) || labels[key] !== selector[key]) return false;
  }
  return true;
}

/** The summary kind of each status rejection, built once so summaries can key maps by shared strings. */
const STATUS_KIND = Object.fromEntries(NODE_STATUSES.map((s) => [s, `node is ${s}`])) as Record<NodeStatus, string>;

/** The summary kind of a node status that is not Ready: "node is Failed". */
export function statusKind(status: NodeStatus): string {
  // The fallback covers a status string from storage that this version does not know.
  return STATUS_KIND[status] ?? `node is ${String(status)}`;
}

/** Whether the pod passes every filter on the node, without building a reason (the cheap form of filterNode). */
export function fitsNode(node: SchedNode, pod: SchedPod): boolean {
  return (
    node.status === "Ready" &&
    freeCpu(node) >= pod.request.cpuMilli &&
    freeMemory(node) >= pod.request.memoryMiB &&
    matchesSelector(node.labels, pod.nodeSelector)
  );
}

/** Why the pod cannot run on the node: every failed filter, in a fixed order; [] = feasible. */
export function filterNode(node: SchedNode, pod: SchedPod): string[] {
  const reasons: string[] = [];
  if (node.status !== "Ready") reasons.push(statusKind(node.status));
  const cpu = freeCpu(node);
  if (cpu < pod.request.cpuMilli) {
    reasons.push(
      `Insufficient cpu: requested ${formatCpu(pod.request.cpuMilli)}, free ${formatCpu(cpu)} of ${formatCpu(node.capacity.cpuMilli)}`,
    );
  }
  const mem = freeMemory(node);
  if (mem < pod.request.memoryMiB) {
    reasons.push(
      `Insufficient memory: requested ${formatMemory(pod.request.memoryMiB)}, free ${formatMemory(mem)} of ${formatMemory(node.capacity.memoryMiB)}`,
    );
  }
  for (const [key, want] of Object.entries(pod.nodeSelector)) {
    if (!Object.hasOwn(node.labels, key)) {
      reasons.push(`node selector mismatch: wants ${key}=${want}, node has no label ${key}`);
    } else if (node.labels[key] !== want) {
      reasons.push(`node selector mismatch: wants ${key}=${want}, node has ${key}=${node.labels[key]}`);
    }
  }
  return reasons;
}

/** The kind a reason is counted under in "0/N nodes are available" summaries. */
export function reasonKind(reason: string): string {
  // Known kinds come back as shared constants: summaries over thousands of nodes then hash
  // one string per kind instead of a fresh substring per reason.
  for (const kind of KINDS) {
    if (reason.length > kind.length && reason.startsWith(kind) && reason.charCodeAt(kind.length) === 58 /* ":" */) return kind;
  }
  // Status reasons ("node is Failed") have no detail: the whole text is the kind.
  const colon = reason.indexOf(":");
  return colon < 0 ? reason : reason.slice(0, colon);
}
