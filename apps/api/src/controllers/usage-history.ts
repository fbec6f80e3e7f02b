import type { Database } from "@kube9/db";
import type { Logger } from "../logger.js";
import { BUCKET_S } from "../usage/usage-series.js";
import type { HistoryRow, UsageStore } from "../usage/usage-store.js";
import { LoopController } from "./controller.js";

const TICK_MS = 1000;
/** Rows kept for a retry while the database is away (about 17 minutes of 1,000 pods). */
const MAX_UNWRITTEN = 100_000;

export interface UsageHistoryDeps {
  db: Database;
  usage: UsageStore;
  now: () => number;
  log: Logger;
  /** A node's sample older than this does not count towards the cluster's total. */
  staleAfterMs: () => number;
}

/**
 * Usage history: every second adds the cluster's point (the sum of fresh node samples) to the 1 s
 * series; every 10 s writes the finished 10 s buckets of every node, pod and the cluster to
 * usage_history in one statement. Runs in every process: each keeps what its own heartbeats brought.
 */
export class UsageHistoryController extends LoopController {
  private unwritten: HistoryRow[] = [];
  private lastFlushSec = 0;

  constructor(private readonly deps: UsageHistoryDeps) {
    super("usage-history", TICK_MS, deps.log);
  }

  /** Stops, then writes every bucket, the unfinished ones too, so a restart finds the history up to now. */
  override async stop(): Promise<void> {
    await super.stop();
    await this.flush(this.deps.now() + BUCKET_S * 1000);
  }

  protected async pass(): Promise<void> {
    const now = this.deps.now();
    this.deps.usage.tickCluster(now, this.deps.staleAfterMs());
    const sec = Math.floor(now / 1000);
    if (sec - this.lastFlushSec < BUCKET_S) return;
    this.lastFlushSec = sec;
    await this.flush(now);
  }

  private async flush(now: number): Promise<void> {
    const rows = this.unwritten.concat(this.deps.usage.takeHistory(now));
    this.unwritten = [];
    if (rows.length === 0) return;
    try {
      await this.deps.db.usage.insert(rows);
    } catch (err) {
      this.unwritten = rows.slice(-MAX_UNWRITTEN);
      this.deps.log.warn("writing usage history failed; will retry", { err: String(err), rows: rows.length });
    }
  }
}
