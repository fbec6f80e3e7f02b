// Scale-up for unschedulable pods, as the cluster-autoscaler does it: pods that have waited long enough are
// first fitted onto room already on its way (nodes added earlier that are not Ready yet), then each group
// estimates how many new nodes of its template the rest need (first-fit decreasing, within max), and an
// expander picks one group. Placement goes through the scheduler's own index and filters, so a pod is
// expected on a new node exactly when the scheduler would put it there.

import { ClusterIndex } from "../scheduler/cluster-index.js";
import { filterNode } from "../scheduler/filter.js";
import type { Labels, Resources, SchedNode, SchedPod } from "../types.js";
import { chooseOption, describeChoice } from "./expanders.js";
import { cores, elapsed, mebibytes, plural, setting } from "./format.js";
import { NODE_GROUP_LABEL, type Expander, type GroupEstimate, type NodeGroupSpec, type PendingPod, type ScaleUpPlan } from "./types.js";

/** One group as scale-up sees it. */
export interface ScaleUpGroup {
  spec: NodeGroupSpec;
  /** Nodes the group has now, in every state: they all count against max. */
  size: number;
  /** Free room on the group's nodes that are not Ready yet (one entry a node). */
  upcoming: Resources[];
  /** Until when (ms) the group backs off after a failed scale-up, or null. */
  backoffUntil: number | null;
}

export interface ScaleUpInput {
  pending: PendingPod[];
  groups: ScaleUpGroup[];
  expander: Expander;
  now: number;
  /** Uniform in [0, 1): only the random expander draws. */
  random: () => number;
}

/** One new node of a simulation: its pods in placement order and the room left on it. */
export interface SimulatedNode {
  podIds: string[];
  free: Resources;
}

/** What the simulation found for one group. */
export interface GroupSimulation {
  spec: NodeGroupSpec;
  /** Why the group was not simulated at all, or null. */
  skipped: { kind: "backoff" | "max"; text: string } | null;
  /** Pods its template takes that are not already on their way. */
  fitting: number;
  /** Of those, pods that have waited the group's delay: the ones it grows for. */
  eligible: number;
  /** Of those, pods that did not fit within max. */
  overCap: number;
  estimate: GroupEstimate;
  nodes: SimulatedNode[];
  idle: Resources;
}

/** Every group's estimate, and what happened to pods before any group was asked. */
export interface ScaleUpSimulation {
  /** Pods that have waited at least the shortest scale-up delay of any group. */
  counted: PendingPod[];
  /** Counted pods that fit on room already on its way, and on how many of those nodes. */
  absorbed: number;
  absorbingNodes: number;
  noFit: ScaleUpPlan["noFit"];
  groups: GroupSimulation[];
}

/** The labels every node of the group carries: its template's plus the group label. */
export function groupNodeLabels(spec: NodeGroupSpec): Labels {
  return { ...spec.template.labels, [NODE_GROUP_LABEL]: spec.name };
}

/** An empty Ready node of the group's template, as the scheduler would see it once it joins. */
export function templateNode(spec: NodeGroupSpec, id = `${spec.name}-template`, order = 0): SchedNode {
  return {
    id,
    name: id,
    order,
    status: "Ready",
    capacity: { ...spec.template.capacity },
    allocated: { cpuMilli: 0, memoryMiB: 0 },
    labels: groupNodeLabels(spec),
  };
}

/** First-fit decreasing order: biggest CPU, then biggest memory, then longest waiting, then id. */
function decreasing(a: PendingPod, b: PendingPod): number {
  return (
    b.request.cpuMilli - a.request.cpuMilli ||
    b.request.memoryMiB - a.request.memoryMiB ||
    a.unschedulableSince - b.unschedulableSince ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

function asSchedPod(pod: PendingPod): SchedPod {
  return { request: pod.request, nodeSelector: pod.nodeSelector };
}

/** Fits pods onto every group's upcoming room; returns the ids placed and how many nodes took some. */
function absorbUpcoming(pods: readonly PendingPod[], groups: readonly ScaleUpGroup[]): { ids: Set<string>; nodes: number } {
  const index = new ClusterIndex();
  let order = 0;
  for (const g of groups) {
    const labels = groupNodeLabels(g.spec);
    g.upcoming.forEach((room, i) => {
      const id = `${g.spec.name}/upcoming-${i}`;
      const capacity = { cpuMilli: Math.max(0, room.cpuMilli), memoryMiB: Math.max(0, room.memoryMiB) };
      index.upsert({ id, name: id, order: order++, status: "Ready", capacity, allocated: { cpuMilli: 0, memoryMiB: 0 }, labels });
    });
  }
  const ids = new Set<string>();
  const used = new Set<string>();
  if (index.size === 0) return { ids, nodes: 0 };
  for (const pod of pods) {
    const node = index.pick(asSchedPod(pod), "first-fit");
    if (!node) continue;
    index.assume(node.id, pod.request);
    ids.add(pod.id);
    used.add(node.id);
  }
  return { ids, nodes: used.size };
}

function skipReason(g: ScaleUpGroup, now: number): GroupSimulation["skipped"] {
  if (g.backoffUntil !== null && now < g.backoffUntil) {
    return { kind: "backoff", text: `group ${g.spec.name} is backing off for ${elapsed(g.backoffUntil - now)} more after a failed scale-up` };
  }
  if (g.size >= g.spec.max) return { kind: "max", text: `group ${g.spec.name} is at its max size ${g.spec.max}` };
  return null;
}

/** Places the pods on new template nodes, first fit, opening at most `cap` of them. */
function packNewNodes(spec: NodeGroupSpec, pods: readonly PendingPod[], cap: number): { nodes: SimulatedNode[]; overCap: number } {
  const index = new ClusterIndex();
  const byId = new Map<string, SimulatedNode>();
  const nodes: SimulatedNode[] = [];
  let overCap = 0;
  for (const pod of pods) {
    let node = index.pick(asSchedPod(pod), "first-fit");
    if (!node && nodes.length < cap) {
      // The pod passed the template filter, so an empty template node takes it.
      node = templateNode(spec, `${spec.name}/new-${nodes.length}`, nodes.length);
      index.upsert(node);
      const sim: SimulatedNode = { podIds: [], free: { ...spec.template.capacity } };
      byId.set(node.id, sim);
      nodes.push(sim);
    }
    if (!node) {
      overCap++;
      continue;
    }
    index.assume(node.id, pod.request);
    const sim = byId.get(node.id)!;
    sim.podIds.push(pod.id);
    sim.free = { cpuMilli: sim.free.cpuMilli - pod.request.cpuMilli, memoryMiB: sim.free.memoryMiB - pod.request.memoryMiB };
  }
  return { nodes, overCap };
}

function simulateGroup(g: ScaleUpGroup, pods: readonly PendingPod[], fits: ReadonlySet<string>, now: number): GroupSimulation {
  const { spec } = g;
  const empty: GroupEstimate = { group: spec.name, nodes: 0, podIds: [], wasteCpu: 0, wasteMemory: 0 };
  const skipped = skipReason(g, now);
  const fitting = pods.filter((p) => fits.has(p.id));
  const mine = fitting.filter((p) => now - p.unschedulableSince >= spec.settings.scaleUpDelayMs);
  const counts = { fitting: fitting.length, eligible: mine.length };
  if (skipped) return { spec, skipped, ...counts, overCap: 0, estimate: empty, nodes: [], idle: { cpuMilli: 0, memoryMiB: 0 } };
  const { nodes, overCap } = packNewNodes(spec, mine, Math.max(0, spec.max - g.size));
  const idle = { cpuMilli: 0, memoryMiB: 0 };
  for (const n of nodes) {
    idle.cpuMilli += n.free.cpuMilli;
    idle.memoryMiB += n.free.memoryMiB;
  }
  const { cpuMilli, memoryMiB } = spec.template.capacity;
  const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
  const estimate: GroupEstimate = {
    group: spec.name,
    nodes: nodes.length,
    podIds: nodes.flatMap((n) => n.podIds),
    wasteCpu: share(idle.cpuMilli, nodes.length * cpuMilli),
    wasteMemory: share(idle.memoryMiB, nodes.length * memoryMiB),
  };
  return { spec, skipped: null, ...counts, overCap, estimate, nodes, idle };
}

/** The simulation behind planScaleUp, with each new node's pods (for status pages and for tests). */
export function simulateScaleUp(input: ScaleUpInput): ScaleUpSimulation {
  const { groups, now } = input;
  const shortest = Math.min(...groups.map((g) => g.spec.settings.scaleUpDelayMs));
  const counted = input.pending.filter((p) => now - p.unschedulableSince >= shortest).sort(decreasing);
  // Which pods each group's template could take on an empty node; a pod no template takes is noFit.
  const fits = new Map<string, Set<string>>(groups.map((g) => [g.spec.name, new Set<string>()]));
  const noFit: ScaleUpPlan["noFit"] = [];
  const templates = groups.map((g) => ({ g, node: templateNode(g.spec) }));
  for (const pod of counted) {
    const reasons: string[] = [];
    let fitsSome = false;
    for (const { g, node } of templates) {
      const why = filterNode(node, asSchedPod(pod));
      if (why.length === 0) {
        fits.get(g.spec.name)!.add(pod.id);
        fitsSome = true;
      } else for (const r of why) reasons.push(`group ${g.spec.name}: ${r}`);
    }
    if (!fitsSome) noFit.push({ podId: pod.id, podName: pod.name, reasons });
  }
  const noFitIds = new Set(noFit.map((p) => p.podId));
  const placeable = counted.filter((p) => !noFitIds.has(p.id));
  const absorbed = absorbUpcoming(placeable, groups);
  const rest = placeable.filter((p) => !absorbed.ids.has(p.id));
  return {
    counted,
    absorbed: absorbed.ids.size,
    absorbingNodes: absorbed.nodes,
    noFit,
    groups: groups.map((g) => simulateGroup(g, rest, fits.get(g.spec.name)!, now)),
  };
}

/** "3 pods fit", "1 pod fits". */
function podsFit(n: number): string {
  return `${plural(n, "pod")} ${n === 1 ? "fits" : "fit"}`;
}

function onStarting(sim: ScaleUpSimulation): string {
  return `${podsFit(sim.absorbed)} on ${plural(sim.absorbingNodes, "node")} already starting`;
}

/** Why no node is added, from the simulation: every group's obstacle, in a sentence. */
function nothingToDo(input: ScaleUpInput, sim: ScaleUpSimulation): string {
  const pods = plural(input.pending.length, "pod");
  if (input.pending.length === 0) return "no unschedulable pods";
  if (input.groups.length === 0) return `${pods} unschedulable, but there are no node groups to add nodes to`;
  if (sim.counted.length === 0) {
    const shortest = Math.min(...input.groups.map((g) => g.spec.settings.scaleUpDelayMs));
    return `${pods} unschedulable, none yet for the ${setting(shortest)} scale-up delay (the scheduler gets the first try)`;
  }
  const counted = plural(sim.counted.length, "pod");
  const leftover = sim.counted.length - sim.absorbed - sim.noFit.length;
  if (sim.absorbed > 0 && leftover === 0 && sim.noFit.length === 0) {
    return `${counted} unschedulable, ${sim.absorbed === 1 ? "it fits" : "all fit"} on ${plural(sim.absorbingNodes, "node")} already starting`;
  }
  const why: string[] = [];
  if (sim.absorbed > 0) why.push(onStarting(sim));
  if (sim.noFit.length > 0) why.push(`${podsFit(sim.noFit.length)} no group's template`);
  if (leftover > 0) {
    for (const g of sim.groups) {
      if (g.fitting === 0) why.push(`group ${g.spec.name}: its template takes none of them`);
      else if (g.skipped) why.push(g.skipped.text);
      else if (g.eligible === 0) why.push(`group ${g.spec.name}: no pod it could take has waited its ${setting(g.spec.settings.scaleUpDelayMs)} delay`);
    }
  }
  return `${counted} unschedulable, no node added: ${why.join("; ")}`;
}

/** Decides whether to grow a group for the pending pods, which one, by how much, and says why. */
export function planScaleUp(input: ScaleUpInput): ScaleUpPlan {
  const sim = simulateScaleUp(input);
  const options = sim.groups.filter((g) => g.estimate.nodes > 0);
  const chosen = chooseOption(options, input.expander, input.random);
  const plan = { options: options.map((g) => g.estimate), noFit: sim.noFit };
  if (!chosen) return { choice: null, ...plan, message: nothingToDo(input, sim) };
  const { spec, estimate, idle } = chosen;
  let message =
    `${plural(sim.counted.length, "pod")} unschedulable, added ${plural(estimate.nodes, "node")} to group ${spec.name} ` +
    `(${describeChoice(chosen, options, input.expander, `${cores(idle.cpuMilli)} and ${mebibytes(idle.memoryMiB)}`)})`;
  if (sim.absorbed > 0) message += `; ${onStarting(sim)}`;
  if (sim.noFit.length > 0) message += `; ${podsFit(sim.noFit.length)} no group's template`;
  const unplaced = sim.counted.length - sim.absorbed - sim.noFit.length - estimate.podIds.length;
  if (unplaced > 0) {
    message += `; ${plural(unplaced, "pod")} still unplaced`;
    if (chosen.overCap > 0) message += ` (group ${spec.name} reaches its max size ${spec.max})`;
  }
  return { choice: estimate, ...plan, message };
}
