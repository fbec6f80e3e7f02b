// The kubelet's probe accounting (pkg/kubelet/prober/worker.go), pure: when a probe is due, how consecutive
// outcomes become a result through successThreshold/failureThreshold, what a result does to the container
// (restart, readiness) and the events it records. Running the probe itself (exec, HTTP, TCP) is the caller's.

import type { ContainerSpec, ProbeKind, ProbeSpec } from "./types.js";

export type ProbeResult = "Success" | "Failure" | "Unknown";

/** One probe of one container instance: the current result and the run of equal outcomes behind it. */
export interface ProbeState {
  /** Consecutive successes (0 after any failure). */
  successes: number;
  /** Consecutive failures (0 after any success). */
  failures: number;
  result: ProbeResult;
}

/**
 * The state a new container instance starts with, as Kubernetes seeds each worker: readiness starts Failure
 * (not ready until proven), liveness Success (alive until proven dead), startup Unknown (not started yet).
 */
export function initialProbeState(kind: ProbeKind): ProbeState {
  const result: ProbeResult = kind === "readiness" ? "Failure" : kind === "liveness" ? "Success" : "Unknown";
  return { successes: 0, failures: 0, result };
}

/**
 * Folds one probe outcome into the state: the result only changes once failureThreshold consecutive
 * failures (or successThreshold consecutive successes) are seen, as worker.go's resultRun does. A timeout
 * counts as a failure; the caller decides that with probe.timeoutSeconds.
 */
export function nextProbeState(state: ProbeState, outcome: boolean, probe: ProbeSpec): ProbeState {
  if (outcome) {
    const successes = state.successes + 1;
    return { successes, failures: 0, result: successes >= probe.successThreshold ? "Success" : state.result };
  }
  const failures = state.failures + 1;
  return { successes: 0, failures, result: failures >= probe.failureThreshold ? "Failure" : state.result };
}

/**
 * Whether a probe should run now: not before initialDelaySeconds after the container started, then once
 * per periodSeconds after the previous run. (Kubernetes ticks on a jittered timer; Kube-9 is exact.)
 */
export function probeDue(probe: ProbeSpec, startedAtMs: number, lastProbeAtMs: number | undefined, nowMs: number): boolean {
  if (nowMs < startedAtMs + probe.initialDelaySeconds * 1000) return false;
  return lastProbeAtMs === undefined || nowMs - lastProbeAtMs >= probe.periodSeconds * 1000;
}

/**
 * Whether a probe of this kind runs at all for a running container: the startup probe runs until the
 * container has started, and liveness and readiness wait for that (Kubernetes' startup gate).
 */
export function probeActive(kind: ProbeKind, started: boolean): boolean {
  return kind === "startup" ? !started : started;
}

/** Whether a running container has started: its startup probe succeeded, or it has none. */
export function containerStarted(container: Pick<ContainerSpec, "startupProbe">, startup: ProbeState | undefined): boolean {
  return container.startupProbe === undefined || startup?.result === "Success";
}

/** Whether a running, started container is ready: its readiness probe's result is Success, or it has none. */
export function containerReady(
  container: Pick<ContainerSpec, "readinessProbe">,
  running: boolean,
  started: boolean,
  readiness: ProbeState | undefined,
): boolean {
  if (!running || !started) return false;
  return container.readinessProbe === undefined || readiness?.result === "Success";
}

/** An event the kubelet records about a container (type, reason and message as kubectl shows them). */
export interface ContainerEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

const KIND_TITLE: Record<ProbeKind, string> = { liveness: "Liveness", readiness: "Readiness", startup: "Startup" };

/**
 * What one probe run leads to: every failed run records an "Unhealthy" warning (as Kubernetes does, even
 * below the threshold); a liveness or startup result turning Failure kills the container ("Killing") so
 * that the restart policy can start it again. Readiness failures only flip readiness, they never kill.
 */
export function probeConsequences(
  kind: ProbeKind,
  container: string,
  outcome: boolean,
  detail: string,
  before: ProbeState,
  after: ProbeState,
): { kill: boolean; events: ContainerEvent[] } {
  const events: ContainerEvent[] = [];
  if (!outcome) {
    events.push({ type: "Warning", reason: "Unhealthy", message: `${KIND_TITLE[kind]} probe failed: ${detail}` });
  }
  const kill = kind !== "readiness" && before.result !== "Failure" && after.result === "Failure";
  if (kill) {
    events.push({ type: "Normal", reason: "Killing", message: `Container ${container} failed ${kind} probe, will be restarted` });
  }
  return { kill, events };
}
