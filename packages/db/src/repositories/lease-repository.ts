import { PG_FOREIGN_KEY_VIOLATION, sqlState } from "../errors.js";
import { isUuid } from "../sql.js";
import type { SqlRunner } from "../sql.js";
import type { LeaseInput, LeaseRepository } from "../types.js";

/** Heartbeat leases in raw SQL: one statement per batch, whatever its size. */
export class SqlLeaseRepository implements LeaseRepository {
  constructor(private readonly sql: SqlRunner) {}

  async flush(leases: LeaseInput[]): Promise<void> {
    // Last write per node wins inside a batch (ON CONFLICT cannot touch a row twice), and a
    // stable order keeps two API processes flushing at once from deadlocking on row locks.
    const latest = new Map<string, LeaseInput>();
    for (const l of leases) {
      if (!isUuid(l.nodeId)) continue;
      const key = l.nodeId.toLowerCase();
      const prev = latest.get(key);
      if (!prev || prev.at <= l.at) latest.set(key, l);
    }
    if (latest.size === 0) return;
    const batch = [...latest.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([nodeId, l]) => ({ node_id: nodeId, at: l.at, usage: l.usage }));
    const statement = `insert into node_lease (node_id, renewed_at, usage)
       select x.node_id, to_timestamp(x.at / 1000), nullif(x.usage, 'null'::jsonb)
       from jsonb_to_recordset(?::jsonb) as x(node_id uuid, at float8, usage jsonb)
       where exists (select 1 from node where node.id = x.node_id)
       order by x.node_id
       on conflict (node_id) do update set renewed_at = excluded.renewed_at, usage = excluded.usage
       where excluded.renewed_at >= node_lease.renewed_at`;
    try {
      await this.sql.rows(statement, [JSON.stringify(batch)]);
    } catch (err) {
      // A node deleted between the EXISTS check and the insert; the retry no longer sees it.
      if (sqlState(err).code !== PG_FOREIGN_KEY_VIOLATION) throw err;
      await this.sql.rows(statement, [JSON.stringify(batch)]);
    }
  }
}
