import { ms, num, strOrNull } from "../sql.js";
import type { Binding, Row, SqlRunner } from "../sql.js";
import type { EventRecord, EventRepository, ListEventsOptions } from "../types.js";

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

/** The event log in raw SQL: every scheduling decision writes events, so this is a hot path. */
export class SqlEventRepository implements EventRepository {
  constructor(private readonly sql: SqlRunner) {}

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
    const rows = await this.sql.rows(
      `insert into event (time, type, reason, object_kind, object_id, object_name, message)
       select to_timestamp(x.t / 1000), x.ty, x.r, x.k, x.oid, x.oname, x.msg
       from jsonb_to_recordset(?::jsonb) as x(t float8, ty text, r text, k text, oid text, oname text, msg text, ord int)
       order by x.ord
       returning id`,
      [JSON.stringify(payload)],
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

  async prune(keep: number): Promise<void> {
    await this.sql.rows(
      `delete from event where id <= (select id from event order by id desc offset ? limit 1)`,
      [Math.max(0, Math.floor(keep))],
    );
  }
}
