import { describe, expect, it } from "vitest";
import type { Labels, NodeStatus, SchedNode, SchedPod } from "../types.js";
import { filterNode, matchesSelector, reasonKind } from "./filter.js";

function node(cpu: [number, number], mem: [number, number], status: NodeStatus = "Ready", labels: Labels = {}): SchedNode {
  return {
    id: "n1",
    name: "node-1",
    order: 1,
    status,
    capacity: { cpuMilli: cpu[0], memoryMiB: mem[0] },
    allocated: { cpuMilli: cpu[1], memoryMiB: mem[1] },
    labels,
  };
}
function pod(cpuMilli: number, memoryMiB: number, nodeSelector: Labels = {}): SchedPod {
  return { request: { cpuMilli, memoryMiB }, nodeSelector };
}

describe("filterNode", () => {
  const cases: { name: string; node: SchedNode; pod: SchedPod; want: string[] }[] = [
    // 4000m-0m=4000m free >= 2000m; 1024Mi-0Mi=1024Mi free >= 512Mi
    { name: "fits", node: node([4000, 0], [1024, 0]), pod: pod(2000, 512), want: [] },
    // 4000m-2000m=2000m free >= 2000m: an exact fit is feasible
    { name: "exact cpu fit", node: node([4000, 2000], [1024, 0]), pod: pod(2000, 1024), want: [] },
    // 4000m-2500m=1500m free < 2000m
    {
      name: "insufficient cpu",
      node: node([4000, 2500], [1024, 0]),
      pod: pod(2000, 512),
      want: ["Insufficient cpu: requested 2000m, free 1500m of 4000m"],
    },
    // 1000m-750m=250m free < 500m (fractional cores: 0.5 requested, 0.25 free)
    {
      name: "fractional cpu",
      node: node([1000, 750], [1024, 0]),
      pod: pod(500, 1),
      want: ["Insufficient cpu: requested 500m, free 250m of 1000m"],
    },
    // 1000m-750m=250m free >= 250m
    { name: "fractional cpu exact", node: node([1000, 750], [1024, 0]), pod: pod(250, 1), want: [] },
    // 1024Mi-768Mi=256Mi free < 512Mi
    {
      name: "insufficient memory",
      node: node([4000, 0], [1024, 768]),
      pod: pod(1000, 512),
      want: ["Insufficient memory: requested 512Mi, free 256Mi of 1024Mi"],
    },
    // 1000m-0m=1000m free < 2000m and 1024Mi-1024Mi=0Mi free < 1Mi: both kept
    {
      name: "cpu and memory",
      node: node([1000, 0], [1024, 1024]),
      pod: pod(2000, 1),
      want: ["Insufficient cpu: requested 2000m, free 1000m of 1000m", "Insufficient memory: requested 1Mi, free 0Mi of 1024Mi"],
    },
    // capacity is ample (4000m, 1024Mi free) but status is not Ready
    { name: "suspect", node: node([4000, 0], [1024, 0], "Suspect"), pod: pod(1, 1), want: ["node is Suspect"] },
    // cordoned nodes keep their pods but take no new ones
    { name: "cordoned", node: node([4000, 0], [1024, 0], "Cordoned"), pod: pod(1, 1), want: ["node is Cordoned"] },
    // Failed and 4000m-4000m=0m free < 100m: status first, then cpu
    {
      name: "failed and full",
      node: node([4000, 4000], [1024, 0], "Failed"),
      pod: pod(100, 1),
      want: ["node is Failed", "Insufficient cpu: requested 100m, free 0m of 4000m"],
    },
    // wants disk=ssd, node has disk=hdd
    {
      name: "selector value mismatch",
      node: node([4000, 0], [1024, 0], "Ready", { disk: "hdd" }),
      pod: pod(1, 1, { disk: "ssd" }),
      want: ["node selector mismatch: wants disk=ssd, node has disk=hdd"],
    },
    // wants disk=ssd, node has no disk label at all
    {
      name: "selector key missing",
      node: node([4000, 0], [1024, 0], "Ready", { zone: "a" }),
      pod: pod(1, 1, { disk: "ssd" }),
      want: ["node selector mismatch: wants disk=ssd, node has no label disk"],
    },
    // every selector pair present on the node (extra node labels do not matter)
    {
      name: "selector match",
      node: node([4000, 0], [1024, 0], "Ready", { disk: "ssd", zone: "a", gpu: "none" }),
      pod: pod(1, 1, { disk: "ssd", zone: "a" }),
      want: [],
    },
    // two selector keys wrong: one reason each, in selector order
    {
      name: "two selector mismatches",
      node: node([4000, 0], [1024, 0], "Ready", { zone: "b" }),
      pod: pod(1, 1, { disk: "ssd", zone: "a" }),
      want: [
        "node selector mismatch: wants disk=ssd, node has no label disk",
        "node selector mismatch: wants zone=a, node has zone=b",
      ],
    },
    // "constructor" is on Object.prototype, not on the node's labels
    {
      name: "prototype key is not a label",
      node: node([4000, 0], [1024, 0]),
      pod: pod(1, 1, { constructor: "x" }),
      want: ["node selector mismatch: wants constructor=x, node has no label constructor"],
    },
  ];
  it.each(cases)("$name", ({ node, pod, want }) => {
    expect(filterNode(node, pod)).toEqual(want);
    expect(matchesSelector(node.labels, pod.nodeSelector)).toBe(!want.some((r) => r.startsWith("node selector")));
  });
});

describe("reasonKind", () => {
  const cases: { reason: string; want: string }[] = [
    // text before the first colon
    { reason: "Insufficient cpu: requested 2000m, free 1500m of 4000m", want: "Insufficient cpu" },
    { reason: "Insufficient memory: requested 512Mi, free 256Mi of 1024Mi", want: "Insufficient memory" },
    { reason: "node selector mismatch: wants disk=ssd, node has disk=hdd", want: "node selector mismatch" },
    // no colon: the whole reason is its kind, so each status is counted apart
    { reason: "node is Failed", want: "node is Failed" },
  ];
  it.each(cases)("$reason", ({ reason, want }) => {
    expect(reasonKind(reason)).toBe(want);
  });
});
