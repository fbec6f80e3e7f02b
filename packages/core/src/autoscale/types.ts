import type { Labels, Resources, RuntimeKind } from "../types.js";

// Node autoscaling with cluster-autoscaler semantics (docs/architecture.md, "Autoscaling"): node groups
// with a template, scale-up for unschedulable pods simulated on the template, expanders, scale-down of
// unneeded nodes whose pods fit elsewhere, plus load thresholds. Pure: the API's autoscaler controller
// gathers the facts, these functions decide, the controller acts and records why.

/** Label every node of a group carries (its value: the group's name). */
export const NODE_GROUP_LABEL = "kube9.io/nodegroup";
/** A pod with this label or annotation set to "false" blocks its node's scale-down. */
export const SAFE_TO_EVICT_KEY = "kube9.io/safe-to-evict";

export const EXPANDERS = ["least-waste", "most-pods", "random", "priority"] as const;
/** How the group to grow is chosen when several could take the pending pods. */
export type Expander = (typeof EXPANDERS)[number];

/** What every node of a group looks like. */
export interface NodeTemplate {
  capacity: Resources;
  runtime: RuntimeKind;
  labels: Labels;
}

/** A group's tunables (defaults in DEFAULT_GROUP_SETTINGS; Kubernetes' 10-minute unneeded time is far too slow for a simulation). */
export interface NodeGroupSettings {
  /** A pod must have been unschedulable this long before it triggers a scale-up (default 2 s). */
  scaleUpDelayMs: number;
  /** A node below the low-water mark this long is unneeded (default 30 s). */
  unneededTimeMs: number;
  /** Utilization (max of CPU and memory, allocation and usage) below which a node is unneeded (default 0.5). */
  lowWaterMark: number;
  /** Load scale-up: the group's average utilization above this for highDurationMs adds a node (default 0.8; 0 = off). */
  highWaterMark: number;
  /** How long the group must stay above the high-water mark (default 10 s). */
  highDurationMs: number;
  /** What load means: measured usage, allocation (requests), or whichever is higher (default "both"). */
  loadMetric: "usage" | "allocation" | "both";
  /** No scale-down in a group within this long after it scaled up (default 10 s). */
  scaleDownDelayAfterAddMs: number;
  /** No load scale-up within this long after the last one (default 10 s). */
  scaleUpCooldownMs: number;
  /** Nodes removed at once per group (default 1). */
  maxScaleDownParallel: number;
  /** A new node not Ready within this long is removed and the group backs off (default 30 s). */
  nodeReadyTimeoutMs: number;
  /** After a failed scale-up, the group is not grown again for this long (default 10 s, doubling). */
  backoffMs: number;
}

/** A node group as stored. */
export interface NodeGroupSpec {
  name: string;
  min: number;
  max: number;
  template: NodeTemplate;
  /** Higher wins under the priority expander. */
  priority: number;
  settings: NodeGroupSettings;
}

/** A pending pod as the estimator sees it. */
export interface PendingPod {
  id: string;
  name: string;
  request: Resources;
  nodeSelector: Labels;
  /** When it was first found unschedulable (ms). */
  unschedulableSince: number;
}

/** One group's answer to "how many new nodes for these pods". */
export interface GroupEstimate {
  group: string;
  /** New nodes needed (capped at max - size). */
  nodes: number;
  /** Pods that would be placed on those nodes. */
  podIds: string[];
  /** CPU and memory left idle on the new nodes after placement (least-waste), as fractions of what they add. */
  wasteCpu: number;
  wasteMemory: number;
}

/** What the scale-up decision is, with the reasons users see in events. */
export interface ScaleUpPlan {
  /** The chosen group and how many nodes, or none. */
  choice: GroupEstimate | null;
  /** Every group that could take some pods (for the event's explanation). */
  options: GroupEstimate[];
  /** Pods no group's template can take, with why (per group). */
  noFit: Array<{ podId: string; podName: string; reasons: string[] }>;
  /** Human text: "3 pods unschedulable, added 2 nodes to group web (least-waste: 1.5 cores idle after placement)". */
  message: string;
}

/** One group node as scale-down sees it. */
export interface ScaleDownNode {
  id: string;
  name: string;
  group: string;
  capacity: Resources;
  allocated: Resources;
  /** Measured use, if fresh. */
  usage: Resources | null;
  ready: boolean;
  /** Since when it has been below the low-water mark (ms), or null. */
  unneededSince: number | null;
}

/** What keeps a node, or that it may go. */
export type ScaleDownVerdict =
  | { node: string; removable: true; reason: string }
  | { node: string; removable: false; reason: string };
