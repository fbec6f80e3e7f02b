import { EventEmitter, on } from "node:events";
import { randomBytes } from "node:crypto";
import type { WatchMessage } from "@kube9/core";
import type { ControlPlane } from "./control-plane.js";
import type { EventDTO, NodeDTO, PodDTO } from "./dto.js";

/** How many node/pod changes a reconnecting watcher can catch up on before it gets a fresh snapshot. */
export const WATCH_BUFFER_SIZE = 10_000;

export type WatchKind = "node" | "pod";

interface Change {
  seq: number;
  kind: WatchKind;
  data: NodeDTO | PodDTO;
}

export type { WatchMessage };

/**
 * Node and pod changes numbered in one in-memory sequence, with the last WATCH_BUFFER_SIZE kept in a
 * ring buffer so a watcher that reconnects with its last id replays exactly what it missed.
 * Ids are "<epoch>:<seq>": the epoch changes with every API process, so an id from before a restart
 * (whose buffer is gone) is recognised and answered with a snapshot instead of a wrong replay.
 */
export class WatchHub {
  readonly epoch = randomBytes(4).toString("hex");
  private seq = 0;
  private readonly ring: Array<Change | undefined>;
  private readonly live = new EventEmitter<{ change: [Change] }>();

  constructor(
    readonly cp: ControlPlane,
    private readonly capacity = WATCH_BUFFER_SIZE,
  ) {
    this.ring = new Array<Change | undefined>(capacity);
    this.live.setMaxListeners(0);
    cp.changes.on("node", (n) => this.push("node", n));
    cp.changes.on("pod", (p) => this.push("pod", p));
  }

  /** The id of the latest change (the position a snapshot taken now corresponds to). */
  get position(): string {
    return `${this.epoch}:${this.seq}`;
  }

  private push(kind: WatchKind, data: NodeDTO | PodDTO): void {
    const change: Change = { seq: ++this.seq, kind, data };
    this.ring[change.seq % this.capacity] = change;
    this.live.emit("change", change);
  }

  /** Changes after `lastId` of one kind, or null when they are no longer (or never were) in the buffer. */
  private since(kind: WatchKind, lastId: string): Change[] | null {
    const m = /^([0-9a-f]+):(\d+)$/.exec(lastId);
    if (!m || m[1] !== this.epoch) return null;
    const last = Number(m[2]);
    if (last > this.seq) return null;
    const oldest = Math.max(1, this.seq - this.capacity + 1);
    if (last + 1 < oldest) return null;
    const out: Change[] = [];
    for (let s = last + 1; s <= this.seq; s++) {
      const c = this.ring[s % this.capacity];
      if (c && c.seq === s && c.kind === kind) out.push(c);
    }
    return out;
  }

  /**
   * A watch of one kind: replay from lastEventId when possible, else a snapshot; then live changes until
   * the signal aborts (the client left or the server is closing).
   */
  async *watch<T extends NodeDTO | PodDTO>(
    kind: WatchKind,
    lastEventId: string | null | undefined,
    snapshot: () => Promise<T[]>,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<{ id: string; data: WatchMessage<T> }> {
    // Listen before reading anything, so nothing that happens meanwhile is lost.
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const changes = on(this.live, "change", { signal: ac.signal });
    try {
      let after: number;
      const replay = lastEventId ? this.since(kind, lastEventId) : null;
      if (replay) {
        for (const c of replay) yield { id: `${this.epoch}:${c.seq}`, data: { type: "change", item: c.data as T } };
        after = this.seq;
      } else {
        after = this.seq;
        const items = await snapshot();
        yield { id: `${this.epoch}:${after}`, data: { type: "snapshot", items } };
      }
      for await (const [c] of changes as AsyncIterable<[Change]>) {
        if (c.seq <= after || c.kind !== kind) continue;
        yield { id: `${this.epoch}:${c.seq}`, data: { type: "change", item: c.data as T } };
      }
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      ac.abort();
    }
  }

  /**
   * Events by their database id: replay everything after lastEventId from the store (in pages), then
   * live events, skipping any the replay already covered.
   */
  async *watchEvents(
    lastEventId: string | null | undefined,
    objectName: string | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<{ id: string; data: EventDTO }> {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const live = on(this.cp.changes, "event", { signal: ac.signal });
    try {
      let after = lastEventId && /^\d+$/.test(lastEventId) ? Number(lastEventId) : null;
      if (after !== null) {
        for (;;) {
          const page = await this.cp.queries.listEvents({ afterId: after, limit: 1000, objectName });
          for (const e of page) {
            yield { id: String(e.id), data: e };
            after = e.id;
          }
          if (page.length < 1000) break;
        }
      }
      for await (const [e] of live as AsyncIterable<[EventDTO]>) {
        if (after !== null && e.id <= after) continue;
        if (objectName !== undefined && e.objectName !== objectName) continue;
        after = e.id;
        yield { id: String(e.id), data: e };
      }
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      ac.abort();
    }
  }
}

const hubs = new WeakMap<ControlPlane, WatchHub>();

/** The hub of a control plane (created on first use; the server creates it at start so ids begin early). */
export function hubFor(cp: ControlPlane): WatchHub {
  let hub = hubs.get(cp);
  if (!hub) {
    hub = new WatchHub(cp);
    hubs.set(cp, hub);
  }
  return hub;
}
