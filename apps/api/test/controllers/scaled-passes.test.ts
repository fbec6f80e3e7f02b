import { describe, expect, it } from "vitest";
import { ScaledPasses, scaledIntervalMs } from "../../src/controllers/controller.js";

// Passes that visit every node slow down past 2,500 nodes, in proportion, up to a cap; below, they run
// at their base interval whenever asked (tests drive them with a hand clock).

describe("scaledIntervalMs", () => {
  it.each([
    // base 250 ms: 250 × 100 / 2,500 = 10 -> the base, 250
    [250, 100, 1000, 250],
    // 250 × 2,500 / 2,500 = 250
    [250, 2500, 1000, 250],
    // 250 × 5,000 / 2,500 = 500
    [250, 5000, 1000, 500],
    // 250 × 10,000 / 2,500 = 1,000 (the cap)
    [250, 10000, 1000, 1000],
    // 250 × 50,000 / 2,500 = 5,000, capped at 1,000
    [250, 50000, 1000, 1000],
    // the full resync: 10,000 × 10,000 / 2,500 = 40,000 ms; at 20,000 nodes 80,000, capped at 60,000
    [10000, 10000, 60000, 40000],
    [10000, 20000, 60000, 60000],
  ])("base %i ms at %i nodes (cap %i) -> %i ms", (base, nodes, max, want) => {
    expect(scaledIntervalMs(base, nodes, max)).toBe(want);
  });
});

describe("ScaledPasses.due", () => {
  it("at the base interval every pass runs, even at the same instant", () => {
    const p = new ScaledPasses(250);
    expect([p.due(1000, 250), p.due(1000, 250), p.due(1001, 250)]).toEqual([true, true, true]);
  });

  it("at a longer interval a pass runs once per interval", () => {
    const p = new ScaledPasses(250);
    // 1,000 ms interval: runs at 0, not at 250/500/999, again at 1,000 (0 + 1,000), then not at 1,500.
    expect([0, 250, 500, 999, 1000, 1500].map((t) => p.due(t, 1000))).toEqual([true, false, false, false, true, false]);
  });
});
