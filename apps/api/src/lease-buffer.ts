import type { Resources } from "@kube9/core";
import type { Database } from "@kube9/db";

/**
 * Heartbeats in memory: the freshest beat per node as this process saw it, and the beats not yet
 * written to the lease table, which are flushed in one statement (the hot path writes no row).
 */
export class LeaseBuffer {
  private readonly last = new Map<string, number>();
  private readonly dirty = new Map<string, { at: number; usage: Resources | null }>();

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

  /** Forgets a deleted node. */
  forget(nodeId: string): void {
    this.last.delete(nodeId);
    this.dirty.delete(nodeId);
  }

  /** Writes buffered beats; on failure they are kept for the next flush (newer beats win). */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty].map(([nodeId, l]) => ({ nodeId, at: l.at, usage: l.usage }));
    this.dirty.clear();
    try {
      await this.db.leases.flush(batch);
    } catch (err) {
      for (const b of batch) if (!this.dirty.has(b.nodeId)) this.dirty.set(b.nodeId, b);
      throw err;
    }
  }
}
