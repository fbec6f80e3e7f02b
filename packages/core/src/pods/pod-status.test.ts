import { describe, expect, it } from "vitest";
import { containerRunning, containerTerminated, containerWaiting, statusTime } from "./kubelet.js";
import { podConditions, podPhase } from "./pod-status.js";
import type { ContainerSpec, ContainerState, ContainerStatus, PodCondition, PodPhase, PodSpec, RestartPolicy } from "./types.js";

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

function container(name: string): ContainerSpec {
  return { name, image: "busybox", command: [], args: [], env: [], ports: [], requests: {}, limits: {} };
}
function spec(restartPolicy: RestartPolicy, ...names: string[]): PodSpec {
  return { containers: names.map(container), restartPolicy, terminationGracePeriodSeconds: 30, nodeSelector: {} };
}
function status(name: string, state: ContainerState, lastState: ContainerStatus["lastState"] = {}, ready = false): ContainerStatus {
  return { name, image: "busybox", state, lastState, ready, started: "running" in state, restartCount: 0 };
}

const creating = containerWaiting("ContainerCreating");
const running = containerRunning(T0);
const exited0 = containerTerminated({ exitCode: 0, finishedAt: T0 });
const exited1 = containerTerminated({ exitCode: 1, finishedAt: T0 });
const backingOff = containerWaiting("CrashLoopBackOff", "back-off 1s");

describe("podPhase", () => {
  const cases: { name: string; spec: PodSpec; statuses: ContainerStatus[]; want: PodPhase }[] = [
    // no statuses yet: every container unknown -> default Pending
    { name: "nothing reported", spec: spec("Always", "a"), statuses: [], want: "Pending" },
    // a container being created has never run: waiting -> Pending
    { name: "creating", spec: spec("Always", "a"), statuses: [status("a", creating)], want: "Pending" },
    // one running, one still creating: waiting > 0 wins -> Pending
    { name: "one of two running", spec: spec("Always", "a", "b"), statuses: [status("a", running), status("b", creating)], want: "Pending" },
    // one running, the other's status missing: running > 0 but unknown > 0 -> Pending
    { name: "running, other unknown", spec: spec("Always", "a", "b"), statuses: [status("a", running)], want: "Pending" },
    // all running -> Running
    { name: "all running", spec: spec("Always", "a", "b"), statuses: [status("a", running), status("b", running)], want: "Running" },
    // one running, one exited 0 under Never: running > 0, unknown 0 -> Running
    { name: "running and completed", spec: spec("Never", "a", "b"), statuses: [status("a", running), status("b", exited0)], want: "Running" },
    // CrashLoopBackOff after a crash counts as stopped (lastState terminated), not waiting -> Running under Always
    { name: "crash looping", spec: spec("Always", "a"), statuses: [status("a", backingOff, exited1)], want: "Running" },
    // Always: all exited 0 are about to restart -> Running, never Succeeded
    { name: "Always, all exited 0", spec: spec("Always", "a"), statuses: [status("a", exited0)], want: "Running" },
    // Always: all exited 1 -> Running, never Failed
    { name: "Always, all exited 1", spec: spec("Always", "a"), statuses: [status("a", exited1)], want: "Running" },
    // OnFailure: stopped 2 == succeeded 2 -> Succeeded
    { name: "OnFailure, all exited 0", spec: spec("OnFailure", "a", "b"), statuses: [status("a", exited0), status("b", exited0)], want: "Succeeded" },
    // OnFailure: one failed (restarting) -> Running, not Failed
    { name: "OnFailure, one failed", spec: spec("OnFailure", "a", "b"), statuses: [status("a", exited0), status("b", exited1)], want: "Running" },
    // OnFailure: the failed one waits out its back-off -> stopped 2, succeeded 1 -> Running
    { name: "OnFailure, one backing off", spec: spec("OnFailure", "a", "b"), statuses: [status("a", exited0), status("b", backingOff, exited1)], want: "Running" },
    // Never: stopped 1 == succeeded 1 -> Succeeded
    { name: "Never, exited 0", spec: spec("Never", "a"), statuses: [status("a", exited0)], want: "Succeeded" },
    // Never: stopped 2, succeeded 1 -> Failed
    { name: "Never, one failed", spec: spec("Never", "a", "b"), statuses: [status("a", exited0), status("b", exited1)], want: "Failed" },
    // statuses of containers not in the spec are ignored: a runs -> Running
    { name: "stray status ignored", spec: spec("Always", "a"), statuses: [status("a", running), status("zz", creating)], want: "Running" },
  ];
  it.each(cases)("$name -> $want", ({ spec, statuses, want }) => {
    expect(podPhase(spec, statuses)).toBe(want);
  });
});

describe("podConditions", () => {
  const scheduled = T0;
  const now = T0 + 7000;
  const at = (ms: number) => statusTime(ms);
  const ready = (name: string) => status(name, running, {}, true);
  const unready = (name: string) => status(name, running, {}, false);

  const cases: { name: string; phase: PodPhase; statuses: ContainerStatus[]; scheduledAt?: number; previous?: PodCondition[]; want: PodCondition[] }[] = [
    // not scheduled: PodScheduled False only, since now
    { name: "unscheduled", phase: "Pending", statuses: [], want: [{ type: "PodScheduled", status: "False", lastTransitionTime: at(now) }] },
    // scheduled, all ready: everything True; PodScheduled dates from scheduledAt, the rest from now
    {
      name: "all ready",
      phase: "Running",
      statuses: [ready("a"), ready("b")],
      scheduledAt: scheduled,
      want: [
        { type: "PodScheduled", status: "True", lastTransitionTime: at(scheduled) },
        { type: "Initialized", status: "True", lastTransitionTime: at(now) },
        { type: "ContainersReady", status: "True", lastTransitionTime: at(now) },
        { type: "Ready", status: "True", lastTransitionTime: at(now) },
      ],
    },
    // one unready: ContainersReady and Ready False, naming the unready container
    {
      name: "one unready",
      phase: "Running",
      statuses: [ready("a"), unready("b")],
      scheduledAt: scheduled,
      want: [
        { type: "PodScheduled", status: "True", lastTransitionTime: at(scheduled) },
        { type: "Initialized", status: "True", lastTransitionTime: at(now) },
        { type: "ContainersReady", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [b]", lastTransitionTime: at(now) },
        { type: "Ready", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [b]", lastTransitionTime: at(now) },
      ],
    },
    // no statuses yet: not ready, with nobody to name
    {
      name: "no statuses",
      phase: "Pending",
      statuses: [],
      scheduledAt: scheduled,
      want: [
        { type: "PodScheduled", status: "True", lastTransitionTime: at(scheduled) },
        { type: "Initialized", status: "True", lastTransitionTime: at(now) },
        { type: "ContainersReady", status: "False", reason: "ContainersNotReady", lastTransitionTime: at(now) },
        { type: "Ready", status: "False", reason: "ContainersNotReady", lastTransitionTime: at(now) },
      ],
    },
    // Succeeded: not ready because completed
    {
      name: "succeeded",
      phase: "Succeeded",
      statuses: [status("a", exited0)],
      scheduledAt: scheduled,
      want: [
        { type: "PodScheduled", status: "True", lastTransitionTime: at(scheduled) },
        { type: "Initialized", status: "True", lastTransitionTime: at(now) },
        { type: "ContainersReady", status: "False", reason: "PodCompleted", lastTransitionTime: at(now) },
        { type: "Ready", status: "False", reason: "PodCompleted", lastTransitionTime: at(now) },
      ],
    },
    // previous: PodScheduled and Initialized unchanged keep T0+1s/T0+2s; Ready changed False->True takes now
    {
      name: "transition times",
      phase: "Running",
      statuses: [ready("a")],
      scheduledAt: scheduled,
      previous: [
        { type: "PodScheduled", status: "True", lastTransitionTime: at(T0 + 1000) },
        { type: "Initialized", status: "True", lastTransitionTime: at(T0 + 2000) },
        { type: "ContainersReady", status: "True", lastTransitionTime: at(T0 + 3000) },
        { type: "Ready", status: "False", reason: "ContainersNotReady", lastTransitionTime: at(T0 + 3000) },
      ],
      want: [
        { type: "PodScheduled", status: "True", lastTransitionTime: at(T0 + 1000) },
        { type: "Initialized", status: "True", lastTransitionTime: at(T0 + 2000) },
        { type: "ContainersReady", status: "True", lastTransitionTime: at(T0 + 3000) },
        { type: "Ready", status: "True", lastTransitionTime: at(now) },
      ],
    },
    // a reason/message change with the same status keeps the time (Kubernetes compares status only)
    {
      name: "same status, new message",
      phase: "Running",
      statuses: [unready("a"), unready("b")],
      scheduledAt: scheduled,
      previous: [{ type: "Ready", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [a]", lastTransitionTime: at(T0 + 3000) }],
      want: [
        { type: "PodScheduled", status: "True", lastTransitionTime: at(scheduled) },
        { type: "Initialized", status: "True", lastTransitionTime: at(now) },
        { type: "ContainersReady", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [a b]", lastTransitionTime: at(now) },
        { type: "Ready", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [a b]", lastTransitionTime: at(T0 + 3000) },
      ],
    },
  ];
  it.each(cases)("$name", ({ phase, statuses, scheduledAt, previous, want }) => {
    expect(podConditions(phase, statuses, scheduledAt, now, previous)).toStrictEqual(want);
  });
});
