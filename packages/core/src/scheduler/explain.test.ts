import { describe, expect, it } from "vitest";
import type { NodeStatus, PolicyName, SchedNode } from "../types.js";
import { explain, type NodeFit } from "./explain.js";

function n(id: string, order: number, freeCpu: number, freeMem: number, status: NodeStatus = "Ready"): SchedNode {
  return {
    id,
    name: `node-${id}`,
    order,
    status,
    capacity: { cpuMilli: 4000, memoryMiB: 4096 },
    allocated: { cpuMilli: 4000 - freeCpu, memoryMiB: 4096 - freeMem },
    labels: {},
  };
}

describe("explain", () => {
  // Passed out of order; explain reports in registration order a, b, c, d.
  const nodes = [n("c", 3, 3000, 4096), n("a", 1, 1000, 4096), n("d", 4, 4000, 4096, "Suspect"), n("b", 2, 2000, 1024)];
  const pod = { request: { cpuMilli: 1500, memoryMiB: 512 }, nodeSelector: {} };
  const rows = (chosen: string): NodeFit[] => [
    // a: 1000m < 1500m
    { nodeId: "a", nodeName: "node-a", feasible: false, reasons: ["Insufficient cpu: requested 1500m, free 1000m of 4000m"], chosen: false },
    // b: 2000m-1500m=500m, 1024Mi-512Mi=512Mi
    { nodeId: "b", nodeName: "node-b", feasible: true, reasons: [], freeCpuAfter: 500, freeMemoryAfter: 512, chosen: chosen === "b" },
    // c: 3000m-1500m=1500m, 4096Mi-512Mi=3584Mi
    { nodeId: "c", nodeName: "node-c", feasible: true, reasons: [], freeCpuAfter: 1500, freeMemoryAfter: 3584, chosen: chosen === "c" },
    // d: Suspect, capacity not considered
    { nodeId: "d", nodeName: "node-d", feasible: false, reasons: ["node is Suspect"], chosen: false },
  ];
  const cases: { policy: PolicyName; chosen: string }[] = [
    // b (order 2) is the first feasible
    { policy: "first-fit", chosen: "b" },
    // 500m < 1500m left -> b
    { policy: "best-fit", chosen: "b" },
    // 1500m > 500m left -> c
    { policy: "worst-fit", chosen: "c" },
  ];
  it.each(cases)("$policy", ({ policy, chosen }) => {
    expect(explain(nodes, pod, policy)).toEqual(rows(chosen));
  });

  it("marks nothing chosen when nothing fits", () => {
    // 5000m > every node's 4000m capacity
    const fits = explain(nodes, { request: { cpuMilli: 5000, memoryMiB: 1 }, nodeSelector: {} }, "best-fit");
    expect(fits.filter((f) => f.chosen || f.feasible)).toEqual([]);
    expect(fits).toHaveLength(4);
  });
});
