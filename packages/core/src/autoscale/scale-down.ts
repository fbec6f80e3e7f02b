// Scale-down, as the cluster-autoscaler does it: a group node is removable once it has been unneeded
// (below the low-water mark) for the unneeded time, no scale-up happened recently, the group stays at or
// above min, nothing on it asks not to be evicted, and every pod on it fits on the nodes that remain. The
// fit is simulated through the scheduler's own index, reserving room as pods are placed, so two nodes are
// never both "removable" on the strength of the same free room.

import { ClusterIndex } from "../scheduler/cluster-index.js";
import { freeCpu, freeMemory, matchesSelector } from "../scheduler/filter.js";
import type { Labels, Resources, SchedNode } from "../types.js";
import { coreCount, cores, elapsed, mebibytes, percent, plural, setting } from "./format.js";
import { groupNodeLabels } from "./scale-up.js";
import { SAFE_TO_EVICT_KEY, type NodeGroupSettings, type NodeGroupSpec, type ScaleDownNode, type ScaleDownVerdict } from "./types.js";

/** One group as scale-down sees it. */
export interface ScaleDownGroup {
  spec: NodeGroupSpec;
  /** Nodes the group has now, in every state. */
  size: number;
  /** When the group last grew (for any reason), or null. */
  lastScaleUpAt: number | null;
  /** Nodes of the group already being removed (cordoned or draining): they count against min and the parallel limit. */
  removing?: number;
}

/** A pod on a candidate node: what must fit elsewhere, and what may forbid moving it. */
export interface MovablePod {
  id: string;
  name: string;
  request: Resources;
  nodeSelector: Labels;
  labels: Labels;
  annotations?: Labels;
  /**
   * Nothing would bring it back once evicted (cluster-autoscaler keeps such nodes). Kube-9 requeues every
   * pod it drains, so set this only for a pod a drain would lose.
   */
  controllerless?: boolean;
}

export interface ScaleDownInput {
  groups: ScaleDownGroup[];
  /** Group nodes that may be removed. */
  candidates: ScaleDownNode[];
  /** Every other Ready node, in a group or not, that pods may move to. */
  others: SchedNode[];
  podsOn: (nodeId: string) => MovablePod[];
  now: number;
}

type LoadMetric = NodeGroupSettings["loadMetric"];

function ratio(used: Resources, capacity: Resources): number {
  const share = (u: number, c: number) => (c > 0 ? u / c : u > 0 ? 1 : 0);
  return Math.max(share(used.cpuMilli, capacity.cpuMilli), share(used.memoryMiB, capacity.memoryMiB));
}

/**
 * How busy the node is, 0..1 (more when overcommitted): the higher of its CPU and memory share, by requests
 * ("allocation"), by measured use ("usage"), or the higher of both. A node with no fresh measurement is
 * judged by its requests, so one that reports no use is not mistaken for idle.
 */
export function utilization(node: Pick<ScaleDownNode, "capacity" | "allocated" | "usage">, metric: LoadMetric): number {
  const allocation = ratio(node.allocated, node.capacity);
  if (metric === "allocation" || node.usage === null) return allocation;
  const usage = ratio(node.usage, node.capacity);
  return metric === "usage" ? usage : Math.max(usage, allocation);
}

/**
 * Since when each node has been unneeded: below its group's low-water mark and Ready; the time is kept from
 * `previousSince` while that holds and dropped as soon as it does not. Nodes of unknown groups are left out.
 */
export function trackUnneeded(
  nodes: readonly ScaleDownNode[],
  settings: NodeGroupSettings | ((group: string) => NodeGroupSettings | undefined),
  now: number,
  previousSince: ReadonlyMap<string, number>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const node of nodes) {
    const s = typeof settings === "function" ? settings(node.group) : settings;
    if (!s || !node.ready || utilization(node, s.loadMetric) >= s.lowWaterMark) continue;
    out.set(node.id, previousSince.get(node.id) ?? now);
  }
  return out;
}

function markedNotSafe(pod: MovablePod): boolean {
  return pod.labels[SAFE_TO_EVICT_KEY] === "false" || pod.annotations?.[SAFE_TO_EVICT_KEY] === "false";
}

/** Most pods first, as the scheduler would fare best placing them. */
function decreasing(a: MovablePod, b: MovablePod): number {
  return b.request.cpuMilli - a.request.cpuMilli || b.request.memoryMiB - a.request.memoryMiB || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Why no remaining node takes the pod, in numbers a user can act on. */
function noRoom(index: ClusterIndex, pod: MovablePod): string {
  const ready = index.nodes().filter((n) => n.status === "Ready");
  if (ready.length === 0) return "no other Ready node";
  const matching = ready.filter((n) => matchesSelector(n.labels, pod.nodeSelector));
  if (matching.length === 0) {
    const selector = Object.entries(pod.nodeSelector).map(([k, v]) => `${k}=${v}`).join(",");
    return `no other node matches its node selector ${selector}`;
  }
  const cpu = Math.max(...matching.map(freeCpu));
  const mem = Math.max(...matching.map(freeMemory));
  const { cpuMilli, memoryMiB } = pod.request;
  if (cpuMilli > cpu && memoryMiB > mem) {
    return `needs ${cores(cpuMilli)} and ${mebibytes(memoryMiB)}, most free elsewhere ${cores(cpu)} and ${mebibytes(mem)}`;
  }
  if (cpuMilli > cpu) return `needs ${cores(cpuMilli)}, most free elsewhere ${coreCount(cpu)}`;
  if (memoryMiB > mem) return `needs ${mebibytes(memoryMiB)} of memory, most free elsewhere ${mebibytes(mem)}`;
  return `needs ${cores(cpuMilli)} and ${mebibytes(memoryMiB)}, and no other node has both free at once`;
}

/** A simulation of the cluster as removals are chosen: the remaining nodes and the pods moved onto them. */
class Remaining {
  private readonly index: ClusterIndex;
  private readonly moved = new Map<string, MovablePod[]>();

  constructor(nodes: readonly SchedNode[]) {
    this.index = new ClusterIndex(nodes);
  }

  /** Moves the node's pods (its own and those moved onto it) to the other nodes, or explains the first that fits nowhere. */
  tryRemove(node: ScaleDownNode, own: readonly MovablePod[]): { ok: true; pods: number } | { ok: false; reason: string } {
    const saved = this.index.get(node.id);
    this.index.remove(node.id);
    const pods = [...own, ...(this.moved.get(node.id) ?? [])].sort(decreasing);
    const placed: Array<{ nodeId: string; pod: MovablePod }> = [];
    for (const pod of pods) {
      const to = this.index.pick({ request: pod.request, nodeSelector: pod.nodeSelector }, "first-fit");
      if (!to) {
        const reason = `node ${node.name} has pod ${pod.name} that fits no other node (${noRoom(this.index, pod)})`;
        for (const p of placed) this.index.forget(p.nodeId, p.pod.request);
        if (saved) this.index.upsert(saved);
        return { ok: false, reason };
      }
      this.index.assume(to.id, pod.request);
      placed.push({ nodeId: to.id, pod });
    }
    this.moved.delete(node.id);
    for (const p of placed) this.moved.set(p.nodeId, [...(this.moved.get(p.nodeId) ?? []), p.pod]);
    return { ok: true, pods: pods.length };
  }
}

/** The checks that need no simulation: the first that fails is the node's reason to stay. */
function blocker(node: ScaleDownNode, g: ScaleDownGroup | undefined, pods: readonly MovablePod[], chosen: number, now: number): string | null {
  if (!node.ready) return `node ${node.name} is not Ready`;
  if (!g) return `node ${node.name} is in no known node group (${node.group})`;
  const { spec } = g;
  const s = spec.settings;
  if (node.unneededSince === null) {
    return `node ${node.name} is needed: ${percent(utilization(node, s.loadMetric))} utilization is not below the ${percent(s.lowWaterMark)} mark`;
  }
  const idle = now - node.unneededSince;
  if (idle < s.unneededTimeMs) return `unneeded for ${elapsed(idle)} of ${setting(s.unneededTimeMs)}`;
  if (g.lastScaleUpAt !== null && now - g.lastScaleUpAt < s.scaleDownDelayAfterAddMs) {
    return `group ${spec.name} scaled up ${elapsed(now - g.lastScaleUpAt)} ago (scale-down waits ${setting(s.scaleDownDelayAfterAddMs)} after a scale-up)`;
  }
  const pinned = pods.find(markedNotSafe);
  if (pinned) return `pod ${pinned.name} is marked ${SAFE_TO_EVICT_KEY}: "false"`;
  const orphan = pods.find((p) => p.controllerless);
  if (orphan) return `pod ${orphan.name} has no controller, so nothing would bring it back after eviction`;
  const going = (g.removing ?? 0) + chosen;
  if (g.size - going <= spec.min) {
    return `group ${spec.name} is at its minimum size ${spec.min}` + (going > 0 ? ` (counting ${plural(going, "node")} being removed)` : "");
  }
  if (going >= s.maxScaleDownParallel) {
    return `group ${spec.name} removes at most ${plural(s.maxScaleDownParallel, "node")} at a time (maxParallel) and ${going} ${going === 1 ? "is" : "are"} already going`;
  }
  return null;
}

/**
 * One verdict per candidate (in the order given): removable, or the specific reason it stays. Candidates are
 * considered emptiest first, so within each group's parallel limit the nodes with least to move go first.
 */
export function planScaleDown(input: ScaleDownInput): ScaleDownVerdict[] {
  const groups = new Map(input.groups.map((g) => [g.spec.name, g]));
  // Candidates that stay can take pods too; they come after the other nodes in first-fit order.
  let order = Math.max(0, ...input.others.map((n) => n.order + 1));
  const staying: SchedNode[] = [];
  for (const c of input.candidates) {
    const g = groups.get(c.group);
    if (!c.ready || !g) continue;
    staying.push({ id: c.id, name: c.name, order: order++, status: "Ready", capacity: c.capacity, allocated: c.allocated, labels: groupNodeLabels(g.spec) });
  }
  const remaining = new Remaining([...input.others, ...staying]);
  const metricOf = (c: ScaleDownNode) => groups.get(c.group)?.spec.settings.loadMetric ?? "allocation";
  const byEmptiest = [...input.candidates].sort(
    (a, b) => utilization(a, metricOf(a)) - utilization(b, metricOf(b)) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const chosen = new Map<string, number>();
  const verdicts = new Map<string, ScaleDownVerdict>();
  for (const node of byEmptiest) {
    const g = groups.get(node.group);
    const pods = input.podsOn(node.id);
    const blocked = blocker(node, g, pods, chosen.get(node.group) ?? 0, input.now);
    if (blocked !== null || !g) {
      verdicts.set(node.id, { node: node.id, removable: false, reason: blocked ?? "" });
      continue;
    }
    const moved = remaining.tryRemove(node, pods);
    if (!moved.ok) {
      verdicts.set(node.id, { node: node.id, removable: false, reason: moved.reason });
      continue;
    }
    chosen.set(node.group, (chosen.get(node.group) ?? 0) + 1);
    const s = g.spec.settings;
    const what =
      moved.pods === 0 ? "has no pods to move" : moved.pods === 1 ? "its 1 pod fits on another node" : `its ${moved.pods} pods fit on other nodes`;
    const since = elapsed(input.now - (node.unneededSince ?? input.now));
    verdicts.set(node.id, { node: node.id, removable: true, reason: `node ${node.name} unneeded for ${since} (below ${percent(s.lowWaterMark)}) and ${what}` });
  }
  return input.candidates.map((c) => verdicts.get(c.id)!);
}
