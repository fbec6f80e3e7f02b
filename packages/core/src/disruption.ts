import type { HealthConfig } from "./config.js";
import { formatDuration } from "./health.js";

// When many nodes go quiet at once, the likeliest culprit is the control plane itself (its event loop
// stalled, its database stopped answering) or the network in between, not thousands of machines
// failing together. Kubernetes' node lifecycle controller slows evictions then: a zone with at least
// --unhealthy-zone-threshold (55%) of its nodes NotReady (and more than 2) is in partial disruption
// and evicts at --secondary-node-eviction-rate, or not at all when the cluster is no larger than
// --large-cluster-size-threshold (50); a zone with every node NotReady is in full disruption and
// evicts nothing. Kube-9 has one zone, and adds the control plane's own health as a first suspect.

/** How the disruption rules weigh a mass of late nodes. */
export interface DisruptionConfig {
  /** Late nodes below this count are never a disruption (Kubernetes: more than 2). */
  minLateNodes: number;
  /** The share of judged nodes late from which the cluster is disrupted (Kubernetes: 0.55). */
  unhealthyThreshold: number;
  /** Clusters with more judged nodes than this still evict during partial disruption, slowly (Kubernetes: 50). */
  largeClusterSize: number;
  /** Nodes failed (their pods evicted) per second during partial disruption of a large cluster. */
  secondaryEvictionRate: number;
}

/** Kubernetes' thresholds; the secondary rate is ten times Kubernetes' 0.01/s, as Kube-9's clocks run ten times faster. */
export const DEFAULT_DISRUPTION_CONFIG: Readonly<DisruptionConfig> = Object.freeze({
  minLateNodes: 3,
  unhealthyThreshold: 0.55,
  largeClusterSize: 50,
  secondaryEvictionRate: 0.1,
});

/** What the disruption rules look at. */
export interface DisruptionInput {
  /** Nodes the heartbeat rules judge (Ready, Cordoned, Suspect). */
  judged: number;
  /** Of those, the ones silent for longer than suspectAfterMs. */
  late: number;
  /** The API's worst event-loop lag over the last failedAfterMs (a beat delayed by it may still be on its way). */
  recentLagMs: number;
  /** How long the database has not completed a write (0 when it answers). */
  databaseStallMs: number;
}

/**
 * - `normal`: the health rules apply as they are.
 * - `control-plane`: the API is the suspect; no node changes status for silence (not Suspect, not Failed).
 * - `full`: every judged node is late; nodes may turn Suspect, none is Failed (no eviction).
 * - `partial`: many nodes are late; nodes may turn Suspect, and at most `evictionsPerSecond` are Failed.
 */
export type DisruptionMode = "normal" | "control-plane" | "full" | "partial";

/** What the node lifecycle controller may do now. */
export interface DisruptionDecision {
  mode: DisruptionMode;
  /** Whether late nodes may be marked Suspect. */
  suspectAllowed: boolean;
  /** Nodes that may be failed per second for silence (Infinity: no limit, 0: none). */
  evictionsPerSecond: number;
  /** Why, for events and logs. */
  message: string;
}

/** Decides whether a mass of late nodes is the nodes' fault or the control plane's, and how fast to evict. */
export function decideDisruption(input: DisruptionInput, health: HealthConfig, cfg: DisruptionConfig = DEFAULT_DISRUPTION_CONFIG): DisruptionDecision {
  const { judged, late } = input;
  if (late < cfg.minLateNodes) return { mode: "normal", suspectAllowed: true, evictionsPerSecond: Infinity, message: `${late} of ${judged} nodes late` };
  // A stall of one heartbeat interval or more delays every node's beats by as much: suspect ourselves first.
  if (input.recentLagMs >= health.heartbeatIntervalMs) {
    return controlPlane(`${late} of ${judged} nodes late while the API's event loop lagged ${formatDuration(Math.round(input.recentLagMs))}`);
  }
  if (input.databaseStallMs >= health.heartbeatIntervalMs) {
    return controlPlane(`${late} of ${judged} nodes late while the database has not completed a write for ${formatDuration(Math.round(input.databaseStallMs))}`);
  }
  if (late >= judged) {
    return { mode: "full", suspectAllowed: true, evictionsPerSecond: 0, message: `all ${judged} nodes late (full disruption): no evictions` };
  }
  if (late / judged < cfg.unhealthyThreshold) return { mode: "normal", suspectAllowed: true, evictionsPerSecond: Infinity, message: `${late} of ${judged} nodes late` };
  const large = judged > cfg.largeClusterSize;
  const rate = large ? cfg.secondaryEvictionRate : 0;
  const share = `${late} of ${judged} nodes late (${Math.round((100 * late) / judged)}% >= ${Math.round(cfg.unhealthyThreshold * 100)}%, partial disruption)`;
  return {
    mode: "partial",
    suspectAllowed: true,
    evictionsPerSecond: rate,
    message: large ? `${share}: at most ${rate} evictions/s` : `${share}: no evictions in a cluster of ${cfg.largeClusterSize} nodes or fewer`,
  };
}

function controlPlane(message: string): DisruptionDecision {
  return { mode: "control-plane", suspectAllowed: false, evictionsPerSecond: 0, message: `${message}: the control plane is the suspect; no node is marked Suspect or Failed` };
}

/** A token bucket of evictions: how many may happen at `now`, refilled at `ratePerSecond`, holding at most one. */
export interface EvictionBucket {
  tokens: number;
  at: number;
}

/** The bucket refilled up to `now` (at most one token: evictions are spread out, never saved up; rate 0 empties it). */
export function refillEvictions(bucket: EvictionBucket, now: number, ratePerSecond: number): EvictionBucket {
  if (ratePerSecond === Infinity) return { tokens: Infinity, at: now };
  if (ratePerSecond <= 0) return { tokens: 0, at: now };
  const elapsed = Math.max(0, now - bucket.at) / 1000;
  return { tokens: Math.min(1, (Number.isFinite(bucket.tokens) ? bucket.tokens : 1) + elapsed * ratePerSecond), at: now };
}
