import { describe, expect, it } from "vitest";
import { nodeSummary, renderNodeTable } from "../src/output/nodes.js";
import { launchSummary, renderFitTable, renderPodTable } from "../src/output/pods.js";
import { EventPrinter } from "../src/output/events.js";
import type { EventDTO, NodeDTO, NodeFitDTO, PodDTO } from "../src/types.js";

const NOW = Date.parse("2025-01-01T12:00:00Z");

function node(over: Partial<NodeDTO> = {}): NodeDTO {
  return {
    id: "3f2c0000-0000-4000-8000-000000000001",
    name: "node-a",
    role: "worker",
    status: "Ready",
    reason: null,
    capacity: { cpuMilli: 4000, memoryMiB: 16384 },
    allocated: { cpuMilli: 1500, memoryMiB: 512 },
    podIds: ["p1", "p2"],
    lastHeartbeatAt: new Date(NOW - 2000).toISOString(),
    labels: { zone: "a" },
    runtime: "process",
    containerId: "pid:123",
    recoveryAttempts: 0,
    usage: null,
    components: {},
    createdAt: new Date(NOW - 60_000).toISOString(),
    ...over,
  } as NodeDTO;
}

function pod(over: Partial<PodDTO> = {}): PodDTO {
  return {
    id: "pod-id-1",
    name: "web",
    status: "Running",
    nodeId: "n1",
    nodeName: "node-a",
    request: { cpuMilli: 500, memoryMiB: 256 },
    algorithm: "best-fit",
    labels: {},
    nodeSelector: {},
    reason: null,
    message: null,
    restarts: 0,
    createdAt: new Date(NOW - 5000).toISOString(),
    scheduledAt: null,
    startedAt: null,
    ...over,
  } as PodDTO;
}

describe("node views", () => {
  it("shows CPU in cores as alloc/cap and the heartbeat age", () => {
    const lines = renderNodeTable([node()], false, NOW).split("\n");
    expect(lines[0]).toBe("NAME     STATUS   ROLE     CPU     MEMORY      PODS   AGE");
    expect(lines[1]).toBe("node-a   Ready    worker   1.5/4   512/16384   2      2s");
  });

  it("wide adds ID, RUNTIME, CONTAINER, LABELS", () => {
    const [header, row] = renderNodeTable([node()], true, NOW).split("\n");
    expect(header).toMatch(/AGE\s+ID\s+RUNTIME\s+CONTAINER\s+LABELS$/);
    expect(row).toMatch(/3f2c0000-0000-4000-8000-000000000001\s+process\s+pid:123\s+zone=a$/);
  });

  it("a node that never sent a heartbeat shows '-'", () => {
    expect(renderNodeTable([node({ lastHeartbeatAt: null })], false, NOW).split("\n")[1]).toMatch(/ -$/);
  });

  it("summarises a node with its full id and size", () => {
    expect(nodeSummary(node())).toBe("node/node-a (3f2c0000-0000-4000-8000-000000000001) Ready: 4 CPU, 16384 MiB");
  });
});

describe("pod views", () => {
  it("lists pods with request in cores", () => {
    const lines = renderPodTable([pod(), pod({ name: "batch", status: "Pending", nodeName: null })], false, NOW).split("\n");
    expect(lines).toEqual([
      "NAME    STATUS    NODE     CPU   MEMORY   AGE",
      "web     Running   node-a   0.5   256      5s",
      "batch   Pending   -        0.5   256      5s",
    ]);
  });

  it("explains scheduling per node", () => {
    const fits: NodeFitDTO[] = [
      { nodeId: "1", nodeName: "small", feasible: false, chosen: false, reasons: ["insufficient cpu"], freeCpuAfter: null, freeMemoryAfter: null },
      { nodeId: "2", nodeName: "big", feasible: true, chosen: true, reasons: [], freeCpuAfter: 3500, freeMemoryAfter: 1024 },
    ];
    expect(renderFitTable(fits).split("\n")).toEqual([
      "NODE    FEASIBLE   CHOSEN   FREE AFTER          REASONS",
      "small   no                  -                   insufficient cpu",
      "big     yes        *        3.5 CPU, 1024 MiB   -",
    ]);
  });

  const launches: [string, Parameters<typeof launchSummary>[0], string][] = [
    [
      "scheduled: node and why",
      { pod: pod(), scheduled: true, message: "best-fit: least CPU left" },
      "pod/web (pod-id-1) scheduled on node/node-a: best-fit: least CPU left",
    ],
    [
      "pending: says so and why (not an error)",
      { pod: pod({ status: "Pending", nodeName: null, nodeId: null }), scheduled: false, message: "no node has 64 CPU free" },
      "pod/web (pod-id-1) is Pending: no node has 64 CPU free",
    ],
  ];
  it.each(launches)("launch summary, %s", (_l, res, want) => expect(launchSummary(res)).toBe(want));
});

describe("EventPrinter", () => {
  const ev = (id: number, reason: string): EventDTO =>
    ({ id, time: new Date(NOW).toISOString(), type: "Normal", reason, objectKind: "Node", objectId: "x", objectName: "node-a", message: "m" }) as EventDTO;

  it("prints the header once and keeps later rows aligned to it (watch mode)", () => {
    const p = new EventPrinter(false);
    const first = p.lines([ev(1, "NodeReady")]);
    const later = p.lines([ev(2, "NodeSuspect")]);
    expect(first).toHaveLength(2);
    expect(later).toHaveLength(1);
    expect(first[0]!.indexOf("OBJECT")).toBe(later[0]!.indexOf("node/node-a"));
  });

  it("prints a header even for an empty first batch, so a watch shows its columns", () => {
    expect(new EventPrinter(false).lines([])[0]).toMatch(/^TIME\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
  });
});
