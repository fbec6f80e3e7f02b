import type { Database } from "@kube9/db";
import { TRPCError } from "@trpc/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, freshPostgres, openTestDatabase, postgresRequiredButMissing, waitFor, type Harness } from "./harness.js";
import { sleep } from "./controllers/support.js";

// The autoscaler through the API with a hand-driven clock and a runtime that starts nothing (so
// nodes stay Provisioning unless the test registers them): bounds, timeouts and backoff, state that
// survives a restart, input errors, /metrics; and, on PostgreSQL, that only the leader scales.

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

describe("autoscaler (PGlite)", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;

  beforeAll(async () => {
    shared = await openTestDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    h = await createHarness({ db: shared.db });
  });
  afterEach(async () => {
    await h?.close();
  });

  const sizeOf = async (name: string) => (await h.admin.nodeGroups.get({ name })).size;
  const reasons = async () => (await h.admin.events.list({ limit: 500 })).map((e) => `${e.reason}: ${e.message}`);

  it("grows to min at once; a node not Ready within the timeout is removed and the group backs off; the state survives a restart", async () => {
    await h.admin.nodeGroups.create({ name: "g", min: 2, max: 4, cpu: 1, settings: { nodeReadyTimeout: "5s" } });
    await h.cp.autoscaler.tick();
    expect(await sizeOf("g")).toBe(2);
    expect((await reasons()).some((r) => /^ScaledUpGroup: group g is below its minimum size 2: added 2 node\(s\)/.test(r))).toBe(true);
    // Nobody registers the nodes (the scripted runtime starts nothing): 5.1 s later both are removed, backoff 10 s.
    h.clock.now += 5100;
    await h.cp.autoscaler.tick();
    const st = (await h.admin.nodeGroups.get({ name: "g" })).status;
    expect(st.backoffMs).toBe(10_000);
    expect(st.backoffUntil).toBe(h.clock.now + 10_000);
    expect((await reasons()).filter((r) => r.startsWith("ScaleUpTimedOut:"))).toHaveLength(1);
    // The same pass grows back to min (the minimum is kept even in backoff); a second timeout doubles it.
    expect(await sizeOf("g")).toBe(2);
    h.clock.now += 5100;
    await h.cp.autoscaler.tick();
    expect((await h.admin.nodeGroups.get({ name: "g" })).status.backoffMs).toBe(20_000);

    // A restart: the group, its nodes and its status come back from the database.
    await h.cp.stop();
    const again = await createHarness({ db: shared.db, keep: true });
    try {
      const g = await again.admin.nodeGroups.get({ name: "g" });
      expect(g).toMatchObject({ min: 2, max: 4, size: 2 });
      expect(g.status.backoffMs).toBe(20_000);
      expect((await again.admin.autoscaler.status()).groups[0]).toMatchObject({ name: "g", min: 2, size: 2, max: 4, upcoming: 2 });
    } finally {
      await again.close();
    }
  });

  it("scale by hand stays within min and max; a lowered max removes nodes; /metrics has the group", async () => {
    await h.admin.nodeGroups.create({ name: "s", min: 0, max: 3, cpu: 1 });
    expect((await h.admin.nodeGroups.scale({ name: "s", size: 3 })).size).toBe(3);
    expect(await failure(h.admin.nodeGroups.scale({ name: "s", size: 4 }))).toMatch(/^BAD_REQUEST: size: must be within the group's min 0 and max 3, got 4/);
    await h.admin.nodeGroups.applyManifest({
      manifest: { apiVersion: "kube9.io/v1", kind: "NodeGroup", metadata: { name: "s" }, spec: { minSize: 0, maxSize: 1, template: { cpu: "1", memory: "4Gi", runtime: "process" } } },
    });
    await h.cp.autoscaler.tick();
    expect(await sizeOf("s")).toBe(1);
    expect(h.cp.metricsText()).toMatch(/kube9_autoscaler_node_group_size\{group="s"\} 1/);
    expect(h.cp.metricsText()).toMatch(/kube9_autoscaler_node_group_max_size\{group="s"\} 1/);
    // A pod no group's template can take is told why (its selector matches no template), once a minute at most.
    await h.admin.pods.launch({ name: "lost", cpu: 1, nodeSelector: { disk: "ssd" } });
    await h.cp.autoscaler.tick();
    h.clock.now += 3000;
    await h.cp.autoscaler.tick();
    await h.cp.autoscaler.tick();
    const told = (await h.admin.events.list({ objectName: "lost" })).filter((e) => e.reason === "NotTriggerScaleUp");
    expect(told).toHaveLength(1);
    expect(told[0]!.message).toMatch(/^pod didn't trigger scale-up: .*s: .*disk/);
    const del = await h.admin.nodeGroups.delete({ name: "s" });
    expect(del.removedNodes).toHaveLength(1);
    expect(h.cp.cache.nodes()).toHaveLength(0);
  });

  it("keeps an empty node while pods that could run on it are still Pending (a burst the scheduler has not reached yet)", async () => {
    await h.admin.nodeGroups.create({ name: "k", min: 0, max: 2, cpu: 1, labels: { pool: "k" }, settings: { unneededTime: "2s", scaleDownDelayAfterAdd: "0s" } });
    await h.admin.nodeGroups.scale({ name: "k", size: 1 });
    // Launched while the node still starts: Pending. Then the node registers; no scheduler pass runs in this test.
    await h.admin.pods.launch({ name: "waiting", cpu: 0.5, nodeSelector: { pool: "k" } });
    const node = (await h.admin.nodeGroups.get({ name: "k" })).nodes[0]!.name;
    await (await h.agent(node)).agent.register({});
    await h.cp.autoscaler.tick();
    h.clock.now += 2500;
    await h.cp.autoscaler.tick();
    // Empty for 2.5 s > 2 s, but "waiting" could run there: it stays, and says why.
    expect(await sizeOf("k")).toBe(1);
    const blocked = (await h.admin.events.list({ objectName: node })).filter((e) => e.reason === "ScaleDownBlocked");
    expect(blocked.map((e) => e.message)).toEqual(["pods are Pending that could run on group k's nodes; no scale-down until they are placed"]);
    // Once the pod is gone the node goes (unneeded for 2.5 s already).
    await h.admin.pods.delete({ name: "waiting" });
    h.clock.now += 100;
    await h.cp.autoscaler.tick();
    expect(await sizeOf("k")).toBe(0);
  });

  it("bad input names the field and changes nothing; the group label is reserved", async () => {
    expect(await failure(h.admin.nodeGroups.create({ name: "b", min: 3, max: 2, cpu: 1 }))).toMatch(/^BAD_REQUEST: .*minSize/);
    expect(await failure(h.admin.nodeGroups.create({ name: "b", min: 0, max: 2, cpu: 1, settings: { unneededTime: "soon" } }))).toMatch(/^BAD_REQUEST: .*unneededTime/);
    expect(
      await failure(h.admin.nodeGroups.applyManifest({ manifest: { apiVersion: "kube9.io/v1", kind: "NodeGroup", metadata: { name: "b" }, spec: { minSize: 0, maxSize: 2, template: { cpu: "1" }, extra: 1 } } })),
    ).toMatch(/^BAD_REQUEST: .*spec\.extra/);
    expect(await failure(h.admin.nodes.add({ name: "sneaky", cpu: 1, labels: { "kube9.io/nodegroup": "b" } }))).toMatch(/^BAD_REQUEST: labels: kube9\.io\/nodegroup is set by node groups only/);
    expect(await failure(h.admin.autoscaler.setExpander({ expander: "fastest" as never }))).toMatch(/^BAD_REQUEST: .*least-waste, most-pods, random, priority/);
    expect(await h.admin.nodeGroups.list()).toEqual([]);
    expect(h.cp.cache.nodes()).toHaveLength(0);
    expect(await h.admin.autoscaler.setExpander({ expander: "most-pods" })).toEqual({ expander: "most-pods", previous: "least-waste" });
  });
});

if (postgresRequiredButMissing()) {
  it("PostgreSQL autoscaler suite", () => {
    throw new Error("KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set");
  });
}

describe.runIf(process.env.KUBE9_TEST_PG_URL)("autoscaler with two API processes (PostgreSQL)", () => {
  let a: Harness;
  let b: Harness;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshPostgres(process.env.KUBE9_TEST_PG_URL!);
    drop = fresh.drop;
    a = await createHarness({ url: fresh.url }); // takes the lease at init
    b = await createHarness({ url: fresh.url });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await drop?.();
  });

  it("only the leader's autoscaler acts", async () => {
    await b.admin.nodeGroups.create({ name: "l", min: 1, max: 2, cpu: 1 });
    await b.cp.start(); // not the leader: its autoscaler does not run
    await sleep(1500);
    expect((await b.db.nodeGroups.get("l")) !== null).toBe(true);
    expect((await b.db.nodes.list()).length).toBe(0);
    await a.cp.start(); // the leader: the group reaches its minimum
    await waitFor(async () => (await a.db.nodes.list()).length === 1, 5000);
  });
});
