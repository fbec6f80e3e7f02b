// `describe pod|node`: kubectl's sections, plus how each limit is enforced and the scheduler's verdict per node.
import { describe, expect, it } from "vitest";
import { describeNode, describePod, describeProbe, describeState, enforcementText } from "../src/output/describe.js";
import type { PodDetail } from "../src/types.js";
import { ago, cs, node, pod, spec } from "./pod-fixtures.js";

const PROBE = { initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 };

describe("probes read as kubectl prints them", () => {
  const cases: [string, Parameters<typeof describeProbe>[0], string][] = [
    ["http", { ...PROBE, httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" } }, "http-get http://:8080/healthz delay=5s timeout=1s period=10s #success=1 #failure=3"],
    ["exec", { ...PROBE, exec: { command: ["cat", "/tmp/ready"] } }, "exec [cat /tmp/ready] delay=5s timeout=1s period=10s #success=1 #failure=3"],
    ["tcp", { ...PROBE, tcpSocket: { port: "http" } }, "tcp-socket :http delay=5s timeout=1s period=10s #success=1 #failure=3"],
  ];
  it.each(cases)("%s", (_why, probe, text) => expect(describeProbe(probe)).toBe(text));
});

describe("container states", () => {
  it("running, waiting and terminated, with their detail fields", () => {
    expect(describeState({ running: { startedAt: "T0" } })).toEqual(["Running", [["Started", "T0"]]]);
    expect(describeState({ waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" } })).toEqual([
      "Waiting",
      [["Reason", "CrashLoopBackOff"], ["Message", "back-off 10s"]],
    ]);
    expect(describeState({ terminated: { exitCode: 137, reason: "OOMKilled", finishedAt: "T1" } })).toEqual([
      "Terminated",
      [["Reason", "OOMKilled"], ["Exit Code", "137"], ["Finished", "T1"]],
    ]);
    expect(describeState({})).toEqual(["<none>", []]);
  });

  it("says how a limit is held, or nothing before the node reported", () => {
    expect(enforcementText("cgroup-v2")).toBe("enforced by cgroup v2");
    expect(enforcementText("agent")).toMatch(/^enforced by the node agent/);
    expect(enforcementText("none")).toBe("not enforced on this node");
    expect(enforcementText(undefined)).toBeUndefined();
  });
});

function detail(over: Parameters<typeof pod>[0] = {}): PodDetail {
  return {
    pod: pod(over),
    fits: [
      { nodeId: "n1", nodeName: "node-a", feasible: true, chosen: true, reasons: [], freeCpuAfter: 3750, freeMemoryAfter: 16320 },
      { nodeId: "n2", nodeName: "node-b", feasible: false, chosen: false, reasons: ["Insufficient cpu"], freeCpuAfter: null, freeMemoryAfter: null },
    ],
    events: [],
    policy: "best-fit",
  } as PodDetail;
}

describe("describe pod", () => {
  const text = describePod(detail({
    containerStatuses: [cs("main", { restartCount: 2, lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(1000) } } })],
    spec: spec({ containers: [{ ...spec().containers[0]!, env: [{ name: "MODE", value: "fast" }], livenessProbe: { ...PROBE, exec: { command: ["true"] } } }] }),
  }));

  it("has kubectl's sections in kubectl's order", () => {
    const order = ["Name:", "Namespace:", "Node:", "Status:", "IP:", "Containers:", "Conditions:", "QoS Class:", "Scheduling (best-fit):", "Events:"];
    const at = order.map((h) => text.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it("shows each container's image, command, states, limits with their enforcement, probes and env", () => {
    expect(text).toContain("Image:          busybox");
    expect(text).toMatch(/Command:\n\s+sleep\n\s+3600/);
    expect(text).toMatch(/State:\s+Running/);
    expect(text).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1/);
    expect(text).toMatch(/Restart Count:\s+2/);
    expect(text).toMatch(/Limits:\n\s+cpu:\s+250m  \(enforced by cgroup v2\)\n\s+memory:\s+64Mi  \(enforced by the node agent/);
    expect(text).toMatch(/Requests:\n\s+cpu:\s+250m\n\s+memory:\s+64Mi\n/);
    expect(text).toMatch(/Liveness:\s+exec \[true\] delay=5s/);
    expect(text).toMatch(/Environment:\n\s+MODE:\s+fast/);
  });

  it("explains the placement on every node, and keeps the placement message out of the header", () => {
    expect(text).toMatch(/node-a\s+yes\s+\*/);
    expect(text).toMatch(/node-b\s+no\s+-\s+Insufficient cpu/);
    expect(text).not.toMatch(/^Message:/m);
  });

  it("a Pending pod says why in its header", () => {
    const pending = describePod(detail({ status: "Pending", phase: null, nodeName: null, reason: "FailedScheduling", message: "0/2 nodes fit" }));
    expect(pending).toMatch(/^Reason:\s+FailedScheduling$/m);
    expect(pending).toMatch(/^Message:\s+0\/2 nodes fit$/m);
  });

  it("a pod without containers says it only holds room", () => {
    expect(describePod(detail({ spec: null, containerStatuses: [] }))).toContain("Containers:  <none> (a placeholder holding 250m CPU, 64Mi memory)");
  });
});

describe("describe node", () => {
  it("lists capacity, its pods' requests and limits, and the totals", () => {
    const text = describeNode({ node: node(), pods: [pod()], events: [] } as Parameters<typeof describeNode>[0]);
    expect(text).toMatch(/^Roles:\s+<none>$/m);
    expect(text).toMatch(/Capacity:\n\s+cpu:\s+4\n\s+memory:\s+16Gi/);
    expect(text).toContain("Non-terminated Pods:  (1 in total)");
    expect(text).toMatch(/default\s+web\s+250m \(6%\)\s+250m \(6%\)\s+64Mi \(0%\)\s+64Mi \(0%\)/);
    expect(text).toMatch(/Allocated resources:\n\s+Resource\s+Requests\s+Limits\n\s+cpu\s+250m \(6%\)/);
  });
});
