import { isUuid } from "../sql.js";
import type { SqlRunner } from "../sql.js";
import type { UsageRepository, UsageRow } from "../types.js";

/** The id under which the cluster's own series (the sum of its nodes) is stored. */
export const CLUSTER_USAGE_ID = "00000000-0000-0000-0000-000000000000";

const BUCKET_S = 10;

/** A PostgreSQL array literal of numbers or uuids (no quoting needed for either). */
function arrayLiteral(values: readonly (string | number)[]): string {
  return `{${values.join(",")}}`;
}

/** The usage history in raw SQL: one statement per batch, whatever its size (arrays, not one placeholder per value). */
export class SqlUsageRepository implements UsageRepository {
  constructor(private readonly sql: SqlRunner) {}

  async insert(rows: UsageRow[]): Promise<void> {
    // One row per object and bucket: a later flush of the same bucket (an API restart inside it) wins.
    const latest = new Map<string, UsageRow>();
    for (const r of rows) {
      if (!isUuid(r.objectId) || !Number.isFinite(r.cpuMilli) || !Number.isFinite(r.memoryMiB)) continue;
      latest.set(`${r.objectId.toLowerCase()}/${Math.floor(r.t / 1000)}`, r);
    }
    if (latest.size === 0) return;
    const batch = [...latest.values()];
    await this.sql.rows(
      `insert into usage_history (object_id, t, cpu_milli, memory_mib)
       select * from unnest(?::uuid[], ?::int[], ?::real[], ?::real[])
       on conflict (object_id, t) do update set cpu_milli = excluded.cpu_milli, memory_mib = excluded.memory_mib`,
      [
        arrayLiteral(batch.map((r) => r.objectId)),
        arrayLiteral(batch.map((r) => Math.floor(r.t / 1000))),
        arrayLiteral(batch.map((r) => r.cpuMilli)),
        arrayLiteral(batch.map((r) => r.memoryMiB)),
      ],
    );
  }

  async range(objectId: string, fromMs: number, toMs: number, stepMs: number): Promise<UsageRow[]> {
    if (!isUuid(objectId)) return [];
    const step = Math.max(BUCKET_S, Math.round(stepMs / 1000 / BUCKET_S) * BUCKET_S);
    const rows = await this.sql.rows(
      `select (t / ?::int) * ?::int as b, avg(cpu_milli)::float8 as cpu, avg(memory_mib)::float8 as mem
       from usage_history where object_id = ?::uuid and t >= ?::int and t < ?::int
       group by b order by b`,
      [step, step, objectId, Math.floor(fromMs / 1000), Math.ceil(toMs / 1000)],
    );
    return rows.map((r) => ({ objectId, t: Number(r.b) * 1000, cpuMilli: Number(r.cpu), memoryMiB: Number(r.mem) }));
  }

  async deleteBefore(beforeMs: number): Promise<number> {
    const rows = await this.sql.rows(`with gone as (delete from usage_history where t < ?::int returning 1) select count(*)::int as n from gone`, [
      Math.floor(beforeMs / 1000),
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  async sizeBytes(): Promise<number> {
    const rows = await this.sql.rows(`select pg_total_relation_size('usage_history')::float8 as n`);
    return Number(rows[0]?.n ?? 0);
  }
}
