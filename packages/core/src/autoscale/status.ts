import type { Expander } from "./types.js";

/** What the autoscaler remembers about a group across restarts and leader changes (stored with the group). */
export interface NodeGroupStatus {
  /** When nodes were last added to the group (ms), for the scale-down delay after a scale-up. */
  lastScaleUpAt: number | null;
  /** When a node was last removed by the autoscaler (ms). */
  lastScaleDownAt: number | null;
  /** When a load-driven scale-up last happened (ms), for its cooldown. */
  lastLoadScaleUpAt: number | null;
  /** No scale-up before this (ms) after a failed one; the backoff doubles up to 5 minutes. */
  backoffUntil: number | null;
  backoffMs: number | null;
  /** The last thing the autoscaler did or decided for this group, and when. */
  lastActivity: string | null;
  lastActivityAt: number | null;
}

/** A group the autoscaler has not acted on yet. */
export const EMPTY_GROUP_STATUS: Readonly<NodeGroupStatus> = Object.freeze({
  lastScaleUpAt: null,
  lastScaleDownAt: null,
  lastLoadScaleUpAt: null,
  backoffUntil: null,
  backoffMs: null,
  lastActivity: null,
  lastActivityAt: null,
});

/** Cluster-wide autoscaler settings (as cluster-autoscaler's flags). */
export interface AutoscalerSettings {
  /** How the group to grow is chosen (default least-waste). */
  expander: Expander;
}

export const DEFAULT_AUTOSCALER_SETTINGS: Readonly<AutoscalerSettings> = Object.freeze({ expander: "least-waste" });
