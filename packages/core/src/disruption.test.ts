import { describe, expect, it } from "vitest";
import { DEFAULT_HEALTH_CONFIG } from "./config.js";
import { decideDisruption, refillEvictions, type DisruptionInput } from "./disruption.js";

const H = DEFAULT_HEALTH_CONFIG; // heartbeat 1 s, suspect after 3 s, failed after 5 s

function input(judged: number, late: number, recentLagMs = 0, databaseStallMs = 0): DisruptionInput {
  return { judged, late, recentLagMs, databaseStallMs };
}

describe("decideDisruption", () => {
  it.each([
    // [judged, late, lag ms, db stall ms] -> mode, Suspect allowed, evictions/s
    [input(10, 0), "normal", true, Infinity], // nobody late
    [input(10, 2), "normal", true, Infinity], // 2 late < minLateNodes 3: never a disruption
    [input(2, 2), "normal", true, Infinity], // a 2-node cluster both late: still too few to call it a disruption
    [input(10, 2, 5000), "normal", true, Infinity], // the API lagged, but 2 late nodes are judged as usual
    [input(10, 5), "normal", true, Infinity], // 5/10 = 50% < 55%
    [input(10, 6), "partial", true, 0], // 6/10 = 60% >= 55%, 10 <= 50 nodes: no evictions
    [input(50, 28), "partial", true, 0], // 28/50 = 56%, 50 is not > 50: still small
    [input(51, 29), "partial", true, 0.1], // 29/51 = 57%, 51 > 50: large, 0.1 evictions/s
    [input(10000, 6000), "partial", true, 0.1], // 60% of a large cluster: 0.1/s
    [input(10000, 5000), "normal", true, Infinity], // 50% < 55%: each late node judged on its own
    [input(3, 3), "full", true, 0], // every node late: full disruption, no evictions
    [input(10000, 10000), "full", true, 0], // same at 10,000
    [input(10000, 10000, 1000), "control-plane", false, 0], // lag 1 s >= heartbeat 1 s: the API is the suspect
    [input(10000, 3, 2500), "control-plane", false, 0], // 3 late is enough when the API itself stalled 2.5 s
    [input(10000, 10000, 999), "full", true, 0], // lag 999 ms < 1 s: not the API's doing; full disruption
    [input(100, 60, 0, 1200), "control-plane", false, 0], // database silent 1.2 s >= 1 s
    [input(100, 60, 0, 900), "partial", true, 0.1], // database 0.9 s < 1 s: 60/100 late, large cluster
  ] as const)("%j -> %s", (i, mode, suspect, rate) => {
    const d = decideDisruption(i, H);
    expect([d.mode, d.suspectAllowed, d.evictionsPerSecond]).toEqual([mode, suspect, rate]);
  });

  it("says why, with the figures", () => {
    expect(decideDisruption(input(10000, 9000, 2345), H).message).toBe(
      "9000 of 10000 nodes late while the API's event loop lagged 2.345s: the control plane is the suspect; no node is marked Suspect or Failed",
    );
    expect(decideDisruption(input(10, 6), H).message).toBe("6 of 10 nodes late (60% >= 55%, partial disruption): no evictions in a cluster of 50 nodes or fewer");
  });
});

describe("refillEvictions", () => {
  it.each([
    [{ tokens: 0, at: 0 }, 5000, 0.1, 0.5], // 5 s x 0.1/s = 0.5 token
    [{ tokens: 0, at: 0 }, 10_000, 0.1, 1], // 10 s x 0.1/s = 1 token
    [{ tokens: 0.5, at: 0 }, 60_000, 0.1, 1], // 0.5 + 6 = 6.5, capped at one: evictions are never saved up
    [{ tokens: 1, at: 1000 }, 500, 0.1, 1], // a clock going back adds nothing (elapsed counts as 0)
    [{ tokens: 0.2, at: 0 }, 9000, 0, 0], // rate 0: no eviction at all, whatever was left
    [{ tokens: 0, at: 0 }, 1, Infinity, Infinity], // no limit
    [{ tokens: Infinity, at: 0 }, 1000, 0.1, 1], // from no limit to a limit: one eviction may go at once
  ])("%j at %d, rate %d -> %d tokens", (bucket, now, rate, tokens) => {
    expect(refillEvictions(bucket, now, rate).tokens).toBeCloseTo(tokens, 9);
  });
});
