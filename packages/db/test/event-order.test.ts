import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database, type EventRecord } from "../src/index.js";

/**
 * The event log as a cursor across processes: a reader that follows "id > the last id it saw" must
 * see every id, because ids must commit in the order they are handed out even when several
 * connections (several API processes) write at once. Without that, a reader skips ids for good.
 */

const adminUrl = process.env.KUBE9_TEST_PG_URL;
const required = process.env.KUBE9_REQUIRE_POSTGRES === "1";

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const T0 = Date.UTC(2026, 0, 1);
const event = (i: number): Omit<EventRecord, "id"> => ({
  time: T0 + i,
  type: "Normal",
  reason: "Burst",
  objectKind: "Pod",
  objectId: `obj-${i}`,
  objectName: `pod-${i}`,
  message: `event ${i}`,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("the PostgreSQL event-order suite runs when CI requires it", () => {
  expect(required && !adminUrl, "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

describe.runIf(adminUrl)("event ids on PostgreSQL with two processes writing at once", () => {
  const name = `kube9_test_evorder_${randomBytes(5).toString("hex")}`;
  let a: Database;
  let b: Database;
  let reader: Database;

  beforeAll(async () => {
    await admin(`create database "${name}"`);
    const u = new URL(adminUrl!);
    u.pathname = `/${name}`;
    // Two handles with their own pools: two API processes' worth of connections.
    a = await openDatabase({ url: u.toString(), poolSize: 8 });
    b = await openDatabase({ url: u.toString(), poolSize: 8 });
    // The follower reads on its own connection, as a third process would, so it never waits behind the writes.
    reader = await openDatabase({ url: u.toString(), poolSize: 1 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await reader?.close();
    await admin(`drop database if exists "${name}" with (force)`);
  });

  it("a reader following id > last sees every id of 300 concurrent 20-event inserts exactly once, in order", async () => {
    const seen: number[] = [];
    let done = false;
    // The follower: what events.watch does on every notification, as fast as it can.
    const follower = (async () => {
      let last = 0;
      for (;;) {
        const finished = done;
        const page = await reader.events.list({ afterId: last, limit: 1000 });
        for (const e of page) {
          seen.push(e.id);
          last = e.id;
        }
        if (finished && page.length === 0) return;
        if (page.length === 0) await sleep(0);
      }
    })();
    // Batches of 20 rows: each statement draws its ids one row at a time, so concurrent statements interleave.
    const writes = Array.from({ length: 300 }, (_, i) =>
      (i % 2 === 0 ? a : b).events.add(Array.from({ length: 20 }, (_, j) => event(20 * i + j))),
    );
    await Promise.all(writes);
    done = true;
    await follower;
    const stored = (await a.events.list({ afterId: 0, limit: 10_000 })).map((e) => e.id);
    expect(stored).toHaveLength(6000);
    const got = new Set(seen);
    const missing = stored.filter((id) => !got.has(id));
    expect({ missing: missing.length, duplicates: seen.length - got.size }).toEqual({ missing: 0, duplicates: 0 });
    expect(seen).toEqual(stored);
  });

  it("follow() tells one process when another commits events, and lastId() is the newest id", async () => {
    let calls = 0;
    const f = await b.events.follow(() => calls++);
    try {
      const before = calls; // one call for the (re)connection itself
      const [e] = await a.events.add([event(99_999)]);
      const end = Date.now() + 10_000;
      while (calls === before && Date.now() < end) await sleep(20);
      expect(calls).toBeGreaterThan(before);
      expect(await b.events.lastId()).toBe(e!.id);
    } finally {
      await f.close();
    }
  });

  it("follow() listens again after its connection was cut, and says so (null: what was missed is unknown)", async () => {
    const calls: Array<number | null> = [];
    const f = await b.events.follow((id) => calls.push(id));
    try {
      const kill = new pg.Client({ connectionString: adminUrl });
      await kill.connect();
      try {
        const r = await kill.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'kube9-events'", [name]);
        expect(r.rowCount).toBe(1);
      } finally {
        await kill.end();
      }
      calls.length = 0;
      const end = Date.now() + 15_000;
      while (!calls.includes(null) && Date.now() < end) await sleep(50);
      expect(calls).toContain(null);
      const [e] = await a.events.add([event(77_777)]);
      while (!calls.includes(e!.id) && Date.now() < end) await sleep(20);
      expect(calls).toContain(e!.id);
    } finally {
      await f.close();
    }
  });
});
