import type { Resources } from "@kube9/core";
import { performance } from "node:perf_hooks";
import type { Database } from "@kube9/db";

/**
 * Heartbeats in memory: the freshest beat per node as this process saw it, and the beats not yet
 * written to the lease table, which are flushed in one statement (the hot path writes no row).
 */
export class LeaseBuffer {
  private readonly last = new Map<string, number>();
  private readonly dirty = new Map<string, { at: number; usage: Resources | null }>();
  /** When the flush in flight (or failing since) began, monotonic ms; null when the last one went through. */
  private pendingSince: number | null = null;

  constructor(private readonly db: Database) {}

  /** Notes a heartbeat. */
  beat(nodeId: string, at: number, usage: Resources | null): void {
    this.last.set(nodeId, at);
    this.dirty.set(nodeId, { at, usage });
  }

  /** The freshest heartbeat this process saw from the node. */
  lastBeat(nodeId: string): number | undefined {
    return this.last.get(nodeId);
  }

  /** The ids among `ids` this process has not heard from since `since` (or ever): whose beats may be arriving elsewhere. */
  quiet(ids: Iterable<string>, since: number): string[] {
    const out: string[] = [];
    for (const id of ids) if ((this.last.get(id) ?? -Infinity) < since) out.push(id);
    return out;
  }

  /** Forgets a deleted node. */
  forget(nodeId: string): void {
    this.last.delete(nodeId);
    this.dirty.delete(nodeId);
  }

  /**
   * How long the database has kept a lease write waiting (in flight, or failing since), in ms; 0 when
   * the last write went through. Real time: the node lifecycle controller reads it as "the database stalls".
   */
  databaseStallMs(): number {
    return this.pendingSince === null ? 0 : performance.now() - this.pendingSince;
  }

  /** Writes buffered beats; on failure they are kept for the next flush (newer beats win). */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty].map(([nodeId, l]) => ({ nodeId, at: l.at, usage: l.usage }));
    this.dirty.clear();
    this.pendingSince ??= performance.now();
    try {
      await this.db.leases.flush(batch);
      this.pendingSince = null;
    } catch (err) {
      for (const b of batch) if (!this.dirty.has(b.nodeId)) this.dirty.set(b.nodeId, b);
      throw err;
    }
  }
}
