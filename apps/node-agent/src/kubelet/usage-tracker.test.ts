import { describe, expect, it } from "vitest";
import type { CgroupUsage } from "../containers/cgroups.js";
import { MAX_REPORTED_PODS, UsageTracker, type UsageSource } from "./usage-tracker.js";

// The arithmetic of intervals on given counter readings; real containers are measured in usage.test.ts.

const MIB = 1024 * 1024;
/** Wall clock (epoch ms) and monotonic clock (ms) of the first sample. */
const WALL = 1_800_000_000_000;
const MONO = 50_000;

function pod(id: string, containers: Array<{ name: string; startedAt: number; usage: CgroupUsage }>): UsageSource {
  return { id, usage: () => containers.map((c) => ({ id: `${id}_${c.name}`, ...c })) };
}

describe("UsageTracker", () => {
  it("measures a run's first interval from its start, then from the previous sample", () => {
    const t = new UsageTracker();
    const started = WALL - 2_000;
    // Started 2 s ago with 1 s of CPU: 1e9 ns / 2e6 µs = 500m; 100.04 MiB rounds to 100 MiB.
    const a = t.sample([pod("p", [{ name: "c", startedAt: started, usage: { cpuNanos: 1e9, memoryBytes: 100.04 * MIB } }])], MONO, WALL);
    expect(a.pods).toEqual({ p: { c: [500, 100] } });
    // 0.25 s more CPU in the next 1 s: 250m; 64.25 MiB rounds to 64.3.
    const b = t.sample([pod("p", [{ name: "c", startedAt: started, usage: { cpuNanos: 1.25e9, memoryBytes: 64.25 * MIB } }])], MONO + 1_000, WALL + 1_000);
    expect(b).toEqual({ total: { cpuMilli: 250, memoryMiB: 64.3 }, pods: { p: { c: [250, 64.3] } } });
  });

  it("a restart (new start time, counter from zero) is a new run, never negative use", () => {
    const t = new UsageTracker();
    t.sample([pod("p", [{ name: "c", startedAt: WALL - 5_000, usage: { cpuNanos: 4e9, memoryBytes: MIB } }])], MONO, WALL);
    // Restarted 0.5 s before the next sample, 0.1 s of CPU since: 1e8 ns / 5e5 µs = 200m (not 0.1 s - 4 s).
    const b = t.sample([pod("p", [{ name: "c", startedAt: WALL + 500, usage: { cpuNanos: 1e8, memoryBytes: MIB } }])], MONO + 1_000, WALL + 1_000);
    expect(b.pods.p!.c![0]).toBe(200);
  });

  it("sums containers into the total, leaves out pods with nothing running and reports no CPU it cannot know", () => {
    const t = new UsageTracker();
    const s = t.sample(
      [
        // 0.3 s in 1 s = 300m, and 0.1 s in 1 s = 100m; 1.5 + 2.25 MiB = 3.75 -> 1.5 + 2.3 (rounded each) = 3.8.
        pod("a", [
          { name: "web", startedAt: WALL - 1_000, usage: { cpuNanos: 3e8, memoryBytes: 1.5 * MIB } },
          { name: "side", startedAt: WALL - 1_000, usage: { cpuNanos: 1e8, memoryBytes: 2.25 * MIB } },
        ]),
        pod("b", []),
        // No CPU counter at all: 0m, memory as read.
        pod("c", [{ name: "x", startedAt: WALL - 1_000, usage: { memoryBytes: 2 * MIB } }]),
      ],
      MONO,
      WALL,
    );
    expect(s.pods).toEqual({ a: { web: [300, 1.5], side: [100, 2.3] }, c: { x: [0, 2] } });
    // 300 + 100 + 0 m; 1.5 + 2.3 + 2 MiB.
    expect(s.total).toEqual({ cpuMilli: 400, memoryMiB: 5.8 });
  });

  it(`reports at most ${MAX_REPORTED_PODS} pods, while the total counts every one`, () => {
    const pods = Array.from({ length: MAX_REPORTED_PODS + 5 }, (_, i) => pod(`p${i}`, [{ name: "c", startedAt: WALL - 1_000, usage: { cpuNanos: 1e7, memoryBytes: MIB } }]));
    const s = new UsageTracker().sample(pods, MONO, WALL);
    expect(Object.keys(s.pods)).toHaveLength(MAX_REPORTED_PODS);
    // 1005 pods of 10m (1e7 ns in 1 s) and 1 MiB each.
    expect(s.total).toEqual({ cpuMilli: 10_050, memoryMiB: 1005 });
  });
});
