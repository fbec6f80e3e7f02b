// `kube9 autoscaler status|expander`: the groups table, unneeded nodes and why they stay, with every number spelled out.
import { describe, expect, it } from "vitest";
import { autoscalerSnapshot, EXPANDERS, expanderChange } from "../src/commands/autoscaler.js";
import { renderAutoscalerStatus } from "../src/output/autoscaler.js";
import { NO_GROUPS } from "../src/output/nodegroups.js";
import type { AutoscalerGroupDTO, AutoscalerStatusDTO } from "../src/types.js";

// Local time, so the clock times of backoff deadlines read the same in every time zone.
const NOW = new Date(2025, 0, 1, 12, 0, 0).getTime();

function group(over: Partial<AutoscalerGroupDTO> = {}): AutoscalerGroupDTO {
  return {
    name: "web",
    min: 0,
    size: 2,
    ready: 2,
    max: 4,
    upcoming: 0,
    unneeded: [],
    status: {
      lastScaleUpAt: NOW - 12_000,
      lastScaleDownAt: null,
      lastLoadScaleUpAt: null,
      backoffUntil: null,
      backoffMs: null,
      lastActivity: "4 pods unschedulable, added 2 nodes to group web (least-waste: 0 cores and 0 GiB idle after placement)",
      lastActivityAt: NOW - 12_000,
    },
    ...over,
  };
}

function statusOf(groups: AutoscalerGroupDTO[], over: Partial<AutoscalerStatusDTO> = {}): AutoscalerStatusDTO {
  return { expander: "least-waste", unschedulablePods: 0, groups, lastPlan: null, ...over };
}

describe("autoscaler status", () => {
  it("groups by name with sizes, nodes starting, last activity and backoff; unneeded nodes with how long and why they stay", () => {
    const web = group({
      unneeded: [
        // Below the low-water mark for 2.5 s: still waiting out its unneeded time, so no reason yet.
        { node: "web-a1b2c", forMs: 2500, reason: "" },
        // Due (5 s > 3 s) but kept.
        { node: "web-d3e4f", forMs: 5000, reason: "group web removes at most 1 node at a time (maxParallel) and 1 is already going" },
      ],
    });
    const batch = group({
      name: "batch",
      min: 1,
      size: 3,
      ready: 1,
      max: 10,
      // 3 nodes, 1 Ready: 2 still starting.
      upcoming: 2,
      status: {
        ...web.status,
        // Backed off 20 s from 5 s ago: it may grow again at 12:00:15.
        backoffMs: 20_000,
        backoffUntil: NOW + 15_000,
        lastActivity: "node batch-x1y2z was not Ready within 30s; removed",
        lastActivityAt: NOW - 5000,
      },
    });
    const idle = group({ name: "db", size: 0, ready: 0, max: 2, status: { ...web.status, lastActivity: null, lastActivityAt: null } });
    const plan = "3 pods unschedulable, added 2 nodes to group web (least-waste: 1 core and 1 GiB idle after placement)";
    expect(renderAutoscalerStatus(statusOf([web, batch, idle], { unschedulablePods: 3, lastPlan: plan }), NOW).split("\n")).toEqual([
      "Expander:            least-waste",
      "Unschedulable pods:  3",
      `Last scale-up plan:  ${plan}`,
      "",
      "NAME    MIN   SIZE   READY   MAX   UPCOMING   LAST ACTIVITY   BACKOFF",
      "batch   1     3      1       10    2          5s              until 12:00:15",
      "db      0     0      0       2     0          -               -",
      "web     0     2      2       4     0          12s             -",
      "",
      "Last activity:",
      "  batch: node batch-x1y2z was not Ready within 30s; removed (5s ago)",
      "  web: 4 pods unschedulable, added 2 nodes to group web (least-waste: 0 cores and 0 GiB idle after placement) (12s ago)",
      "Unneeded nodes:",
      "  NODE        GROUP   UNNEEDED FOR   KEPT BECAUSE",
      // 2500 ms shows as whole seconds: 2s.
      "  web-a1b2c   web     2s             -",
      "  web-d3e4f   web     5s             group web removes at most 1 node at a time (maxParallel) and 1 is already going",
    ]);
  });

  it("a backoff whose deadline has passed shows '-'; nothing acted on and nothing unneeded says <none>", () => {
    const g = group({ status: { ...group().status, backoffMs: 10_000, backoffUntil: NOW - 1, lastActivity: null, lastActivityAt: null } });
    expect(renderAutoscalerStatus(statusOf([g]), NOW).split("\n")).toEqual([
      "Expander:            least-waste",
      "Unschedulable pods:  0",
      "Last scale-up plan:  <none>",
      "",
      "NAME   MIN   SIZE   READY   MAX   UPCOMING   LAST ACTIVITY   BACKOFF",
      "web    0     2      2       4     0          -               -",
      "",
      "Last activity:  <none>",
      "Unneeded nodes:  <none>",
    ]);
  });

  it("no groups: how to create one", () => {
    expect(renderAutoscalerStatus(statusOf([], { expander: "most-pods" }), NOW).split("\n")).toEqual([
      "Expander:            most-pods",
      "Unschedulable pods:  0",
      "Last scale-up plan:  <none>",
      "",
      NO_GROUPS,
    ]);
  });

  it("-o json prints the API's status object as it came", () => {
    const s = statusOf([group()]);
    expect(autoscalerSnapshot(s, NOW).doc).toBe(s);
  });
});

describe("autoscaler expander", () => {
  it("knows the API's four expanders, least-waste (the default) first", () => {
    expect(EXPANDERS).toEqual(["least-waste", "most-pods", "random", "priority"]);
  });

  it("says whether the expander changed", () => {
    expect(expanderChange({ expander: "most-pods", previous: "least-waste" })).toBe("expander changed: least-waste -> most-pods");
    expect(expanderChange({ expander: "random", previous: "random" })).toBe("expander is already random");
  });
});
