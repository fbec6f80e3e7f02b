import { describe, expect, it } from "vitest";
import type { NodeStatus, PolicyName, SchedNode, SchedPod } from "../types.js";
import { ClusterIndex } from "./cluster-index.js";

function n(id: string, order: number, cpu: number, mem = 8192, status: NodeStatus = "Ready"): SchedNode {
  return {
    id,
    name: `node-${id}`,
    order,
    status,
    capacity: { cpuMilli: cpu, memoryMiB: mem },
    allocated: { cpuMilli: 0, memoryMiB: 0 },
    labels: {},
  };
}
const pod = (cpuMilli: number, memoryMiB = 1): SchedPod => ({ request: { cpuMilli, memoryMiB }, nodeSelector: {} });

type Step = (ix: ClusterIndex) => void;
interface Case {
  name: string;
  nodes: SchedNode[];
  steps: Step[];
  pod: SchedPod;
  policy: PolicyName;
  want: string | undefined;
}

describe("ClusterIndex state changes", () => {
  const cases: Case[] = [
    // a 4000m, b 3000m; best-fit picks b (3000m-1000m=2000m < 3000m); assume 2500m on b -> 500m free < 1000m -> a
    {
      name: "assume makes a node too full",
      nodes: [n("a", 1, 4000), n("b", 2, 3000)],
      steps: [(ix) => ix.assume("b", { cpuMilli: 2500, memoryMiB: 0 })],
      pod: pod(1000),
      policy: "best-fit",
      want: "a",
    },
    // worst-fit picks a (4000m); assume 1500m on a -> 2500m < b's 3000m -> b
    {
      name: "assume reorders worst-fit",
      nodes: [n("a", 1, 4000), n("b", 2, 3000)],
      steps: [(ix) => ix.assume("a", { cpuMilli: 1500, memoryMiB: 0 })],
      pod: pod(1000),
      policy: "worst-fit",
      want: "b",
    },
    // first-fit: a full after assume 4000m (0m free), forget 500m -> 500m free >= 500m -> a again
    {
      name: "forget frees room for first-fit",
      nodes: [n("a", 1, 4000), n("b", 2, 4000)],
      steps: [(ix) => ix.assume("a", { cpuMilli: 4000, memoryMiB: 0 }), (ix) => ix.forget("a", { cpuMilli: 500, memoryMiB: 0 })],
      pod: pod(500),
      policy: "first-fit",
      want: "a",
    },
    // memory: assume 8000Mi on a -> 192Mi free < 256Mi -> first-fit moves to b
    {
      name: "assume memory",
      nodes: [n("a", 1, 4000), n("b", 2, 4000)],
      steps: [(ix) => ix.assume("a", { cpuMilli: 0, memoryMiB: 8000 })],
      pod: pod(100, 256),
      policy: "first-fit",
      want: "b",
    },
    // best-fit picks b (2000m); b goes Suspect -> a
    {
      name: "upsert to Suspect removes a node from consideration",
      nodes: [n("a", 1, 4000), n("b", 2, 2000)],
      steps: [(ix) => ix.upsert(n("b", 2, 2000, 8192, "Suspect"))],
      pod: pod(1000),
      policy: "best-fit",
      want: "a",
    },
    // first-fit: a Cordoned -> b; then a Ready again -> a
    {
      name: "cordon then uncordon",
      nodes: [n("a", 1, 4000), n("b", 2, 4000)],
      steps: [(ix) => ix.upsert(n("a", 1, 4000, 8192, "Cordoned")), (ix) => ix.upsert(n("a", 1, 4000))],
      pod: pod(1000),
      policy: "first-fit",
      want: "a",
    },
    // a Failed at start; recovers (upsert Ready) -> first-fit picks a (order 1)
    {
      name: "upsert to Ready adds a node",
      nodes: [n("a", 1, 4000, 8192, "Failed"), n("b", 2, 4000)],
      steps: [(ix) => ix.upsert(n("a", 1, 4000))],
      pod: pod(1000),
      policy: "first-fit",
      want: "a",
    },
    // capacity grows 1000m -> 8000m: worst-fit now prefers a (8000m-1000m=7000m > 3000m)
    {
      name: "upsert capacity change",
      nodes: [n("a", 1, 1000), n("b", 2, 4000)],
      steps: [(ix) => ix.upsert(n("a", 1, 8000))],
      pod: pod(1000),
      policy: "worst-fit",
      want: "a",
    },
    // a moves from order 1 to order 3: first-fit now picks b (order 2)
    {
      name: "upsert order change",
      nodes: [n("a", 1, 4000), n("b", 2, 4000)],
      steps: [(ix) => ix.upsert(n("a", 3, 4000))],
      pod: pod(1000),
      policy: "first-fit",
      want: "b",
    },
    // removing a leaves only b
    {
      name: "remove",
      nodes: [n("a", 1, 4000), n("b", 2, 4000)],
      steps: [(ix) => ix.remove("a")],
      pod: pod(1000),
      policy: "first-fit",
      want: "b",
    },
    // forget 9999m on an empty node clamps at 0m allocated: still 4000m free, not 13999m
    {
      name: "forget never goes below zero",
      nodes: [n("a", 1, 4000), n("b", 2, 5000)],
      steps: [(ix) => ix.forget("a", { cpuMilli: 9999, memoryMiB: 9999 })],
      pod: pod(1000),
      policy: "worst-fit",
      want: "b",
    },
    // nodes registered out of order: c(3) then a(1) then b(2); first-fit sees a first
    {
      name: "out-of-order registration",
      nodes: [n("c", 3, 4000), n("a", 1, 4000), n("b", 2, 4000)],
      steps: [],
      pod: pod(1000),
      policy: "first-fit",
      want: "a",
    },
  ];
  it.each(cases)("$name", ({ nodes, steps, pod, policy, want }) => {
    const ix = new ClusterIndex(nodes);
    // Warm the first-fit tree so steps exercise the incremental updates, not only the rebuild.
    ix.pick(pod, "first-fit");
    for (const step of steps) step(ix);
    expect(ix.pick(pod, policy)?.id).toBe(want);
  });
});

describe("ClusterIndex bookkeeping", () => {
  it("keeps nodes in registration order and reports size", () => {
    // orders 3, 1, 2 -> a(1), b(2), c(3)
    const ix = new ClusterIndex([n("c", 3, 1000), n("a", 1, 1000), n("b", 2, 1000)]);
    expect(ix.nodes().map((x) => x.id)).toEqual(["a", "b", "c"]);
    expect(ix.size).toBe(3);
    ix.remove("b");
    ix.remove("zz");
    expect(ix.nodes().map((x) => x.id)).toEqual(["a", "c"]);
    expect(ix.size).toBe(2);
  });

  it("assume/forget update allocated and report unknown nodes", () => {
    const ix = new ClusterIndex([n("a", 1, 4000)]);
    // 0m + 1500m = 1500m; 0Mi + 512Mi = 512Mi
    expect(ix.assume("a", { cpuMilli: 1500, memoryMiB: 512 })).toBe(true);
    expect(ix.get("a")?.allocated).toEqual({ cpuMilli: 1500, memoryMiB: 512 });
    // 1500m - 500m = 1000m; 512Mi - 512Mi = 0Mi
    expect(ix.forget("a", { cpuMilli: 500, memoryMiB: 512 })).toBe(true);
    expect(ix.get("a")?.allocated).toEqual({ cpuMilli: 1000, memoryMiB: 0 });
    expect(ix.assume("nope", { cpuMilli: 1, memoryMiB: 1 })).toBe(false);
    expect(ix.forget("nope", { cpuMilli: 1, memoryMiB: 1 })).toBe(false);
  });

  it("does not mutate returned snapshots or share the caller's objects", () => {
    const input = n("a", 1, 4000);
    const ix = new ClusterIndex([input]);
    const before = ix.get("a")!;
    ix.assume("a", { cpuMilli: 1000, memoryMiB: 0 });
    // The old snapshot still says 0m: assume replaced it instead of editing it.
    expect(before.allocated.cpuMilli).toBe(0);
    expect(ix.get("a")!.allocated.cpuMilli).toBe(1000);
    // Editing the caller's object after upsert does not reach the index.
    input.allocated.cpuMilli = 4000;
    input.status = "Failed";
    expect(ix.pick(pod(3000), "best-fit")?.id).toBe("a");
  });

  it("pick does not change anything", () => {
    const ix = new ClusterIndex([n("a", 1, 4000), n("b", 2, 2000)]);
    for (const policy of ["first-fit", "best-fit", "worst-fit"] as const) ix.pick(pod(1000), policy);
    expect(ix.nodes().map((x) => x.allocated.cpuMilli)).toEqual([0, 0]);
  });

  it("grows past the tree's spare room one registration at a time", () => {
    const ix = new ClusterIndex();
    // 1..40: each node i has i*100m; first-fit for 3950m must find node 40 (4000m) after every growth
    for (let i = 1; i <= 40; i++) {
      ix.upsert(n(`n${i}`, i, i * 100));
      expect(ix.pick(pod(i * 100 - 50), "first-fit")?.id).toBe(`n${i}`);
    }
  });
});
