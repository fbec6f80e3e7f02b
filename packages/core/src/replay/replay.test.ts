import { describe, expect, it } from "vitest";
import type { PolicyName } from "../types.js";
import { replayTrace, type ReplayMode } from "./replay.js";
import type { TraceNode, TracePod } from "./trace-csv.js";

const MEM = 8192;
const node = (name: string, cpuMilli: number, memoryMiB = MEM): TraceNode => ({ name, cpuMilli, memoryMiB });
const pod = (name: string, cpuMilli: number, creationTime: number, deletionTime = 1000, memoryMiB = 100): TracePod => ({
  name,
  cpuMilli,
  memoryMiB,
  creationTime,
  deletionTime,
});

interface Case {
  name: string;
  nodes: TraceNode[];
  pods: TracePod[];
  policy: PolicyName;
  mode: ReplayMode;
  nodeLimit?: number;
  placed: number;
  unschedulable: number;
  atFailure: number | null;
  end: number;
  peak: number;
  placements: Record<string, string>;
}

const twoNodes = [node("a", 4000), node("b", 2000)];
const brief = [pod("p1", 3000, 0), pod("p2", 1500, 1), pod("p3", 1000, 2)];
const packing = [pod("p1", 1000, 0), pod("p2", 3000, 1), pod("p3", 3000, 2)];
const unequal = [node("a", 4000), node("b", 3000)];

const cases: Case[] = [
  // a 4000m, b 2000m; 3000m only fits a (a 1000 left); 1500m only fits b (b 500 left); 1000m only fits a.
  // Every policy agrees because each pod has one feasible node: 5500/6000 allocated.
  ...(["first-fit", "best-fit", "worst-fit"] as const).map((policy): Case => ({
    name: `${policy}: one feasible node per pod`,
    nodes: twoNodes, pods: brief, policy, mode: "fill",
    placed: 3, unschedulable: 0, atFailure: null, end: 5500 / 6000, peak: 5500 / 6000,
    placements: { p1: "a", p2: "b", p3: "a" },
  })),
  // a 4000m, b 3000m; first-fit: 1000m -> a (3000 left), 3000m -> a (0 left), 3000m -> b (0 left): 7000/7000.
  {
    name: "first-fit packs the first node", nodes: unequal, pods: packing, policy: "first-fit", mode: "fill",
    placed: 3, unschedulable: 0, atFailure: null, end: 1, peak: 1, placements: { p1: "a", p2: "a", p3: "b" },
  },
  // best-fit: 1000m -> b (2000 left beats a's 3000), 3000m -> a (only a fits, 1000 left), 3000m fits nowhere
  // (a 1000, b 2000): fails with 4000/7000 allocated.
  {
    name: "best-fit fragments the small node", nodes: unequal, pods: packing, policy: "best-fit", mode: "fill",
    placed: 2, unschedulable: 1, atFailure: 4000 / 7000, end: 4000 / 7000, peak: 4000 / 7000,
    placements: { p1: "b", p2: "a" },
  },
  // worst-fit: 1000m -> a (3000 left beats b's 2000), 3000m: a and b both end at 0 free CPU and equal memory,
  // so registration order picks a; 3000m -> b: 7000/7000.
  {
    name: "worst-fit spreads, ties by registration", nodes: unequal, pods: packing, policy: "worst-fit", mode: "fill",
    placed: 3, unschedulable: 0, atFailure: null, end: 1, peak: 1, placements: { p1: "a", p2: "a", p3: "b" },
  },
  // One 4000m node. p1 3000m lives 0..10; p2 3000m arrives at 10, p1's departure at 10 is applied first: placed.
  // p3 3000m arrives at 15 while p2 runs (1000 free): fails at 3000/4000. End = p2 alone = 0.75.
  {
    name: "timed: a departure at the arrival time frees room", nodes: [node("a", 4000)], policy: "first-fit", mode: "timed",
    pods: [pod("p1", 3000, 0, 10), pod("p2", 3000, 10, 20), pod("p3", 3000, 15, 30)],
    placed: 2, unschedulable: 1, atFailure: 0.75, end: 0.75, peak: 0.75, placements: { p1: "a", p2: "a" },
  },
  // Same pods in fill mode: nothing leaves, so p2 fails at 3000/4000 and so does p3.
  {
    name: "fill: the same pods never leave", nodes: [node("a", 4000)], policy: "first-fit", mode: "fill",
    pods: [pod("p1", 3000, 0, 10), pod("p2", 3000, 10, 20), pod("p3", 3000, 15, 30)],
    placed: 1, unschedulable: 2, atFailure: 0.75, end: 0.75, peak: 0.75, placements: { p1: "a" },
  },
  // Timed: p1 2000m 0..5 and p2 2000m 1..6 fill 4000m (peak 1); p3 1000m at 7 finds both gone: end 1000/4000.
  {
    name: "timed: peak is kept after pods leave", nodes: [node("a", 4000)], policy: "best-fit", mode: "timed",
    pods: [pod("p1", 2000, 0, 5), pod("p2", 2000, 1, 6), pod("p3", 1000, 7, 9)],
    placed: 3, unschedulable: 0, atFailure: null, end: 0.25, peak: 1, placements: { p1: "a", p2: "a", p3: "a" },
  },
  // Ties at one creation time go by code units: "B" (66) < "a" (97), so "B" takes the only 1000m and "a" fails
  // at 1000/1000. Listed out of order to show the input order does not matter.
  {
    name: "ties by name in code-unit order", nodes: [node("n", 1000)], policy: "first-fit", mode: "fill",
    pods: [pod("a", 1000, 0), pod("B", 1000, 0)],
    placed: 1, unschedulable: 1, atFailure: 1, end: 1, peak: 1, placements: { B: "n" },
  },
  // Memory counts too: 4000m/1000MiB node, a 100m/2000MiB pod fits nowhere with nothing allocated (0).
  {
    name: "memory alone can fail a pod", nodes: [node("m", 4000, 1000)], policy: "worst-fit", mode: "fill",
    pods: [pod("big-mem", 100, 0, 10, 2000), pod("small", 100, 1, 10, 500)],
    placed: 1, unschedulable: 1, atFailure: 0, end: 100 / 4000, peak: 100 / 4000, placements: { small: "m" },
  },
  // nodeLimit 1 keeps only a (4000m): 3000m -> a, 1500m fails at 3000/4000, 1000m -> a: 4000/4000.
  {
    name: "nodeLimit keeps the first nodes", nodes: twoNodes, pods: brief, policy: "first-fit", mode: "fill", nodeLimit: 1,
    placed: 2, unschedulable: 1, atFailure: 0.75, end: 1, peak: 1, placements: { p1: "a", p3: "a" },
  },
  // No nodes: everything fails, fractions are 0 rather than NaN.
  {
    name: "an empty cluster", nodes: twoNodes, pods: brief, policy: "best-fit", mode: "timed", nodeLimit: 0,
    placed: 0, unschedulable: 3, atFailure: 0, end: 0, peak: 0, placements: {},
  },
];

describe("replayTrace", () => {
  it.each(cases)("$name", (c) => {
    const r = replayTrace(c.nodes, c.pods, { policy: c.policy, mode: c.mode, nodeLimit: c.nodeLimit });
    expect({
      placed: r.placed,
      unschedulable: r.unschedulable,
      atFailure: r.cpuAtFirstFailure,
      end: r.cpuAtEnd,
      peak: r.cpuPeak,
      placements: Object.fromEntries(r.placements),
    }).toEqual({
      placed: c.placed,
      unschedulable: c.unschedulable,
      atFailure: c.atFailure,
      end: c.end,
      peak: c.peak,
      placements: c.placements,
    });
    expect(r.placed + r.unschedulable).toBe(c.pods.length);
  });

  it("names the first pod that failed and leaves its input untouched", () => {
    const pods = [pod("z", 3000, 5), pod("y", 3000, 1)];
    const before = JSON.stringify(pods);
    const r = replayTrace([node("a", 4000)], pods, { policy: "first-fit", mode: "fill" });
    // y arrives first (t=1) and takes 3000 of 4000m; z then fails.
    expect(r.firstFailedPod).toBe("z");
    expect(JSON.stringify(pods)).toBe(before);
  });

  it("rejects a nodeLimit that is not a whole number", () => {
    expect(() => replayTrace(twoNodes, brief, { policy: "first-fit", mode: "fill", nodeLimit: -1 })).toThrow(RangeError);
    expect(() => replayTrace(twoNodes, brief, { policy: "first-fit", mode: "fill", nodeLimit: 1.5 })).toThrow(/nodeLimit/);
  });
});
