import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { filterNode } from "../scheduler/filter.js";
import type { Labels, Resources } from "../types.js";
import { planScaleUp, simulateScaleUp, templateNode, type ScaleUpGroup, type ScaleUpInput } from "./scale-up.js";
import { DEFAULT_GROUP_SETTINGS } from "./settings.js";
import { EXPANDERS, type Expander, type NodeGroupSpec, type PendingPod } from "./types.js";

const NOW = 100_000;

interface GroupOpts {
  cpu?: number;
  mem?: number;
  min?: number;
  max?: number;
  size?: number;
  priority?: number;
  labels?: Labels;
  upcoming?: Resources[];
  backoffUntil?: number | null;
  delayMs?: number;
}

function group(name: string, o: GroupOpts = {}): ScaleUpGroup {
  const spec: NodeGroupSpec = {
    name,
    min: o.min ?? 0,
    max: o.max ?? 5,
    priority: o.priority ?? 0,
    template: { capacity: { cpuMilli: o.cpu ?? 2000, memoryMiB: o.mem ?? 4096 }, runtime: "process", labels: o.labels ?? {} },
    settings: { ...DEFAULT_GROUP_SETTINGS, scaleUpDelayMs: o.delayMs ?? DEFAULT_GROUP_SETTINGS.scaleUpDelayMs },
  };
  return { spec, size: o.size ?? 0, upcoming: o.upcoming ?? [], backoffUntil: o.backoffUntil ?? null };
}

/** n pods named <prefix>-0.. requesting cpu millicores and mem MiB, unschedulable for 10 s unless told. */
function pods(n: number, cpu: number, mem = 512, o: { prefix?: string; selector?: Labels; waitedMs?: number } = {}): PendingPod[] {
  const prefix = o.prefix ?? "p";
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    name: `${prefix}-${i}`,
    request: { cpuMilli: cpu, memoryMiB: mem },
    nodeSelector: o.selector ?? {},
    unschedulableSince: NOW - (o.waitedMs ?? 10_000),
  }));
}

function plan(pending: PendingPod[], groups: ScaleUpGroup[], expander: Expander = "least-waste", random = () => 0) {
  return planScaleUp({ pending, groups, expander, now: NOW, random });
}

describe("planScaleUp: how many nodes", () => {
  it("adds 3 two-core nodes at once for 6 one-core pods", () => {
    // 6 pods x 1 core on 2-core nodes: 2 per node -> 3 nodes; CPU idle 0; memory 3 x 4096 - 6 x 512 = 9216 MiB = 9 GiB idle
    const p = plan(pods(6, 1000), [group("web", { min: 0, max: 5 })]);
    expect(p.choice).toEqual({ group: "web", nodes: 3, podIds: pods(6, 1000).map((x) => x.id), wasteCpu: 0, wasteMemory: 0.75 });
    expect(p.message).toBe("6 pods unschedulable, added 3 nodes to group web (least-waste: 0 cores and 9 GiB idle after placement)");
  });

  it("never goes past max, and says which pods are left", () => {
    // size 4, max 5: room for 1 node = 2 of the 6 pods; 4 left
    const p = plan(pods(6, 1000), [group("web", { size: 4, max: 5 })]);
    expect(p.choice?.nodes).toBe(1);
    expect(p.choice?.podIds).toHaveLength(2);
    expect(p.message).toBe(
      "6 pods unschedulable, added 1 node to group web (least-waste: 0 cores and 3 GiB idle after placement); " +
        "4 pods still unplaced (group web reaches its max size 5)",
    );
  });

  it("packs first-fit decreasing: big pods first, small ones fill the gaps", () => {
    // 1.5 + 1.5 + 0.5 + 0.5 cores on 2-core nodes; by size: 1.5 -> n0, 1.5 -> n1, 0.5 -> n0, 0.5 -> n1: 2 nodes, none idle
    const pending = [...pods(2, 500, 0, { prefix: "small" }), ...pods(2, 1500, 0, { prefix: "big" })];
    const sim = simulateScaleUp({ pending, groups: [group("web")], expander: "least-waste", now: NOW, random: () => 0 });
    expect(sim.groups[0]!.nodes.map((n) => n.podIds)).toEqual([["big-0", "small-0"], ["big-1", "small-1"]]);
    expect(sim.groups[0]!.idle).toEqual({ cpuMilli: 0, memoryMiB: 2 * 4096 });
  });

  it("scales a ramp of 2,000 pods to 125 nodes, and not one more once they are on their way", () => {
    // 2000 pods x 1 core on 16-core nodes: 16 per node -> 2000 / 16 = 125 nodes
    const pending = pods(2000, 1000, 128);
    const first = plan(pending, [group("burst", { cpu: 16_000, mem: 65_536, max: 1000 })]);
    expect(first.choice?.nodes).toBe(125);
    expect(first.choice?.podIds).toHaveLength(2000);
    // The same pods next pass, with those 125 nodes starting (all their room free): every pod fits there -> 0 more
    const room = Array.from({ length: 125 }, () => ({ cpuMilli: 16_000, memoryMiB: 65_536 }));
    const again = plan(pending, [group("burst", { cpu: 16_000, mem: 65_536, max: 1000, size: 125, upcoming: room })]);
    expect(again.choice).toBeNull();
    expect(again.message).toBe("2000 pods unschedulable, all fit on 125 nodes already starting");
  });

  it("adds only for the pods that room on its way cannot take", () => {
    // 124 starting nodes take 124 x 16 = 1984 pods; 16 remain -> 1 node
    const room = Array.from({ length: 124 }, () => ({ cpuMilli: 16_000, memoryMiB: 65_536 }));
    const p = plan(pods(2000, 1000, 128), [group("burst", { cpu: 16_000, mem: 65_536, max: 1000, size: 124, upcoming: room })]);
    expect(p.choice?.nodes).toBe(1);
    expect(p.message).toContain("; 1984 pods fit on 124 nodes already starting");
  });

  it("counts room on its way in any group before any group grows", () => {
    // a's starting node has 2 cores free: both 1-core pods fit there, so b (which could also take them) adds nothing
    const p = plan(pods(2, 1000), [group("a", { size: 1, upcoming: [{ cpuMilli: 2000, memoryMiB: 4096 }] }), group("b")]);
    expect(p.choice).toBeNull();
    expect(p.message).toBe("2 pods unschedulable, all fit on 1 node already starting");
  });
});

describe("planScaleUp: nothing to do, and why", () => {
  const cases: { name: string; input: () => Parameters<typeof plan>; want: string }[] = [
    { name: "no pods", input: () => [[], [group("web")]], want: "no unschedulable pods" },
    { name: "no groups", input: () => [pods(2, 1000), []], want: "2 pods unschedulable, but there are no node groups to add nodes to" },
    {
      // waited 1 s < the 2 s delay
      name: "pods too young",
      input: () => [pods(3, 1000, 512, { waitedMs: 1000 }), [group("web")]],
      want: "3 pods unschedulable, none yet for the 2s scale-up delay (the scheduler gets the first try)",
    },
    {
      // size 5 = max 5
      name: "the group at max",
      input: () => [pods(3, 1000), [group("web", { size: 5, max: 5 })]],
      want: "3 pods unschedulable, no node added: group web is at its max size 5",
    },
    {
      // backoff ends 4 s after now
      name: "the group backing off",
      input: () => [pods(1, 1000), [group("web", { backoffUntil: NOW + 4000 })]],
      want: "1 pod unschedulable, no node added: group web is backing off for 4s more after a failed scale-up",
    },
    {
      // waited 3 s: past web's 2 s, not slow's 5 s; the pod only fits slow (selector disk=hdd)
      name: "a pod that has not waited its group's delay",
      input: () => [pods(1, 1000, 512, { waitedMs: 3000, selector: { disk: "hdd" } }), [group("web"), group("slow", { delayMs: 5000, labels: { disk: "hdd" } })]],
      want: "1 pod unschedulable, no node added: group web: its template takes none of them; group slow: no pod it could take has waited its 5s delay",
    },
    {
      // the pod fits only web (4 cores), which is at max; small's 2-core template takes none of them
      name: "the only group that fits at max, another too small",
      input: () => [pods(1, 4000), [group("web", { cpu: 4000, size: 5, max: 5 }), group("small")]],
      want: "1 pod unschedulable, no node added: group web is at its max size 5; group small: its template takes none of them",
    },
    {
      // 4 cores > 2: fits no template
      name: "a pod too big for every template",
      input: () => [pods(1, 4000), [group("web")]],
      want: "1 pod unschedulable, no node added: 1 pod fits no group's template",
    },
  ];
  it.each(cases)("$name", ({ input, want }) => {
    const p = plan(...input());
    expect(p.choice).toBeNull();
    expect(p.message).toBe(want);
  });
});

describe("planScaleUp: pods no group can take", () => {
  it("lists them with each group's reasons, in the scheduler's words", () => {
    const pending = [...pods(1, 4000, 512, { prefix: "huge" }), ...pods(1, 500, 512, { prefix: "ssd", selector: { disk: "ssd" } }), ...pods(1, 500)];
    const p = plan(pending, [group("web"), group("db", { cpu: 2000, labels: { disk: "hdd" } })]);
    expect(p.noFit).toEqual([
      {
        // 4000m > 2000m on both templates
        podId: "huge-0",
        podName: "huge-0",
        reasons: ["group web: Insufficient cpu: requested 4000m, free 2000m of 2000m", "group db: Insufficient cpu: requested 4000m, free 2000m of 2000m"],
      },
      {
        // web has no disk label, db has disk=hdd
        podId: "ssd-0",
        podName: "ssd-0",
        reasons: ["group web: node selector mismatch: wants disk=ssd, node has no label disk", "group db: node selector mismatch: wants disk=ssd, node has disk=hdd"],
      },
    ]);
    // the third pod fits both: least-waste takes db (tie on waste and pods, "db" < "web")
    expect(p.choice?.group).toBe("db");
    expect(p.message).toBe(
      "3 pods unschedulable, added 1 node to group db (least-waste: 1.5 cores and 3.5 GiB idle after placement); 2 pods fit no group's template",
    );
  });

  it("is not a pod that fits a template of a group at max", () => {
    // web is at max but its template takes the pod: the pod waits, it is not "no fit"
    const p = plan(pods(1, 1000), [group("web", { size: 5, max: 5 })]);
    expect(p.noFit).toEqual([]);
  });

  it("routes a pod that selects a group by its label to that group only", () => {
    const p = plan(pods(2, 500, 512, { selector: { "kube9.io/nodegroup": "b" } }), [group("a"), group("b")]);
    expect(p.options.map((o) => o.group)).toEqual(["b"]);
  });
});

describe("planScaleUp: expanders", () => {
  // 4 pods x (1 core, 1 GiB).
  // small (2 cores, 4 GiB, max 1): 1 node, 2 pods; CPU idle 0/2, memory idle 2/4 -> waste (0 + 0.5) / 2 = 0.25
  // big (8 cores, 8 GiB): 1 node, 4 pods; CPU idle 4/8, memory idle 4/8 -> waste 0.5
  const groups = () => [group("small", { cpu: 2000, mem: 4096, max: 1, priority: 1 }), group("big", { cpu: 8000, mem: 8192, priority: 5 })];
  const pending = () => pods(4, 1000, 1024);
  const cases: { expander: Expander; random?: number; want: string; message: string }[] = [
    // waste 0.25 < 0.5
    { expander: "least-waste", want: "small", message: "least-waste: 0 cores and 2 GiB idle after placement" },
    // 4 pods > 2
    { expander: "most-pods", want: "big", message: "most-pods: 4 pods placed, the most of 2 groups that can help" },
    // priority 5 > 1
    { expander: "priority", want: "big", message: "priority: 5, the highest of 2 groups that can help" },
    // options by name: [big, small]; floor(0 x 2) = 0 -> big, floor(0.99 x 2) = 1 -> small
    { expander: "random", random: 0, want: "big", message: "random: picked 1 of 2 groups that can help; 4 cores and 4 GiB idle after placement" },
    { expander: "random", random: 0.99, want: "small", message: "random: picked 1 of 2 groups that can help; 0 cores and 2 GiB idle after placement" },
  ];
  it.each(cases)("$expander (random $random) picks $want", ({ expander, random, want, message }) => {
    const p = plan(pending(), groups(), expander, () => random ?? 0);
    expect(p.choice?.group).toBe(want);
    expect(p.options.map((o) => o.group)).toEqual(["small", "big"]);
    expect(p.message).toContain(`(${message})`);
  });

  const ties: { name: string; groups: () => ScaleUpGroup[]; expander: Expander; want: string }[] = [
    // identical groups: same waste, same pods -> the first name
    { name: "least-waste, all equal -> name", groups: () => [group("b"), group("a")], expander: "least-waste", want: "a" },
    // 4 x 1-core pods on 2-core nodes: a (max 1) places 2, b places 4, both waste CPU 0 and memory 0.5 -> b has more pods
    { name: "least-waste, equal waste -> most pods", groups: () => [group("a", { max: 1 }), group("b")], expander: "least-waste", want: "b" },
    // equal priority 3: a 2-core node wastes 0.25, an 8-core one 0.5 -> least-waste decides: small
    {
      name: "priority, equal -> least-waste",
      groups: () => [group("big", { cpu: 8000, mem: 8192, priority: 3 }), group("small", { cpu: 2000, mem: 4096, priority: 3 })],
      expander: "priority",
      want: "small",
    },
    // both place 4 pods: small needs 2 nodes (waste 0.25), big 1 (0.5) -> least-waste decides: small
    {
      name: "most-pods, equal -> least-waste",
      groups: () => [group("big", { cpu: 8000, mem: 8192 }), group("small", { cpu: 2000, mem: 4096 })],
      expander: "most-pods",
      want: "small",
    },
  ];
  it.each(ties)("$name", ({ groups: g, expander, want }) => {
    expect(plan(pending(), g(), expander).choice?.group).toBe(want);
  });

  it("draws from random only when there is a choice", () => {
    let draws = 0;
    plan(pending(), [group("only")], "random", () => (draws++, 0.5));
    expect(draws).toBe(0);
  });
});

describe("planScaleUp: property", () => {
  const grid = { cpu: [1000, 2000, 4000], mem: [1024, 4096] };
  const arbGroup = fc.record({
    cpu: fc.constantFrom(...grid.cpu),
    mem: fc.constantFrom(...grid.mem),
    max: fc.integer({ min: 0, max: 6 }),
    used: fc.integer({ min: 0, max: 7 }),
    zone: fc.constantFrom(undefined, "a", "b"),
    priority: fc.integer({ min: 0, max: 2 }),
    upcoming: fc.array(fc.record({ cpuMilli: fc.integer({ min: 0, max: 2000 }), memoryMiB: fc.integer({ min: 0, max: 2048 }) }), { maxLength: 2 }),
  });
  const arbPod = fc.record({
    cpu: fc.integer({ min: 0, max: 18 }).map((n) => n * 250),
    mem: fc.integer({ min: 0, max: 17 }).map((n) => n * 256),
    zone: fc.constantFrom(undefined, undefined, "a", "b"),
    waited: fc.constantFrom(0, 5000),
  });

  it("never grows a group past max, and every placed pod fits its simulated node", () => {
    fc.assert(
      fc.property(
        fc.array(arbGroup, { minLength: 1, maxLength: 3 }),
        fc.array(arbPod, { maxLength: 30 }),
        fc.constantFrom(...EXPANDERS),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (gs, ps, expander, r) => {
          const groups = gs.map((g, i) =>
            group(`g${i}`, {
              cpu: g.cpu,
              mem: g.mem,
              max: g.max,
              // size may equal max but (as in a real cluster) never exceed it
              size: Math.min(g.used, g.max),
              priority: g.priority,
              labels: g.zone ? { zone: g.zone } : {},
              upcoming: g.upcoming,
            }),
          );
          const pending = ps.map((p, i) => ({
            id: `p${i}`,
            name: `p${i}`,
            request: { cpuMilli: p.cpu, memoryMiB: p.mem },
            nodeSelector: p.zone ? { zone: p.zone } : {},
            unschedulableSince: NOW - p.waited,
          }));
          const input: ScaleUpInput = { pending, groups, expander, now: NOW, random: () => r };
          const result = planScaleUp(input);
          const sim = simulateScaleUp(input);
          for (const g of groups) {
            const s = sim.groups.find((x) => x.spec.name === g.spec.name)!;
            expect(g.size + s.estimate.nodes).toBeLessThanOrEqual(g.spec.max);
            // Replay each new node's pods in order on an empty template node with the scheduler's filter.
            for (const node of s.nodes) {
              const sched = templateNode(g.spec);
              for (const id of node.podIds) {
                const pod = pending.find((p) => p.id === id)!;
                expect(filterNode(sched, pod)).toEqual([]);
                sched.allocated = { cpuMilli: sched.allocated.cpuMilli + pod.request.cpuMilli, memoryMiB: sched.allocated.memoryMiB + pod.request.memoryMiB };
              }
            }
          }
          if (result.choice) {
            const g = groups.find((x) => x.spec.name === result.choice!.group)!;
            expect(g.size + result.choice.nodes).toBeLessThanOrEqual(g.spec.max);
            expect(result.choice).toEqual(sim.groups.find((x) => x.spec.name === g.spec.name)!.estimate);
            // Only pods that waited the delay are placed, and never one with no template.
            const noFit = new Set(result.noFit.map((p) => p.podId));
            for (const id of result.choice.podIds) {
              expect(noFit.has(id)).toBe(false);
              expect(NOW - pending.find((p) => p.id === id)!.unschedulableSince).toBeGreaterThanOrEqual(g.spec.settings.scaleUpDelayMs);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
