// The load threshold the assignment asks for, beside the cluster-autoscaler's pending-pod trigger: a group
// whose nodes stay busy (above the high-water mark for a while) gets one more node, at most once per
// cooldown. It adds one node at a time because load, unlike a pending pod, says nothing about how many.

import { elapsed, percent, setting } from "./format.js";
import { utilization } from "./scale-down.js";
import type { NodeGroupSpec, ScaleDownNode } from "./types.js";

export interface LoadScaleUpInput {
  spec: NodeGroupSpec;
  /** Nodes the group has now, in every state: they count against max. */
  size: number;
  /** The group's nodes; only Ready ones are measured. */
  nodes: ScaleDownNode[];
  /** Since when the group has been above its high-water mark (the previous decision's aboveSince), or null. */
  aboveSince: number | null;
  /** When load last added a node to the group, or null. */
  lastLoadScaleUpAt: number | null;
  now: number;
}

export interface LoadScaleUpDecision {
  /** Keep for the next decision. */
  aboveSince: number | null;
  /** Nodes to add: 0 or 1. */
  add: 0 | 1;
  reason: string;
}

const METRIC_WORDS = { usage: "measured use", allocation: "requests", both: "the higher of use and requests" } as const;

/** Whether the group's load adds a node now, and why or why not. */
export function planLoadScaleUp(input: LoadScaleUpInput): LoadScaleUpDecision {
  const { spec, now } = input;
  const s = spec.settings;
  const name = `group ${spec.name}`;
  if (s.highWaterMark === 0) return { aboveSince: null, add: 0, reason: `load scale-up is off for ${name} (loadHighWaterMark 0)` };
  const ready = input.nodes.filter((n) => n.ready);
  if (ready.length === 0) return { aboveSince: null, add: 0, reason: `${name} has no Ready node to measure` };
  // "both" judges scale-down by use and requests, but grows on measured use only: requests above the mark
  // are the pending pods' business (a well-packed group is at 100% of its requests and needs no node).
  const metric = s.loadMetric === "both" ? "usage" : s.loadMetric;
  const load = ready.reduce((sum, n) => sum + utilization(n, metric), 0) / ready.length;
  const at = `${name} at ${percent(load)} average utilization (${METRIC_WORDS[metric]})`;
  if (load <= s.highWaterMark) return { aboveSince: null, add: 0, reason: `${at}, not above its ${percent(s.highWaterMark)} high-water mark` };
  const aboveSince = input.aboveSince ?? now;
  const above = now - aboveSince;
  const hold = (reason: string): LoadScaleUpDecision => ({ aboveSince, add: 0, reason });
  if (above < s.highDurationMs) return hold(`${at}, above ${percent(s.highWaterMark)} for ${elapsed(above)} of ${setting(s.highDurationMs)}`);
  const lasting = `${at}, above ${percent(s.highWaterMark)} for ${elapsed(above)}`;
  if (input.size >= spec.max) return hold(`${lasting}, but it is at its max size ${spec.max}`);
  if (input.lastLoadScaleUpAt !== null && now - input.lastLoadScaleUpAt < s.scaleUpCooldownMs) {
    const ago = elapsed(now - input.lastLoadScaleUpAt);
    return hold(`${lasting}, but load added a node ${ago} ago (cooldown ${setting(s.scaleUpCooldownMs)})`);
  }
  // aboveSince is kept: while the load stays high, the cooldown alone spaces further nodes.
  return { aboveSince, add: 1, reason: `${lasting}: adding 1 node` };
}
