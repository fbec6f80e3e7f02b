import type { Database } from "@kube9/db";
import { rawSql } from "@kube9/db/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LeaseWriter } from "../../src/controllers/lease-writer.js";
import { LeaseBuffer } from "../../src/lease-buffer.js";
import { createLogger } from "../../src/logger.js";
import { createHarness, waitFor, type Harness } from "../harness.js";
import { beat, readyNode, sleep, openMemoryDatabase } from "./support.js";

describe("lease-writer controller", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;
  let logs: string[];

  beforeAll(async () => {
    shared = await openMemoryDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    h = await createHarness({ db: shared.db });
    logs = [];
  });
  afterEach(async () => {
    await h.close();
  });

  /** A lease writer of its own over a buffer of its own, on the harness's real database. */
  function writer(): { buffer: LeaseBuffer; writer: LeaseWriter } {
    const buffer = new LeaseBuffer(h.db);
    return { buffer, writer: new LeaseWriter(buffer, createLogger({ level: "warn", write: (l) => logs.push(l) })) };
  }

  const leaseOf = async (id: string) => {
    const row = await h.db.nodes.get(id);
    return { at: row!.lastHeartbeatAt, usage: row!.usage };
  };

  it("heartbeats reach the lease table only when flushed, in one write per flush", async () => {
    const n = await readyNode(h, "n", 1);
    const m = await readyNode(h, "m", 1);
    const t0 = h.clock.now;
    const { buffer, writer: w } = writer();
    buffer.beat(n.nodeId, t0 + 1000, { cpuMilli: 250, memoryMiB: 64 });
    buffer.beat(m.nodeId, t0 + 1100, null);
    // The hot path wrote nothing yet (the harness's own writer is not running either).
    expect((await leaseOf(n.nodeId)).at).toBeNull();
    await w.tick();
    expect(await leaseOf(n.nodeId)).toEqual({ at: t0 + 1000, usage: { cpuMilli: 250, memoryMiB: 64 } });
    expect((await leaseOf(m.nodeId)).at).toBe(t0 + 1100);
    // A lease never moves back: an older beat flushed later (another process's buffer) is ignored.
    const other = writer();
    other.buffer.beat(n.nodeId, t0 + 500, null);
    await other.writer.tick();
    expect((await leaseOf(n.nodeId)).at).toBe(t0 + 1000);
  });

  it("a running control plane's lease writer stores agent heartbeats within its 0.5 s period; stop() writes the rest", async () => {
    const n = await readyNode(h, "n", 1);
    const t0 = h.clock.now;
    await h.cp.start();
    h.clock.now = t0 + 1234;
    await beat(n);
    await waitFor(async () => (await leaseOf(n.nodeId)).at === t0 + 1234, 2000);
    h.clock.now = t0 + 2345;
    await beat(n);
    await h.cp.stop(); // the last beat is written on the way out, without waiting for the period
    expect((await leaseOf(n.nodeId)).at).toBe(t0 + 2345);
  });

  it("a stopped writer writes no more on its own", async () => {
    const n = await readyNode(h, "n", 1);
    const t0 = h.clock.now;
    const { buffer, writer: w } = writer();
    w.start();
    buffer.beat(n.nodeId, t0 + 100, null);
    await waitFor(async () => (await leaseOf(n.nodeId)).at === t0 + 100, 2000); // within one 0.5 s period
    await w.stop();
    buffer.beat(n.nodeId, t0 + 200, null);
    await sleep(650); // more than one 0.5 s period
    expect((await leaseOf(n.nodeId)).at).toBe(t0 + 100);
  });

  it("a failed flush keeps the beats for the next one (newer beats win)", async () => {
    const n = await readyNode(h, "n", 1);
    const m = await readyNode(h, "m", 1);
    const t0 = h.clock.now;
    const { buffer, writer: w } = writer();
    buffer.beat(n.nodeId, t0 + 100, null);
    buffer.beat(m.nodeId, t0 + 100, null);
    const sql = rawSql(h.db);
    // Take the lease table away: the flush statement fails in the database itself.
    await sql.rows("alter table node_lease rename to node_lease_away");
    try {
      await w.tick(); // resolves: the writer logs and keeps the beats
    } finally {
      await sql.rows("alter table node_lease_away rename to node_lease");
    }
    expect(logs.some((l) => l.includes("writing heartbeat leases failed; will retry"))).toBe(true);
    expect((await leaseOf(n.nodeId)).at).toBeNull();
    buffer.beat(n.nodeId, t0 + 300, null); // n beats again meanwhile; m does not
    await w.tick();
    expect((await leaseOf(n.nodeId)).at).toBe(t0 + 300); // the newer beat, not the kept t0 + 100
    expect((await leaseOf(m.nodeId)).at).toBe(t0 + 100); // kept from the failed flush
  });
});
