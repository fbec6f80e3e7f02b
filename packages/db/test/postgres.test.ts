import { randomBytes } from "node:crypto";
import pg from "pg";
import { MIGRATIONS } from "../src/migrations/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/index.js";
import { rawSql } from "../src/testing.js";
import { storeSuite } from "./suite.js";

const adminUrl = process.env.KUBE9_TEST_PG_URL;
const required = process.env.KUBE9_REQUIRE_POSTGRES === "1";

/** Runs one statement on the admin database (CREATE/DROP DATABASE cannot run in a pool transaction). */
async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh, uniquely named database next to the admin one; returns its URL. */
async function createTestDatabase(): Promise<{ name: string; url: string }> {
  const name = `kube9_test_${randomBytes(6).toString("hex")}`;
  await admin(`create database "${name}"`);
  const u = new URL(adminUrl!);
  u.pathname = `/${name}`;
  return { name, url: u.toString() };
}

if (!adminUrl) {
  if (required) {
    describe("store on PostgreSQL", () => {
      it("needs KUBE9_TEST_PG_URL", () => {
        throw new Error(
          "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set: start one with `scripts/pg.sh start /tmp/kube9-pg-dev 55432` " +
            "and set KUBE9_TEST_PG_URL=postgres://postgres@127.0.0.1:55432/postgres",
        );
      });
    });
  } else {
    describe.skip("store on PostgreSQL (set KUBE9_TEST_PG_URL to run)", () => {
      it("skipped", () => {});
    });
  }
} else {
  const created: string[] = [];
  let url = "";

  beforeAll(async () => {
    const db = await createTestDatabase();
    created.push(db.name);
    url = db.url;
  });

  afterAll(async () => {
    for (const name of created) await admin(`drop database if exists "${name}" with (force)`);
  });

  describe("store on PostgreSQL", () => {
    storeSuite({
      kind: "postgres",
      multiProcess: true,
      open: (o) => openDatabase({ url, poolSize: o?.poolSize ?? 4 }),
    });
  });

  describe("PostgreSQL only", () => {
    it("several processes opening a fresh database at once migrate it exactly once", async () => {
      const fresh = await createTestDatabase();
      created.push(fresh.name);
      const handles = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ url: fresh.url, poolSize: 2 })));
      try {
        expect(handles.every((h) => h.kind === "postgres")).toBe(true);
        const rows = await rawSql(handles[0]!).rows("select name from mikro_orm_migrations");
        // Each migration recorded once, however many processes raced to apply it.
        expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
    });

    it("a leader whose lock connection dies loses the lease to another process", async () => {
      const fresh = await createTestDatabase();
      created.push(fresh.name);
      const a = await openDatabase({ url: fresh.url, poolSize: 2 });
      const b = await openDatabase({ url: fresh.url, poolSize: 2 });
      try {
        expect(await a.tryAcquireLeadership()).toBe(true);
        expect(await b.tryAcquireLeadership()).toBe(false);
        // Kill the session holding the advisory lock, as a network partition or DB restart would.
        const killed = await rawSql(b).rows(
          `select pg_terminate_backend(pid) as ok from pg_locks
           where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())
             and ((classid::bigint << 32) | objid::bigint) = 461530883385`, // the leader lease, not the presence locks
        );
        expect(killed.length).toBe(1);
        // pg_terminate_backend only signals the session; the lock goes when it has exited.
        let won = false;
        for (let i = 0; i < 100 && !won; i++) {
          won = await b.tryAcquireLeadership();
          if (!won) await new Promise((r) => setTimeout(r, 50));
        }
        expect(won).toBe(true);
        expect(await a.tryAcquireLeadership()).toBe(false);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("peers: every other live process, with the address it advertised; one that closed or whose session died is gone", async () => {
      const fresh = await createTestDatabase();
      created.push(fresh.name);
      const a = await openDatabase({ url: fresh.url, poolSize: 2 });
      const b = await openDatabase({ url: fresh.url, poolSize: 2 });
      const c = await openDatabase({ url: fresh.url, poolSize: 2 });
      try {
        await a.advertise("http://127.0.0.1:7001");
        await b.advertise("http://127.0.0.1:7002");
        expect(await c.peers()).toEqual(expect.arrayContaining(["http://127.0.0.1:7001", "http://127.0.0.1:7002"]));
        expect((await c.peers()).length).toBe(2);
        expect(await a.peers()).toEqual(expect.arrayContaining(["http://127.0.0.1:7002", ""])); // c has not advertised
        await b.close();
        expect((await c.peers()).sort()).toEqual(["http://127.0.0.1:7001"]);
      } finally {
        await a.close();
        await b.close();
        await c.close();
      }
    });
  });
}
