import { BEAT_BURST, BEATS_PER_INTERVAL, beatBudgetFull, takeBeat, type BeatBudget } from "@kube9/core";
import { rateLimited } from "../errors.js";

/**
 * Per-node heartbeat budgets (the rule is core's takeBeat): a node beating far faster than its interval gets
 * TOO_MANY_REQUESTS for the extra beats, before the beat touches any state. Budgets live in memory, one per
 * node that beat lately; full ones are dropped now and then, so removed nodes leave nothing behind.
 */
export class BeatRateLimiter {
  private readonly budgets = new Map<string, BeatBudget>();
  private sweepAt = 1024;

  /** Spends one beat of the node's budget, or throws a rate-limited error saying when to try again. */
  admit(nodeId: string, nodeName: string, now: number, intervalMs: number): void {
    const r = takeBeat(this.budgets.get(nodeId), now, intervalMs);
    this.budgets.set(nodeId, r.budget);
    if (this.budgets.size >= this.sweepAt) this.sweep(now, intervalMs);
    if (!r.allowed) {
      throw rateLimited(
        `node ${nodeName} sends heartbeats far faster than its heartbeat interval of ${intervalMs} ms ` +
          `(allowed: bursts of ${BEAT_BURST}, then ${BEATS_PER_INTERVAL} per interval); this beat was ignored, retry in ${r.retryAfterMs} ms`,
      );
    }
  }

  private sweep(now: number, intervalMs: number): void {
    for (const [id, b] of this.budgets) if (beatBudgetFull(b, now, intervalMs)) this.budgets.delete(id);
    this.sweepAt = Math.max(1024, this.budgets.size * 2);
  }
}
