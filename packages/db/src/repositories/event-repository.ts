import pg from "pg";
import type { Client } from "pg";
import { ms, num, strOrNull } from "../sql.js";
import type { Binding, Row, SqlRunner } from "../sql.js";
import type { EventFollower, EventRecord, EventRepository, ListEventsOptions } from "../types.js";

/**
 * Advisory lock taken by every event insert ("kube9" + 3, next to the leader and migration keys):
 * it makes ids commit in the order they are handed out across every API process on the database.
 */
export const EVENT_LOCK_KEY = "461530883387";
/** The channel each event insert notifies (payload: the batch's last id) as it commits. */
export const EVENT_CHANNEL = "kube9_event";
/** How long a lost LISTEN connection waits before it tries again. */
const RELISTEN_MS = 1000;

function toEventRecord(r: Row): EventRecord {
  return {
    id: num(r.id),
    time: num(r.time),
    type: r.type as EventRecord["type"],
    reason: String(r.reason),
    objectKind: r.object_kind as EventRecord["objectKind"],
    objectId: strOrNull(r.object_id),
    objectName: String(r.object_name),
    message: String(r.message),
  };
}

/**
 * The event log in raw SQL: every scheduling decision writes events, so this is a hot path.
 * A reader that follows "id > the last id it saw" must never see id n+1 before id n commits, or it
 * skips n for good; with several API processes (or concurrent writers) an identity alone does not
 * promise that, so each insert takes a transaction-scoped advisory lock before its ids are drawn and
 * holds it until it has committed (docs/architecture.md, "Events").
 */
export class SqlEventRepository implements EventRepository {
  /** listenUrl: the PostgreSQL URL for LISTEN connections; null on PGlite (one process, nothing to hear). */
  constructor(
    private readonly sql: SqlRunner,
    private readonly listenUrl: string | null = null,
  ) {}

  async add(events: Array<Omit<EventRecord, "id">>): Promise<EventRecord[]> {
    if (events.length === 0) return [];
    // One JSON parameter keeps the statement text fixed, so it stays one prepared statement.
    const payload = events.map((e, ord) => ({
      t: e.time,
      ty: e.type,
      r: e.reason,
      k: e.objectKind,
      oid: e.objectId,
      oname: e.objectName,
      msg: e.message,
      ord,
    }));
    // One statement (its own transaction): the lock CTE is materialized and joined to every row, so no
    // row, and no identity value, exists before the lock is held; the lock is released only after the
    // commit made the rows visible. pg_notify is delivered at that commit, after the rows.
    const rows = await this.sql.rows(
      `with l as materialized (select pg_advisory_xact_lock(?::bigint) is not null as held),
       ins as (
         insert into event (time, type, reason, object_kind, object_id, object_name, message)
         select to_timestamp(x.t / 1000), x.ty, x.r, x.k, x.oid, x.oname, x.msg
         from jsonb_to_recordset(?::jsonb) as x(t float8, ty text, r text, k text, oid text, oname text, msg text, ord int)
         cross join l
         where l.held
         order by x.ord
         returning id
       ),
       n as (select pg_notify('${EVENT_CHANNEL}', max(id)::text) from ins)
       select ins.id from ins cross join n`,
      [EVENT_LOCK_KEY, JSON.stringify(payload)],
    );
    // Identity values are handed out in insertion order, which follows the ORDER BY above.
    const ids = rows.map((r) => num(r.id)).sort((a, b) => a - b);
    return events.map((e, i) => ({ ...e, id: ids[i]! }));
  }

  async list(opts: ListEventsOptions = {}): Promise<EventRecord[]> {
    const limit = Math.max(0, Math.floor(opts.limit ?? 100));
    if (limit === 0) return [];
    const conds: string[] = [];
    const bindings: Binding[] = [];
    if (opts.afterId !== undefined) {
      conds.push("e.id > ?");
      bindings.push(opts.afterId);
    }
    if (opts.objectId !== undefined) {
      conds.push("e.object_id = ?");
      bindings.push(opts.objectId);
    }
    // A cursor reads forward from afterId; otherwise the newest `limit`, turned oldest first below.
    const forward = opts.afterId !== undefined;
    const where = conds.length ? `where ${conds.join(" and ")}` : "";
    const rows = await this.sql.rows(
      `select e.id, ${ms("e.time")} as time, e.type, e.reason, e.object_kind, e.object_id, e.object_name, e.message
       from event e ${where} order by e.id ${forward ? "asc" : "desc"} limit ?`,
      [...bindings, limit],
    );
    const events = rows.map(toEventRecord);
    return forward ? events : events.reverse();
  }

  async lastId(): Promise<number> {
    const rows = await this.sql.rows(`select coalesce(max(id), 0) as id from event`);
    return num(rows[0]?.id ?? 0);
  }

  async follow(onCommit: (lastId: number | null) => void): Promise<EventFollower> {
    if (!this.listenUrl) return { close: async () => {} };
    return PgEventListener.start(this.listenUrl, onCommit);
  }

  async prune(keep: number): Promise<void> {
    await this.sql.rows(
      `delete from event where id <= (select id from event order by id desc offset ? limit 1)`,
      [Math.max(0, Math.floor(keep))],
    );
  }
}

/**
 * One dedicated connection LISTENing on the event channel. When it is lost it reconnects (every
 * RELISTEN_MS) and calls onCommit once it listens again, since notifications sent meanwhile are gone.
 */
class PgEventListener implements EventFollower {
  private client: Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  private constructor(
    private readonly url: string,
    private readonly onCommit: (lastId: number | null) => void,
  ) {}

  static async start(url: string, onCommit: (lastId: number | null) => void): Promise<PgEventListener> {
    const l = new PgEventListener(url, onCommit);
    await l.connect();
    return l;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: 10_000, application_name: "kube9-events" });
    const lost = () => {
      if (this.client !== client) return;
      this.client = null;
      void client.end().catch(() => {});
      this.schedule();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (msg) => {
      const id = Number(msg.payload);
      if (msg.channel === EVENT_CHANNEL) this.onCommit(Number.isSafeInteger(id) && id > 0 ? id : null);
    });
    try {
      await client.connect();
      await client.query(`listen ${EVENT_CHANNEL}`);
    } catch {
      await client.end().catch(() => {});
      this.schedule();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.onCommit(null);
  }

  private schedule(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closed) void this.connect();
    }, RELISTEN_MS);
    this.retry.unref();
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}
