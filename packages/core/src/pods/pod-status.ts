// A pod's phase and conditions, derived from its container statuses the way the kubelet derives them
// (getPhase in pkg/kubelet/kubelet_pods.go; the condition generators in pkg/kubelet/status).

import { statusTime } from "./kubelet.js";
import type { ContainerStatus, PodCondition, PodConditionType, PodPhase, PodSpec } from "./types.js";

/**
 * The pod phase from its containers, following Kubernetes' getPhase (no init containers in Kube-9):
 * each container counts as running, waiting (never run), stopped (terminated, or waiting after having
 * terminated, i.e. about to restart), or unknown (no status yet); then
 * - any waiting -> Pending (a container has not been started);
 * - any running and none unknown -> Running;
 * - none running, some stopped, none unknown -> Always: Running (all are restarting); all stopped with
 *   exit 0 -> Succeeded; Never: Failed; OnFailure: Running (the failed ones are restarting);
 * - otherwise (e.g. statuses still missing) -> Pending.
 */
export function podPhase(spec: PodSpec, statuses: readonly ContainerStatus[]): PodPhase {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;
  for (const container of spec.containers) {
    const status = statuses.find((s) => s.name === container.name);
    if (!status) unknown++;
    else if ("running" in status.state) running++;
    else if ("terminated" in status.state) {
      stopped++;
      if (status.state.terminated.exitCode === 0) succeeded++;
    } else if ("terminated" in status.lastState) stopped++;
    else waiting++;
  }
  if (waiting > 0) return "Pending";
  if (running > 0 && unknown === 0) return "Running";
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (spec.restartPolicy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (spec.restartPolicy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

type ConditionValue = Omit<PodCondition, "lastTransitionTime">;

/** Kubernetes' ContainersReady (and, without readiness gates, Ready) condition for these statuses. */
function readiness(type: PodConditionType, phase: PodPhase, statuses: readonly ContainerStatus[]): ConditionValue {
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  if (statuses.length > 0 && unready.length === 0) return { type, status: "True" };
  // A completed pod is not ready because it is done, not because something is wrong.
  if (phase === "Succeeded") return { type, status: "False", reason: "PodCompleted" };
  // With no statuses yet there is nobody to name, and "[]" would read as if nothing were wrong.
  if (unready.length === 0) return { type, status: "False", reason: "ContainersNotReady" };
  return { type, status: "False", reason: "ContainersNotReady", message: `containers with unready status: [${unready.join(" ")}]` };
}

/**
 * The pod's conditions now. Unscheduled (scheduledAt undefined): only PodScheduled False, as no kubelet has
 * seen the pod. Scheduled: PodScheduled True (since scheduledAt), Initialized True (Kube-9 has no init
 * containers), ContainersReady True when every container is ready, Ready = ContainersReady (no readiness
 * gates). A condition whose status did not change keeps its previous lastTransitionTime.
 */
export function podConditions(
  phase: PodPhase,
  statuses: readonly ContainerStatus[],
  scheduledAt: number | undefined,
  now: number,
  previous: readonly PodCondition[] = [],
): PodCondition[] {
  const values: ConditionValue[] =
    scheduledAt === undefined
      ? [{ type: "PodScheduled", status: "False" }]
      : [
          { type: "PodScheduled", status: "True" },
          { type: "Initialized", status: "True" },
          readiness("ContainersReady", phase, statuses),
          readiness("Ready", phase, statuses),
        ];
  return values.map((value) => {
    const before = previous.find((c) => c.type === value.type);
    // The scheduling happened at scheduledAt, not when the kubelet first reports it.
    const changedAt = value.type === "PodScheduled" && scheduledAt !== undefined ? scheduledAt : now;
    const lastTransitionTime = before && before.status === value.status ? before.lastTransitionTime : statusTime(changedAt);
    return { ...value, lastTransitionTime };
  });
}
