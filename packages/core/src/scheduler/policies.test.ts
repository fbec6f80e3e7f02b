import { describe, expect, it } from "vitest";
import type { Labels, NodeStatus, PolicyName, SchedNode, SchedPod } from "../types.js";
import { ClusterIndex } from "./cluster-index.js";
import { explain } from "./explain.js";
import { POLICIES } from "./policies/index.js";

/** A node with `free` = [cpu, mem] left of capacity [cpu, mem]. */
function n(
  id: string,
  order: number,
  capacity: [number, number],
  free: [number, number],
  extra: { status?: NodeStatus; labels?: Labels } = {},
): SchedNode {
  return {
    id,
    name: `node-${id}`,
    order,
    status: extra.status ?? "Ready",
    capacity: { cpuMilli: capacity[0], memoryMiB: capacity[1] },
    allocated: { cpuMilli: capacity[0] - free[0], memoryMiB: capacity[1] - free[1] },
    labels: extra.labels ?? {},
  };
}
function pod(cpuMilli: number, memoryMiB: number, nodeSelector: Labels = {}): SchedPod {
  return { request: { cpuMilli, memoryMiB }, nodeSelector };
}

interface Case {
  name: string;
  nodes: SchedNode[];
  pod: SchedPod;
  want: string | undefined;
}

/** Runs the table through the fast index and through explain(), which must agree. */
function runTable(policy: PolicyName, cases: Case[]): void {
  it.each(cases)("$name", ({ nodes, pod, want }) => {
    expect(new ClusterIndex(nodes).pick(pod, policy)?.id).toBe(want);
    expect(explain(nodes, pod, policy).find((f) => f.chosen)?.nodeId).toBe(want);
  });
}

// Shared shapes: the same cluster gives different answers per policy.
const C = 4000;
const M = 8192;

describe("best-fit", () => {
  runTable("best-fit", [
    // a: 4000m-2000m=2000m left; b: 2500m-2000m=500m left -> least is b
    { name: "least free cpu after placement", nodes: [n("a", 1, [C, M], [4000, M]), n("b", 2, [C, M], [2500, M])], pod: pod(2000, 1), want: "b" },
    // both 3000m-1000m=2000m left; a 8192Mi-1024Mi=7168Mi, b 4096Mi-1024Mi=3072Mi -> less memory wins: b
    { name: "cpu tie broken by memory", nodes: [n("a", 1, [C, M], [3000, 8192]), n("b", 2, [C, M], [3000, 4096])], pod: pod(1000, 1024), want: "b" },
    // both 2000m/4096Mi left; orders 2 (a) and 1 (b) -> registration order picks b
    { name: "cpu and memory tie broken by order", nodes: [n("a", 2, [C, M], [3000, 5120]), n("b", 1, [C, M], [3000, 5120])], pod: pod(1000, 1024), want: "b" },
    // a: 750m-500m=250m left; b: 1000m-500m=500m left -> a
    { name: "fractional cpu 500m", nodes: [n("a", 1, [1000, M], [750, M]), n("b", 2, [1000, M], [1000, M])], pod: pod(500, 1), want: "a" },
    // a: 250m-250m=0m left (exact fit); b: 500m-250m=250m left -> a
    { name: "fractional cpu 250m exact fit", nodes: [n("a", 1, [1000, M], [250, M]), n("b", 2, [1000, M], [500, M])], pod: pod(250, 1), want: "a" },
    // a: 250m free < 500m rejected; b: 750m-500m=250m left -> b
    { name: "skips node with too little cpu", nodes: [n("a", 1, [1000, M], [250, M]), n("b", 2, [1000, M], [750, M])], pod: pod(500, 1), want: "b" },
    // a: 1000m-500m=500m left but 256Mi < 512Mi; b: 3000m-500m=2500m left, 2048Mi >= 512Mi -> b
    { name: "memory rules out the tighter node", nodes: [n("a", 1, [C, M], [1000, 256]), n("b", 2, [C, M], [3000, 2048])], pod: pod(500, 512), want: "b" },
    // a (disk=hdd) would leave 0m but selector wants ssd; b (ssd): 2000m-1000m=1000m left -> b
    {
      name: "nodeSelector",
      nodes: [n("a", 1, [C, M], [1000, M], { labels: { disk: "hdd" } }), n("b", 2, [C, M], [2000, M], { labels: { disk: "ssd" } })],
      pod: pod(1000, 1, { disk: "ssd" }),
      want: "b",
    },
    // a Suspect (would leave 0m), c Cordoned (0m), b Ready: 4000m-1000m=3000m left -> b
    {
      name: "non-Ready nodes are skipped",
      nodes: [n("a", 1, [C, M], [1000, M], { status: "Suspect" }), n("b", 2, [C, M], [4000, M]), n("c", 3, [C, M], [1000, M], { status: "Cordoned" })],
      pod: pod(1000, 1),
      want: "b",
    },
    // no nodes at all
    { name: "empty cluster", nodes: [], pod: pod(1, 1), want: undefined },
    // a: 1500m < 2000m; b: 1999m < 2000m -> nothing fits
    { name: "nothing fits", nodes: [n("a", 1, [C, M], [1500, M]), n("b", 2, [C, M], [1999, M])], pod: pod(2000, 1), want: undefined },
    // 0m request fits everywhere; least left is a at 0m-0m=0m (a full node still takes a zero pod)
    { name: "zero request", nodes: [n("a", 1, [C, M], [0, 0]), n("b", 2, [C, M], [C, M])], pod: pod(0, 0), want: "a" },
  ]);
});

describe("worst-fit", () => {
  runTable("worst-fit", [
    // a: 4000m-2000m=2000m left; b: 2500m-2000m=500m left -> most is a
    { name: "most free cpu after placement", nodes: [n("a", 1, [C, M], [4000, M]), n("b", 2, [C, M], [2500, M])], pod: pod(2000, 1), want: "a" },
    // both 3000m-1000m=2000m left; a 7168Mi left, b 3072Mi left -> LESS memory wins (only cpu is reversed): b
    { name: "cpu tie broken by less memory", nodes: [n("a", 1, [C, M], [3000, 8192]), n("b", 2, [C, M], [3000, 4096])], pod: pod(1000, 1024), want: "b" },
    // both 2000m/4096Mi left; orders 2 (a) and 1 (b) -> b
    { name: "cpu and memory tie broken by order", nodes: [n("a", 2, [C, M], [3000, 5120]), n("b", 1, [C, M], [3000, 5120])], pod: pod(1000, 1024), want: "b" },
    // a: 750m-500m=250m left; b: 1000m-500m=500m left -> b
    { name: "fractional cpu 500m", nodes: [n("a", 1, [1000, M], [750, M]), n("b", 2, [1000, M], [1000, M])], pod: pod(500, 1), want: "b" },
    // a 4000m free but 256Mi < 512Mi; b 1000m-500m=500m left -> b
    { name: "memory rules out the roomier node", nodes: [n("a", 1, [C, M], [4000, 256]), n("b", 2, [C, M], [1000, 2048])], pod: pod(500, 512), want: "b" },
    // top cpu group (4000m) holds a (100Mi, too little) and c (1024Mi); b has 3000m -> c, still from the top group
    {
      name: "memory skip inside the top cpu group",
      nodes: [n("a", 1, [C, M], [4000, 100]), n("b", 2, [C, M], [3000, M]), n("c", 3, [C, M], [4000, 1024])],
      pod: pod(500, 512),
      want: "c",
    },
    // a (hdd) has 4000m free but wrong disk; b (ssd) 2000m-1000m=1000m left -> b
    {
      name: "nodeSelector",
      nodes: [n("a", 1, [C, M], [4000, M], { labels: { disk: "hdd" } }), n("b", 2, [C, M], [2000, M], { labels: { disk: "ssd" } })],
      pod: pod(1000, 1, { disk: "ssd" }),
      want: "b",
    },
    // a Failed with 4000m free; b Ready 1000m-1000m=0m left -> b
    {
      name: "non-Ready nodes are skipped",
      nodes: [n("a", 1, [C, M], [4000, M], { status: "Failed" }), n("b", 2, [C, M], [1000, M])],
      pod: pod(1000, 1),
      want: "b",
    },
    { name: "empty cluster", nodes: [], pod: pod(1, 1), want: undefined },
    // 1500m < 2000m
    { name: "nothing fits", nodes: [n("a", 1, [C, M], [1500, M])], pod: pod(2000, 1), want: undefined },
  ]);
});

describe("first-fit", () => {
  runTable("first-fit", [
    // a (order 1) fits with 4000m-500m=3500m left: first wins although b would fit tighter
    { name: "first feasible in registration order", nodes: [n("a", 1, [C, M], [4000, M]), n("b", 2, [C, M], [500, M])], pod: pod(500, 1), want: "a" },
    // passed in as [a(order 2), b(order 1)]: order, not array position, decides -> b
    { name: "order field, not input position", nodes: [n("a", 2, [C, M], [C, M]), n("b", 1, [C, M], [C, M])], pod: pod(500, 1), want: "b" },
    // equal order 1: id "a" < "b" decides, deterministically
    { name: "equal order broken by id", nodes: [n("b", 1, [C, M], [C, M]), n("a", 1, [C, M], [C, M])], pod: pod(500, 1), want: "a" },
    // a: 250m < 500m; b: 750m >= 500m -> b
    { name: "fractional cpu", nodes: [n("a", 1, [1000, M], [250, M]), n("b", 2, [1000, M], [750, M])], pod: pod(500, 1), want: "b" },
    // a: 256Mi < 512Mi; b: 1024Mi >= 512Mi -> b
    { name: "memory", nodes: [n("a", 1, [C, M], [C, 256]), n("b", 2, [C, M], [C, 1024])], pod: pod(500, 512), want: "b" },
    // a lacks cpu and b lacks memory (the tree's max cpu and max mem come from different nodes); c fits
    {
      name: "cpu and memory maxima on different nodes",
      nodes: [n("a", 1, [C, M], [100, M]), n("b", 2, [C, M], [C, 10]), n("c", 3, [C, M], [2000, 2048])],
      pod: pod(1000, 1024),
      want: "c",
    },
    // a (hdd) fits by capacity but wrong disk; b (ssd) fits -> b
    {
      name: "nodeSelector",
      nodes: [n("a", 1, [C, M], [C, M], { labels: { disk: "hdd" } }), n("b", 2, [C, M], [C, M], { labels: { disk: "ssd" } })],
      pod: pod(1000, 1, { disk: "ssd" }),
      want: "b",
    },
    // a Provisioning, b Recovering, c Ready
    {
      name: "non-Ready nodes are skipped",
      nodes: [n("a", 1, [C, M], [C, M], { status: "Provisioning" }), n("b", 2, [C, M], [C, M], { status: "Recovering" }), n("c", 3, [C, M], [C, M])],
      pod: pod(1000, 1),
      want: "c",
    },
    { name: "empty cluster", nodes: [], pod: pod(1, 1), want: undefined },
    // Cordoned is the only node with room; Ready one has 0m free < 1m
    {
      name: "nothing fits",
      nodes: [n("a", 1, [C, M], [C, M], { status: "Cordoned" }), n("b", 2, [C, M], [0, M])],
      pod: pod(1, 1),
      want: undefined,
    },
  ]);
});

describe("POLICIES", () => {
  it("has one entry per policy name, each naming itself", () => {
    for (const [name, policy] of Object.entries(POLICIES)) expect(policy.name).toBe(name);
    expect(Object.keys(POLICIES).sort()).toEqual(["best-fit", "first-fit", "worst-fit"]);
  });
  it("rejects an unknown policy name with a clear error", () => {
    expect(() => new ClusterIndex().pick(pod(1, 1), "random" as PolicyName)).toThrow('unknown scheduling policy "random"');
  });
});
