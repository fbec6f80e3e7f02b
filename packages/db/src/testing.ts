import type { SqlRunner } from "./sql.js";
import type { Database } from "./types.js";

/** Raw SQL on a database's own pool, for this package's tests and benchmarks only (not exported from the index). */
export function rawSql(db: Database): SqlRunner {
  const sql = (db as { sql?: SqlRunner }).sql;
  if (!sql) throw new Error("not a database opened by openDatabase()");
  return sql;
}

/** The SQL MikroORM would run to make the database match the entities; empty when entities and migrations agree. */
export async function schemaDrift(db: Database): Promise<string> {
  const orm = (db as { orm?: { schema: { getUpdateSchemaSQL(o: { wrap: boolean }): Promise<string> } } }).orm;
  if (!orm) throw new Error("not a database opened by openDatabase()");
  return (await orm.schema.getUpdateSchemaSQL({ wrap: false })).trim();
}

/** Empties every table and resets the cluster settings, so a test suite can reuse one database between tests. */
export async function resetDatabase(db: Database): Promise<void> {
  const sql = rawSql(db);
  await sql.rows("truncate table node_lease, event, pod, node, usage_history, node_group, network_policy, bootstrap_token restart identity cascade");
  await sql.rows("delete from namespace where name <> 'default'");
  await sql.rows("delete from cluster");
}
