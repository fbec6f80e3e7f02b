import type { Database, NodeRecord, PodRecord } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { CacheResync } from "../../src/controllers/cache-resync.js";
import { LeaseBuffer } from "../../src/lease-buffer.js";
import { createLogger } from "../../src/logger.js";
import { createHarness, waitFor, type Harness } from "../harness.js";
import { attachControlPlane, openMemoryDatabase, readyNode, sleep } from "./support.js";

/**
 * Two control planes on one PGlite handle, as two API processes look: `here` is the process whose
 * cache is under test, `there` the other one whose writes reach `here` only through a resync.
 */
describe("cluster cache and the cache-resync controller", () => {
  let shared: { db: Database; close(): Promise<void> };
  let here: Harness;
  let there: Harness;

  beforeAll(async () => {
    shared = await openMemoryDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    here = await createHarness({ db: shared.db });
    there = await attachControlPlane(shared.db, { now: here.clock.now });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await there.close();
    await here.close();
  });

  // What this process's cache holds (findNode/findPod would ask the database).
  const cached = (name: string) => here.cp.cache.nodes().find((n) => n.name === name);
  const cachedPod = (name: string) => here.cp.cache.pods().find((p) => p.name === name);

  it("settings and nodes changed by another process arrive with resyncNodes (added, changed, removed)", async () => {
    await readyNode(there, "n", 2);
    await there.admin.cluster.setAlgorithm({ algorithm: "worst-fit" });
    expect(await here.admin.nodes.list()).toEqual([]);
    expect(here.cp.cache.settings.algorithm).toBe("best-fit");
    await here.cp.cache.resyncNodes();
    expect((await here.admin.nodes.list()).map((n) => [n.name, n.status])).toEqual([["n", "Ready"]]);
    expect(here.cp.cache.settings.algorithm).toBe("worst-fit");
    // The other process removes it: gone here after the next resync, not before.
    await there.admin.nodes.remove({ name: "n" });
    expect(cached("n")).toBeDefined();
    await here.cp.cache.resyncNodes();
    expect(cached("n")).toBeUndefined();
    expect(await here.admin.nodes.list()).toEqual([]);
  });

  it("between full reads a resync reads only changed rows and the nodes' leases: changes, beats and removals arrive all the same", async () => {
    await readyNode(there, "n", 2);
    await readyNode(there, "m", 2);
    await here.cp.cache.resyncNodes(); // full: both arrive
    const rows = vi.spyOn(shared.db.nodes, "list");
    // Another process changes n's row and flushes a beat of m: the next changed-rows read sees both, without listing every node.
    await shared.db.nodes.transition(cached("n")!.id, "Cordoned", { now: here.clock.now + 1, reason: "cordoned elsewhere" });
    const beatAt = here.clock.now + 1234;
    await shared.db.leases.flush([{ nodeId: cached("m")!.id, at: beatAt, usage: { cpuMilli: 7, memoryMiB: 8 } }]);
    await here.cp.cache.resyncNodes(false);
    expect(rows).not.toHaveBeenCalled();
    expect(cached("n")?.status).toBe("Cordoned");
    expect(cached("m")).toMatchObject({ lastHeartbeatAt: beatAt, usage: { cpuMilli: 7, memoryMiB: 8 } });
    // A node removed by the other process (its row deleted) is gone here after the next pass too.
    await there.admin.nodes.remove({ name: "n" });
    await here.cp.cache.resyncNodes(false);
    expect(cached("n")).toBeUndefined();
    expect(cached("m")).toBeDefined();
  });

  it("between full reads only the leases of the nodes asked about are read: those whose beats this process does not hear", async () => {
    await readyNode(there, "n", 2);
    await readyNode(there, "m", 2);
    await here.cp.cache.resyncNodes();
    const leases = vi.spyOn(shared.db.nodes, "leases");
    const beatAt = here.clock.now + 777;
    await shared.db.leases.flush([
      { nodeId: cached("n")!.id, at: beatAt, usage: null },
      { nodeId: cached("m")!.id, at: beatAt, usage: null },
    ]);
    // Only m is quiet here: the lease read asks about m alone, and its beat arrives.
    await here.cp.cache.resyncNodes(false, [cached("m")!.id]);
    expect(leases).toHaveBeenLastCalledWith([cached("m")!.id]);
    expect(await leases.mock.results[0]?.value).toEqual([expect.objectContaining({ nodeId: cached("m")!.id, renewedAt: beatAt })]);
    expect(cached("m")?.lastHeartbeatAt).toBe(beatAt);
    // Nobody quiet (every node beats here, as with one API process): no lease read at all.
    leases.mockClear();
    await here.cp.cache.resyncNodes(false, []);
    expect(await leases.mock.results[0]?.value).toEqual([]);
    // A quiet node removed elsewhere is dropped by the same read.
    await there.admin.nodes.remove({ name: "m" });
    await here.cp.cache.resyncNodes(false, [cached("m")!.id]);
    expect(cached("m")).toBeUndefined();
    expect(cached("n")).toBeDefined();
  });

  it("a full read goes page by page: 2,500 nodes made elsewhere all arrive, and one deleted elsewhere is dropped", async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      name: `bulk-${i}`,
      role: "worker" as const,
      runtime: "external" as const,
      capacity: { cpuMilli: 1000, memoryMiB: 1024 },
      labels: {},
      credentialHash: "",
      now: here.clock.now,
    }));
    await shared.db.nodes.createMany(rows);
    const list = vi.spyOn(shared.db.nodes, "list");
    await here.cp.cache.resyncNodes();
    // 2,500 rows in pages of 1,000: three reads, each after the last seq of the one before.
    expect(list).toHaveBeenCalledTimes(3);
    expect(list.mock.calls[0]![0]).toEqual({ limit: 1000 });
    expect(list.mock.calls[1]![0]).toMatchObject({ limit: 1000, afterSeq: expect.any(Number) });
    expect(here.cp.cache.nodes().filter((n) => n.name.startsWith("bulk-"))).toHaveLength(2500);
    await shared.db.nodes.delete(rows[1234]!.id);
    await here.cp.cache.resyncNodes();
    expect(cached("bulk-1234")).toBeUndefined();
    expect(here.cp.cache.nodes().filter((n) => n.name.startsWith("bulk-"))).toHaveLength(2499);
  });

  it("after the first full read, a full read fetches only the rows written since (ids and write times compared first)", async () => {
    await readyNode(there, "n", 2);
    await readyNode(there, "m", 2);
    await here.cp.cache.resyncNodes(); // the first full read: every row
    const list = vi.spyOn(shared.db.nodes, "list");
    const getMany = vi.spyOn(shared.db.nodes, "getMany");
    await here.cp.cache.resyncNodes(); // nothing written since: no row read
    expect(list).not.toHaveBeenCalled();
    expect(getMany).not.toHaveBeenCalled();
    await shared.db.nodes.transition(cached("n")!.id, "Cordoned", { now: here.clock.now + 5, reason: "cordoned elsewhere" });
    await here.cp.cache.resyncNodes();
    expect(getMany).toHaveBeenCalledTimes(1);
    expect(getMany.mock.calls[0]![0]).toEqual([cached("n")!.id]);
    expect(cached("n")?.status).toBe("Cordoned");
    expect(list).not.toHaveBeenCalled();
  });

  it("a changed-rows pass reads a row written since once, not again on each pass while it is in the look-back", async () => {
    await readyNode(there, "n", 2);
    await here.cp.cache.resyncNodes();
    const getMany = vi.spyOn(shared.db.nodes, "getMany");
    await shared.db.nodes.transition(cached("n")!.id, "Cordoned", { now: here.clock.now + 5, reason: "cordoned elsewhere" });
    await here.cp.cache.resyncNodes(false, []);
    expect(getMany).toHaveBeenCalledTimes(1);
    expect(cached("n")?.status).toBe("Cordoned");
    // Still within the 5 s look-back, but its version is known now: nothing read.
    await here.cp.cache.resyncNodes(false, []);
    await here.cp.cache.resyncNodes(false, []);
    expect(getMany).toHaveBeenCalledTimes(1);
  });

  it("the lease buffer names the nodes it has not heard from since a time", () => {
    const buffer = new LeaseBuffer(shared.db);
    buffer.beat("a", 1000, null);
    buffer.beat("b", 3000, null);
    // Since 2000: a beat at 1000 (quiet), b at 3000 (heard), c never (quiet).
    expect(buffer.quiet(["a", "b", "c"], 2000)).toEqual(["a", "c"]);
  });

  it("pods arrive with resyncPods; a node whose allocation moved has its pods re-read by resyncNodes", async () => {
    await readyNode(there, "n", 2);
    await here.cp.cache.resyncNodes();
    await there.admin.pods.launch({ name: "p", cpu: 1 }); // bound on n by the other process
    expect(cachedPod("p")).toBeUndefined();
    await here.cp.cache.resyncPods();
    expect(cachedPod("p")).toMatchObject({ status: "Scheduled", nodeName: "n" });

    // Another bind on n moves its allocation (1 -> 2 cores): the node resync re-reads n's pods at once.
    await there.admin.pods.launch({ name: "q", cpu: 1 });
    await here.cp.cache.resyncNodes();
    expect(cachedPod("q")).toMatchObject({ status: "Scheduled", nodeName: "n" });
    expect(cached("n")!.allocated.cpuMilli).toBe(2000);
    // A delete there frees 1 core (2 -> 1): p leaves here with the node resync too.
    await there.admin.pods.delete({ name: "p" });
    await here.cp.cache.resyncNodes();
    expect(cachedPod("p")).toBeUndefined();
    expect(here.cp.cache.podsOn(cached("n")!.id).map((x) => x.name)).toEqual(["q"]);

    // A Pending pod touches no node: only the pod resync brings it, into the scheduler's queue.
    await there.admin.pods.launch({ name: "big", cpu: 8 });
    await here.cp.cache.resyncNodes();
    expect(cachedPod("big")).toBeUndefined();
    await here.cp.cache.resyncPods();
    expect(here.cp.cache.pendingPods().map((x) => x.name)).toEqual(["big"]);
    // Deleted there: gone here after the pod resync.
    await there.admin.pods.delete({ name: "big" });
    await here.cp.cache.resyncPods();
    expect(here.cp.cache.pendingPods()).toEqual([]);
  });

  it("a resync announces real changes only: a newer heartbeat or usage is stored quietly", async () => {
    const n = await readyNode(there, "n", 1);
    await here.cp.cache.resyncNodes();
    const announced: string[] = [];
    here.cp.cache.changes.on("node", (x) => announced.push(`${x.name}:${x.status}`));
    const t = here.clock.now + 5000;
    await shared.db.leases.flush([{ nodeId: n.nodeId, at: t, usage: { cpuMilli: 100, memoryMiB: 10 } }]); // the other's lease writer
    await here.cp.cache.resyncNodes();
    expect(announced).toEqual([]);
    expect(cached("n")).toMatchObject({ lastHeartbeatAt: t, usage: { cpuMilli: 100, memoryMiB: 10 } });
    // A status change is news, told once.
    await there.cp.lifecycle.agentExited({ nodeId: n.nodeId, description: "exited" });
    await here.cp.cache.resyncNodes();
    await here.cp.cache.resyncNodes();
    expect(announced).toEqual(["n:Failed"]);
  });

  /** Lets the database answer a list call, then holds the (real) rows until release(): a slow read. */
  function holdList<T>(repo: { list(...args: never[]): Promise<T[]> }, method: "list" | "getMany" = "list") {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const read: T[][] = [];
    const target = repo as unknown as Record<string, (...args: unknown[]) => Promise<T[]>>;
    const original = target[method]!.bind(repo);
    vi.spyOn(target, method).mockImplementation(async (...args: unknown[]) => {
      const rows = await original(...args);
      read.push(rows);
      await gate;
      return rows;
    });
    return { read, release: () => release() };
  }

  it("a node resync does not roll back a local write made after it began reading", async () => {
    const n = await readyNode(there, "n", 1);
    const m = await readyNode(there, "m", 1);
    await here.cp.cache.resyncNodes();
    // Before the resync begins, the other process fails m: that must arrive. n's row is written too
    // (its kubelet address), so this full read, which reads only rows written since the last, reads it.
    await there.cp.lifecycle.agentExited({ nodeId: m.nodeId, description: "m exited" });
    await shared.db.nodes.setKubelet(n.nodeId, null, here.clock.now);

    const held = holdList<NodeRecord>(shared.db.nodes, "getMany");
    const resync = here.cp.cache.resyncNodes();
    await waitFor(async () => held.read.length > 0); // read done: n Ready, m Failed
    // This process fails n after the read: a local write the stale row must not undo.
    await here.cp.lifecycle.agentExited({ nodeId: n.nodeId, description: "n exited" });
    expect(cached("n")!.status).toBe("Failed");
    held.release();
    await resync;
    vi.restoreAllMocks();

    expect(held.read[0]!.find((r) => r.id === n.nodeId)!.status).toBe("Ready"); // the resync really read a stale n
    expect(cached("n")!.status).toBe("Failed"); // kept
    expect(cached("m")!.status).toBe("Failed"); // the other process's change arrived in the same resync
  });

  it("a pod resync does not bring back a pod deleted here, nor unbind one bound here, after it began reading", async () => {
    await readyNode(here, "n", 1);
    await here.admin.pods.launch({ name: "filler", cpu: 1 });
    await here.admin.pods.launch({ name: "waiting", cpu: 1 }); // 1 - 1 = 0 free: Pending

    const held = holdList<PodRecord>(shared.db.pods);
    const resync = here.cp.cache.resyncPods();
    await waitFor(async () => held.read.length > 0); // read: filler Scheduled, waiting Pending
    await here.admin.pods.delete({ name: "filler" });
    await here.cp.scheduler.runPass(); // waiting takes the freed core
    held.release();
    await resync;
    vi.restoreAllMocks();

    const stale = held.read[0]!;
    expect(stale.map((p) => [p.name, p.status])).toEqual([
      ["filler", "Scheduled"],
      ["waiting", "Pending"],
    ]);
    expect(cachedPod("filler")).toBeUndefined();
    expect(cachedPod("waiting")).toMatchObject({ status: "Scheduled", nodeName: "n" });
    expect(here.cp.cache.pendingPods()).toEqual([]); // not queued again for a second binding
  });

  it("the cache-resync controller refreshes nodes every second while started, and not after stop()", async () => {
    const resync = new CacheResync(here.cp.cache, createLogger({ level: "error" }));
    resync.start();
    try {
      await readyNode(there, "early", 1);
      await waitFor(async () => cached("early")?.status === "Ready", 2500); // one 1 s period, plus slack
    } finally {
      await resync.stop();
    }
    await readyNode(there, "late", 1);
    await sleep(1150); // more than one 1 s period
    expect(cached("late")).toBeUndefined();
  });
});
