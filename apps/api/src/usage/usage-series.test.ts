import { describe, expect, it } from "vitest";
import { UsageSeries, WINDOW_S } from "./usage-series.js";

const T = 1_700_000_000_000; // a multiple of 10 s

describe("UsageSeries", () => {
  it.each([
    // Three seconds 100, 200, 300 at step 1: the points as written.
    { name: "step 1", cpus: [100, 200, 300], step: 1, want: [100, 200, 300] },
    // The same at step 3: (100+200+300)/3 = 200 in one point (T is a multiple of 3 s? 1_700_000_000 / 3 is not whole,
    // so the epoch-aligned 3 s steps split it 1 + 2: 100 and (200+300)/2 = 250).
    { name: "step 3, epoch aligned", cpus: [100, 200, 300], step: 3, want: [100, 250] },
    // A gap (NaN second) is skipped, not counted as zero: (100 + 300)/2 = 200 at step 10.
    { name: "gap", cpus: [100, Number.NaN, 300], step: 10, want: [200] },
  ])("averages per step: $name", ({ cpus, step, want }) => {
    const s = new UsageSeries();
    cpus.forEach((c, i) => {
      if (!Number.isNaN(c)) s.add(T + i * 1000, c, c / 10);
    });
    expect(s.points(T, T + cpus.length * 1000, step).map((p) => p.cpuMilli)).toEqual(want);
  });

  it("keeps only the last 15 minutes, blanking skipped seconds when it wraps", () => {
    const s = new UsageSeries();
    s.add(T, 1, 1);
    s.add(T + 5000, 5, 5);
    // 1,000 s later: the old points are out of the window; the slot of T + 5 s was blanked on the way.
    s.add(T + 1_000_000, 7, 7);
    expect(s.points(T, T + 2_000_000, 1).map((p) => p.cpuMilli)).toEqual([7]);
    // A sample older than the window is dropped.
    s.add(T + 1_000_000 - WINDOW_S * 1000, 9, 9);
    expect(s.points(T, T + 2_000_000, 1)).toHaveLength(1);
  });

  it("hands each finished 10 s bucket over once; the open one when time has passed it", () => {
    const s = new UsageSeries();
    // Seconds 0..11: the bucket [0, 10) finishes when second 10 arrives; avg of 0..9 = 4.5.
    for (let i = 0; i < 12; i++) s.add(T + i * 1000, i, 2 * i);
    expect(s.takeFinished(T + 12_000)).toEqual([{ t: T, cpuMilli: 4.5, memoryMiB: 9 }]);
    expect(s.takeFinished(T + 12_000)).toEqual([]);
    // At T + 20 s the bucket [10, 20) is over though only 10 and 11 came: avg 10.5.
    expect(s.takeFinished(T + 20_000)).toEqual([{ t: T + 10_000, cpuMilli: 10.5, memoryMiB: 21 }]);
    // A late sample of a bucket already handed over does not reopen it.
    s.add(T + 5000, 100, 100);
    expect(s.takeFinished(T + 30_000)).toEqual([]);
  });
});
