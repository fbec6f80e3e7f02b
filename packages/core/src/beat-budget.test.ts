import { describe, expect, it } from "vitest";
import { BEAT_BURST, BEATS_PER_INTERVAL, beatBudgetFull, takeBeat, type BeatBudget } from "./beat-budget.js";

/** Beats `count` times at `now`, returning how many were allowed and the budget after. */
function burst(budget: BeatBudget | undefined, now: number, count: number, intervalMs = 1000) {
  let allowed = 0;
  let retryAfterMs = 0;
  for (let i = 0; i < count; i++) {
    const r = takeBeat(budget, now, intervalMs);
    budget = r.budget;
    if (r.allowed) allowed++;
    else retryAfterMs = r.retryAfterMs;
  }
  return { allowed, budget, retryAfterMs };
}

describe("heartbeat budget", () => {
  it("allows a burst, then refuses, saying when the next beat fits", () => {
    const r = burst(undefined, 0, BEAT_BURST + 5);
    expect(r.allowed).toBe(BEAT_BURST);
    // 10 beats per 1000 ms interval: one beat's worth refills in 100 ms.
    expect(r.retryAfterMs).toBe(100);
  });

  it("refills BEATS_PER_INTERVAL per interval, whatever the interval", () => {
    for (const intervalMs of [50, 1000, 30_000]) {
      const spent = burst(undefined, 0, BEAT_BURST, intervalMs).budget;
      expect(burst(spent, intervalMs, 100, intervalMs).allowed).toBe(BEATS_PER_INTERVAL);
    }
  });

  it("never refuses an agent that beats once per interval plus bursts of six on pod changes", () => {
    let budget: BeatBudget | undefined;
    for (let t = 0; t < 600_000; t += 1000) {
      const beats = t % 5000 === 0 ? 6 : 1;
      const r = burst(budget, t, beats);
      expect(r.allowed).toBe(beats);
      budget = r.budget;
    }
  });

  it("a refused beat spends nothing, and a clock stepping back refills nothing", () => {
    const spent = burst(undefined, 1000, BEAT_BURST).budget;
    const refused = takeBeat(spent, 1000, 1000);
    expect(refused.allowed).toBe(false);
    expect(refused.budget.tokens).toBe(spent.tokens);
    expect(takeBeat(spent, 0, 1000).allowed).toBe(false);
  });

  it("a budget is full again after BEAT_BURST / BEATS_PER_INTERVAL intervals", () => {
    const spent = burst(undefined, 0, BEAT_BURST).budget;
    expect(beatBudgetFull(spent, 4000, 1000)).toBe(false);
    expect(beatBudgetFull(spent, 5000, 1000)).toBe(true);
  });
});
