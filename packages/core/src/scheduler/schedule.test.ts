import { describe, expect, it } from "vitest";
import type { Labels, NodeStatus, PolicyName, SchedNode, SchedPod } from "../types.js";
import { ClusterIndex } from "./cluster-index.js";
import { explainRejections, schedule, summarizeRejections } from "./schedule.js";

function n(id: string, order: number, cpu: [number, number], mem: [number, number], status: NodeStatus = "Ready", labels: Labels = {}): SchedNode {
  return {
    id,
    name: `node-${id}`,
    order,
    status,
    capacity: { cpuMilli: cpu[0], memoryMiB: mem[0] },
    allocated: { cpuMilli: cpu[1], memoryMiB: mem[1] },
    labels,
  };
}
const pod = (cpuMilli: number, memoryMiB: number, nodeSelector: Labels = {}): SchedPod => ({
  request: { cpuMilli, memoryMiB },
  nodeSelector,
});

describe("schedule: success messages", () => {
  // a: 4000m free, 4096Mi free; b: 2500m free, 2048Mi free; c: Failed
  const nodes = [n("a", 1, [4000, 0], [4096, 0]), n("b", 2, [4000, 1500], [4096, 2048]), n("c", 3, [4000, 0], [4096, 0], "Failed")];
  const cases: { policy: PolicyName; pod: SchedPod; want: string }[] = [
    // a: 4000m-2000m=2000m, b: 2500m-2000m=500m -> b; b memory 2048Mi-1024Mi=1024Mi; 2 feasible (c Failed)
    {
      policy: "best-fit",
      pod: pod(2000, 1024),
      want: "best-fit chose node-b: 500m CPU and 1024Mi memory free after placement, least of 2 feasible nodes",
    },
    // a: 4000m-2000m=2000m left, 4096Mi-1024Mi=3072Mi left -> most of 2
    {
      policy: "worst-fit",
      pod: pod(2000, 1024),
      want: "worst-fit chose node-a: 2000m CPU and 3072Mi memory free after placement, most of 2 feasible nodes",
    },
    // a is order 1: 4000m-2000m=2000m, 4096Mi-1024Mi=3072Mi
    {
      policy: "first-fit",
      pod: pod(2000, 1024),
      want: "first-fit chose node-a: first of 2 feasible nodes in registration order; 2000m CPU and 3072Mi memory free after placement",
    },
    // only a has 3000m (b has 2500m): 4000m-3000m=1000m left, 4096Mi-1Mi=4095Mi
    {
      policy: "best-fit",
      pod: pod(3000, 1),
      want: "best-fit chose node-a: 1000m CPU and 4095Mi memory free after placement, the only feasible node",
    },
  ];
  it.each(cases)("$policy $pod.request.cpuMilli", ({ policy, pod, want }) => {
    const result = schedule(new ClusterIndex(nodes), pod, policy);
    expect(result).toMatchObject({ ok: true, message: want });
  });
});

describe("schedule: failures", () => {
  const cases: { name: string; nodes: SchedNode[]; pod: SchedPod; message: string; reasons: Record<string, string[]> }[] = [
    // a: 1500m < 2000m; b: 1000m < 2000m; c Failed (its 4000m does not matter, but it is still reported)
    {
      name: "cpu and status",
      nodes: [n("a", 1, [4000, 2500], [1024, 0]), n("b", 2, [1000, 0], [1024, 0]), n("c", 3, [4000, 0], [1024, 0], "Failed")],
      pod: pod(2000, 1),
      message: "0/3 nodes are available: 2 Insufficient cpu, 1 node is Failed.",
      reasons: {
        a: ["Insufficient cpu: requested 2000m, free 1500m of 4000m"],
        b: ["Insufficient cpu: requested 2000m, free 1000m of 1000m"],
        c: ["node is Failed"],
      },
    },
    // a: 256Mi < 512Mi and hdd != ssd; b: no disk label; c Cordoned: a node counts once per kind, kinds by count then name
    {
      name: "memory, selector, cordoned",
      nodes: [
        n("a", 1, [4000, 0], [1024, 768], "Ready", { disk: "hdd" }),
        n("b", 2, [4000, 0], [1024, 0]),
        n("c", 3, [4000, 0], [1024, 0], "Cordoned", { disk: "ssd" }),
      ],
      pod: pod(1000, 512, { disk: "ssd" }),
      message: "0/3 nodes are available: 2 node selector mismatch, 1 Insufficient memory, 1 node is Cordoned.",
      reasons: {
        a: ["Insufficient memory: requested 512Mi, free 256Mi of 1024Mi", "node selector mismatch: wants disk=ssd, node has disk=hdd"],
        b: ["node selector mismatch: wants disk=ssd, node has no label disk"],
        c: ["node is Cordoned"],
      },
    },
    // a and b Failed, c Suspect: statuses are counted per status, plural for more than one node
    {
      name: "several nodes of one status",
      nodes: [n("a", 1, [4000, 0], [1024, 0], "Failed"), n("b", 2, [4000, 0], [1024, 0], "Failed"), n("c", 3, [4000, 0], [1024, 0], "Suspect")],
      pod: pod(1000, 1),
      message: "0/3 nodes are available: 2 nodes are Failed, 1 node is Suspect.",
      reasons: { a: ["node is Failed"], b: ["node is Failed"], c: ["node is Suspect"] },
    },
    // a Suspect node short of CPU and memory counts under its status and both resources; b (Ready) is short of memory
    // only (3000m >= 2000m, 100Mi < 512Mi); both miss zone=z1 (a has z2, b none)
    {
      name: "not Ready nodes also count their shortfalls",
      nodes: [n("a", 1, [4000, 3000], [1024, 1000], "Suspect", { zone: "z2" }), n("b", 2, [4000, 1000], [1024, 924])],
      pod: pod(2000, 512, { zone: "z1" }),
      message: "0/2 nodes are available: 2 Insufficient memory, 2 node selector mismatch, 1 Insufficient cpu, 1 node is Suspect.",
      reasons: {
        a: [
          "node is Suspect",
          "Insufficient cpu: requested 2000m, free 1000m of 4000m",
          "Insufficient memory: requested 512Mi, free 24Mi of 1024Mi",
          "node selector mismatch: wants zone=z1, node has zone=z2",
        ],
        b: ["Insufficient memory: requested 512Mi, free 100Mi of 1024Mi", "node selector mismatch: wants zone=z1, node has no label zone"],
      },
    },
    // no nodes registered
    { name: "empty cluster", nodes: [], pod: pod(1, 1), message: "0/0 nodes are available: no nodes in the cluster.", reasons: {} },
  ];
  it.each(cases)("$name", ({ nodes, pod, message, reasons }) => {
    for (const policy of ["first-fit", "best-fit", "worst-fit"] as const) {
      const result = schedule(new ClusterIndex(nodes), pod, policy);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.message).toBe(message);
      // The long form, built only on demand, lists every reason and summarizes to the same counted message.
      const rejections = explainRejections(nodes, pod);
      expect(summarizeRejections(nodes.length, rejections)).toBe(message);
      expect(Object.fromEntries(rejections.map((r) => [r.nodeId, r.reasons]))).toEqual(reasons);
      expect(rejections.map((r) => r.nodeName)).toEqual(Object.keys(reasons).map((id) => `node-${id}`));
    }
  });
});

describe("summarizeRejections", () => {
  it.each([
    // 1 of 3 nodes rejected -> 2 available (a summary for a partial view)
    { total: 3, reasons: [["node is Suspect"]], want: "2/3 nodes are available: 1 node is Suspect." },
    // equal counts are ordered by kind name: "Insufficient cpu" < "node is Failed"
    { total: 2, reasons: [["node is Failed"], ["Insufficient cpu: requested 1m, free 0m of 1m"]], want: "0/2 nodes are available: 1 Insufficient cpu, 1 node is Failed." },
  ])("$want", ({ total, reasons, want }) => {
    expect(summarizeRejections(total, reasons.map((r, i) => ({ nodeId: `n${i}`, nodeName: `n${i}`, reasons: r })))).toBe(want);
  });
});
