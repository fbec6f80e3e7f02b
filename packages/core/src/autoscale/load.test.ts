import { describe, expect, it } from "vitest";
import { planLoadScaleUp, type LoadScaleUpInput } from "./load.js";
import { DEFAULT_GROUP_SETTINGS } from "./settings.js";
import type { NodeGroupSettings, ScaleDownNode } from "./types.js";

const NOW = 1_000_000;

/** A 4-core group node with `cpu` millicores requested. */
function node(name: string, cpu: number, ready = true): ScaleDownNode {
  return {
    id: name,
    name,
    group: "web",
    capacity: { cpuMilli: 4000, memoryMiB: 8192 },
    allocated: { cpuMilli: cpu, memoryMiB: 0 },
    usage: null,
    ready,
    unneededSince: null,
  };
}

function input(o: Partial<Omit<LoadScaleUpInput, "spec">> & { settings?: Partial<NodeGroupSettings>; max?: number } = {}): LoadScaleUpInput {
  const { settings, max = 5, ...rest } = o;
  return {
    spec: {
      name: "web",
      min: 0,
      max,
      priority: 0,
      template: { capacity: { cpuMilli: 4000, memoryMiB: 8192 }, runtime: "process", labels: {} },
      // high-water mark 0.8 for 10 s, cooldown 10 s
      settings: { ...DEFAULT_GROUP_SETTINGS, ...settings },
    },
    size: 2,
    nodes: [node("a", 3600), node("b", 3400)],
    aboveSince: null,
    lastLoadScaleUpAt: null,
    now: NOW,
    ...rest,
  };
}

describe("planLoadScaleUp", () => {
  const cases: { name: string; input: LoadScaleUpInput; want: { aboveSince: number | null; add: 0 | 1; reason: string } }[] = [
    {
      name: "off when the high-water mark is 0",
      input: input({ settings: { highWaterMark: 0 } }),
      want: { aboveSince: null, add: 0, reason: "load scale-up is off for group web (loadHighWaterMark 0)" },
    },
    {
      // Requests at 100% but measured use 1 of 4 cores each: 25% < 80%. Under "both" a group grows on use only
      // (requests above the mark are the pending pods' business), so a well-packed idle group stays.
      name: "a well-packed group that uses little does not grow",
      input: input({ nodes: [{ ...node("a", 4000), usage: { cpuMilli: 1000, memoryMiB: 0 } }, { ...node("b", 4000), usage: { cpuMilli: 1000, memoryMiB: 0 } }] }),
      want: { aboveSince: null, add: 0, reason: "group web at 25% average utilization (measured use), not above its 80% high-water mark" },
    },
    {
      // No measurement yet: judged by requests. (3.6 + 3.4) / 2 / 4 = 87.5% > 80%, first seen now: 0 s of 10 s
      name: "starts the clock",
      input: input(),
      want: { aboveSince: NOW, add: 0, reason: "group web at 88% average utilization (measured use), above 80% for 0s of 10s" },
    },
    {
      // above since 4 s ago < 10 s
      name: "waits for the duration",
      input: input({ aboveSince: NOW - 4000 }),
      want: { aboveSince: NOW - 4000, add: 0, reason: "group web at 88% average utilization (measured use), above 80% for 4s of 10s" },
    },
    {
      // above for 12 s >= 10 s, size 2 < max 5, no earlier load scale-up
      name: "adds one node after the duration",
      input: input({ aboveSince: NOW - 12_000 }),
      want: { aboveSince: NOW - 12_000, add: 1, reason: "group web at 88% average utilization (measured use), above 80% for 12s: adding 1 node" },
    },
    {
      // last load scale-up 4 s ago < 10 s cooldown
      name: "holds during the cooldown",
      input: input({ aboveSince: NOW - 12_000, lastLoadScaleUpAt: NOW - 4000 }),
      want: {
        aboveSince: NOW - 12_000,
        add: 0,
        reason: "group web at 88% average utilization (measured use), above 80% for 12s, but load added a node 4s ago (cooldown 10s)",
      },
    },
    {
      // last one 10 s ago = the cooldown: over
      name: "adds again once the cooldown is over",
      input: input({ aboveSince: NOW - 30_000, lastLoadScaleUpAt: NOW - 10_000 }),
      want: { aboveSince: NOW - 30_000, add: 1, reason: "group web at 88% average utilization (measured use), above 80% for 30s: adding 1 node" },
    },
    {
      // size 5 = max 5
      name: "never past max",
      input: input({ aboveSince: NOW - 12_000, size: 5 }),
      want: { aboveSince: NOW - 12_000, add: 0, reason: "group web at 88% average utilization (measured use), above 80% for 12s, but it is at its max size 5" },
    },
    {
      // (3.6 + 2.0) / 2 / 4 = 70% <= 80%: the clock resets
      name: "resets when the load drops",
      input: input({ aboveSince: NOW - 12_000, nodes: [node("a", 3600), node("b", 2000)] }),
      want: { aboveSince: null, add: 0, reason: "group web at 70% average utilization (measured use), not above its 80% high-water mark" },
    },
    {
      // the starting node (not Ready) is not measured: 3.6 / 4 = 90%
      name: "measures Ready nodes only",
      input: input({ aboveSince: NOW - 12_000, nodes: [node("a", 3600), node("new", 0, false)], settings: { loadMetric: "allocation" } }),
      want: { aboveSince: NOW - 12_000, add: 1, reason: "group web at 90% average utilization (requests), above 80% for 12s: adding 1 node" },
    },
    {
      // usage 3.8 of 4 cores on both = 95% although nothing is requested
      name: "by measured use",
      input: input({
        aboveSince: NOW - 12_000,
        nodes: [{ ...node("a", 0), usage: { cpuMilli: 3800, memoryMiB: 0 } }, { ...node("b", 0), usage: { cpuMilli: 3800, memoryMiB: 0 } }],
        settings: { loadMetric: "usage" },
      }),
      want: { aboveSince: NOW - 12_000, add: 1, reason: "group web at 95% average utilization (measured use), above 80% for 12s: adding 1 node" },
    },
    {
      name: "no Ready node",
      input: input({ aboveSince: NOW - 12_000, nodes: [node("a", 4000, false)] }),
      want: { aboveSince: null, add: 0, reason: "group web has no Ready node to measure" },
    },
  ];
  it.each(cases)("$name", ({ input: i, want }) => {
    expect(planLoadScaleUp(i)).toEqual(want);
  });
});
