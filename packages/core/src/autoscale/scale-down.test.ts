import { describe, expect, it } from "vitest";
import type { Labels, SchedNode } from "../types.js";
import { planScaleDown, trackUnneeded, utilization, type MovablePod, type ScaleDownGroup } from "./scale-down.js";
import { DEFAULT_GROUP_SETTINGS } from "./settings.js";
import type { NodeGroupSettings, ScaleDownNode } from "./types.js";

const NOW = 1_000_000;

function group(o: { name?: string; min?: number; size?: number; lastScaleUpAt?: number | null; removing?: number } & Partial<NodeGroupSettings> = {}): ScaleDownGroup {
  const { name = "web", min = 0, size = 5, lastScaleUpAt = null, removing, ...settings } = o;
  return {
    spec: {
      name,
      min,
      max: 10,
      priority: 0,
      template: { capacity: { cpuMilli: 4000, memoryMiB: 8192 }, runtime: "process", labels: {} },
      settings: { ...DEFAULT_GROUP_SETTINGS, ...settings },
    },
    size,
    lastScaleUpAt,
    ...(removing !== undefined ? { removing } : {}),
  };
}

/** A 4-core 8 GiB group node, unneeded for 60 s unless told. */
function candidate(name: string, o: Partial<ScaleDownNode> & { cpu?: number } = {}): ScaleDownNode {
  const { cpu = 0, ...rest } = o;
  return {
    id: name,
    name,
    group: "web",
    capacity: { cpuMilli: 4000, memoryMiB: 8192 },
    allocated: { cpuMilli: cpu, memoryMiB: 0 },
    usage: null,
    ready: true,
    unneededSince: NOW - 60_000,
    ...rest,
  };
}

/** A Ready node outside the candidates with `free` millicores of 4 cores free. */
function other(name: string, free: number, labels: Labels = {}, order = 0): SchedNode {
  return { id: name, name, order, status: "Ready", capacity: { cpuMilli: 4000, memoryMiB: 8192 }, allocated: { cpuMilli: 4000 - free, memoryMiB: 0 }, labels };
}

function pod(name: string, cpu: number, o: Partial<MovablePod> = {}): MovablePod {
  return { id: name, name, request: { cpuMilli: cpu, memoryMiB: 0 }, nodeSelector: {}, labels: {}, ...o };
}

function run(o: { groups?: ScaleDownGroup[]; candidates: ScaleDownNode[]; others?: SchedNode[]; pods?: Record<string, MovablePod[]> }) {
  return planScaleDown({
    groups: o.groups ?? [group()],
    candidates: o.candidates,
    others: o.others ?? [],
    podsOn: (id) => o.pods?.[id] ?? [],
    now: NOW,
  });
}

describe("utilization", () => {
  // 1 of 2 cores and 1 of 4 GiB requested; 0.2 cores and 3 GiB used
  const node = { capacity: { cpuMilli: 2000, memoryMiB: 4096 }, allocated: { cpuMilli: 1000, memoryMiB: 1024 }, usage: { cpuMilli: 200, memoryMiB: 3072 } };
  const cases: { name: string; metric: NodeGroupSettings["loadMetric"]; node: Parameters<typeof utilization>[0]; want: number }[] = [
    // max(1000/2000, 1024/4096) = max(0.5, 0.25)
    { name: "allocation", metric: "allocation", node, want: 0.5 },
    // max(200/2000, 3072/4096) = max(0.1, 0.75)
    { name: "usage", metric: "usage", node, want: 0.75 },
    // max(0.5, 0.75)
    { name: "both", metric: "both", node, want: 0.75 },
    // no measurement: judged by requests, 0.5
    { name: "usage, not measured", metric: "usage", node: { ...node, usage: null }, want: 0.5 },
    // 3 cores requested of 2: overcommitted reads above 1
    { name: "overcommitted", metric: "allocation", node: { ...node, allocated: { cpuMilli: 3000, memoryMiB: 0 } }, want: 1.5 },
  ];
  it.each(cases)("$name -> $want", ({ metric, node: n, want }) => {
    expect(utilization(n, metric)).toBe(want);
  });
});

describe("trackUnneeded", () => {
  const s = DEFAULT_GROUP_SETTINGS; // low-water mark 0.5, by "both"
  it("starts, keeps and resets the time a node has been below the low-water mark", () => {
    const nodes = [
      // 1/4 cores = 25% < 50%, new: since now
      candidate("fresh", { cpu: 1000, unneededSince: null }),
      // 25% < 50%, already tracked: keeps its time
      candidate("kept", { cpu: 1000 }),
      // 3/4 = 75% >= 50%: dropped
      candidate("busy", { cpu: 3000 }),
      // 2/4 = 50% is not below 50%: dropped
      candidate("at-mark", { cpu: 2000 }),
      // idle but not Ready: dropped
      candidate("down", { ready: false }),
      // 0% requested but 3 of 4 cores used: "both" sees 75%
      candidate("hot", { usage: { cpuMilli: 3000, memoryMiB: 0 } }),
    ];
    const previous = new Map([["kept", NOW - 20_000], ["busy", NOW - 20_000], ["down", NOW - 20_000], ["hot", NOW - 20_000]]);
    expect(trackUnneeded(nodes, s, NOW, previous)).toEqual(new Map([["fresh", NOW], ["kept", NOW - 20_000]]));
  });

  it("takes each node's group settings from a lookup, and leaves out unknown groups", () => {
    const nodes = [candidate("a", { cpu: 1000 }), candidate("b", { cpu: 1000, group: "gone" })];
    // low-water mark 0.2: a at 25% is not below it
    expect(trackUnneeded(nodes, (g) => (g === "web" ? { ...s, lowWaterMark: 0.2 } : undefined), NOW, new Map())).toEqual(new Map());
  });
});

describe("planScaleDown", () => {
  const cases: { name: string; input: Parameters<typeof run>[0]; want: Array<[removable: boolean, reason: string]> }[] = [
    {
      // unneeded 60 s >= 30 s, group 5 > min 0, no pods
      name: "an empty unneeded node goes",
      input: { candidates: [candidate("web-a")] },
      want: [[true, "node web-a unneeded for 1m (below 50%) and has no pods to move"]],
    },
    {
      // 1-core pod, 2 cores free elsewhere
      name: "a node whose pod fits elsewhere goes",
      input: { candidates: [candidate("web-a", { cpu: 1000 })], others: [other("n1", 2000)], pods: { "web-a": [pod("api-1", 1000)] } },
      want: [[true, "node web-a unneeded for 1m (below 50%) and its 1 pod fits on another node"]],
    },
    {
      // needs 2 cores; the most free anywhere else is 1.5
      name: "a pod that fits no other node keeps it",
      input: { candidates: [candidate("web-x7", { cpu: 2000 })], others: [other("n1", 1500), other("n2", 500, {}, 1)], pods: { "web-x7": [pod("api-1", 2000)] } },
      want: [[false, "node web-x7 has pod api-1 that fits no other node (needs 2 cores, most free elsewhere 1.5)"]],
    },
    {
      // only n1 (no disk label) remains
      name: "a pod whose selector matches no other node keeps it",
      input: { candidates: [candidate("web-a")], others: [other("n1", 4000)], pods: { "web-a": [pod("db-1", 100, { nodeSelector: { disk: "ssd" } })] } },
      want: [[false, "node web-a has pod db-1 that fits no other node (no other node matches its node selector disk=ssd)"]],
    },
    {
      name: "a pod with nowhere at all to go keeps it",
      input: { candidates: [candidate("web-a")], pods: { "web-a": [pod("api-1", 100)] } },
      want: [[false, "node web-a has pod api-1 that fits no other node (no other Ready node)"]],
    },
    {
      name: "safe-to-evict false as a label",
      input: { candidates: [candidate("web-a")], others: [other("n1", 4000)], pods: { "web-a": [pod("db-0", 0, { labels: { "kube9.io/safe-to-evict": "false" } })] } },
      want: [[false, 'pod db-0 is marked kube9.io/safe-to-evict: "false"']],
    },
    {
      name: "safe-to-evict false as an annotation",
      input: { candidates: [candidate("web-a")], others: [other("n1", 4000)], pods: { "web-a": [pod("db-0", 0, { annotations: { "kube9.io/safe-to-evict": "false" } })] } },
      want: [[false, 'pod db-0 is marked kube9.io/safe-to-evict: "false"']],
    },
    {
      // "true" (or anything but "false") does not block
      name: "safe-to-evict true",
      input: { candidates: [candidate("web-a")], others: [other("n1", 4000)], pods: { "web-a": [pod("db-0", 0, { labels: { "kube9.io/safe-to-evict": "true" } })] } },
      want: [[true, "node web-a unneeded for 1m (below 50%) and its 1 pod fits on another node"]],
    },
    {
      name: "a pod nothing would bring back",
      input: { candidates: [candidate("web-a")], others: [other("n1", 4000)], pods: { "web-a": [pod("solo", 0, { controllerless: true })] } },
      want: [[false, "pod solo has no controller, so nothing would bring it back after eviction"]],
    },
    {
      // size 3, min 2, maxParallel 5: 3 - 1 = 2 after the first removal, so the other two stay
      name: "min respected with 3 unneeded nodes",
      input: { groups: [group({ size: 3, min: 2, maxScaleDownParallel: 5 })], candidates: [candidate("web-a"), candidate("web-b"), candidate("web-c")] },
      want: [
        [true, "node web-a unneeded for 1m (below 50%) and has no pods to move"],
        [false, "group web is at its minimum size 2 (counting 1 node being removed)"],
        [false, "group web is at its minimum size 2 (counting 1 node being removed)"],
      ],
    },
    {
      // size 2 = min 2 before anything is removed
      name: "a group at min",
      input: { groups: [group({ size: 2, min: 2 })], candidates: [candidate("web-a")] },
      want: [[false, "group web is at its minimum size 2"]],
    },
    {
      // size 3 - 1 already draining = 2 = min
      name: "a node already being removed counts against min",
      input: { groups: [group({ size: 3, min: 2, removing: 1, maxScaleDownParallel: 5 })], candidates: [candidate("web-a")] },
      want: [[false, "group web is at its minimum size 2 (counting 1 node being removed)"]],
    },
    {
      // maxParallel 2: the first two of three go
      name: "the parallel limit",
      input: { groups: [group({ maxScaleDownParallel: 2 })], candidates: [candidate("web-a"), candidate("web-b"), candidate("web-c")] },
      want: [
        [true, "node web-a unneeded for 1m (below 50%) and has no pods to move"],
        [true, "node web-b unneeded for 1m (below 50%) and has no pods to move"],
        [false, "group web removes at most 2 nodes at a time (maxParallel) and 2 are already going"],
      ],
    },
    {
      // one node of the group is draining already; maxParallel 1 (the default)
      name: "the parallel limit counts nodes already being removed",
      input: { groups: [group({ removing: 1 })], candidates: [candidate("web-a")] },
      want: [[false, "group web removes at most 1 node at a time (maxParallel) and 1 is already going"]],
    },
    {
      // scaled up 4 s ago < 10 s
      name: "cooldown after a scale-up",
      input: { groups: [group({ lastScaleUpAt: NOW - 4000 })], candidates: [candidate("web-a")] },
      want: [[false, "group web scaled up 4s ago (scale-down waits 10s after a scale-up)"]],
    },
    {
      // scaled up 10 s ago = the delay: no longer blocks
      name: "cooldown over",
      input: { groups: [group({ lastScaleUpAt: NOW - 10_000 })], candidates: [candidate("web-a")] },
      want: [[true, "node web-a unneeded for 1m (below 50%) and has no pods to move"]],
    },
    {
      // unneeded 12 s < 30 s
      name: "not unneeded long enough",
      input: { candidates: [candidate("web-a", { unneededSince: NOW - 12_000 })] },
      want: [[false, "unneeded for 12s of 30s"]],
    },
    {
      // 3 of 4 cores = 75%
      name: "not unneeded",
      input: { candidates: [candidate("web-a", { cpu: 3000, unneededSince: null })] },
      want: [[false, "node web-a is needed: 75% utilization is not below the 50% mark"]],
    },
    { name: "not Ready", input: { candidates: [candidate("web-a", { ready: false })] }, want: [[false, "node web-a is not Ready"]] },
    { name: "unknown group", input: { candidates: [candidate("web-a", { group: "gone" })] }, want: [[false, "node web-a is in no known node group (gone)"]] },
  ];
  it.each(cases)("$name", ({ input, want }) => {
    expect(run(input).map((v) => [v.removable, v.reason])).toEqual(want);
  });

  it("reserves room as it goes: two nodes never both rely on the same free core", () => {
    // web-a and web-b each hold a 1-core pod; n1 has 1 core free. Emptiest first (a tie, then by name): web-a's pod
    // takes n1's core (n1 comes first in first-fit order). web-b's pod then finds n1 full, and web-a is
    // being removed, so it fits nowhere: 0 cores free on the remaining nodes.
    const verdicts = run({
      groups: [group({ maxScaleDownParallel: 2 })],
      candidates: [candidate("web-b", { cpu: 1000 }), candidate("web-a", { cpu: 1000 })],
      others: [other("n1", 1000)],
      pods: { "web-a": [pod("a-1", 1000)], "web-b": [pod("b-1", 1000)] },
    });
    // Verdicts come back in the order the candidates were given.
    expect(verdicts).toEqual([
      { node: "web-b", removable: false, reason: "node web-b has pod b-1 that fits no other node (needs 1 core, most free elsewhere 0)" },
      { node: "web-a", removable: true, reason: "node web-a unneeded for 1m (below 50%) and its 1 pod fits on another node" },
    ]);
  });

  it("moves pods simulated onto a candidate again if that candidate goes too", () => {
    // n1 has 0.5 cores free, so web-a's 1-core pod goes to web-b (3 cores free). web-b must then move its own
    // pod and web-a's: 2 x 1 core, with only n1's 0.5 cores left -> it stays.
    const verdicts = run({
      groups: [group({ maxScaleDownParallel: 2 })],
      candidates: [candidate("web-a", { cpu: 1000 }), candidate("web-b", { cpu: 1000 })],
      others: [other("n1", 500)],
      pods: { "web-a": [pod("a-1", 1000)], "web-b": [pod("b-1", 1000)] },
    });
    expect(verdicts.map((v) => v.removable)).toEqual([true, false]);
    expect(verdicts[1]!.reason).toBe("node web-b has pod a-1 that fits no other node (needs 1 core, most free elsewhere 0.5)");
  });

  it("takes the emptiest candidates first within the parallel limit", () => {
    // web-busy at 25% and web-idle at 0%: with room for one removal, web-idle goes
    const verdicts = run({ candidates: [candidate("web-busy", { cpu: 1000 }), candidate("web-idle")], others: [other("n1", 4000)], pods: { "web-busy": [pod("p", 1000)] } });
    expect(verdicts.map((v) => [v.node, v.removable])).toEqual([["web-busy", false], ["web-idle", true]]);
  });
});
