import { createHash } from "node:crypto";
import type { Knex } from "@mikro-orm/postgresql";
import { isDatabaseUnavailable } from "./errors.js";
import type { Binding, Row, SqlRunner } from "./sql.js";

/** Runs parameterized SQL through the ORM's knex pool; on PGlite that pool is its one connection, which serializes callers. */
export function knexRunner(knex: Knex): SqlRunner {
  return {
    async rows(sql: string, bindings: readonly Binding[] = []): Promise<Row[]> {
      const res = (await knex.raw(sql, bindings as Knex.RawBinding[])) as { rows?: Row[] } | undefined;
      return res?.rows ?? [];
    },
  };
}

/** The slice of a node-postgres client we use. */
interface PgConnection {
  query(config: { name: string; text: string; values: readonly Binding[] }): Promise<{ rows: Row[] }>;
  connection?: { stream?: { destroy(): void } };
  /** Set by knex when a connection failed: the pool then discards it instead of lending it again. */
  __knex__disposed?: unknown;
}

/** The slice of knex's client that hands out pooled connections (the same calls knex's own runner makes). */
interface KnexPool {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<void>;
}

/**
 * Runs SQL as named prepared statements on connections borrowed from the ORM's pool. Postgres
 * then parses and plans each hot statement once per connection instead of on every call: the
 * bind CTE spends about as long in the planner as in execution.
 */
export function preparedPgRunner(knex: Knex): SqlRunner {
  const pool = knex.client as unknown as KnexPool;
  const statements = new Map<string, { name: string; text: string }>();
  return {
    async rows(sql: string, bindings: readonly Binding[] = []): Promise<Row[]> {
      let st = statements.get(sql);
      if (!st) {
        let i = 0;
        // Our statements never contain a literal "?", so every one is a placeholder.
        st = { name: `kube9_${createHash("sha1").update(sql).digest("hex").slice(0, 20)}`, text: sql.replace(/\?/g, () => `$${++i}`) };
        statements.set(sql, st);
      }
      const conn = await pool.acquireConnection();
      try {
        const res = await conn.query({ name: st.name, text: st.text, values: bindings });
        return res.rows;
      } catch (err) {
        // A connection whose statement got no answer may still have it in flight: lent again, it would
        // queue every later statement behind it. It is dropped instead.
        if (isDatabaseUnavailable(err)) {
          conn.__knex__disposed = err;
          conn.connection?.stream?.destroy();
        }
        throw err;
      } finally {
        await pool.releaseConnection(conn);
      }
    },
  };
}
