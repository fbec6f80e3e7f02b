import type { PolicyName } from "./types.js";

/** Health timing: the one source both the API and (through registration) the agents use. */
export interface HealthConfig {
  /** How often an agent sends a heartbeat. */
  heartbeatIntervalMs: number;
  /** Ready -> Suspect after this long without a heartbeat. */
  suspectAfterMs: number;
  /** -> Failed after this long without a heartbeat. */
  failedAfterMs: number;
  /** How many times the runtime restarts a Failed node before giving up. */
  maxRecoveryAttempts: number;
  /** A Recovering node that has not sent a heartbeat after this long is Failed again. */
  recoveryTimeoutMs: number;
  /** A Provisioning node that never registers is Failed after this long. */
  provisioningTimeoutMs: number;
  /** After this long Ready, a node's recovery attempts are forgotten. */
  recoveryResetAfterMs: number;
  /** CrashLoopBackOff: the first delay before restarting a container that exited, doubled after each restart... */
  crashLoopBackoffInitialMs: number;
  /** ...up to this cap... */
  crashLoopBackoffMaxMs: number;
  /** ...and forgotten once a container has run this long. */
  crashLoopBackoffResetMs: number;
}

export const DEFAULT_HEALTH_CONFIG: Readonly<HealthConfig> = Object.freeze({
  heartbeatIntervalMs: 1000,
  suspectAfterMs: 3000,
  failedAfterMs: 5000,
  maxRecoveryAttempts: 3,
  recoveryTimeoutMs: 10_000,
  provisioningTimeoutMs: 30_000,
  recoveryResetAfterMs: 10 * 60_000,
  // Kubernetes uses 10 s doubling to 5 min, reset after 10 min: far too slow for a simulation.
  crashLoopBackoffInitialMs: 1000,
  crashLoopBackoffMaxMs: 60_000,
  crashLoopBackoffResetMs: 60_000,
});

export const DEFAULT_POLICY: PolicyName = "best-fit";

/** Input bounds shared by the API's validation and the CLI's messages. */
export const LIMITS = Object.freeze({
  maxCpuCores: 1024,
  maxMemoryMiB: 4 * 1024 * 1024,
  maxNameLength: 63,
  namePattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  maxLabels: 32,
});

/** Converts user cores (fractions allowed) to integer millicores. */
export function coresToMilli(cores: number): number {
  return Math.round(cores * 1000);
}

/** Formats millicores the way users speak: 2, 0.5, 1.25. */
export function milliToCores(milli: number): string {
  return String(milli / 1000);
}
