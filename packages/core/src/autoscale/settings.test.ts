import { describe, expect, it } from "vitest";
import { DEFAULT_GROUP_SETTINGS, settingPath, validateNodeGroup } from "./settings.js";
import type { NodeGroupSettings, NodeGroupSpec } from "./types.js";

function group(over: Partial<Omit<NodeGroupSpec, "settings">> = {}, settings: Partial<NodeGroupSettings> = {}): NodeGroupSpec {
  return {
    name: "web",
    min: 0,
    max: 5,
    priority: 0,
    template: { capacity: { cpuMilli: 2000, memoryMiB: 4096 }, runtime: "process", labels: {} },
    ...over,
    settings: { ...DEFAULT_GROUP_SETTINGS, ...settings },
  };
}

const template = (capacity: { cpuMilli: number; memoryMiB: number }, labels: Record<string, string> = {}, runtime = "process") =>
  ({ capacity, runtime, labels }) as NodeGroupSpec["template"];

describe("DEFAULT_GROUP_SETTINGS", () => {
  it("holds the values documented in types.ts", () => {
    // The defaults: 2 s scale-up delay, 30 s unneeded time below 50%, one node at a time; the rest as types.ts says.
    const d = DEFAULT_GROUP_SETTINGS;
    expect([d.scaleUpDelayMs, d.unneededTimeMs, d.lowWaterMark, d.maxScaleDownParallel]).toEqual([2000, 30_000, 0.5, 1]);
    expect([d.highWaterMark, d.highDurationMs, d.loadMetric]).toEqual([0.8, 10_000, "both"]);
    expect([d.scaleDownDelayAfterAddMs, d.scaleUpCooldownMs, d.nodeReadyTimeoutMs, d.backoffMs]).toEqual([10_000, 10_000, 30_000, 10_000]);
    expect(Object.keys(d)).toHaveLength(11);
    // The defaults are themselves a valid group's settings.
    expect(validateNodeGroup(group())).toEqual([]);
  });

  it("names each setting by its manifest path", () => {
    expect(settingPath("unneededTimeMs")).toBe("spec.scaleDown.unneededTime");
    expect(settingPath("highWaterMark")).toBe("spec.scaleUp.loadHighWaterMark");
    expect(settingPath("backoffMs")).toBe("spec.backoff");
  });
});

describe("validateNodeGroup", () => {
  const valid: { name: string; spec: NodeGroupSpec }[] = [
    // 40 characters + "-" + 5 = 46, a valid node name
    { name: "a 40-character name", spec: group({ name: "a".repeat(40) }) },
    // min = max is a fixed-size group; 0..0 is a group that is switched off
    { name: "min = max", spec: group({ min: 3, max: 3 }) },
    { name: "min = max = 0", spec: group({ min: 0, max: 0 }) },
    // the limits themselves: 1000 nodes, 1m, 1 MiB
    { name: "max 1000", spec: group({ max: 1000 }) },
    { name: "1m and 1Mi", spec: group({ template: template({ cpuMilli: 1, memoryMiB: 1 }) }) },
    // 31 labels + the group label = 32, the node limit
    { name: "31 labels", spec: group({ template: template({ cpuMilli: 1000, memoryMiB: 1024 }, Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, "v"]))) }) },
    // highWaterMark 0 turns load scale-up off, so it may be below lowWaterMark
    { name: "load scale-up off", spec: group({}, { highWaterMark: 0, lowWaterMark: 0.5 }) },
    // durations may be 0 (no delay) and up to 24 h = 86 400 000 ms
    { name: "durations 0 and 24h", spec: group({}, { scaleUpDelayMs: 0, unneededTimeMs: 86_400_000 }) },
    { name: "negative priority", spec: group({ priority: -5 }) },
  ];
  it.each(valid)("accepts $name", ({ spec }) => {
    expect(validateNodeGroup(spec)).toEqual([]);
  });

  const invalid: { name: string; spec: NodeGroupSpec; want: string[] }[] = [
    {
      // 41 + 6 = 47 still fits 63, but the rule leaves room for longer suffixes later
      name: "a 41-character name",
      spec: group({ name: "a".repeat(41) }),
      want: [`metadata.name: Invalid value: "${"a".repeat(41)}": must be no more than 40 characters (node names add "-" and 5 more)`],
    },
    {
      name: "an upper-case name",
      spec: group({ name: "Web" }),
      want: ['metadata.name: Invalid value: "Web": must consist of lowercase letters, digits and "-", starting and ending with a letter or digit'],
    },
    { name: "no name", spec: group({ name: "" }), want: ["metadata.name: Required value"] },
    {
      // 3 > 2: min above max is reported on max, which must be >= min
      name: "min above max",
      spec: group({ min: 3, max: 2 }),
      want: ["spec.maxSize: Invalid value: 2: must be greater than or equal to spec.minSize (3)"],
    },
    {
      name: "negative min, max over 1000",
      spec: group({ min: -1, max: 1001 }),
      want: [
        "spec.minSize: Invalid value: -1: must be a whole number between 0 and 1000",
        "spec.maxSize: Invalid value: 1001: must be a whole number between 0 and 1000",
      ],
    },
    { name: "fractional min", spec: group({ min: 1.5 }), want: ["spec.minSize: Invalid value: 1.5: must be a whole number between 0 and 1000"] },
    { name: "fractional priority", spec: group({ priority: 0.5 }), want: ["spec.priority: Invalid value: 0.5: must be an integer"] },
    {
      // 0 cores and 0 MiB: a node must have something to offer
      name: "an empty template",
      spec: group({ template: template({ cpuMilli: 0, memoryMiB: 0 }) }),
      want: [
        'spec.template.cpu: Invalid value: "0": must be at least 1m and at most 1024 cores',
        'spec.template.memory: Invalid value: "0": must be at least 1Mi and at most 4Ti',
      ],
    },
    {
      // 1025 cores = 1 025 000m > 1024 cores
      name: "1025 cores",
      spec: group({ template: template({ cpuMilli: 1_025_000, memoryMiB: 1024 }) }),
      want: ['spec.template.cpu: Invalid value: "1025": must be at least 1m and at most 1024 cores'],
    },
    {
      name: "an unknown runtime",
      spec: group({ template: template({ cpuMilli: 1000, memoryMiB: 1024 }, {}, "vm") }),
      want: ['spec.template.runtime: Unsupported value: "vm": supported values: "docker", "process", "hollow"'],
    },
    {
      name: "bad labels, and the group label",
      spec: group({ template: template({ cpuMilli: 1000, memoryMiB: 1024 }, { "-bad": "x", disk: "s s", "kube9.io/nodegroup": "other" }) }),
      want: [
        expect.stringMatching(/^spec\.template\.labels: Invalid value: "-bad": at most 63 letters/),
        expect.stringMatching(/^spec\.template\.labels\[disk\]: Invalid value: "s s": empty or at most 63/),
        "spec.template.labels[kube9.io/nodegroup]: Forbidden: set by Kube-9 to the group's name on every node of the group",
      ] as unknown as string[],
    },
    {
      // 32 user labels + the group label = 33 > 32
      name: "32 labels",
      spec: group({ template: template({ cpuMilli: 1000, memoryMiB: 1024 }, Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, "v"]))) }),
      want: ["spec.template.labels: Too many: 32: must have at most 31 items"],
    },
    {
      name: "marks outside 0..1",
      spec: group({}, { lowWaterMark: -0.1, highWaterMark: 1.2 }),
      want: [
        "spec.scaleUp.loadHighWaterMark: Invalid value: 1.2: must be a number from 0 to 1 (a share of the node's capacity: 0.8 is 80%)",
        "spec.scaleDown.utilizationThreshold: Invalid value: -0.1: must be a number from 0 to 1 (a share of the node's capacity: 0.8 is 80%)",
      ],
    },
    {
      // high 0.5 <= low 0.5: a node added for load would be unneeded at once
      name: "high not above low",
      spec: group({}, { highWaterMark: 0.5, lowWaterMark: 0.5 }),
      want: ["spec.scaleUp.loadHighWaterMark: Invalid value: 0.5: must be greater than spec.scaleDown.utilizationThreshold (0.5), or 0 to turn load scale-up off"],
    },
    {
      // 25 h = 90 000 000 ms > 86 400 000; -1 ms is not a duration; 0 ms to become Ready is no time at all
      name: "durations out of range",
      spec: group({}, { unneededTimeMs: 90_000_000, backoffMs: -1, nodeReadyTimeoutMs: 0 }),
      want: [
        'spec.scaleDown.unneededTime: Invalid value: "1d1h": must be a duration from 0 to 24h',
        'spec.nodeReadyTimeout: Invalid value: "0s": must be a duration from 1s to 24h',
        "spec.backoff: Invalid value: -1: must be a duration from 0 to 24h",
      ],
    },
    {
      name: "maxParallel 0 and an unknown metric",
      spec: group({}, { maxScaleDownParallel: 0, loadMetric: "cpu" as NodeGroupSettings["loadMetric"] }),
      want: [
        'spec.scaleUp.loadMetric: Unsupported value: "cpu": supported values: "usage", "allocation", "both"',
        "spec.scaleDown.maxParallel: Invalid value: 0: must be a whole number from 1 to 100",
      ],
    },
  ];
  it.each(invalid)("refuses $name", ({ spec, want }) => {
    expect(validateNodeGroup(spec).map((e) => e.message)).toEqual(want);
  });
});
