// The kubectl columns: STATUS, READY and RESTARTS follow kubectl's printPod rules, nodes its printNode.
import { describe, expect, it } from "vitest";
import {
  nodeRoles,
  nodeStatusText,
  podReady,
  podRestarts,
  podStatusText,
  renderKubectlNodes,
  renderKubectlPods,
} from "../src/output/kubectl.js";
import type { PodDTO } from "../src/types.js";
import { ago, cs, node, NOW, pod, spec } from "./pod-fixtures.js";

const waiting = (reason: string) => ({ waiting: { reason } });
const terminated = (exitCode: number, reason = "", signal?: number) => ({
  terminated: { exitCode, reason, finishedAt: ago(30_000), ...(signal !== undefined ? { signal } : {}) },
});

describe("STATUS", () => {
  const two = spec({}, ["a", "b"]);
  const cases: [why: string, over: Partial<PodDTO>, status: string][] = [
    ["a running pod shows its phase", {}, "Running"],
    // A waiting container's reason is what people need to see, not the Pending/Running phase.
    ["a crash-looping container", { containerStatuses: [cs("main", { state: waiting("CrashLoopBackOff"), ready: false })] }, "CrashLoopBackOff"],
    ["an image that cannot be pulled", { phase: "Pending", containerStatuses: [cs("main", { state: waiting("ErrImagePull"), ready: false })] }, "ErrImagePull"],
    // Succeeded reads as Completed, whether or not the container's own reason says so.
    ["a finished pod", { phase: "Succeeded", containerStatuses: [cs("main", { state: terminated(0, "Completed"), ready: false })] }, "Completed"],
    ["Succeeded without container statuses", { phase: "Succeeded", containerStatuses: [] }, "Completed"],
    ["a terminated container's reason", { phase: "Failed", containerStatuses: [cs("main", { state: terminated(137, "OOMKilled"), ready: false })] }, "OOMKilled"],
    ["no reason: the exit code", { phase: "Failed", containerStatuses: [cs("main", { state: terminated(3), ready: false })] }, "ExitCode:3"],
    ["no reason and a signal", { phase: "Failed", containerStatuses: [cs("main", { state: terminated(137, "", 9), ready: false })] }, "Signal:9"],
    // kubectl walks the containers backwards, so the first container's reason is the one shown.
    ["the first container wins", { spec: two, containerStatuses: [cs("a", { state: waiting("ErrImagePull"), ready: false }), cs("b", { state: waiting("CrashLoopBackOff"), ready: false })] }, "ErrImagePull"],
    // One container done, another still running and the pod Ready: kubectl says Running, not Completed.
    ["Completed while another runs", { spec: two, containerStatuses: [cs("a", { state: terminated(0, "Completed"), ready: false }), cs("b")] }, "Running"],
    ["Completed while another runs, pod not Ready", { spec: two, conditions: [], containerStatuses: [cs("a", { state: terminated(0, "Completed"), ready: false }), cs("b")] }, "NotReady"],
    // Deletion beats everything.
    ["a pod being deleted", { status: "Terminating", containerStatuses: [cs("main", { state: waiting("CrashLoopBackOff") })] }, "Terminating"],
    // No node report yet: Kube-9's own status stands in for the phase.
    ["not reported yet", { status: "Scheduled", phase: null, containerStatuses: [] }, "Scheduled"],
    ["a placeholder pod without containers", { spec: null, phase: null, containerStatuses: [] }, "Running"],
  ];
  it.each(cases)("%s", (_why, over, status) => {
    expect(podStatusText(pod(over))).toBe(status);
  });
});

describe("READY and RESTARTS", () => {
  const two = spec({}, ["a", "b"]);
  const cases: [why: string, over: Partial<PodDTO>, ready: string, restarts: string][] = [
    ["one ready container", {}, "1/1", "0"],
    // Ready counts only running containers that pass readiness.
    ["one of two ready", { spec: two, containerStatuses: [cs("a"), cs("b", { ready: false })] }, "1/2", "0"],
    ["statuses not reported yet", { spec: two, containerStatuses: [] }, "0/2", "0"],
    // Restarts are summed; kubectl adds how long ago the latest restart was.
    [
      "restarts summed with the latest age",
      { spec: two, containerStatuses: [cs("a", { restartCount: 2, lastState: terminated(1, "Error") }), cs("b", { restartCount: 1 })] },
      "2/2",
      "3 (30s ago)",
    ],
    ["restarts without a last state", { containerStatuses: [cs("main", { restartCount: 4 })] }, "1/1", "4"],
    // A placeholder pod runs nothing: 0/0, and its restarts are Kube-9's reschedules.
    ["a placeholder pod", { spec: null, containerStatuses: [], restarts: 2 }, "0/0", "2"],
  ];
  it.each(cases)("%s", (_why, over, ready, restarts) => {
    const p = pod(over);
    expect(podReady(p)).toBe(ready);
    expect(podRestarts(p, NOW)).toBe(restarts);
  });
});

describe("get pods table", () => {
  it("has kubectl's columns", () => {
    expect(renderKubectlPods([pod()], false, NOW).split("\n")).toEqual([
      "NAME   READY   STATUS    RESTARTS   AGE",
      "web    1/1     Running   0          5s",
    ]);
  });

  it("wide adds IP and NODE, <none> when unknown", () => {
    const lines = renderKubectlPods([pod(), pod({ name: "waiting", podIP: null, nodeName: null, status: "Pending", phase: null, containerStatuses: [] })], true, NOW).split("\n");
    expect(lines[0]).toBe("NAME      READY   STATUS    RESTARTS   AGE   IP         NODE");
    expect(lines[1]).toBe("web       1/1     Running   0          5s    10.9.0.5   node-a");
    expect(lines[2]).toBe("waiting   0/1     Pending   0          5s    <none>     <none>");
  });
});

describe("get nodes", () => {
  // kubectl only knows Ready/NotReady/Unknown (+SchedulingDisabled); Kube-9's statuses map onto them.
  const cases: [NonNullable<Parameters<typeof node>[0]>["status"], string][] = [
    ["Ready", "Ready"],
    ["Cordoned", "Ready,SchedulingDisabled"],
    ["Suspect", "Unknown"],
    ["Failed", "NotReady"],
    ["Provisioning", "NotReady"],
    ["Removed", "NotReady,SchedulingDisabled"],
  ];
  it.each(cases)("status %s shows as %s", (status, text) => {
    expect(nodeStatusText(node({ status }))).toBe(text);
  });

  it("workers have no role, masters are control-plane", () => {
    expect(nodeRoles(node())).toBe("<none>");
    expect(nodeRoles(node({ role: "master" }))).toBe("control-plane");
  });

  it("has kubectl's columns; wide adds CPU, MEMORY, RUNTIME", () => {
    expect(renderKubectlNodes([node()], false, NOW).split("\n")).toEqual([
      "NAME     STATUS   ROLES    AGE   VERSION",
      "node-a   Ready    <none>   2m    -",
    ]);
    expect(renderKubectlNodes([node()], true, NOW).split("\n")[1]).toBe("node-a   Ready    <none>   2m    -         4     16384Mi   process");
  });
});
