import { EventEmitter } from "node:events";
import { randomBytes } from "node:crypto";
import type { EventFollower } from "@kube9/db";
import type { WatchMessage } from "@kube9/core";
import type { ControlPlane } from "./control-plane.js";
import type { EventDTO, NodeDTO, PodDTO } from "./dto.js";
import { DomainError } from "./errors.js";
import type { EventRecorder } from "./event-recorder.js";

/** How many node/pod changes a reconnecting watcher can catch up on before it gets a fresh snapshot. */
export const WATCH_BUFFER_SIZE = 10_000;
/**
 * And how much memory they may hold (estimated): a node that reports 10,000 pod ids makes a 700 KB
 * change, so a count alone would let a heartbeat flood keep gigabytes.
 */
export const WATCH_BUFFER_BYTES = 32 * 1024 * 1024;
/** Open watches (nodes, pods and events together) one API process serves; one more is refused. */
export const MAX_WATCHES = 1000;
/** Changes waiting for one slow watcher (and their estimated bytes) before it is caught up another way. */
const PENDING_MAX = 10_000;
const PENDING_BYTES = 8 * 1024 * 1024;
/** Events come in pages of this many from the store. */
const PAGE = 1000;
/** A safety net under LISTEN: how often a followed event log is read even without a notification. */
const EVENT_POLL_MS = 2000;

export type WatchKind = "node" | "pod";

interface Change {
  seq: number;
  kind: WatchKind;
  data: NodeDTO | PodDTO;
  bytes: number;
}

export type { WatchMessage };

/** Tunables of a hub (tests make them small). */
export interface WatchHubLimits {
  bufferSize: number;
  bufferBytes: number;
  maxWatches: number;
}

/** A watch refused because the API process serves as many as it may (HTTP 429, as Kubernetes' max-in-flight). */
export class TooManyWatchesError extends DomainError {
  constructor(limit: number) {
    super("unavailable", `too many open watches on this API server (limit ${limit}); close some watches or retry later`);
  }
}

/**
 * A rough size in memory of a JSON-like value (strings at their length plus a header, 8 bytes a
 * reference), for budgets, not accounting.
 */
export function approxBytes(v: unknown): number {
  if (typeof v === "string") return 24 + v.length;
  if (v === null || typeof v !== "object") return 8;
  let n = 32;
  if (Array.isArray(v)) {
    for (const x of v) n += 8 + approxBytes(x);
    return n;
  }
  for (const [k, x] of Object.entries(v)) n += 8 + k.length + approxBytes(x);
  return n;
}

/** A watcher's queue of live items: bounded; past the bound it is dropped and marked, and the watcher catches up from its source. */
class PendingQueue<T> {
  private items: T[] = [];
  private bytes = 0;
  private wake: (() => void) | null = null;
  overflowed = false;

  constructor(private readonly size: (item: T) => number) {}

  push(item: T): void {
    if (this.overflowed) return;
    this.items.push(item);
    this.bytes += this.size(item);
    if (this.items.length > PENDING_MAX || this.bytes > PENDING_BYTES) {
      this.items = [];
      this.bytes = 0;
      this.overflowed = true;
    }
    this.wake?.();
  }

  /** The next item, "overflow" once the queue was dropped (then it starts again empty), or null when the signal aborted. */
  async next(signal: AbortSignal): Promise<T | "overflow" | null> {
    for (;;) {
      if (signal.aborted) return null;
      if (this.overflowed) {
        this.overflowed = false;
        return "overflow";
      }
      const item = this.items.shift();
      if (item !== undefined) {
        this.bytes -= this.size(item);
        return item;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.wake = null;
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }
}

/**
 * The event log as every API process wrote it, in id order, for this process's watchers. It reads
 * "id > the last id told" from the store whenever any process commits events (LISTEN on PostgreSQL),
 * and takes this process's own events straight from the recorder when they follow on without a gap.
 * The store commits ids in the order they are handed out, so reading past a gap never skips an event.
 * It runs only while someone watches.
 */
class EventFeed {
  readonly live = new EventEmitter<{ event: [EventDTO] }>();
  private users = 0;
  private run: {
    last: number | null;
    reading: boolean;
    dirty: boolean;
    stopped: boolean;
    ready: Promise<void>;
    follower: EventFollower | null;
    timer: NodeJS.Timeout | null;
  } | null = null;

  constructor(
    private readonly recorder: EventRecorder,
    private readonly read: (afterId: number, limit: number) => Promise<EventDTO[]>,
    onOwnEvent: (listener: (e: EventDTO) => void) => void,
  ) {
    this.live.setMaxListeners(0);
    onOwnEvent((e) => this.ownEvent(e));
  }

  /** One more watcher: starts following when it is the first; resolves once every later commit will be told. */
  async acquire(): Promise<void> {
    this.users++;
    if (!this.run) this.start();
    try {
      await this.run!.ready;
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** One watcher fewer: stops following when it was the last. */
  release(): void {
    if (--this.users > 0 || !this.run) return;
    const run = this.run;
    this.run = null;
    run.stopped = true;
    if (run.timer) clearInterval(run.timer);
    void run.follower?.close();
  }

  private start(): void {
    const run: NonNullable<EventFeed["run"]> = {
      last: null,
      reading: false,
      dirty: false,
      stopped: false,
      ready: Promise.resolve(),
      follower: null,
      timer: null,
    };
    this.run = run;
    run.ready = (async () => {
      run.last = await this.recorder.lastId();
      if (run.stopped) return;
      // follow() calls back once it listens, which reads whatever committed since lastId().
      // A notification for ids already told (this process's own, mostly) needs no read.
      const follower = await this.recorder.follow((lastId) => {
        if (lastId === null || run.last === null || lastId > run.last) this.poke(run);
      });
      if (run.stopped) return void follower.close();
      run.follower = follower;
      run.timer = setInterval(() => this.poke(run), EVENT_POLL_MS);
      run.timer.unref();
    })();
    run.ready.catch(() => {
      // The store was unreachable: the next watcher tries again.
      if (this.run === run) this.run = null;
    });
  }

  private ownEvent(e: EventDTO): void {
    const run = this.run;
    if (!run || run.last === null || e.id <= run.last) return;
    // The next id: nothing can still commit before it. Otherwise another process wrote in between.
    if (e.id === run.last + 1) this.tell(run, e);
    else this.poke(run);
  }

  private tell(run: NonNullable<EventFeed["run"]>, e: EventDTO): void {
    run.last = e.id;
    this.live.emit("event", e);
  }

  private poke(run: NonNullable<EventFeed["run"]>): void {
    if (run.stopped || run.last === null) return;
    if (run.reading) {
      run.dirty = true;
      return;
    }
    run.reading = true;
    void (async () => {
      try {
        do {
          run.dirty = false;
          let page: EventDTO[];
          do {
            page = await this.read(run.last!, PAGE);
            if (run.stopped) return;
            for (const e of page) if (e.id > run.last!) this.tell(run, e);
          } while (page.length === PAGE);
        } while (run.dirty);
      } catch {
        // The poll timer tries again.
      } finally {
        run.reading = false;
      }
    })();
  }
}

/**
 * Node and pod changes numbered in one in-memory sequence, with the last ones (WATCH_BUFFER_SIZE, and
 * WATCH_BUFFER_BYTES estimated) kept so a watcher that reconnects with its last id replays exactly what it
 * missed. Ids are "<epoch>:<seq>": the epoch changes with every API process, so an id from before a restart
 * or from another replica is recognised and answered with a snapshot instead of a wrong replay.
 * Events are watched by their database id (see EventFeed), so those resume on any replica.
 */
export class WatchHub {
  readonly epoch = randomBytes(4).toString("hex");
  private seq = 0;
  /** Buffered changes, oldest first from `head`; their seqs are consecutive. */
  private buf: Change[] = [];
  private head = 0;
  private bytes = 0;
  private readonly live = new EventEmitter<{ change: [Change] }>();
  private readonly feed: EventFeed;
  private open = 0;
  readonly limits: WatchHubLimits;

  constructor(
    readonly cp: ControlPlane,
    limits: Partial<WatchHubLimits> = {},
  ) {
    this.limits = { bufferSize: WATCH_BUFFER_SIZE, bufferBytes: WATCH_BUFFER_BYTES, maxWatches: MAX_WATCHES, ...limits };
    this.live.setMaxListeners(0);
    cp.changes.on("node", (n) => this.push("node", n));
    cp.changes.on("pod", (p) => this.push("pod", p));
    this.feed = new EventFeed(cp.events, (afterId, limit) => cp.queries.listEvents({ afterId, limit }), (l) => cp.changes.on("event", l));
  }

  /** The id of the latest change (the position a snapshot taken now corresponds to). */
  get position(): string {
    return `${this.epoch}:${this.seq}`;
  }

  /** What the resumption buffer holds: changes and their estimated bytes. */
  get buffered(): { changes: number; bytes: number } {
    return { changes: this.buf.length - this.head, bytes: this.bytes };
  }

  /** Open watches of every kind. */
  get watching(): number {
    return this.open;
  }

  private push(kind: WatchKind, data: NodeDTO | PodDTO): void {
    const change: Change = { seq: ++this.seq, kind, data, bytes: approxBytes(data) };
    this.buf.push(change);
    this.bytes += change.bytes;
    while (this.buf.length - this.head > 1 && (this.buf.length - this.head > this.limits.bufferSize || this.bytes > this.limits.bufferBytes)) {
      this.bytes -= this.buf[this.head]!.bytes;
      this.buf[this.head++] = undefined as unknown as Change;
    }
    if (this.head > 1024 && this.head * 2 > this.buf.length) {
      this.buf = this.buf.slice(this.head);
      this.head = 0;
    }
    this.live.emit("change", change);
  }

  /** Changes after `lastId` of one kind, or null when they are no longer (or never were) in the buffer. */
  private since(kind: WatchKind, lastId: string): Change[] | null {
    const m = /^([0-9a-f]+):(\d+)$/.exec(lastId);
    if (!m || m[1] !== this.epoch) return null;
    const last = Number(m[2]);
    if (last > this.seq) return null;
    const oldest = this.buf[this.head]?.seq ?? this.seq + 1;
    if (last + 1 < oldest) return null;
    const out: Change[] = [];
    for (let i = this.head + (last + 1 - oldest); i < this.buf.length; i++) {
      const c = this.buf[i]!;
      if (c.kind === kind) out.push(c);
    }
    return out;
  }

  /** Takes a watch slot, or refuses with the limit in the message. */
  private admit(): () => void {
    if (this.open >= this.limits.maxWatches) {
      throw new TooManyWatchesError(this.limits.maxWatches);
    }
    this.open++;
    let released = false;
    return () => {
      if (!released) this.open--;
      released = true;
    };
  }

  /**
   * A watch of one kind: replay from lastEventId when possible, else a snapshot; then live changes until
   * the signal aborts (the client left or the server is closing). A watcher too slow to keep up gets a
   * fresh snapshot instead of an ever longer queue.
   */
  async *watch<T extends NodeDTO | PodDTO>(
    kind: WatchKind,
    lastEventId: string | null | undefined,
    snapshot: () => Promise<T[]>,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<{ id: string; data: WatchMessage<T> }> {
    const release = this.admit();
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    // Listen before reading anything, so nothing that happens meanwhile is lost.
    const queue = new PendingQueue<Change>((c) => c.bytes);
    const onChange = (c: Change) => {
      if (c.kind === kind) queue.push(c);
    };
    this.live.on("change", onChange);
    try {
      let after: number;
      const replay = lastEventId ? this.since(kind, lastEventId) : null;
      if (replay) {
        for (const c of replay) yield { id: `${this.epoch}:${c.seq}`, data: { type: "change", item: c.data as T } };
        after = this.seq;
      } else {
        after = this.seq;
        yield { id: `${this.epoch}:${after}`, data: { type: "snapshot", items: await snapshot() } };
      }
      for (;;) {
        const c = await queue.next(ac.signal);
        if (c === null) return;
        if (c === "overflow") {
          after = this.seq;
          yield { id: `${this.epoch}:${after}`, data: { type: "snapshot", items: await snapshot() } };
          continue;
        }
        if (c.seq <= after) continue;
        yield { id: `${this.epoch}:${c.seq}`, data: { type: "change", item: c.data as T } };
      }
    } finally {
      this.live.off("change", onChange);
      signal?.removeEventListener("abort", onAbort);
      ac.abort();
      release();
    }
  }

  /**
   * Events by their database id, from every API process on the database: everything after lastEventId
   * (or, without one, after the newest event when the watch began) from the store in pages, then live
   * events in id order, skipping any already sent. A watcher too slow for its queue reads from the store again.
   */
  async *watchEvents(
    lastEventId: string | null | undefined,
    objectName: string | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<{ id: string; data: EventDTO }> {
    const release = this.admit();
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const queue = new PendingQueue<EventDTO>(() => 0);
    const onEvent = (e: EventDTO) => queue.push(e);
    this.feed.live.on("event", onEvent);
    let acquired = false;
    try {
      await this.feed.acquire();
      acquired = true;
      let after = lastEventId && /^\d+$/.test(lastEventId) ? Number(lastEventId) : await this.cp.events.lastId();
      for (;;) {
        for (;;) {
          const page = await this.cp.queries.listEvents({ afterId: after, limit: PAGE, objectName });
          for (const e of page) {
            if (ac.signal.aborted) return;
            yield { id: String(e.id), data: e };
            after = e.id;
          }
          if (page.length < PAGE) break;
        }
        for (;;) {
          const e = await queue.next(ac.signal);
          if (e === null) return;
          if (e === "overflow") break;
          if (e.id <= after) continue;
          if (objectName !== undefined && e.objectName !== objectName) continue;
          after = e.id;
          yield { id: String(e.id), data: e };
        }
      }
    } finally {
      this.feed.live.off("event", onEvent);
      if (acquired) this.feed.release();
      signal?.removeEventListener("abort", onAbort);
      ac.abort();
      release();
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
