import type { Database } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, freshPostgres, postgresRequiredButMissing, waitFor, type Harness } from "../harness.js";
import { attachControlPlane, dbPod, readyNode, sleep, openMemoryDatabase } from "./support.js";

const pgUrl = process.env.KUBE9_TEST_PG_URL;

it("the PostgreSQL scheduler cases run when CI requires it", () => {
  expect(postgresRequiredButMissing(), "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

describe("scheduler controller (PGlite)", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;

  beforeAll(async () => {
    shared = await openMemoryDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    // Not started: the scheduler runs only when the test calls runPass() or start().
    h = await createHarness({ db: shared.db });
  });
  afterEach(async () => {
    await h.close();
  });

  const status = async (name: string) => (await dbPod(h, name)).status;

  it("serves the Pending queue oldest first: the oldest pod gets the room that appears", async () => {
    await readyNode(h, "one", 1);
    await h.admin.pods.launch({ name: "filler", cpu: 1 }); // 1 - 1 = 0 cores free
    // Created first but named last, so an order by name (or newest first) would pick the other pod.
    const old = await h.admin.pods.launch({ name: "zz-old", cpu: 1 });
    h.clock.now += 10;
    const young = await h.admin.pods.launch({ name: "aa-young", cpu: 0.5 });
    expect([old.pod.status, young.pod.status]).toEqual(["Pending", "Pending"]);
    expect(h.cp.cache.pendingPods().map((p) => p.name)).toEqual(["zz-old", "aa-young"]);

    await h.admin.pods.delete({ name: "filler" }); // 1 core free again (its kick is ignored: not started)
    expect(await status("zz-old")).toBe("Pending");
    await h.cp.scheduler.runPass();
    // zz-old (1 core) takes the whole core: 1 - 1 = 0 left, so aa-young (0.5) no longer fits.
    // Newest first would have placed aa-young (1 - 0.5 = 0.5 left) and left zz-old waiting.
    expect(await dbPod(h, "zz-old")).toMatchObject({ status: "Scheduled", nodeName: "one" });
    expect(await dbPod(h, "aa-young")).toMatchObject({ status: "Pending", nodeId: null });
    expect(h.cp.cache.pendingPods().map((p) => p.name)).toEqual(["aa-young"]);
  });

  it("ignores kick() while stopped; a started scheduler places pods without an explicit pass", async () => {
    await readyNode(h, "one", 1);
    await h.admin.pods.launch({ name: "filler", cpu: 1 });
    await h.admin.pods.launch({ name: "waiting", cpu: 1 }); // 0 cores free: Pending
    await h.admin.pods.delete({ name: "filler" }); // frees 1 core (waiting waits out its 1 s backoff) and kicks
    h.cp.scheduler.kick();
    await sleep(150); // a pass takes a few ms; none ran
    expect(await status("waiting")).toBe("Pending");

    h.cp.scheduler.start(); // start() asks for a pass at once
    try {
      await waitFor(async () => (await status("waiting")) === "Scheduled", 800);
      // Room appears while it runs: deleting "waiting" kicks it, and "second" moves in.
      await h.admin.pods.launch({ name: "second", cpu: 1 });
      expect(await status("second")).toBe("Pending");
      h.clock.now += 1000; // second's backoff after its first failure (1 s) is over
      await h.admin.pods.delete({ name: "waiting" });
      await waitFor(async () => (await status("second")) === "Scheduled", 1500);
    } finally {
      await h.cp.scheduler.stop();
    }

    // Stopped again: the kick of a delete (or our own) runs no pass.
    await h.admin.pods.launch({ name: "third", cpu: 1 });
    await h.admin.pods.delete({ name: "second" });
    h.cp.scheduler.kick();
    await sleep(150);
    expect(await status("third")).toBe("Pending");
  });

  it("an eviction still places pods on a process whose scheduler loop was stopped (a deposed leader)", async () => {
    const a = await readyNode(h, "a", 1);
    await readyNode(h, "b", 1);
    await h.admin.pods.launch({ name: "p", cpu: 1, algorithm: "first-fit" }); // a registered first: p on a
    h.cp.scheduler.start();
    await h.cp.scheduler.stop(); // what losing the lease does
    await h.cp.lifecycle.agentExited({ nodeId: a.nodeId, description: "agent process killed by SIGKILL" });
    // a failed: p (1 core) moves to b (1 - 1 = 0 left) within the eviction, loop or no loop.
    expect(await dbPod(h, "p")).toMatchObject({ status: "Scheduled", nodeName: "b", restarts: 1 });
  });

  it("records FailedScheduling once per distinct message, not on every pass", async () => {
    await readyNode(h, "small", 1);
    const r = await h.admin.pods.launch({ name: "big", cpu: 2 }); // 2 cores > 1 core: fits nowhere
    expect(r.scheduled).toBe(false);
    const failures = async () =>
      (await h.admin.events.list({ objectName: "big" })).filter((e) => e.reason === "FailedScheduling").map((e) => e.message);
    expect(await failures()).toHaveLength(1);
    // Three more passes with the same verdict: still one event.
    for (let i = 0; i < 3; i++) await h.cp.scheduler.runPass();
    expect(await failures()).toHaveLength(1);
    expect((await failures())[0]).toMatch(/^0\/1 nodes are available/);

    // A second node that is also too small (1.5 < 2 cores) cannot make big fit, so big is not retried at
    // once; its retry after 60 s among the unschedulable pods sees the new message: one new event, then quiet again.
    await readyNode(h, "medium", 1.5);
    await h.cp.scheduler.runPass();
    expect(await failures()).toHaveLength(1);
    h.clock.now += 60_000;
    await h.cp.scheduler.runPass();
    await h.cp.scheduler.runPass();
    const msgs = await failures();
    expect(msgs).toHaveLength(2);
    expect(msgs[1]).toMatch(/^0\/2 nodes are available/);
    expect(await dbPod(h, "big")).toMatchObject({ status: "Pending", reason: "FailedScheduling", message: msgs[1] });
  });

  // The queue: retries on events that can make a pod fit, a backoff otherwise (tick() is the loop's own pass).
  const failures = async (name: string) =>
    (await h.admin.events.list({ objectName: name })).filter((e) => e.reason === "FailedScheduling").map((e) => e.message);

  it("a pod that fits nowhere is not retried every second while nothing changes, only after 60 s", async () => {
    await readyNode(h, "small", 1);
    await h.admin.pods.launch({ name: "big", cpu: 2 }); // 2 cores > 1: the launch's attempt fails
    const { scheduler } = h.cp;
    const before = scheduler.attempts;
    expect(scheduler.queueStats()).toMatchObject({ active: 0, backoff: 0, unschedulable: 1 });
    for (let s = 1; s < 60; s++) {
      h.clock.now += 1000;
      await scheduler.tick();
    }
    expect(scheduler.attempts - before).toBe(0); // 59 one-second passes, no attempt
    h.clock.now += 1000; // 60 s among the unschedulable pods: flushed
    await scheduler.tick();
    expect(scheduler.attempts - before).toBe(1);
    expect(await status("big")).toBe("Pending");
    expect(await failures("big")).toHaveLength(1); // same verdict, same message: no second event
  });

  it("is retried at once when a node that fits it is added", async () => {
    await readyNode(h, "small", 1);
    await h.admin.pods.launch({ name: "big", cpu: 2 });
    h.clock.now += 1000; // the first backoff (1 s) is over
    const before = h.cp.scheduler.attempts;
    await readyNode(h, "large", 4); // 4 cores >= 2
    expect(h.cp.scheduler.queueStats()).toMatchObject({ active: 1, unschedulable: 0 });
    await h.cp.scheduler.tick();
    expect(h.cp.scheduler.attempts - before).toBe(1);
    expect(await dbPod(h, "big")).toMatchObject({ status: "Scheduled", nodeName: "large" });
  });

  it("is retried at once when a pod is deleted and its room fits", async () => {
    await readyNode(h, "one", 1);
    await h.admin.pods.launch({ name: "filler", cpu: 1 });
    await h.admin.pods.launch({ name: "waiting", cpu: 1 }); // 1 - 1 = 0 free
    h.clock.now += 1000;
    await h.admin.pods.delete({ name: "filler" }); // 1 core free again
    await h.cp.scheduler.tick();
    expect(await dbPod(h, "waiting")).toMatchObject({ status: "Scheduled", nodeName: "one" });
  });

  it("room that appears within the backoff is tried when the backoff ends; a node too small moves nothing", async () => {
    await readyNode(h, "small", 1);
    await h.admin.pods.launch({ name: "big", cpu: 2 }); // fails at t0: backoff until t0 + 1 s
    await readyNode(h, "medium", 1.5); // 1.5 < 2 cores: cannot help
    expect(h.cp.scheduler.queueStats()).toMatchObject({ backoff: 0, unschedulable: 1 });
    h.clock.now += 400;
    await readyNode(h, "large", 4); // fits, but t0 + 0.4 s < t0 + 1 s
    expect(h.cp.scheduler.queueStats()).toMatchObject({ backoff: 1, unschedulable: 0 });
    await h.cp.scheduler.tick();
    expect(await status("big")).toBe("Pending");
    h.clock.now += 600; // t0 + 1 s
    await h.cp.scheduler.tick();
    expect(await dbPod(h, "big")).toMatchObject({ status: "Scheduled", nodeName: "large" });
  });

  it("pods a new process loads from the database are queued, though loading announces nothing", async () => {
    await readyNode(h, "small", 1);
    await h.admin.pods.launch({ name: "big", cpu: 2 }); // Pending in the database
    const next = await attachControlPlane(h.db, h.clock); // loads the cache: no pod events
    try {
      await next.cp.scheduler.runPass();
      expect(next.cp.scheduler.queueStats()).toMatchObject({ unschedulable: 1 }); // tried once, fits nowhere
      await readyNode(next, "large", 4);
      await next.cp.scheduler.runPass();
      expect(await dbPod(h, "big")).toMatchObject({ status: "Scheduled", nodeName: "large" });
    } finally {
      await next.close();
    }
  });

  it("describe still explains every node of a pod that fits nowhere, and the event counts them", async () => {
    await readyNode(h, "a", 1);
    await readyNode(h, "b", 1, 512);
    await h.admin.nodes.add({ name: "c", cpu: 8 }); // never registers: Provisioning
    const r = await h.admin.pods.launch({ name: "big", cpu: 2, memoryMiB: 1024 });
    // a: 1 core < 2; b: 1 core < 2 and 512Mi < 1024Mi; c: not Ready
    expect(r.message).toBe("0/3 nodes are available: 2 Insufficient cpu, 1 Insufficient memory, 1 node is Provisioning.");
    expect(await failures("big")).toEqual([r.message]);
    const { fits } = await h.admin.pods.get({ name: "big" });
    expect(fits.map((f) => [f.nodeName, f.feasible, f.reasons.length])).toEqual([
      ["a", false, 1],
      ["b", false, 2],
      ["c", false, 1],
    ]);
    expect(fits[1]!.reasons).toEqual(["Insufficient cpu: requested 2000m, free 1000m of 1000m", "Insufficient memory: requested 1024Mi, free 512Mi of 512Mi"]);
  });
});

describe.runIf(pgUrl)("scheduler controller (PostgreSQL, two control planes)", () => {
  let a: Harness;
  let b: Harness;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshPostgres(pgUrl!);
    drop = fresh.drop;
    a = await createHarness({ url: fresh.url });
    b = await createHarness({ url: fresh.url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
  });

  it("two schedulers binding the same queue at once never overcommit a node", async () => {
    // 40 pods of 1 core, created while no node exists: all Pending.
    for (let i = 0; i < 40; i++) await a.admin.pods.launch({ name: `p${i}`, cpu: 1 });
    // 5 nodes x 4 cores = 20 slots.
    for (let i = 0; i < 5; i++) await readyNode(a, `n${i}`, 4);
    await b.cp.init(); // b reads the queue and the nodes from the database, as a second API process
    expect(b.cp.cache.pendingPods()).toHaveLength(40);

    await Promise.all([a.cp.scheduler.runPass(), b.cp.scheduler.runPass()]);

    const pods = await a.db.pods.list();
    expect(pods.filter((p) => p.status === "Scheduled")).toHaveLength(20); // 20 slots, 20 placed
    expect(pods.filter((p) => p.status === "Pending")).toHaveLength(20);
    for (const n of await a.db.nodes.list()) {
      const bound = pods.filter((p) => p.nodeId === n.id);
      expect(bound.length).toBeLessThanOrEqual(4); // 4 cores / 1 core
      expect(n.allocated.cpuMilli).toBe(bound.reduce((s, p) => s + p.request.cpuMilli, 0));
      expect(n.allocated.cpuMilli).toBeLessThanOrEqual(n.capacity.cpuMilli);
    }
    // Each pod got exactly one Scheduled event, whichever scheduler bound it.
    const scheduledEvents = (await a.db.events.list({ limit: 1000 })).filter((e) => e.reason === "Scheduled");
    expect(scheduledEvents).toHaveLength(20);
    expect(new Set(scheduledEvents.map((e) => e.objectId)).size).toBe(20);
  });
});
