import { describe, expect, it } from "vitest";
import { HollowNode, hollowExitCode } from "./hollow-node.js";
import type { PodSpec, RestartPolicy } from "./types.js";

const T = Date.parse("2026-11-29T12:00:00.000Z");

function spec(command: string[], restartPolicy: RestartPolicy = "Always", image = "busybox"): PodSpec {
  return {
    containers: [{ name: "c", image, command, args: [], env: [], ports: [], requests: { cpuMilli: 200, memoryMiB: 100 }, limits: {} }],
    restartPolicy,
    terminationGracePeriodSeconds: 30,
    nodeSelector: {},
  };
}

function answer(pods: Array<[string, PodSpec]>, assign = true) {
  return {
    desiredPodIds: pods.map(([id]) => id),
    assignments: assign ? pods.map(([id, s]) => ({ id, name: `pod-${id}`, namespace: "default", spec: s })) : [],
    heartbeatIntervalMs: 1000,
    kubelet: { backoffInitialMs: 1000, backoffMaxMs: 4000 },
  };
}

describe("hollowExitCode", () => {
  it.each([
    [["false"], null, 1], // false exits 1
    [["/bin/true"], null, 0], // true exits 0, whatever its path
    [["sh", "-c", "exit 3"], null, 3], // sh -c "exit N" exits N
    [["sh", "-c", "exit 300"], null, 44], // exit codes wrap at 256: 300 & 255 = 44
    [["sleep", "3600"], null, null], // anything else keeps running
    [["sh"], ["-c", "exit 2"], 2], // args count as part of the command line
    [["sh", "-c", "exit 1; sleep 5"], null, null], // only a bare exit is recognised
  ])("%j %j -> %s", (command, args, code) => {
    expect(hollowExitCode({ command, args: args ?? [] })).toBe(code);
  });
});

describe("HollowNode", () => {
  it("a new pod of a built-in image reports Running once, and the confirmation follows at once", () => {
    const node = new HollowNode();
    node.registered("worker", 1000);
    const first = node.report(T);
    expect(first.report.podIds).toEqual([]);
    // The pod set changed: the caller beats again at once so the API confirms the pod.
    expect(node.accepted(first.sent, answer([["p1", spec(["sleep", "3600"])]]), T)).toBe(true);
    const second = node.report(T + 5);
    expect(second.report.podIds).toEqual(["p1"]);
    expect(second.report.podStatuses?.map((s) => s.phase)).toEqual(["Running"]);
    // Use: half the 200m / 100 MiB request, ±10%: 90..110 millicores.
    expect(second.report.usage.cpuMilli).toBeGreaterThanOrEqual(90);
    expect(second.report.usage.cpuMilli).toBeLessThanOrEqual(110);
    expect(node.accepted(second.sent, answer([["p1", spec(["sleep", "3600"])]], false), T + 5)).toBe(false);
    // Accepted statuses are not sent again.
    expect(node.report(T + 1000).report.podStatuses).toBeUndefined();
  });

  it("a failed beat's statuses are sent again", () => {
    const node = new HollowNode();
    node.accepted([], answer([["p1", spec(["sleep", "1"])]]), T);
    const lost = node.report(T + 1);
    expect(lost.report.podStatuses).toHaveLength(1);
    // No accepted() call: the API never saw it.
    expect(node.report(T + 2).report.podStatuses).toHaveLength(1);
  });

  it("a container that exits at once crash-loops with the cluster's back-off: 1 s, 2 s, then the 4 s cap", () => {
    const node = new HollowNode();
    const s = spec(["false"]);
    node.accepted([], answer([["p1", s]]), T);
    const waits: Array<[number, string | undefined, string]> = [];
    // Beats at T+0, +1 s (back-off 1 s over), +3 s (2 s over), +7 s (4 s over), +11 s (cap 4 s over).
    for (const at of [0, 1000, 3000, 7000, 11_000]) {
      const { report, sent } = node.report(T + at);
      const c = report.podStatuses![0]!.containerStatuses[0]!;
      const state = c.state as { waiting?: { reason: string; message?: string } };
      waits.push([c.restartCount, state.waiting?.reason, state.waiting?.message?.split(" ")[1] ?? ""]);
      node.accepted(sent, answer([["p1", s]], false), T + at);
    }
    expect(waits).toEqual([
      [0, "CrashLoopBackOff", "1s"], // exited at once: wait 1 s
      [1, "CrashLoopBackOff", "2s"], // restart 1 exited too: 1 s doubled
      [2, "CrashLoopBackOff", "4s"], // restart 2: 2 s doubled
      [3, "CrashLoopBackOff", "4s"], // restart 3: 8 s capped at backoffMaxMs 4 s
      [4, "CrashLoopBackOff", "4s"], // restart 4: still capped
    ]);
  });

  it("a beat before the back-off is over reports nothing new", () => {
    const node = new HollowNode();
    const s = spec(["false"]);
    node.accepted([], answer([["p1", s]]), T);
    const first = node.report(T);
    node.accepted(first.sent, answer([["p1", s]], false), T);
    // 999 ms < the 1 s back-off: no restart, no status.
    expect(node.report(T + 999).report.podStatuses).toBeUndefined();
  });

  it.each([
    ["Never", ["false"], "Failed", 1], // exit 1, never restarted: Failed
    ["Never", ["true"], "Succeeded", 0], // exit 0, never restarted: Succeeded
    ["OnFailure", ["true"], "Succeeded", 0], // OnFailure does not restart exit 0
  ] as const)("restartPolicy %s, %j -> phase %s (exit %d)", (policy, command, phase, code) => {
    const node = new HollowNode();
    node.accepted([], answer([["p1", spec([...command], policy)]]), T);
    const status = node.report(T).report.podStatuses![0]!;
    expect(status.phase).toBe(phase);
    expect(status.containerStatuses[0]!.state).toMatchObject({ terminated: { exitCode: code } });
  });

  it("a pod no longer desired is dropped, and so is its use", () => {
    const node = new HollowNode();
    node.accepted([], answer([["p1", spec(["sleep", "9"])]]), T);
    expect(node.accepted([], answer([]), T + 1)).toBe(true);
    const { report } = node.report(T + 2);
    expect(report.podIds).toEqual([]);
    expect(report.usage).toEqual({ cpuMilli: 0, memoryMiB: 0 });
  });
});
