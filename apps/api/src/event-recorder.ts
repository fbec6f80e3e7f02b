import type { EventType } from "@kube9/core";
import type { Database, EventFollower, EventObjectKind, EventRecord } from "@kube9/db";

const BATCH_MAX = 500;
/** Events kept in the table; older ones are pruned now and then. */
const EVENTS_KEPT = 50_000;

type NewEvent = Omit<EventRecord, "id">;

/** The named object an event is about. */
export interface EventSubject {
  id: string;
  name: string;
}

/**
 * The cluster's event log: queues events and writes those of concurrent requests in one statement.
 * One batch is written at a time here, and the store makes ids commit in the order they were handed out
 * across every API process, so a reader following "id > the last id" never loses one (see
 * docs/architecture.md, "Events"). onStored tells this process's watchers at once; what other processes
 * write arrives through follow().
 */
export class EventRecorder {
  private readonly queue: Array<{ e: NewEvent; resolve(): void; reject(err: unknown): void }> = [];
  private timer: NodeJS.Immediate | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
    private readonly onStored: (e: EventRecord) => void,
  ) {}

  /** Queues an event; resolves once it is stored (and watchers were told). */
  record(e: Omit<NewEvent, "time">): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ e: { ...e, time: this.now() }, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    // While a batch is being written its loop takes what arrives; afterwards the finally below looks again.
    if (this.timer || this.writing) return;
    // Events of this turn go together (a launch batch's binds all record at once); under load the batch
    // being written gathers the next one, so waiting longer would add latency to every launch, not company.
    this.timer = setImmediate(() => {
      this.timer = null;
      void this.flush();
    });
  }

  /** An event about a node. */
  node(type: EventType, reason: string, node: EventSubject, message: string): Promise<void> {
    return this.about("Node", type, reason, node, message);
  }

  /** An event about a pod. */
  pod(type: EventType, reason: string, pod: EventSubject, message: string): Promise<void> {
    return this.about("Pod", type, reason, pod, message);
  }

  /** An event about a namespace (object id: its name). */
  namespace(type: EventType, reason: string, name: string, message: string): Promise<void> {
    return this.record({ type, reason, objectKind: "Namespace", objectId: `namespace/${name}`, objectName: name, message });
  }

  /** An event about a NetworkPolicy (object id: "networkpolicy/ns/name"). */
  networkPolicy(type: EventType, reason: string, namespace: string, name: string, message: string): Promise<void> {
    return this.record({ type, reason, objectKind: "NetworkPolicy", objectId: `networkpolicy/${namespace}/${name}`, objectName: name, message });
  }

  /** An event about the cluster as a whole (settings). */
  cluster(reason: string, message: string, type: EventType = "Normal"): Promise<void> {
    return this.record({ type, reason, objectKind: "Cluster", objectId: null, objectName: "cluster", message });
  }

  private about(kind: EventObjectKind, type: EventType, reason: string, o: EventSubject, message: string): Promise<void> {
    return this.record({ type, reason, objectKind: kind, objectId: o.id, objectName: o.name, message });
  }

  /** The newest stored id (0 when there is none): where a watch without a position starts. */
  lastId(): Promise<number> {
    return this.db.events.lastId();
  }

  /** Calls onCommit with the newest id whenever any API process on the database committed events (null: unknown, after a reconnection). */
  follow(onCommit: (lastId: number | null) => void): Promise<EventFollower> {
    return this.db.events.follow(onCommit);
  }

  /** Writes everything queued, after any write already under way. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.queue.length === 0) return;
    this.writing = this.drain().finally(() => {
      this.writing = null;
      if (this.queue.length > 0) this.schedule();
    });
    await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH_MAX);
      try {
        const stored = await this.db.events.add(batch.map((b) => b.e));
        for (const e of stored) this.onStored(e);
        const last = stored[stored.length - 1];
        // Prune when the ids cross a thousand, not on every write.
        if (last && Math.floor(last.id / 1000) !== Math.floor((last.id - stored.length) / 1000)) {
          void this.db.events.prune(EVENTS_KEPT).catch(() => undefined);
        }
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
  }
}
