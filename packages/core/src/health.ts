import type { HealthConfig } from "./config.js";
import type { EventType, NodeStatus } from "./types.js";

/** What the health rules need to know about a node. */
export interface HealthInput {
  status: NodeStatus;
  lastHeartbeatAt: number | null;
  statusChangedAt: number;
  recoveryAttempts: number;
}

/** Event reasons the health rules produce. */
export type HealthReason =
  | "NodeSuspect"
  | "NodeFailed"
  | "NodeReady"
  | "NodeRecovering"
  | "NodePermanentlyFailed"
  | "NodeProvisioningTimeout"
  | "NodeRecoveryTimeout";

/** A status change to apply, with the event that records it. */
export interface Transition {
  status: NodeStatus;
  reason: HealthReason;
  message: string;
  type: EventType;
}

/** What to do with a Failed node. */
export type RecoveryDecision = { action: "restart"; attempt: number } | { action: "give-up" };

/** Formats a millisecond span as users read it: 3.2s, 250ms. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

/** Only Ready nodes take new pods; Cordoned ones keep theirs but get no more. */
export function isSchedulable(status: NodeStatus): boolean {
  return status === "Ready";
}

/** Statuses a node never leaves: its agent must stop and its container is gone. */
export function isTerminalNodeStatus(status: NodeStatus): boolean {
  return status === "PermanentlyFailed" || status === "Removed";
}

/** What the health monitor should do with a node at time now; null = nothing. */
export function evaluateNodeHealth(node: HealthInput, now: number, cfg: HealthConfig): Transition | null {
  switch (node.status) {
    case "Ready":
    case "Cordoned": {
      const silence = silenceOf(node, now);
      if (silence > cfg.failedAfterMs) return failed("NodeFailed", silenceMessage(silence, "failed", cfg.failedAfterMs));
      if (silence > cfg.suspectAfterMs) {
        return {
          status: "Suspect",
          reason: "NodeSuspect",
          message: silenceMessage(silence, "suspect", cfg.suspectAfterMs),
          type: "Warning",
        };
      }
      return null;
    }
    case "Suspect": {
      const silence = silenceOf(node, now);
      return silence > cfg.failedAfterMs ? failed("NodeFailed", silenceMessage(silence, "failed", cfg.failedAfterMs)) : null;
    }
    case "Provisioning": {
      const waited = now - node.statusChangedAt;
      if (waited <= cfg.provisioningTimeoutMs) return null;
      return failed(
        "NodeProvisioningTimeout",
        `node did not register within ${formatDuration(cfg.provisioningTimeoutMs)} (provisioning for ${formatDuration(waited)})`,
      );
    }
    case "Recovering": {
      const waited = now - node.statusChangedAt;
      if (waited <= cfg.recoveryTimeoutMs) return null;
      return failed(
        "NodeRecoveryTimeout",
        `no heartbeat ${formatDuration(waited)} after recovery attempt ${node.recoveryAttempts} (timeout ${formatDuration(cfg.recoveryTimeoutMs)})`,
      );
    }
    case "Failed":
    case "PermanentlyFailed":
    case "Removed":
      // Failed nodes wait for decideRecovery; the other two are final.
      return null;
  }
}

/** Status after a heartbeat arrives; null = reject the heartbeat (agent must stop). */
export function statusOnHeartbeat(status: NodeStatus): NodeStatus | null {
  switch (status) {
    case "Provisioning":
    case "Ready":
    case "Suspect":
    case "Recovering":
    case "Failed":
      return "Ready";
    case "Cordoned":
      return "Cordoned";
    case "PermanentlyFailed":
    case "Removed":
      return null;
  }
}

/** The NodeReady transition a heartbeat causes, or null when the status does not change (or the beat is rejected). */
export function heartbeatTransition(status: NodeStatus): Transition | null {
  const next = statusOnHeartbeat(status);
  if (next === null || next === status) return null;
  const message = status === "Provisioning" ? "node registered and sent its first heartbeat" : `heartbeat received; node was ${status}`;
  return { status: next, reason: "NodeReady", message, type: "Normal" };
}

/** What to do with a Failed node: restart it while attempts remain, else give up; null for any other status. */
export function decideRecovery(
  node: { status: NodeStatus; recoveryAttempts: number },
  cfg: HealthConfig,
): RecoveryDecision | null {
  if (node.status !== "Failed") return null;
  if (node.recoveryAttempts < cfg.maxRecoveryAttempts) return { action: "restart", attempt: node.recoveryAttempts + 1 };
  return { action: "give-up" };
}

/** The status change and event that carry out a recovery decision. */
export function recoveryTransition(decision: RecoveryDecision, cfg: HealthConfig): Transition {
  if (decision.action === "restart") {
    return {
      status: "Recovering",
      reason: "NodeRecovering",
      message: `restarting node (attempt ${decision.attempt} of ${cfg.maxRecoveryAttempts})`,
      type: "Warning",
    };
  }
  return {
    status: "PermanentlyFailed",
    reason: "NodePermanentlyFailed",
    message: `node still failed after ${cfg.maxRecoveryAttempts} recovery attempts; giving up`,
    type: "Warning",
  };
}

/** Whether a Ready node has been stable long enough to forget its past recovery attempts. */
export function shouldResetRecoveryAttempts(node: HealthInput, now: number, cfg: HealthConfig): boolean {
  return (
    node.status === "Ready" &&
    node.recoveryAttempts > 0 &&
    now - node.statusChangedAt >= cfg.recoveryResetAfterMs &&
    // A node already going quiet is not "stable", whatever its status still says.
    silenceOf(node, now) <= cfg.suspectAfterMs
  );
}

/** Every problem with a health config; [] = valid. */
export function validateHealthConfig(cfg: HealthConfig): string[] {
  const errors: string[] = [];
  const positive: (keyof HealthConfig)[] = [
    "heartbeatIntervalMs",
    "suspectAfterMs",
    "failedAfterMs",
    "recoveryTimeoutMs",
    "provisioningTimeoutMs",
    "recoveryResetAfterMs",
    "crashLoopBackoffInitialMs",
    "crashLoopBackoffMaxMs",
    "crashLoopBackoffResetMs",
  ];
  for (const key of positive) {
    const v = cfg[key];
    if (!Number.isInteger(v) || v <= 0) errors.push(`${key} (${v}) must be a positive integer`);
  }
  // 0 is allowed: it means "never restart, give up at once".
  if (!Number.isInteger(cfg.maxRecoveryAttempts) || cfg.maxRecoveryAttempts < 0) {
    errors.push(`maxRecoveryAttempts (${cfg.maxRecoveryAttempts}) must be a non-negative integer`);
  }
  if (!(cfg.suspectAfterMs > cfg.heartbeatIntervalMs)) {
    errors.push(`suspectAfterMs (${cfg.suspectAfterMs}) must be greater than heartbeatIntervalMs (${cfg.heartbeatIntervalMs})`);
  }
  if (!(cfg.failedAfterMs > cfg.suspectAfterMs)) {
    errors.push(`failedAfterMs (${cfg.failedAfterMs}) must be greater than suspectAfterMs (${cfg.suspectAfterMs})`);
  }
  if (!(cfg.crashLoopBackoffMaxMs >= cfg.crashLoopBackoffInitialMs)) {
    errors.push(
      `crashLoopBackoffMaxMs (${cfg.crashLoopBackoffMaxMs}) must be at least crashLoopBackoffInitialMs (${cfg.crashLoopBackoffInitialMs})`,
    );
  }
  return errors;
}

function silenceOf(node: HealthInput, now: number): number {
  // A heartbeat stamped after now (clock skew between callers) counts as no silence.
  return Math.max(0, now - (node.lastHeartbeatAt ?? node.statusChangedAt));
}

function silenceMessage(silence: number, verdict: "suspect" | "failed", thresholdMs: number): string {
  return `no heartbeat for ${formatDuration(silence)} (${verdict} after ${formatDuration(thresholdMs)})`;
}

function failed(reason: HealthReason, message: string): Transition {
  return { status: "Failed", reason, message, type: "Warning" };
}
