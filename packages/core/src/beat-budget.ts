// How often a node may heartbeat: a token bucket per node, refilled in step with the heartbeat interval.
// An agent beats once per interval, plus a few at once when its pods change (apps/node-agent waits at least
// 100 ms between those), so a burst allowance and ten beats per interval sustained never refuse a working
// agent; a node beating far faster than that is flooding the API and its extra beats are refused.

/** Beats a node may send back to back before the budget applies. */
export const BEAT_BURST = 50;
/** Beats per heartbeat interval a node may send sustained. */
export const BEATS_PER_INTERVAL = 10;

/** One node's remaining budget: `tokens` beats left at time `at` (ms). */
export interface BeatBudget {
  tokens: number;
  at: number;
}

/** Whether a beat at `now` is within budget; the budget after it (a refused beat spends nothing); when one beat will fit again. */
export function takeBeat(
  budget: BeatBudget | undefined,
  now: number,
  intervalMs: number,
): { allowed: boolean; budget: BeatBudget; retryAfterMs: number } {
  const perMs = BEATS_PER_INTERVAL / Math.max(1, intervalMs);
  // A clock that steps back refills nothing rather than draining the budget.
  const elapsed = budget ? Math.max(0, now - budget.at) : 0;
  const tokens = Math.min(BEAT_BURST, (budget?.tokens ?? BEAT_BURST) + elapsed * perMs);
  if (tokens >= 1) return { allowed: true, budget: { tokens: tokens - 1, at: now }, retryAfterMs: 0 };
  return { allowed: false, budget: { tokens, at: now }, retryAfterMs: Math.ceil((1 - tokens) / perMs) };
}

/** Whether a budget last touched at `at` has refilled completely by `now` (so it need not be kept). */
export function beatBudgetFull(budget: BeatBudget, now: number, intervalMs: number): boolean {
  return budget.tokens + Math.max(0, now - budget.at) * (BEATS_PER_INTERVAL / Math.max(1, intervalMs)) >= BEAT_BURST;
}
