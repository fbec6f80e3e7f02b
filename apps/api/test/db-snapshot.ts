/**
 * A fingerprint of every table's content, to prove a request changed nothing. Left out: node_lease (heartbeat
 * times, written by the lease buffer on its own schedule), usage_history (measured use, sampled on a timer) and
 * MikroORM's migration log.
 */
export const SNAPSHOT_SKIPS = ["node_lease", "usage_history", "mikro_orm_migrations"];

type Rows = (text: string) => Promise<Array<Record<string, unknown>>>;

/** Each table's row count and an md5 of its rows in a stable order. */
export async function tableSnapshot(rows: Rows): Promise<Record<string, string>> {
  const tables = await rows("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name");
  const out: Record<string, string> = {};
  for (const { table_name: name } of tables) {
    if (SNAPSHOT_SKIPS.includes(String(name))) continue;
    const [r] = await rows(`select count(*)::text as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from "${String(name)}" t`);
    out[String(name)] = `${String(r?.n)} rows ${String(r?.h)}`;
  }
  return out;
}
