import type { Database } from "@kube9/db";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LeaderElection } from "../../src/controllers/leader-election.js";
import { createLogger } from "../../src/logger.js";
import { freshPostgres, openTestDatabase, postgresRequiredButMissing, waitFor } from "../harness.js";
import { openMemoryDatabase } from "./support.js";

const pgUrl = process.env.KUBE9_TEST_PG_URL;

/** An election over a real database handle, counting its callbacks. */
function election(db: Database, clock: { now: number }) {
  const calls = { elected: 0, deposed: 0 };
  const e = new LeaderElection({
    db,
    now: () => clock.now,
    log: createLogger({ level: "error" }),
    onElected: async () => {
      calls.elected++;
    },
    onDeposed: async () => {
      calls.deposed++;
    },
  });
  return { e, calls };
}

it("the PostgreSQL leader-election cases run when CI requires it", () => {
  expect(postgresRequiredButMissing(), "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

describe("leader-election controller (PGlite)", () => {
  let own: { db: Database; close(): Promise<void> };
  beforeAll(async () => {
    own = await openMemoryDatabase();
  });
  afterAll(async () => {
    await own?.close();
  });

  it("leads at once on PGlite; onElected runs once per term and leaderSince is the start of the term", async () => {
    const clock = { now: 1_000_000 };
    const { e, calls } = election(own.db, clock);
    expect([e.isLeader, e.leaderSince]).toEqual([false, 0]);
    await e.tick();
    expect([e.isLeader, e.leaderSince, calls.elected]).toEqual([true, 1_000_000, 1]);
    clock.now = 1_005_000;
    await e.tick(); // confirming the lease is no new term: since stays 1 000 000, no second onElected
    expect([e.isLeader, e.leaderSince, calls.elected]).toEqual([true, 1_000_000, 1]);
    await e.resign();
    expect([e.isLeader, e.leaderSince]).toEqual([false, 0]); // no leader: nothing to give a grace period from
    clock.now = 1_009_000;
    await e.tick(); // a new term
    expect([e.isLeader, e.leaderSince, calls.elected, calls.deposed]).toEqual([true, 1_009_000, 2, 0]);
    await e.resign();
  });
});

describe.runIf(pgUrl)("leader-election controller (PostgreSQL, two processes)", () => {
  let url: string;
  let drop: () => Promise<void>;
  const opened: Array<{ db: Database; close(): Promise<void> }> = [];

  beforeAll(async () => {
    ({ url, drop } = await freshPostgres(pgUrl!));
  });
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close();
  });
  afterAll(async () => {
    await drop?.();
  });

  async function two() {
    const clock = { now: 2_000_000 };
    for (let i = 0; i < 2; i++) opened.push(await openTestDatabase(url));
    return { clock, one: election(opened[0]!.db, clock), other: election(opened[1]!.db, clock) };
  }

  it("only one leads; stop() keeps the lease, resign() hands it over", async () => {
    const { clock, one, other } = await two();
    await one.e.tick();
    await other.e.tick();
    expect([one.e.isLeader, other.e.isLeader]).toEqual([true, false]);
    expect(other.calls.elected).toBe(0);
    await one.e.stop(); // stops asking, still holds the lease while it winds down
    await other.e.tick();
    expect(other.e.isLeader).toBe(false);
    await one.e.resign();
    clock.now = 2_003_000;
    await other.e.tick();
    expect([other.e.isLeader, other.e.leaderSince, other.calls.elected]).toEqual([true, 2_003_000, 1]);
    await one.e.tick(); // the first process cannot take it back while the other holds it
    expect([one.e.isLeader, one.calls.elected]).toEqual([false, 1]);
    await other.e.resign();
  });

  it("a leader whose database session died is deposed once another process took the lease", async () => {
    const { one, other } = await two();
    await one.e.tick();
    expect(one.e.isLeader).toBe(true);
    // Kill the session holding the advisory lock (what a network cut or a database restart does).
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const dbName = new URL(url).pathname.slice(1);
      const killed = await admin.query(
        `select pg_terminate_backend(l.pid) as ok from pg_locks l join pg_database d on d.oid = l.database
         where l.locktype = 'advisory' and l.granted and d.datname = $1
           and ((l.classid::bigint << 32) | l.objid::bigint) = 461530883385`, // the leader lease, not the processes' presence
        [dbName],
      );
      expect(killed.rows).toHaveLength(1);
    } finally {
      await admin.end();
    }
    // The lock goes with the session; the other process takes it on one of its ticks.
    await waitFor(async () => {
      await other.e.tick();
      return other.e.isLeader;
    }, 5000);
    expect(one.calls.deposed).toBe(0); // the old leader has not asked yet
    await one.e.tick(); // asks again: the lease is gone -> deposed
    expect([one.e.isLeader, one.e.leaderSince, one.calls.deposed]).toEqual([false, 0, 1]);
    await one.e.tick(); // still not leading: no second deposition
    expect(one.calls.deposed).toBe(1);
    await other.e.resign();
  });
});
