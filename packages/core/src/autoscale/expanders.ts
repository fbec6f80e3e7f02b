// The expanders: which group grows when several could take the pending pods (cluster-autoscaler's
// --expander). Ties are broken by fixed rules rather than randomly, so the same cluster gives the same
// decision and tests can say what it is.

import { plural } from "./format.js";
import type { Expander, GroupEstimate, NodeGroupSpec } from "./types.js";

/** What an expander needs to know about one option. */
export interface ExpanderOption {
  spec: NodeGroupSpec;
  estimate: GroupEstimate;
}

// Shares computed from different integers can differ in the last bit while being equal.
const EPSILON = 1e-9;

/** The idle share an option leaves on its new nodes, CPU and memory weighed alike. */
function waste(o: ExpanderOption): number {
  return (o.estimate.wasteCpu + o.estimate.wasteMemory) / 2;
}

function byName(a: ExpanderOption, b: ExpanderOption): number {
  return a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0;
}

/** least-waste order: lowest idle share, then most pods, then name. */
function leastWaste(a: ExpanderOption, b: ExpanderOption): number {
  const d = waste(a) - waste(b);
  if (Math.abs(d) > EPSILON) return d;
  return b.estimate.podIds.length - a.estimate.podIds.length || byName(a, b);
}

/** most-pods order: most pods placed, then least-waste. */
function mostPods(a: ExpanderOption, b: ExpanderOption): number {
  return b.estimate.podIds.length - a.estimate.podIds.length || leastWaste(a, b);
}

/** priority order: highest priority, then least-waste. */
function byPriority(a: ExpanderOption, b: ExpanderOption): number {
  return b.spec.priority - a.spec.priority || leastWaste(a, b);
}

/** The option the expander picks, or undefined when there is none; `random` is drawn only to pick among several. */
export function chooseOption<T extends ExpanderOption>(options: readonly T[], expander: Expander, random: () => number): T | undefined {
  if (options.length === 0) return undefined;
  if (expander === "random") {
    // Sorted first so the same draw picks the same group whatever order the groups came in.
    const sorted = [...options].sort(byName);
    if (sorted.length === 1) return sorted[0];
    return sorted[Math.min(sorted.length - 1, Math.floor(random() * sorted.length))];
  }
  const order = expander === "most-pods" ? mostPods : expander === "priority" ? byPriority : leastWaste;
  return [...options].sort(order)[0];
}

/** Why the expander picked `chosen`, for the event: "least-waste: 1.5 cores and 2 GiB idle after placement". */
export function describeChoice(chosen: ExpanderOption, options: readonly ExpanderOption[], expander: Expander, idle: string): string {
  const among = options.length === 1 ? "the only group that can help" : `of ${plural(options.length, "group")} that can help`;
  switch (expander) {
    case "least-waste":
      return `least-waste: ${idle} idle after placement`;
    case "most-pods":
      return `most-pods: ${plural(chosen.estimate.podIds.length, "pod")} placed, ${options.length === 1 ? among : `the most ${among}`}`;
    case "priority":
      return `priority: ${chosen.spec.priority}, ${options.length === 1 ? among : `the highest ${among}`}`;
    case "random":
      return `random: picked ${options.length === 1 ? among : `1 ${among}`}; ${idle} idle after placement`;
  }
}
