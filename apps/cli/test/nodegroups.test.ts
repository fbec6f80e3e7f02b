// `kube9 nodegroup`: the list table, the describe view and the flags of `create`, with every number spelled out.
import { describe, expect, it } from "vitest";
import { createdSummary, deletedSummary, inFlagWords, parseCreateFlags, scaledSummary, type CreateFlags } from "../src/commands/nodegroup.js";
import { formatDuration, parseDurationFlag } from "../src/duration.js";
import { formatActivity, formatBackoff, formatTemplate, renderNodeGroupDetail, renderNodeGroups } from "../src/output/nodegroups.js";
import type { NodeGroupDTO } from "../src/types.js";

// Local time, so the clock times of backoff deadlines read the same in every time zone.
const NOW = new Date(2025, 0, 1, 12, 0, 0).getTime();

const SETTINGS: NodeGroupDTO["settings"] = {
  scaleUpDelayMs: 2000,
  unneededTimeMs: 3000,
  lowWaterMark: 0.5,
  highWaterMark: 0.8,
  highDurationMs: 10_000,
  loadMetric: "both",
  scaleDownDelayAfterAddMs: 10_000,
  scaleUpCooldownMs: 10_000,
  maxScaleDownParallel: 1,
  nodeReadyTimeoutMs: 30_000,
  backoffMs: 10_000,
};

const SCALED_UP = "4 pods unschedulable, added 2 nodes to group web (least-waste: 0 cores and 0 GiB idle after placement)";

function status(over: Partial<NodeGroupDTO["status"]> = {}): NodeGroupDTO["status"] {
  return {
    lastScaleUpAt: null,
    lastScaleDownAt: null,
    lastLoadScaleUpAt: null,
    backoffUntil: null,
    backoffMs: null,
    lastActivity: null,
    lastActivityAt: null,
    ...over,
  };
}

function group(over: Partial<NodeGroupDTO> = {}): NodeGroupDTO {
  return {
    name: "web",
    min: 0,
    max: 4,
    priority: 0,
    size: 2,
    ready: 1,
    nodes: [
      { name: "web-a1b2c", status: "Ready" },
      { name: "web-d3e4f", status: "Provisioning" },
    ],
    template: { capacity: { cpuMilli: 2000, memoryMiB: 1024 }, runtime: "process", labels: { tier: "web" } },
    settings: SETTINGS,
    status: status({ lastScaleUpAt: NOW - 12_000, lastActivity: SCALED_UP, lastActivityAt: NOW - 12_000 }),
    createdAt: NOW - 300_000,
    ...over,
  };
}

describe("nodegroup list", () => {
  const templates: [NodeGroupDTO["template"], string][] = [
    // 2000m is 2 cores; 1024 MiB is exactly 1Gi.
    [{ capacity: { cpuMilli: 2000, memoryMiB: 1024 }, runtime: "process", labels: {} }, "2 cores, 1Gi, process"],
    // 1000m is one core (singular); 4096 MiB is 4Gi.
    [{ capacity: { cpuMilli: 1000, memoryMiB: 4096 }, runtime: "docker", labels: {} }, "1 core, 4Gi, docker"],
    // 500m is half a core; 1536 MiB is not a whole number of Gi, so it stays in Mi.
    [{ capacity: { cpuMilli: 500, memoryMiB: 1536 }, runtime: "hollow", labels: {} }, "0.5 cores, 1536Mi, hollow"],
  ];
  it.each(templates)("template %j reads %s", (t, want) => expect(formatTemplate(t)).toBe(want));

  it("by name; SIZE is ready/size; the last activity is its age and its text cut to 60 characters", () => {
    const groups = [
      group(),
      group({ name: "batch", min: 1, max: 10, size: 3, ready: 3, template: templates[2]![0], status: status() }),
      group({ name: "db", min: 0, max: 2, size: 0, ready: 0, template: templates[1]![0], status: status() }),
    ];
    expect(renderNodeGroups(groups, NOW)!.split("\n")).toEqual([
      "NAME    MIN   SIZE   MAX   TEMPLATE                    LAST ACTIVITY",
      // 3 of 3 nodes Ready; never acted on yet.
      "batch   1     3/3    10    0.5 cores, 1536Mi, hollow   -",
      "db      0     0/0    2     1 core, 4Gi, docker         -",
      // 1 of 2 Ready; acted 12 s ago; the 102-character text is cut to 57 characters and "...".
      "web     0     1/2    4     2 cores, 1Gi, process       12s ago: 4 pods unschedulable, added 2 nodes to group web (least-w...",
    ]);
  });

  it("no groups: nothing to render (the command says how to create one)", () => {
    expect(renderNodeGroups([], NOW)).toBeUndefined();
  });

  it("an activity shorter than the width is shown whole", () => {
    expect(formatActivity(status({ lastActivity: "removed node web-a1b2c", lastActivityAt: NOW - 125_000 }), NOW, 60)).toBe("2m5s ago: removed node web-a1b2c");
  });
});

describe("nodegroup get", () => {
  it("spec, settings in words, nodes with their status, and what the autoscaler last did", () => {
    expect(renderNodeGroupDetail(group(), NOW).split("\n")).toEqual([
      "Name:      web",
      // 2 nodes, 1 of them Ready.
      "Size:      2 (1 Ready), min 0, max 4",
      "Priority:  0",
      "Template:  2 cores, 1Gi, process",
      "Labels:    tier=web (and kube9.io/nodegroup=web on every node)",
      // Created 300 s = 5 minutes before now.
      `Created:   ${new Date(NOW - 300_000).toISOString()} (5m ago)`,
      "Settings:",
      "  Scale-up delay:      2s: a pod unschedulable this long adds nodes",
      "  Load scale-up:       above 0.8 (80%) for 10s adds a node; cooldown 10s",
      "  Load metric:         both: measured usage or requests, whichever is higher",
      "  Low-water mark:      0.5 (50%): a node below it is unneeded",
      "  Unneeded time:       3s: a node unneeded this long is removed",
      "  Scale-down delay:    10s after a scale-up; 1 node at a time",
      "  Node ready timeout:  30s: a new node not Ready by then is removed",
      "  Backoff:             10s after a failed scale-up, doubling up to 5m",
      "Nodes (2):",
      "  NAME        STATUS",
      "  web-a1b2c   Ready",
      "  web-d3e4f   Provisioning",
      "Status:",
      `  Last activity:    ${SCALED_UP} (12s ago)`,
      "  Last scale-up:    12s ago",
      "  Last scale-down:  never",
      "  Backoff:          none",
    ]);
  });

  it("an empty group with load scale-up off and a backoff running", () => {
    const g = group({
      size: 0,
      ready: 0,
      nodes: [],
      template: { capacity: { cpuMilli: 2000, memoryMiB: 1024 }, runtime: "process", labels: {} },
      settings: { ...SETTINGS, highWaterMark: 0, loadMetric: "usage", maxScaleDownParallel: 3, unneededTimeMs: 90_000 },
      // Backed off for 20 s (the second failure doubles the 10 s) from 5 s ago: 15 s left, until 12:00:15.
      status: status({ backoffMs: 20_000, backoffUntil: NOW + 15_000, lastActivity: "node web-x was not Ready within 30s; removed", lastActivityAt: NOW - 5000 }),
    });
    const lines = renderNodeGroupDetail(g, NOW).split("\n");
    expect(lines).toContain("Labels:    <none> (and kube9.io/nodegroup=web on every node)");
    expect(lines).toContain("  Load scale-up:       off (high-water mark 0)");
    expect(lines).toContain("  Load metric:         usage: measured usage");
    // 90 000 ms is 1m30s, written as the manifest writes it.
    expect(lines).toContain("  Unneeded time:       1m30s: a node unneeded this long is removed");
    expect(lines).toContain("  Scale-down delay:    10s after a scale-up; 3 nodes at a time");
    expect(lines).toContain("Nodes (0):  <none>");
    expect(lines).toContain("  Backoff:          until 12:00:15 (20s backoff)");
  });

  it("a backoff whose deadline has passed is none", () => {
    expect(formatBackoff(status({ backoffMs: 10_000, backoffUntil: NOW - 1 }), NOW)).toBe("none");
    expect(formatBackoff(status({ backoffMs: 10_000, backoffUntil: NOW + 1000 }), NOW)).toBe("until 12:00:01 (10s backoff)");
  });

  it("what create, scale and delete print", () => {
    expect(createdSummary(group())).toBe("nodegroup/web created: min 0, max 4, nodes of 2 cores, 1Gi, process, labels tier=web");
    // 2 nodes, 1 of them still starting.
    expect(scaledSummary(group())).toBe("nodegroup/web scaled to 2 nodes: 1 Ready (min 0, max 4)");
    expect(scaledSummary(group({ size: 1, ready: 1 }))).toBe("nodegroup/web scaled to 1 node: 1 Ready (min 0, max 4)");
    expect(deletedSummary({ name: "web", removedNodes: ["web-a1b2c", "web-d3e4f"] })).toBe("nodegroup/web deleted\n  node/web-a1b2c removed\n  node/web-d3e4f removed");
    expect(deletedSummary({ name: "web", removedNodes: [] })).toBe("nodegroup/web deleted (it had no nodes)");
  });
});

describe("nodegroup create flags", () => {
  const BASE: CreateFlags = { min: "0", max: "4", cpu: "2" };

  it("the issue's example: quantities, labels and durations as API input (durations as written)", () => {
    expect(parseCreateFlags("web", { ...BASE, memory: "1Gi", label: ["tier=web"], unneededTime: "3s" })).toEqual({
      name: "web",
      min: 0,
      max: 4,
      cpu: 2,
      // 1Gi is 1024 MiB.
      memoryMiB: 1024,
      labels: { tier: "web" },
      settings: { unneededTime: "3s" },
    });
  });

  it("every flag", () => {
    const flags: CreateFlags = {
      ...BASE,
      cpu: "500m",
      memory: "512",
      runtime: "HOLLOW",
      priority: "-5",
      scaleUpDelay: "500ms",
      unneededTime: "1m30s",
      lowWater: "0.3",
      highWater: "0.9",
      highDuration: "20s",
      loadMetric: "allocation",
      nodeReadyTimeout: "1m",
    };
    expect(parseCreateFlags("batch", flags)).toEqual({
      name: "batch",
      min: 0,
      max: 4,
      // 500m is half a core.
      cpu: 0.5,
      memoryMiB: 512,
      runtime: "hollow",
      priority: -5,
      settings: {
        scaleUpDelay: "500ms",
        unneededTime: "1m30s",
        lowWaterMark: 0.3,
        highWaterMark: 0.9,
        highDuration: "20s",
        loadMetric: "allocation",
        nodeReadyTimeout: "1m",
      },
    });
  });

  const bad: [string, Partial<CreateFlags>, string][] = [
    ["Web", {}, 'name must be lowercase letters'],
    // 41 characters: node names add "-" and 5 more, and must stay within 63.
    ["a".repeat(41), {}, 'name must be at most 40 characters: node names add "-" and 5 more'],
    ["web", { min: "-1" }, '--min must be a whole number from 0 to 1000 (got "-1")'],
    ["web", { max: "1001" }, '--max must be a whole number from 0 to 1000 (got "1001")'],
    ["web", { max: "2.5" }, '--max must be a whole number from 0 to 1000 (got "2.5")'],
    ["web", { min: "3", max: "2" }, '--max must be at least --min (3) (got "2")'],
    ["web", { cpu: "two" }, '--cpu must be a number of cores > 0 and <= 1024 (got "two")'],
    ["web", { memory: "1G" }, '--memory must be a whole number of MiB from 0 to'],
    ["web", { runtime: "vm" }, '--runtime must be one of docker, process, hollow (got "vm")'],
    ["web", { label: ["tier"] }, '--label must be key=value (got "tier")'],
    ["web", { label: ["kube9.io/nodegroup=db"] }, "--label kube9.io/nodegroup is set by Kube-9 to the group's name on every node of the group"],
    ["web", { priority: "1001" }, '--priority must be a whole number from -1000 to 1000 (got "1001")'],
    ["web", { unneededTime: "30" }, '--unneeded-time must be a Prometheus duration: whole numbers with units ms, s, m, h, d, w, y, largest first, e.g. 30s, 1m30s, 500ms, or 0 (got "30")'],
    ["web", { scaleUpDelay: "1.5s" }, "--scale-up-delay must be a Prometheus duration"],
    ["web", { highDuration: "25h" }, '--high-duration must be at most 24h (got "25h")'],
    // 0 or under a second would remove every new node before its agent could register.
    ["web", { nodeReadyTimeout: "500ms" }, '--node-ready-timeout must be at least 1s (got "500ms")'],
    ["web", { nodeReadyTimeout: "0" }, '--node-ready-timeout must be at least 1s (got "0")'],
    ["web", { lowWater: "50%" }, '--low-water must be a number from 0 to 1, a share of a node\'s capacity: 0.8 is 80% (got "50%")'],
    ["web", { highWater: "1.5" }, '--high-water must be a number from 0 to 1'],
    // 0.4 <= 0.5: a node added for load would be unneeded at once.
    ["web", { lowWater: "0.5", highWater: "0.4" }, '--high-water must be greater than --low-water (0.5), or 0 to turn load scale-up off (got "0.4")'],
    ["web", { loadMetric: "cpu" }, '--load-metric must be one of usage, allocation, both (got "cpu")'],
  ];
  it.each(bad)("%s %j is refused: %s", (name, flags, message) => {
    expect(() => parseCreateFlags(name, { ...BASE, ...flags })).toThrow(message);
  });

  it("load scale-up turned off (--high-water 0) may sit below --low-water", () => {
    expect(parseCreateFlags("web", { ...BASE, lowWater: "0.5", highWater: "0" }).settings).toEqual({ lowWaterMark: 0.5, highWaterMark: 0 });
  });

  it("the API's refusals name the flags instead of the manifest's paths", () => {
    // The API checks --high-water against the default --low-water (0.5) when only one is given.
    expect(inFlagWords("spec.scaleUp.loadHighWaterMark: Invalid value: 0.3: must be greater than spec.scaleDown.utilizationThreshold (0.5), or 0 to turn load scale-up off")).toBe(
      "--high-water: Invalid value: 0.3: must be greater than --low-water (0.5), or 0 to turn load scale-up off",
    );
    expect(inFlagWords('spec.template.memory: Invalid value: "0": must be at least 1Mi and at most 4Ti')).toBe('--memory: Invalid value: "0": must be at least 1Mi and at most 4Ti');
    expect(inFlagWords('node group "web" already exists')).toBe('node group "web" already exists');
  });
});

describe("durations", () => {
  const ok: [string, number][] = [
    ["0", 0],
    ["500ms", 500],
    ["3s", 3000],
    // 60 000 + 30 000.
    ["1m30s", 90_000],
    ["24h", 86_400_000],
  ];
  it.each(ok)("%s is %d ms", (raw, ms) => expect(parseDurationFlag(raw, "--x")).toBe(ms));

  const written: [number, string][] = [
    [0, "0s"],
    [500, "500ms"],
    [30_000, "30s"],
    [90_000, "1m30s"],
    // 1 h + 1 s + 1 ms: every unit present, largest first.
    [3_601_001, "1h1s1ms"],
    [86_400_000, "1d"],
  ];
  it.each(written)("%d ms is written %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});
