import type { Database } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LeaderElection } from "../../src/controllers/leader-election.js";
import { createHarness, freshPostgres, postgresRequiredButMissing, waitFor, type Harness } from "../harness.js";
import { beat, dbNode, dbPod, IDLE, openMemoryDatabase, readyNode, sleep } from "./support.js";

const pgUrl = process.env.KUBE9_TEST_PG_URL;

/** Timers alive in this process now (each controller loop is one setInterval). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

/** Resources that keep the event loop (and so the process) alive and were not there in `before`: timers, sockets, handles. */
function leftOver(before: string[]): string[] {
  const left = [...before];
  const extra: string[] = [];
  for (const r of process.getActiveResourcesInfo()) {
    const i = left.indexOf(r);
    if (i >= 0) left.splice(i, 1);
    else extra.push(r);
  }
  return extra;
}

/** Whether the control plane holds the leader lease (the election is internal to the wiring). */
const leads = (h: Harness) => (h.cp as unknown as { election: LeaderElection }).election.isLeader;

it("the PostgreSQL wiring case runs when CI requires it", () => {
  expect(postgresRequiredButMissing(), "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

describe("control-plane wiring (PGlite)", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;

  beforeAll(async () => {
    shared = await openMemoryDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    h = await createHarness({ db: shared.db });
  });
  afterEach(async () => {
    await h.close();
  });

  it("start() runs the always-on and the leader-only controllers; stop() stops them all and leaves nothing that keeps the process alive", async () => {
    const t0 = h.clock.now;
    await readyNode(h, "quiet", 1); // registers at t0, then silent
    const broken = await readyNode(h, "broken", 1);
    await h.admin.pods.launch({ name: "big", cpu: 4 }); // fits no node yet: Pending
    const busy = await readyNode(h, "busy", 8); // room for big, but no pass runs before start()
    await h.cp.lifecycle.agentExited({ nodeId: broken.nodeId, description: "exited" }); // Failed at t0
    await h.db.cluster.update({ algorithm: "first-fit" }); // behind the cache's back, like another process
    h.clock.now = t0 + 3100;
    await beat(busy); // busy is fresh; quiet has been silent 3.1 s
    expect((await dbPod(h, "big")).status).toBe("Pending");
    expect(h.cp.cache.settings.algorithm).toBe("best-fit");
    expect((await h.db.nodes.get(busy.nodeId))!.lastHeartbeatAt).toBeNull();

    const idle = timers();
    const idleResources = process.getActiveResourcesInfo();
    await h.cp.start();
    // Six loops now: leader-election, cache-resync, lease-writer, scheduler, node-lifecycle, node-recovery.
    expect(timers() - idle).toBeGreaterThanOrEqual(6);
    // scheduler (start() runs a pass): big (4 cores) goes to busy (8 cores).
    await waitFor(async () => (await dbPod(h, "big")).nodeName === "busy", 2000);
    // node-lifecycle (every 0.25 s): quiet silent 3.1 s > 3 s -> Suspect.
    await waitFor(async () => (await dbNode(h, "quiet")).status === "Suspect", 2000);
    // node-recovery (every 0.25 s): broken Failed for 3.1 s >= the 1 s interval -> Recovering.
    await waitFor(async () => (await dbNode(h, "broken")).status === "Recovering", 2000);
    // cache-resync (every 1 s): the settings changed behind the cache arrive.
    await waitFor(async () => h.cp.cache.settings.algorithm === "first-fit", 2500);
    // lease-writer (every 0.5 s): busy's beat reaches the lease table.
    await waitFor(async () => (await h.db.nodes.get(busy.nodeId))!.lastHeartbeatAt === t0 + 3100, 2000);

    await h.cp.stop();
    // Every interval cleared and nothing else left that would keep the process from exiting
    // (an event batch waits for the next turn of the event loop, hence the short wait).
    await waitFor(async () => leftOver(idleResources).length === 0, 1000).catch(() => undefined);
    expect(leftOver(idleResources)).toEqual([]);
    // Nothing acts any more: at t0 + 60 s busy is silent 56.9 s, which a running node-lifecycle
    // (every 0.25 s) would fail.
    h.clock.now = t0 + 60_000;
    await sleep(400);
    expect((await dbNode(h, "busy")).status).toBe("Ready");
  });
});

describe.runIf(pgUrl)("control-plane wiring (PostgreSQL, two control planes on one database)", () => {
  let a: Harness;
  let b: Harness;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshPostgres(pgUrl!);
    drop = fresh.drop;
    a = await createHarness({ url: fresh.url }); // init() takes the free lease
    b = await createHarness({ url: fresh.url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
  });

  it("only one leads; the other runs only the always-on controllers; when the leader stops and resigns the other takes over within its 2 s election period", async () => {
    expect([leads(a), leads(b)]).toEqual([true, false]);
    await a.cp.start();
    await b.cp.start();
    expect([leads(a), leads(b)]).toEqual([true, false]);

    const n = await readyNode(a, "n", 1); // made through a
    // b's cache-resync (always on) brings it within its 1 s period.
    await waitFor(async () => b.cp.cache.nodes().some((x) => x.name === "n" && x.status === "Ready"), 2500);
    // b's lease-writer (always on) writes a beat that reached b.
    b.clock.now = a.clock.now + 500;
    const viaB = await b.as(n.token);
    await viaB.agent.heartbeat({ nodeId: n.nodeId, podIds: [], usage: IDLE, components: {} });
    await waitFor(async () => (await a.db.nodes.get(n.nodeId))!.lastHeartbeatAt === b.clock.now, 2000);
    // b's leader-only controllers do not run: with b's clock 60 s past the beat, its node-lifecycle
    // would fail n within 0.25 s (a's clock is still at the beat: silent 0 s for a).
    b.clock.now += 60_000;
    await sleep(500); // two 0.25 s periods
    expect((await dbNode(a, "n")).status).toBe("Ready");
    expect(leads(b)).toBe(false);

    await a.cp.stop(); // stops a's controllers, then resigns
    const resigned = Date.now();
    expect(leads(a)).toBe(false);
    await waitFor(async () => leads(b), 4000);
    // b asks every 2 s: it leads within one period (+ up to 1 s for its tick on a loaded machine).
    expect(Date.now() - resigned).toBeLessThanOrEqual(3000);
    // b leads now, from b's now: n gets a full period, so it is not failed for b's 60 s jump.
    const electedAt = b.clock.now;
    await sleep(300); // > one 0.25 s node-lifecycle period
    expect((await dbNode(b, "n")).status).toBe("Ready");
    // 5.1 s after b's election > 5 s: b's node-lifecycle (now running) fails n.
    b.clock.now = electedAt + 5100;
    await waitFor(async () => (await dbNode(b, "n")).status === "Failed", 2000);
  });
});
