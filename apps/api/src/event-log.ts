import type { EventRecord, Store } from "@kube9/db";

/** Events wait this long for company, so concurrent requests share one insert. */
const EVENT_BATCH_MS = 5;
const BATCH_MAX = 500;
/** Events kept in the table; older ones are pruned now and then. */
const EVENTS_KEPT = 50_000;

type NewEvent = Omit<EventRecord, "id">;

/** The cluster's event log: queues events and writes those of concurrent requests in one statement. */
export class EventLog {
  private readonly queue: Array<{ e: NewEvent; resolve(): void; reject(err: unknown): void }> = [];

  constructor(
    private readonly store: Store,
    private readonly onStored: (e: EventRecord) => void,
  ) {}

  /** Queues an event; resolves once it is stored (and watchers were told). */
  record(e: NewEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ e, resolve, reject });
      if (this.queue.length === 1) setTimeout(() => void this.flush(), EVENT_BATCH_MS);
    });
  }

  /** Writes what is queued now. */
  async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH_MAX);
      try {
        const stored = await this.store.addEvents(batch.map((b) => b.e));
        for (const e of stored) this.onStored(e);
        const last = stored[stored.length - 1];
        // Prune when the ids cross a thousand, not on every write.
        if (last && Math.floor(last.id / 1000) !== Math.floor((last.id - stored.length) / 1000)) {
          void this.store.pruneEvents(EVENTS_KEPT).catch(() => undefined);
        }
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
  }
}
