import { randomUUID } from "node:crypto";
import type { MikroORM } from "@mikro-orm/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/index.js";
import { rawSql } from "../src/testing.js";

// Pods made before namespaces existed move into "default" (the namespaces migration), and the migration goes
// back down cleanly. On PGlite: the same statements run on PostgreSQL in the store suite.

describe("the namespaces migration", () => {
  let db: Database;
  const migrator = () => (db as unknown as { orm: MikroORM }).orm.getMigrator();

  beforeAll(async () => {
    db = await openDatabase({});
  });
  afterAll(async () => {
    await db?.close();
  });

  it("moves existing pods into default, keeps their names, and goes down and up again", async () => {
    await migrator().down({ to: "Migration20261129200000NodeGroups" });
    const sql = rawSql(db);
    expect((await sql.rows("select count(*)::int as n from information_schema.tables where table_name = 'namespace'"))[0]?.n).toBe(0);
    const id = randomUUID();
    // A pod row as the schema before namespaces had it.
    await sql.rows(
      `insert into pod (id, name, status, cpu_request, memory_request, labels, node_selector, restarts, created_at, updated_at)
       values (?::uuid, 'old-pod', 'Pending', 100, 10, '{}'::jsonb, '{}'::jsonb, 0, now(), now())`,
      [id],
    );
    await migrator().up();
    const [pod] = await sql.rows("select name, namespace from pod where id = ?::uuid", [id]);
    expect(pod).toEqual({ name: "old-pod", namespace: "default" });
    expect((await db.namespaces.list()).map((n) => n.name)).toEqual(["default"]);
    expect((await db.pods.getByName("default", "old-pod"))?.id).toBe(id);
  });
});
