import { describe, expect, it } from "vitest";
import { nodeGroupToManifest, parseNodeGroupManifest } from "./manifest.js";
import { DEFAULT_GROUP_SETTINGS } from "./settings.js";
import type { NodeGroupSpec } from "./types.js";

/** A minimal valid manifest; `spec` and `root` override its parts. */
function doc(spec: Record<string, unknown> = {}, root: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "kube9.io/v1",
    kind: "NodeGroup",
    metadata: { name: "web" },
    spec: { minSize: 0, maxSize: 5, template: { cpu: "2", memory: "4Gi" }, ...spec },
    ...root,
  };
}

function errors(d: unknown): string[] {
  const r = parseNodeGroupManifest(d);
  return r.ok ? [] : r.errors.map((e) => e.message);
}

describe("parseNodeGroupManifest", () => {
  it("reads a minimal group with every default", () => {
    expect(parseNodeGroupManifest(doc())).toEqual({
      ok: true,
      group: {
        name: "web",
        min: 0,
        max: 5,
        priority: 0,
        // "2" = 2000m, "4Gi" = 4096 MiB
        template: { capacity: { cpuMilli: 2000, memoryMiB: 4096 }, runtime: "process", labels: {} },
        settings: DEFAULT_GROUP_SETTINGS,
      },
    });
  });

  it("reads every field", () => {
    const r = parseNodeGroupManifest(
      doc({
        minSize: 1,
        maxSize: 10,
        priority: 7,
        template: { cpu: 0.5, memory: "1G", runtime: "hollow", labels: { disk: "ssd" } },
        scaleUp: { delay: "1s", loadHighWaterMark: 0.9, loadDuration: "1m30s", loadMetric: "usage", cooldown: "20s" },
        scaleDown: { unneededTime: "45s", utilizationThreshold: 0.3, delayAfterAdd: 0, maxParallel: 3 },
        nodeReadyTimeout: "1m",
        backoff: "500ms",
      }),
    );
    expect(r).toEqual({
      ok: true,
      group: {
        name: "web",
        min: 1,
        max: 10,
        priority: 7,
        // 0.5 cores = 500m; 1G = 10^9 bytes / 2^20 = 953.67 -> 954 MiB (rounded up)
        template: { capacity: { cpuMilli: 500, memoryMiB: 954 }, runtime: "hollow", labels: { disk: "ssd" } },
        settings: {
          scaleUpDelayMs: 1000,
          highWaterMark: 0.9,
          highDurationMs: 90_000,
          loadMetric: "usage",
          scaleUpCooldownMs: 20_000,
          unneededTimeMs: 45_000,
          lowWaterMark: 0.3,
          scaleDownDelayAfterAddMs: 0,
          maxScaleDownParallel: 3,
          nodeReadyTimeoutMs: 60_000,
          backoffMs: 500,
        },
      },
    });
  });

  it("derives memory from cpu (4 GiB a core) and takes the default runtime it is given", () => {
    const r = parseNodeGroupManifest(doc({ template: { cpu: "1500m" } }), "docker");
    // 1.5 cores x 4096 MiB = 6144 MiB
    expect(r.ok && r.group.template).toEqual({ capacity: { cpuMilli: 1500, memoryMiB: 6144 }, runtime: "docker", labels: {} });
  });

  const bad: { name: string; doc: unknown; want: string[] }[] = [
    { name: "not an object", doc: "web", want: ['<root>: Invalid value: "web": must be an object'] },
    {
      name: "another kind",
      doc: doc({}, { apiVersion: "v1", kind: "Node" }),
      want: ['apiVersion: Unsupported value: "v1": supported values: "kube9.io/v1"', 'kind: Unsupported value: "Node": supported values: "NodeGroup"'],
    },
    { name: "no spec", doc: doc({}, { spec: undefined }), want: ["spec: Required value"] },
    { name: "no metadata", doc: doc({}, { metadata: undefined }), want: ["metadata.name: Required value"] },
    {
      // every unknown field, at every level, with its whole path
      name: "unknown fields",
      doc: doc({ replicas: 3, template: { cpu: "1", gpu: 1 }, scaleUp: { delay: "1s", threshold: 1 }, scaleDown: { unneeded: "1s" } }, { status: {} }),
      want: ['unknown field "status"', 'unknown field "spec.replicas"', 'unknown field "spec.template.gpu"', 'unknown field "spec.scaleUp.threshold"', 'unknown field "spec.scaleDown.unneeded"'],
    },
    {
      name: "sizes missing",
      doc: doc({ minSize: undefined, maxSize: undefined }),
      want: ["spec.minSize: Required value", "spec.maxSize: Required value"],
    },
    {
      // "5" is a string: YAML users quote by mistake, and it is reported rather than guessed
      name: "sizes of the wrong type",
      doc: doc({ minSize: "1", maxSize: 2.5 }),
      want: ['spec.minSize: Invalid value: "1": must be an integer', "spec.maxSize: Invalid value: 2.5: must be an integer"],
    },
    {
      // the range rule comes from validateNodeGroup: 6 > 5
      name: "min above max",
      doc: doc({ minSize: 6 }),
      want: ["spec.maxSize: Invalid value: 5: must be greater than or equal to spec.minSize (6)"],
    },
    {
      name: "bad quantities",
      doc: doc({ template: { cpu: "two", memory: "64m" } }),
      want: [
        'spec.template.cpu: Invalid value: "two": must be a number of cores ("1", "0.5", "2.25") or of millicores ("500m")',
        'spec.template.memory: Invalid value: "64m": uses "m", a fraction of a byte; did you mean "Mi" (mebibytes) or "M" (megabytes)?',
      ],
    },
    {
      // no template: one error, not one per field
      name: "no template",
      doc: doc({ template: undefined }),
      want: ["spec.template: Required value"],
    },
    {
      // a missing cpu leaves memory with nothing to derive from: only cpu is reported
      name: "no cpu",
      doc: doc({ template: { runtime: "process" } }),
      want: ["spec.template.cpu: Required value"],
    },
    {
      name: "bad durations, marks and metric",
      doc: doc({ scaleUp: { delay: "1.5s", loadHighWaterMark: "80%", loadMetric: "cpu", cooldown: 10 }, scaleDown: { maxParallel: 0 } }),
      want: [
        expect.stringMatching(/^spec\.scaleUp\.delay: Invalid value: "1\.5s": has a fraction/),
        'spec.scaleUp.loadHighWaterMark: Invalid value: "80%": must be a number',
        'spec.scaleUp.cooldown: Invalid value: 10: must be a duration string such as "30s" or "1m30s"',
        'spec.scaleUp.loadMetric: Unsupported value: "cpu": supported values: "usage", "allocation", "both"',
        "spec.scaleDown.maxParallel: Invalid value: 0: must be a whole number from 1 to 100",
      ] as unknown as string[],
    },
    {
      // a mark that failed to read is not also compared with the other one
      name: "an unreadable high mark",
      doc: doc({ scaleUp: { loadHighWaterMark: "high" }, scaleDown: { utilizationThreshold: 0.9 } }),
      want: ['spec.scaleUp.loadHighWaterMark: Invalid value: "high": must be a number'],
    },
    {
      name: "bad labels",
      doc: doc({ template: { cpu: 1, labels: { zone: 3, "kube9.io/nodegroup": "x" } } }),
      want: [
        "spec.template.labels[zone]: Invalid value: 3: must be a string",
        "spec.template.labels[kube9.io/nodegroup]: Forbidden: set by Kube-9 to the group's name on every node of the group",
      ],
    },
  ];
  it.each(bad)("reports $name", ({ doc: d, want }) => {
    expect(errors(d)).toEqual(want);
  });
});

describe("nodeGroupToManifest", () => {
  const spec: NodeGroupSpec = {
    name: "batch",
    min: 2,
    max: 8,
    priority: 3,
    template: { capacity: { cpuMilli: 1500, memoryMiB: 3072 }, runtime: "docker", labels: { tier: "batch" } },
    settings: { ...DEFAULT_GROUP_SETTINGS, unneededTimeMs: 90_000, lowWaterMark: 0.4 },
  };

  it("spells out every setting", () => {
    expect(nodeGroupToManifest(spec)).toEqual({
      apiVersion: "kube9.io/v1",
      kind: "NodeGroup",
      metadata: { name: "batch" },
      spec: {
        minSize: 2,
        maxSize: 8,
        priority: 3,
        // 1500m prints as 1.5 cores, 3072 MiB as 3Gi
        template: { cpu: "1.5", memory: "3Gi", runtime: "docker", labels: { tier: "batch" } },
        scaleUp: { delay: "2s", loadHighWaterMark: 0.8, loadDuration: "10s", loadMetric: "both", cooldown: "10s" },
        // 90 000 ms prints as 1m30s
        scaleDown: { unneededTime: "1m30s", utilizationThreshold: 0.4, delayAfterAdd: "10s", maxParallel: 1 },
        nodeReadyTimeout: "30s",
        backoff: "10s",
      },
    });
  });

  const roundTrips: { name: string; spec: NodeGroupSpec }[] = [
    { name: "a group with labels and changed settings", spec },
    // no labels: the manifest leaves them out, and reading gives {} back
    { name: "a group without labels", spec: { ...spec, template: { ...spec.template, labels: {} } } },
    // 1m cpu and 1 MiB: the smallest template; 250ms and 0 durations
    {
      name: "the smallest template",
      spec: {
        ...spec,
        template: { capacity: { cpuMilli: 1, memoryMiB: 1 }, runtime: "hollow", labels: {} },
        settings: { ...spec.settings, scaleUpDelayMs: 250, scaleDownDelayAfterAddMs: 0, highWaterMark: 0 },
      },
    },
  ];
  it.each(roundTrips)("round-trips $name", ({ spec: s }) => {
    expect(parseNodeGroupManifest(nodeGroupToManifest(s))).toEqual({ ok: true, group: s });
  });
});
