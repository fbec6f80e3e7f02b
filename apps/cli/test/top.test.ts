// `kube9 top nodes|pods`: kubectl top's columns, units and empty cases, with every number spelled out.
import { describe, expect, it } from "vitest";
import { nodesSnapshot, parseTopPodsFlags, podsSnapshot } from "../src/commands/top.js";
import { formatCpuUsage, formatMemoryUsage, renderTopNodes, renderTopPods, selectTopPods, type TopPodsOptions } from "../src/output/top.js";
import type { NodeUsageDTO, PodUsageDTO } from "../src/types.js";

function node(over: Partial<NodeUsageDTO> = {}): NodeUsageDTO {
  return {
    name: "node-a",
    status: "Ready",
    timestamp: 1000,
    windowSeconds: 1,
    usage: { cpuMilli: 250, memoryMiB: 200 },
    agent: { cpuMilli: 20, memoryMiB: 60 },
    capacity: { cpuMilli: 2000, memoryMiB: 8192 },
    allocated: { cpuMilli: 1500, memoryMiB: 512 },
    podCount: 2,
    ...over,
  };
}

function pod(over: Partial<PodUsageDTO> = {}): PodUsageDTO {
  return {
    name: "burn",
    namespace: "default",
    node: "node-a",
    status: "Running",
    timestamp: 1000,
    windowSeconds: 1,
    usage: { cpuMilli: 500, memoryMiB: 18 },
    requests: { cpuMilli: 1000, memoryMiB: 256 },
    limits: { cpuMilli: 1000, memoryMiB: 256 },
    containers: [
      { name: "main", usage: { cpuMilli: 500, memoryMiB: 18 }, requests: { cpuMilli: 1000, memoryMiB: 256 }, limits: { cpuMilli: 1000, memoryMiB: 256 } },
    ],
    ...over,
  };
}

const DEFAULT: TopPodsOptions = { allNamespaces: false, namespace: "default", containers: false };

describe("units as kubectl top prints them", () => {
  const cpu: [number, string][] = [
    [250, "250m"],
    [1500, "1500m"],
    [0, "0m"],
    // Samples are averages over the interval, so fractions of a millicore are rounded.
    [499.6, "500m"],
  ];
  it.each(cpu)("CPU %d millicores -> %s", (milli, want) => expect(formatCpuUsage(milli)).toBe(want));

  const memory: [number, string][] = [
    [200, "200Mi"],
    [127.4, "127Mi"],
    [2048, "2048Mi"],
  ];
  it.each(memory)("memory %d MiB -> %s", (mib, want) => expect(formatMemoryUsage(mib)).toBe(want));
});

describe("top nodes", () => {
  it("use against capacity, then requests against capacity", () => {
    // 250m of 2000m = 12.5% -> 13%; 200 of 8192 MiB = 2.4% -> 2%; 1500m of 2000m = 75%; 512 of 8192 MiB = 6.25% -> 6%.
    expect(renderTopNodes([node()])!.split("\n")).toEqual([
      "NAME     CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%   CPU-REQUESTS   MEMORY-REQUESTS",
      "node-a   250m         13%    200Mi           2%        1500m (75%)    512Mi (6%)",
    ]);
  });

  it("a node without a fresh sample shows <unknown>, its allocation still known; rows by name", () => {
    const nodes = [node({ name: "node-b", usage: null, agent: null, timestamp: null, allocated: { cpuMilli: 0, memoryMiB: 0 } }), node()];
    expect(renderTopNodes(nodes)!.split("\n").slice(1)).toEqual([
      "node-a   250m         13%         200Mi           2%          1500m (75%)    512Mi (6%)",
      "node-b   <unknown>    <unknown>   <unknown>       <unknown>   0m (0%)        0Mi (0%)",
    ]);
  });

  it("no nodes: kubectl's words on stderr, an empty list in json", () => {
    expect(nodesSnapshot([])).toEqual({ doc: [], text: "No resources found", to: "stderr" });
    expect(nodesSnapshot([node({ name: "b" }), node({ name: "a" })]).doc).toMatchObject([{ name: "a" }, { name: "b" }]);
  });
});

describe("top pods", () => {
  it("percentages of the pod's requests, with requests and limits in the same units", () => {
    // 500m of a 1000m request = 50%; 18 of 256 MiB = 7.03% -> 7%.
    expect(renderTopPods([pod()], DEFAULT)!.split("\n")).toEqual([
      "NAME   CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%   CPU-REQ   CPU-LIM   MEM-REQ   MEM-LIM",
      "burn   500m         50%    18Mi            7%        1000m     1000m     256Mi     256Mi",
    ]);
  });

  it("over 100% means under-requested; without a request or limit: <none>", () => {
    // 300m of a 100m request = 300%; no memory request, no limits at all.
    const greedy = pod({ name: "greedy", usage: { cpuMilli: 300, memoryMiB: 40 }, requests: { cpuMilli: 100, memoryMiB: 0 }, limits: {} });
    expect(renderTopPods([greedy], DEFAULT)!.split("\n")[1]).toBe(
      "greedy   300m         300%   40Mi            <none>    100m      <none>    <none>    <none>",
    );
  });

  it("pods without metrics yet are left out", () => {
    const pods = [pod({ name: "new", usage: null, timestamp: null }), pod()];
    expect(selectTopPods(pods, DEFAULT).map((p) => p.name)).toEqual(["burn"]);
  });

  it("--sort-by sorts highest first; ties and the default order are by name", () => {
    const pods = [
      pod({ name: "c", usage: { cpuMilli: 100, memoryMiB: 300 } }),
      pod({ name: "a", usage: { cpuMilli: 900, memoryMiB: 10 } }),
      pod({ name: "b", usage: { cpuMilli: 100, memoryMiB: 50 } }),
    ];
    const names = (sortBy?: "cpu" | "memory") => selectTopPods(pods, { ...DEFAULT, ...(sortBy ? { sortBy } : {}) }).map((p) => p.name);
    expect(names()).toEqual(["a", "b", "c"]);
    expect(names("cpu")).toEqual(["a", "b", "c"]);
    expect(names("memory")).toEqual(["c", "b", "a"]);
  });

  it("-A adds NAMESPACE first and takes every namespace; -n takes one", () => {
    const pods = [pod(), pod({ name: "other", namespace: "team-b" })];
    const lines = renderTopPods(pods, { ...DEFAULT, allNamespaces: true })!.split("\n");
    expect(lines[0]).toMatch(/^NAMESPACE   NAME    CPU\(cores\)/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([["default", "burn"], ["team-b", "other"]]);
    expect(selectTopPods(pods, { ...DEFAULT, namespace: "team-b" }).map((p) => p.name)).toEqual(["other"]);
  });

  it("--containers: one row per measured container, with its own requests and limits", () => {
    const two = pod({
      name: "web",
      usage: { cpuMilli: 130, memoryMiB: 70 },
      containers: [
        { name: "http", usage: { cpuMilli: 120, memoryMiB: 64 }, requests: { cpuMilli: 250, memoryMiB: 64 }, limits: { memoryMiB: 128 } },
        { name: "sidecar", usage: { cpuMilli: 10, memoryMiB: 6 }, requests: {}, limits: {} },
        // Not running (e.g. waiting to restart): nothing measured, no row.
        { name: "init", usage: null, requests: {}, limits: {} },
      ],
    });
    expect(renderTopPods([two], { ...DEFAULT, containers: true })!.split("\n")).toEqual([
      "POD   NAME      CPU(cores)   MEMORY(bytes)   CPU-REQ   CPU-LIM   MEM-REQ   MEM-LIM",
      "web   http      120m         64Mi            250m      <none>    64Mi      128Mi",
      "web   sidecar   10m          6Mi             <none>    <none>    <none>    <none>",
    ]);
    expect(renderTopPods([two], { ...DEFAULT, containers: true, allNamespaces: true })!.split("\n")[0]).toMatch(/^NAMESPACE   POD   NAME /);
  });

  it("empty: kubectl's sentence on stderr; pods there but none measured yet is an error", () => {
    expect(podsSnapshot([], DEFAULT)).toEqual({ doc: [], text: "No resources found in default namespace.", to: "stderr" });
    expect(podsSnapshot([], { ...DEFAULT, allNamespaces: true }).text).toBe("No resources found");
    expect(podsSnapshot([pod()], { ...DEFAULT, namespace: "kube-system" }).text).toBe("No resources found in kube-system namespace.");
    expect(podsSnapshot([pod({ usage: null })], DEFAULT)).toEqual({ doc: [], text: "metrics not available yet", to: "error" });
  });

  it("json holds the pods shown, in the order shown", () => {
    const pods = [pod({ name: "small", usage: { cpuMilli: 1, memoryMiB: 1 } }), pod({ name: "new", usage: null }), pod()];
    expect((podsSnapshot(pods, { ...DEFAULT, sortBy: "cpu" }).doc as PodUsageDTO[]).map((p) => p.name)).toEqual(["burn", "small"]);
  });
});

describe("top pods flags", () => {
  it("read into the view's options", () => {
    expect(parseTopPodsFlags({ namespace: "default" })).toEqual(DEFAULT);
    expect(parseTopPodsFlags({ namespace: "default", containers: true, allNamespaces: true, sortBy: "Memory" })).toEqual({
      allNamespaces: true,
      namespace: "default",
      containers: true,
      sortBy: "memory",
    });
  });

  const bad: [Parameters<typeof parseTopPodsFlags>[0], string][] = [
    [{ namespace: "default", sortBy: "disk" }, '--sort-by must be one of cpu, memory (got "disk")'],
    [{ namespace: " " }, "-n/--namespace must not be empty"],
  ];
  it.each(bad)("%j is refused", (flags, message) => expect(() => parseTopPodsFlags(flags)).toThrow(message));
});
