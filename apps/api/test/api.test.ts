import { TRPCError } from "@trpc/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "@kube9/db";
import {
  backends,
  createHarness,
  freshPostgres,
  openTestDatabase,
  postgresRequiredButMissing,
  waitFor,
  type Harness,
} from "./harness.js";

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
  return "OK";
}

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  return "";
}

it("the PostgreSQL suite runs when CI requires it", () => {
  // CI sets KUBE9_REQUIRE_POSTGRES=1; without a server URL this must fail, never skip.
  expect(postgresRequiredButMissing(), "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

for (const backend of backends()) {
  describe(`API on ${backend.name}`, () => {
    let h: Harness;
    let shared: { db: Database; close(): Promise<void> };
    let drop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      let url: string | undefined;
      if (backend.url) ({ url, drop } = await freshPostgres(backend.url));
      shared = await openTestDatabase(url);
    });
    afterAll(async () => {
      await shared?.close();
      await drop?.();
    });
    beforeEach(async () => {
      // Each test starts from empty tables and a new control plane.
      h = await createHarness({ db: shared.db });
    });
    afterEach(async () => {
      await h.close();
    });

    /** Adds a node and plays its agent's registration. */
    async function readyNode(name: string, cpu: number, memoryMiB?: number, labels?: Record<string, string>) {
      await h.admin.nodes.add({ name, cpu, memoryMiB, labels });
      const agent = await h.agent(name);
      await agent.agent.register({ nodeId: agent.nodeId });
      return agent;
    }

    it("checks tokens: none, wrong, admin, node credential for its own node only", async () => {
      const anon = await h.as(undefined);
      expect((await anon.health.check()).ok).toBe(true);
      expect(await code(anon.nodes.list())).toBe("UNAUTHORIZED");
      expect(await code((await h.as("nonsense")).nodes.list())).toBe("UNAUTHORIZED");
      const a = await readyNode("node-a", 2);
      await readyNode("node-b", 2);
      const b = await h.agent("node-b");
      // node-a's credential may not speak for node-b, nor call admin procedures.
      expect(await code(a.agent.heartbeat({ nodeId: b.nodeId, podIds: [], usage: { cpuMilli: 0, memoryMiB: 0 }, components: {} }))).toBe("FORBIDDEN");
      expect(await code(a.nodes.list())).toBe("FORBIDDEN");
      expect(await code(h.admin.agent.register({ nodeId: a.nodeId }))).toBe("FORBIDDEN");
    });

    it("a node is Provisioning until its agent registers, then Ready", async () => {
      const added = await h.admin.nodes.add({ name: "node-a", cpu: 4, memoryMiB: 8192, role: "master", labels: { zone: "a" } });
      expect(added).toMatchObject({ status: "Provisioning", capacity: { cpuMilli: 4000, memoryMiB: 8192 }, role: "master", labels: { zone: "a" } });
      const agent = await h.agent("node-a");
      const reg = await agent.agent.register({ nodeId: agent.nodeId });
      expect(reg).toMatchObject({ name: "node-a", role: "master", heartbeatIntervalMs: 1000 });
      const node = (await h.admin.nodes.get({ name: "node-a" })).node;
      expect(node.status).toBe("Ready");
      const events = await h.admin.events.list({ objectName: "node-a" });
      expect(events.map((e) => e.reason)).toEqual(["NodeAdded", "NodeReady"]);
    });

    it("places pods by first-fit, best-fit and worst-fit (4, 2, 8 cores)", async () => {
      await readyNode("n4", 4);
      await readyNode("n2", 2);
      await readyNode("n8", 8);
      // 1 core: first-fit takes n4 (registered first); best-fit n2 (2-1=1 core left, least);
      // worst-fit n8 (8-1=7 left, most).
      const ff = await h.admin.pods.launch({ name: "ff", cpu: 1, algorithm: "first-fit" });
      const bf = await h.admin.pods.launch({ name: "bf", cpu: 1, algorithm: "best-fit" });
      const wf = await h.admin.pods.launch({ name: "wf", cpu: 1, algorithm: "worst-fit" });
      expect([ff.pod.nodeName, bf.pod.nodeName, wf.pod.nodeName]).toEqual(["n4", "n2", "n8"]);
      expect(bf.message).toContain("n2");
      // Now n4 3 free, n2 1 free, n8 7 free. Cluster default (best-fit) for 0.5: n2 (1-0.5=0.5 left).
      const def = await h.admin.pods.launch({ name: "def", cpu: 0.5 });
      expect(def.pod).toMatchObject({ nodeName: "n2", status: "Scheduled", request: { cpuMilli: 500, memoryMiB: 0 }, algorithm: null });
      await h.admin.cluster.setAlgorithm({ algorithm: "worst-fit" });
      const w2 = await h.admin.pods.launch({ name: "w2", cpu: 0.5 });
      expect(w2.pod.nodeName).toBe("n8"); // 7-0.5=6.5 left, most
      const n8 = (await h.admin.nodes.get({ name: "n8" })).node;
      expect(n8.allocated.cpuMilli).toBe(1500); // 1000 + 500
    });

    it("keeps a pod Pending with per-node reasons, and places it when capacity appears", async () => {
      await readyNode("small", 1, 1024);
      const r = await h.admin.pods.launch({ name: "big", cpu: 2, memoryMiB: 512 });
      expect(r.scheduled).toBe(false);
      expect(r.pod.status).toBe("Pending");
      expect(r.message).toMatch(/0\/1 nodes are available/);
      const got = await h.admin.pods.get({ name: "big" });
      expect(got.fits).toHaveLength(1);
      expect(got.fits[0]!.reasons).toContain("Insufficient cpu: requested 2000m, free 1000m of 1000m");
      expect(got.pod.reason).toBe("FailedScheduling");
      await readyNode("large", 4, 4096);
      await h.cp.scheduler.runPass();
      const placed = await h.admin.pods.get({ name: "big" });
      expect(placed.pod).toMatchObject({ status: "Scheduled", nodeName: "large" });
    });

    it("places a waiting pod when a pod is deleted", async () => {
      await readyNode("one", 1);
      await h.admin.pods.launch({ name: "first", cpu: 1 });
      const second = await h.admin.pods.launch({ name: "second", cpu: 1 });
      expect(second.pod.status).toBe("Pending");
      await h.admin.pods.delete({ name: "first" });
      await h.cp.scheduler.runPass();
      expect((await h.admin.pods.get({ name: "second" })).pod.nodeName).toBe("one");
      expect((await h.admin.nodes.get({ name: "one" })).node.allocated.cpuMilli).toBe(1000);
    });

    it("honours node selectors and memory", async () => {
      await readyNode("hdd", 4, 4096, { disk: "hdd" });
      await readyNode("ssd", 4, 1024, { disk: "ssd" });
      const a = await h.admin.pods.launch({ name: "a", cpu: 1, nodeSelector: { disk: "ssd" } });
      expect(a.pod.nodeName).toBe("ssd");
      // ssd has 1024 MiB; 2048 MiB only fits hdd, but the selector wants ssd: Pending.
      const b = await h.admin.pods.launch({ name: "b", cpu: 1, memoryMiB: 2048, nodeSelector: { disk: "ssd" } });
      expect(b.scheduled).toBe(false);
      expect(b.message).toMatch(/memory/);
    });

    it("confirms pods through heartbeats: Scheduled -> Running, and the node reports their ids", async () => {
      const agent = await readyNode("n", 2);
      const launched = await h.admin.pods.launch({ name: "p", cpu: 1 });
      const beat1 = await agent.agent.heartbeat({ nodeId: agent.nodeId, podIds: [], usage: { cpuMilli: 5, memoryMiB: 40 }, components: { kubelet: "Healthy" } });
      expect(beat1.desiredPodIds).toEqual([launched.pod.id]);
      await agent.agent.heartbeat({ nodeId: agent.nodeId, podIds: beat1.desiredPodIds, usage: { cpuMilli: 5, memoryMiB: 40 }, components: { kubelet: "Healthy" } });
      const pod = (await h.admin.pods.get({ name: "p" })).pod;
      expect(pod.status).toBe("Running");
      const node = (await h.admin.nodes.get({ name: "n" })).node;
      expect(node.podIds).toEqual([launched.pod.id]);
      expect(node.components).toEqual({ kubelet: "Healthy" });
    });

    it("rejects bad input with the field and the rule, and changes nothing", async () => {
      const cases: Array<[Promise<unknown>, RegExp]> = [
        [h.admin.nodes.add({ cpu: 0 }), /^cpu: must be > 0 \(at least 0.001\) and <= 1024 cores \(got 0\)$/],
        [h.admin.nodes.add({ cpu: 2000 }), /^cpu: must be > 0 \(at least 0.001\) and <= 1024 cores \(got 2000\)$/],
        [h.admin.nodes.add({ cpu: 1, name: "Bad_Name" }), /^name: must be lowercase/],
        [h.admin.nodes.add({ cpu: 1, name: "x".repeat(64) }), /^name: must be at most 63 characters/],
        [h.admin.nodes.add({ cpu: 1, memoryMiB: -1 }), /^memoryMiB: must be between 0 and 4194304 MiB/],
        [h.admin.pods.launch({ cpu: 1, algorithm: "random" as never }), /^algorithm: must be one of first-fit, best-fit, worst-fit/],
        [h.admin.pods.launch({ cpu: -1 }), /^cpu: /],
      ];
      for (const [p, re] of cases) {
        expect(await code(p)).toBe("BAD_REQUEST");
        expect(await message(p)).toMatch(re);
      }
      expect(await h.admin.nodes.list()).toEqual([]);
      expect(await h.admin.pods.list()).toEqual([]);
    });

    it("answers NOT_FOUND for unknown names and CONFLICT for duplicates", async () => {
      expect(await code(h.admin.nodes.get({ name: "ghost" }))).toBe("NOT_FOUND");
      expect(await message(h.admin.pods.delete({ name: "ghost" }))).toBe('pod "ghost" not found');
      await h.admin.nodes.add({ name: "dup", cpu: 1 });
      expect(await code(h.admin.nodes.add({ name: "dup", cpu: 1 }))).toBe("CONFLICT");
      await h.admin.pods.launch({ name: "dup", cpu: 0.1 });
      expect(await code(h.admin.pods.launch({ name: "dup", cpu: 0.1 }))).toBe("CONFLICT");
      expect(await h.admin.nodes.list()).toHaveLength(1);
    });

    it("rolls a node back when its agent cannot start", async () => {
      h.runtime.failNextStart = true;
      expect(await code(h.admin.nodes.add({ name: "broken", cpu: 1 }))).toBe("INTERNAL_SERVER_ERROR");
      expect(await h.admin.nodes.list()).toEqual([]);
    });

    it("health monitor: Suspect after 3 s, Failed after 5 s, pods rescheduled, agent restarted", async () => {
      const a = await readyNode("a", 4);
      const b = await readyNode("b", 4);
      await h.admin.pods.launch({ name: "p1", cpu: 1, algorithm: "first-fit" }); // a registered first
      const beat = { usage: { cpuMilli: 0, memoryMiB: 0 }, components: {} };
      const t0 = h.clock.now;
      // b keeps beating; a goes silent.
      h.clock.now = t0 + 3100;
      await b.agent.heartbeat({ nodeId: b.nodeId, podIds: [], ...beat });
      await h.monitorTick();
      expect((await h.admin.nodes.get({ name: "a" })).node.status).toBe("Suspect"); // 3.1 s > 3 s
      h.clock.now = t0 + 5100;
      await b.agent.heartbeat({ nodeId: b.nodeId, podIds: [], ...beat });
      await h.monitorTick();
      expect((await h.admin.nodes.get({ name: "a" })).node.status).toBe("Failed"); // 5.1 s > 5 s
      const p1 = (await h.admin.pods.get({ name: "p1" })).pod;
      expect(p1).toMatchObject({ nodeName: "b", status: "Scheduled", restarts: 1 });
      expect((await h.admin.nodes.get({ name: "a" })).node.allocated.cpuMilli).toBe(0);
      // One heartbeat period later the recovery controller restarts a's agent.
      h.clock.now = t0 + 6200;
      await b.agent.heartbeat({ nodeId: b.nodeId, podIds: [], ...beat });
      await h.monitorTick();
      const rec = (await h.admin.nodes.get({ name: "a" })).node;
      expect(rec).toMatchObject({ status: "Recovering", recoveryAttempts: 1 });
      // The restarted agent got a fresh credential; the old one no longer works.
      expect(await code((await h.as(a.token)).agent.register({ nodeId: a.nodeId }))).toBe("UNAUTHORIZED");
      const a2 = await h.agent("a");
      await a2.agent.register({ nodeId: a2.nodeId });
      expect((await h.admin.nodes.get({ name: "a" })).node.status).toBe("Ready");
      const reasons = (await h.admin.events.list({ objectName: "a" })).map((e) => e.reason);
      expect(reasons).toEqual(["NodeAdded", "NodeReady", "NodeSuspect", "NodeFailed", "NodeRecovering", "NodeReady"]);
    });

    it("gives up after 3 recovery attempts: PermanentlyFailed and the agent removed", async () => {
      await readyNode("x", 1);
      let t = h.clock.now;
      for (let attempt = 1; attempt <= 4; attempt++) {
        const agent = await h.agent("x");
        await h.admin.nodes.fail({ name: "x" }); // the scripted kill reports the exit at once
        await waitFor(async () => (await h.admin.nodes.get({ name: "x" })).node.status === "Failed");
        t += 1100; // past one heartbeat period
        h.clock.now = t;
        await h.monitorTick();
        const node = (await h.admin.nodes.get({ name: "x" })).node;
        if (attempt <= 3) {
          expect(node).toMatchObject({ status: "Recovering", recoveryAttempts: attempt });
          const again = await h.agent("x");
          expect(again.nodeId).toBe(agent.nodeId);
          await again.agent.register({ nodeId: again.nodeId });
        } else {
          expect(node.status).toBe("PermanentlyFailed");
          expect(h.runtime.has(node.id)).toBe(false);
        }
      }
    });

    it("an agent that leaves has its pods moved at once", async () => {
      const a = await readyNode("a", 2);
      await readyNode("b", 2);
      await h.admin.pods.launch({ name: "p", cpu: 1, algorithm: "first-fit" });
      expect((await h.admin.pods.get({ name: "p" })).pod.nodeName).toBe("a");
      await a.agent.leave({ nodeId: a.nodeId, reason: "SIGTERM" });
      expect((await h.admin.nodes.get({ name: "a" })).node.status).toBe("Failed");
      expect((await h.admin.pods.get({ name: "p" })).pod.nodeName).toBe("b");
    });

    it("removing a node drains it first and deletes it", async () => {
      await readyNode("a", 2);
      await readyNode("b", 2);
      await h.admin.pods.launch({ name: "p", cpu: 1, algorithm: "first-fit" });
      const r = await h.admin.nodes.remove({ name: "a" });
      expect(r.movedPods.map((p) => [p.name, p.nodeName])).toEqual([["p", "b"]]);
      expect(await code(h.admin.nodes.get({ name: "a" }))).toBe("NOT_FOUND");
      expect(h.runtime.stopped).toContain(r.node.id);
    });

    it("cluster status adds up capacity and allocation", async () => {
      await readyNode("a", 2, 1024);
      await readyNode("b", 4, 2048);
      await h.admin.pods.launch({ name: "p", cpu: 1.5, memoryMiB: 100 });
      await h.admin.pods.launch({ name: "q", cpu: 100 });
      const s = await h.admin.cluster.status();
      expect(s).toMatchObject({
        algorithm: "best-fit",
        nodes: { total: 2, byStatus: { Ready: 2 } },
        pods: { total: 2, byStatus: { Scheduled: 1, Pending: 1 } },
        capacity: { cpuMilli: 6000, memoryMiB: 3072 },
        allocated: { cpuMilli: 1500, memoryMiB: 100 },
      });
    });

    it("validates health settings as a whole", async () => {
      expect(await code(h.admin.cluster.setHealth({ failedAfterMs: 1000 }))).toBe("BAD_REQUEST");
      const cfg = await h.admin.cluster.setHealth({ heartbeatIntervalMs: 500 });
      expect(cfg.heartbeatIntervalMs).toBe(500);
    });
  });
}
