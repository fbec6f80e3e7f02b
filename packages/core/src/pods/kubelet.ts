// The kubelet's container rules, pure: restart policy, CrashLoopBackOff timing, and the ContainerState
// values it reports. Times come in as epoch ms and go out as ISO-8601 strings (status fields are strings).

import type {
  ContainerStateRunning,
  ContainerStateTerminated,
  ContainerStateWaiting,
  RestartPolicy,
} from "./types.js";

/** Whether a container that exited with `exitCode` is started again under `policy` (as in Kubernetes). */
export function restartDecision(policy: RestartPolicy, exitCode: number): boolean {
  if (policy === "Always") return true;
  if (policy === "OnFailure") return exitCode !== 0;
  return false;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/**
 * Kubernetes backs off 10 s doubling to 5 min and forgets after 10 min of running; Kube-9 simulates clusters
 * in minutes, so the same curve is scaled down to 1 s doubling to 60 s, reset after 60 s of running.
 */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 1000, maxMs: 60_000 });
export const DEFAULT_BACKOFF_RESET: Readonly<{ resetAfterMs: number }> = Object.freeze({ resetAfterMs: 60_000 });

/**
 * How long to wait, after a container exits, before starting it again.
 *
 * `restartCount` is the number of restarts already made since the back-off was last reset (so it equals
 * ContainerStatus.restartCount until the first reset; the status count keeps growing, as in Kubernetes).
 * The delay before restart number n+1 is initialMs * 2^n, capped at maxMs: with the defaults
 * 0 -> 1 s, 1 -> 2 s, 2 -> 4 s, 3 -> 8 s, 4 -> 16 s, 5 -> 32 s, 6 and above -> 60 s.
 */
export function backoffDelayMs(restartCount: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  if (!Number.isSafeInteger(restartCount) || restartCount < 0) {
    throw new RangeError(`restartCount must be a whole number >= 0, got ${restartCount}`);
  }
  let delay = opts.initialMs;
  // Doubling stepwise stops at the cap, so a restartCount of 10^6 never computes 2^10^6.
  for (let i = 0; i < restartCount && delay < opts.maxMs; i++) delay *= 2;
  return Math.min(delay, opts.maxMs);
}

/** Whether a container that ran this long before exiting has earned a fresh back-off (restartCount back to 0). */
export function shouldResetBackoff(runningForMs: number, opts: { resetAfterMs: number } = DEFAULT_BACKOFF_RESET): boolean {
  return runningForMs >= opts.resetAfterMs;
}

/** Epoch ms as the ISO-8601 string Kubernetes status times are (Kube-9 keeps the milliseconds). */
export function statusTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Go's time.Duration text for whole seconds, as in Kubernetes' "back-off 1m0s restarting failed container". */
function goSeconds(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/** A waiting ContainerState ("ContainerCreating", "CrashLoopBackOff", "ErrImagePull", ...). */
export function containerWaiting(reason: string, message?: string): ContainerStateWaiting {
  return { waiting: message === undefined ? { reason } : { reason, message } };
}

/** The waiting state of a container sitting out its back-off, worded as the kubelet words it. */
export function crashLoopBackOff(delayMs: number, container: string, pod: string, namespace = "default"): ContainerStateWaiting {
  return containerWaiting(
    "CrashLoopBackOff",
    `back-off ${goSeconds(delayMs)} restarting failed container=${container} pod=${pod}_${namespace}`,
  );
}

/** A running ContainerState started at `startedAt` (epoch ms). */
export function containerRunning(startedAt: number): ContainerStateRunning {
  return { running: { startedAt: statusTime(startedAt) } };
}

/** How Kubernetes names an exit: the OOM killer wins over the exit code (an OOM kill exits 137). */
export function terminationReason(exitCode: number, oomKilled: boolean): "Completed" | "Error" | "OOMKilled" {
  if (oomKilled) return "OOMKilled";
  return exitCode === 0 ? "Completed" : "Error";
}

export interface Termination {
  exitCode: number;
  oomKilled?: boolean;
  /** The signal that ended the process, if one did (e.g. 9 for SIGKILL). */
  signal?: number;
  message?: string;
  /** Epoch ms. */
  startedAt?: number;
  /** Epoch ms. */
  finishedAt: number;
}

/** A terminated ContainerState, its reason derived from the exit (see terminationReason). */
export function containerTerminated(t: Termination): ContainerStateTerminated {
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: terminationReason(t.exitCode, t.oomKilled ?? false),
      ...(t.signal !== undefined ? { signal: t.signal } : {}),
      ...(t.message !== undefined ? { message: t.message } : {}),
      ...(t.startedAt !== undefined ? { startedAt: statusTime(t.startedAt) } : {}),
      finishedAt: statusTime(t.finishedAt),
    },
  };
}
