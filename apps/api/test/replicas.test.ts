import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { attachControlPlane, IDLE, readyNode } from "./controllers/support.js";
import { createHarness, freshPostgres, openTestDatabase, postgresRequiredButMissing, waitFor, type Harness } from "./harness.js";

// Two API processes on one PostgreSQL database, as the README allows: what one does, the other must
// agree with (its cache, its heartbeat answers), only the leader writes the scheduler's verdicts, and
// the admin token is the cluster's, not each process's.

const pgUrl = process.env.KUBE9_TEST_PG_URL;

if (postgresRequiredButMissing()) {
  it("PostgreSQL replicas suite", () => {
    throw new Error("KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set");
  });
}

describe.runIf(pgUrl)("two API processes on one database: controllers (PostgreSQL)", () => {
  let drop: () => Promise<void>;
  let url: string;
  let a: Harness; // the leader (takes the lease at init)
  let b: Harness; // the other process, on its own connections
  let bDb: { close(): Promise<void> };

  beforeAll(async () => {
    const fresh = await freshPostgres(pgUrl!);
    drop = fresh.drop;
    url = fresh.url;
  });
  afterAll(async () => {
    await drop?.();
  });
  beforeEach(async () => {
    a = await createHarness({ url });
    // a is live on the database as a replica is (`kube9 up` advertises its URL): b sees a peer from its start.
    await a.db.advertise("http://127.0.0.1:7501");
    const other = await openTestDatabase(url);
    bDb = other;
    b = await attachControlPlane(other.db, a.clock);
    expect(a.cp.isLeader).toBe(true);
    expect(b.cp.isLeader).toBe(false);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await b.close();
    await bDb.close();
    await a.db.pods.list().then((pods) => Promise.all(pods.map((p) => a.db.pods.delete(p.id, a.clock.now))));
    await a.close();
  });

  it("a node failed and its pods moved by the leader: the other process's answer to that node's next beat no longer lists them", async () => {
    const x = await readyNode(a, "x", 2);
    await a.admin.pods.launch({ name: "p", cpu: 1 });
    const y = await readyNode(a, "y", 2);
    await b.cp.cache.resyncNodes();
    await b.cp.cache.resyncPods();
    const xOnB = (await b.as(x.token)).agent;
    // x beats to the other process, which knows p is x's.
    const before = await xOnB.heartbeat({ nodeId: x.nodeId, podIds: [], usage: IDLE, components: {} });
    const p = (await a.admin.pods.get({ name: "p" })).pod;
    expect(before.desiredPodIds).toEqual([p.id]);

    // x falls silent; the leader fails it and moves p to y (y keeps beating, to the leader).
    for (let t = 0; t < 6; t++) {
      a.clock.now += 1000;
      await y.agent.heartbeat({ nodeId: y.nodeId, podIds: [], usage: IDLE, components: {} });
      await a.monitorTick();
    }
    expect((await a.admin.nodes.get({ name: "x" })).node.status).toBe("Failed");
    expect((await a.admin.pods.get({ name: "p" })).pod).toMatchObject({ status: "Scheduled", nodeName: "y" });

    // x comes back and beats to the other process before any resync there: it must not keep p.
    const after = await xOnB.heartbeat({ nodeId: x.nodeId, podIds: [p.id], usage: IDLE, components: {} });
    expect(after.desiredPodIds).toEqual([]);
    const yOnA = await y.agent.heartbeat({ nodeId: y.nodeId, podIds: [], usage: IDLE, components: {} });
    expect(yOnA.desiredPodIds).toEqual([p.id]);
  });

  it("a new leader starts no second agent for a node that still beats (another process runs it); one that stays silent is restarted", async () => {
    const alive = await readyNode(a, "alive", 1);
    const silent = await readyNode(a, "silent", 1);
    const aliveOnB = (await b.as(alive.token)).agent;
    a.clock.now += 1000;
    // The leader stops (its agents are let go of: the other process is alive) and the other one leads.
    await a.cp.stop();
    await b.cp.start();
    await waitFor(async () => b.cp.isLeader, 5000);
    // One node's agent goes on beating, now to the new leader; the other does not.
    a.clock.now += 500;
    await aliveOnB.heartbeat({ nodeId: alive.nodeId, podIds: [], usage: IDLE, components: {} });
    expect(b.runtime.specs.size).toBe(0);
    await waitFor(async () => b.runtime.specs.has(silent.nodeId), 8000);
    await new Promise((r) => setTimeout(r, 500));
    expect([...b.runtime.specs.keys()]).toEqual([silent.nodeId]);
  });

  it("FailedScheduling is written by the leader only, once per message", async () => {
    const aWrites = vi.spyOn(a.db.pods, "setReason");
    const bWrites = vi.spyOn(b.db.pods, "setReason");
    // A launch on the other process that fits nowhere is answered with why, but not recorded there.
    const launched = await b.admin.pods.launch({ name: "big", cpu: 64 });
    expect(launched.scheduled).toBe(false);
    expect(launched.message).toMatch(/nodes are available/);
    // The leader's queue gets the pod with its next resync and records the verdict once.
    await a.cp.cache.resyncPods(false);
    for (let i = 0; i < 3; i++) {
      await a.cp.scheduler.runPass();
      await b.cp.scheduler.runPass();
      await b.cp.cache.resyncPods(false);
    }
    expect(bWrites).not.toHaveBeenCalled();
    expect(aWrites).toHaveBeenCalledTimes(1);
    const events = (await a.admin.events.list({})).filter((e) => e.reason === "FailedScheduling");
    expect(events).toHaveLength(1);
    expect((await b.admin.pods.get({ name: "big" })).pod.reason).toBe("FailedScheduling");
  });
});

describe.runIf(pgUrl)("two API processes on one database: over HTTP (PostgreSQL)", () => {
  let drop: () => Promise<void>;
  let url: string;
  const homes: string[] = [];
  const running: RunningControlPlane[] = [];

  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), "kube9-replica-"));
    homes.push(dir);
    return dir;
  };
  const start = async (adminToken?: string) => {
    const api = await startControlPlane({ port: 0, home: home(), databaseUrl: url, runtime: "process", logLevel: "error", log: () => {}, ...(adminToken ? { adminToken } : {}) });
    running.push(api);
    return api;
  };
  const client = (api: RunningControlPlane, token = api.token): Kube9Client => createKube9Client({ url: api.url, token });

  // Each case on a database of its own: what one leaves behind (a Pending pod) must not take another's room.
  beforeEach(async () => {
    const fresh = await freshPostgres(pgUrl!);
    drop = fresh.drop;
    url = fresh.url;
  });
  afterEach(async () => {
    for (const api of running.splice(0).reverse()) await api.close().catch(() => {});
    await drop?.();
  });
  afterAll(() => {
    for (const dir of homes) rmSync(dir, { recursive: true, force: true });
  });

  it("the admin token is the cluster's: another process starts with it, and a start with another token is refused instead of locking out the first", async () => {
    const first = await start();
    // A second process with no token (a new home) or a different one would replace the cluster's: refused.
    await expect(start()).rejects.toThrow(/another API process serving this database .* uses the cluster's admin token/);
    await expect(start("k9a.some-other-token-0123456789")).rejects.toThrow(/the admin token given \(KUBE9_ADMIN_TOKEN\) is not this cluster's/);
    const second = await start(first.token);
    expect((await client(second, first.token).cluster.status.query()).clusterId).toBe(first.controlPlane.clusterId);
    expect((await client(first).cluster.status.query()).clusterId).toBe(first.controlPlane.clusterId);
    await second.close();
    await first.close();
  }, 60_000);

  it("the process that does not lead keeps its cache fresh: nodes, pods (Pending ones too) and explanations agree within about 2 s", async () => {
    const first = await start();
    const second = await start(first.token);
    const admin = client(first);
    const other = client(second, first.token);
    await admin.nodes.add.mutate({ name: "h1", cpu: 2, runtime: "hollow" });
    await waitFor(async () => (await admin.nodes.get.query({ name: "h1" })).node.status === "Ready", 10_000);
    await admin.pods.launch.mutate({ name: "small", cpu: 1 });
    await admin.pods.launch.mutate({ name: "huge", cpu: 16 }); // Pending: it touches no node row
    const view = async (c: Kube9Client) => {
      const nodes = (await c.nodes.list.query()).map((n) => [n.name, n.status, n.allocated.cpuMilli]);
      const pods = (await c.pods.list.query()).map((p) => [p.name, p.status, p.nodeName ?? null]).sort();
      const fits = (await c.pods.get.query({ name: "huge" })).fits.map((f) => [f.nodeName, f.feasible, f.reasons]);
      return JSON.stringify({ nodes, pods, fits });
    };
    await waitFor(async () => (await view(other)) === (await view(admin)), 2500);
    expect(await view(other)).toContain('["huge","Pending",null]');
    // A launch on the other process places with the same view: the last core of h1.
    expect((await other.pods.launch.mutate({ name: "last", cpu: 1 })).scheduled).toBe(true);
    expect((await other.pods.launch.mutate({ name: "none", cpu: 1 })).scheduled).toBe(false);
    await second.close();
    await first.close();
  }, 60_000);

  it("nodes belong to the cluster: stopping one API process leaves its agents running, served by the other (which does not start a second agent); the last one to stop stops them", async () => {
    const first = await start();
    const second = await start(first.token);
    const admin = client(first);
    const other = client(second, first.token);
    // The first process knows the second (presence on the database), so its agents learn both addresses.
    await waitFor(async () => first.controlPlane.apiUrls().includes(second.url), 5000);
    await admin.nodes.add.mutate({ name: "w1", cpu: 1, memoryMiB: 512 });
    await waitFor(async () => (await admin.nodes.get.query({ name: "w1" })).node.status === "Ready", 15_000);
    await admin.pods.launch.mutate({ name: "keep", cpu: 0.1 });
    await waitFor(async () => (await admin.pods.get.query({ name: "keep" })).pod.status === "Running", 10_000);
    const handle = (await admin.nodes.get.query({ name: "w1" })).node.containerId!;
    const pid = Number(/^pid-(\d+)$/.exec(handle)?.[1]);
    expect(pid).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1500)); // a beat or two: the agent has heard of the second process

    await first.close();
    expect(isAlive(pid)).toBe(true);
    // The agent fails over to the second process, which becomes the leader and neither fails the node nor starts another agent.
    await waitFor(async () => second.controlPlane.isLeader, 10_000);
    const beatAt = async () => Date.parse((await other.nodes.get.query({ name: "w1" })).node.lastHeartbeatAt ?? "") || 0;
    const afterStop = Date.now();
    await waitFor(async () => (await beatAt()) > afterStop, 10_000);
    await new Promise((r) => setTimeout(r, 7000)); // past failedAfter (5 s) and the new leader's look at silent agents
    const w1 = (await other.nodes.get.query({ name: "w1" })).node;
    expect(w1.status).toBe("Ready");
    expect(w1.containerId).toBe(handle);
    expect(await beatAt()).toBeGreaterThan(Date.now() - 3000);
    expect((await other.pods.get.query({ name: "keep" })).pod).toMatchObject({ status: "Running", nodeName: "w1" });
    expect(isAlive(pid)).toBe(true);

    // The last process to stop stops every agent of the cluster, those it did not start included.
    await second.close();
    await waitFor(async () => !isAlive(pid), 5000);
  }, 90_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
