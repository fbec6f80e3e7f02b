import type { Database } from "@kube9/db";
import { TRPCError } from "@trpc/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backends, createHarness, freshPostgres, openTestDatabase, postgresRequiredButMissing, type AgentCaller, type Harness } from "./harness.js";

// Measured use through the API: heartbeats bring it, usage.* serves the latest and ranges (1 s from
// memory, 10 s from the database after a restart). The agents are played through their credentials.

const SPEC = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "burn" },
  spec: {
    containers: [
      { name: "main", image: "kube9/workload", args: ["cpu", "--millicores", "500"], resources: { requests: { cpu: "250m", memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } } },
      { name: "side", image: "busybox", command: ["sleep", "3600"], resources: { requests: { cpu: "100m", memory: "16Mi" }, limits: { memory: "32Mi" } } },
    ],
  },
};

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

if (postgresRequiredButMissing()) {
  it("PostgreSQL usage suite", () => {
    throw new Error("KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set");
  });
}

for (const backend of backends()) {
  describe(`usage (${backend.name})`, () => {
    let shared: { db: Database; close(): Promise<void> };
    let drop: (() => Promise<void>) | undefined;
    let h: Harness;
    let a: AgentCaller;
    let b: AgentCaller;
    let podId: string;

    beforeAll(async () => {
      if (backend.url) {
        const fresh = await freshPostgres(backend.url);
        drop = fresh.drop;
        shared = await openTestDatabase(fresh.url);
      } else shared = await openTestDatabase();
    });
    afterAll(async () => {
      await shared?.close();
      await drop?.();
    });
    beforeEach(async () => {
      h = await createHarness({ db: shared.db });
      // Whole seconds, so each beat lands in its own 1 s slot.
      h.clock.now = Math.floor(Date.now() / 10_000) * 10_000;
      await h.admin.nodes.add({ name: "a", cpu: 2, memoryMiB: 1024 });
      await h.admin.nodes.add({ name: "b", cpu: 2, memoryMiB: 1024 });
      a = await h.agent("a");
      b = await h.agent("b");
      await a.agent.register({});
      await b.agent.register({});
      const launched = await h.admin.pods.applyManifest({ manifest: SPEC });
      podId = launched.pod.id;
    });
    afterEach(async () => {
      await h?.close();
    });

    const beat = (who: AgentCaller, cpu: number, mem: number, pods?: Record<string, Record<string, [number, number]>>) =>
      who.agent.heartbeat({ podIds: pods ? Object.keys(pods) : [], usage: { cpuMilli: cpu, memoryMiB: mem }, agentUsage: { cpuMilli: 5, memoryMiB: 40 }, components: {}, ...(pods ? { podUsage: pods } : {}) });

    it("serves the latest use per node and pod with requests and limits; stale samples go", async () => {
      const owner = (await h.admin.pods.get({ name: "burn" })).pod.nodeName === "a" ? a : b;
      const other = owner === a ? b : a;
      await beat(owner, 560, 250.5, { [podId]: { main: [500, 200.2], side: [3, 0.3] } });
      // The other node claims the pod too: not its pod, ignored.
      await beat(other, 10, 45, { [podId]: { main: [9999, 9999] } });
      const pods = await h.admin.usage.pods();
      const burn = pods.find((p) => p.name === "burn")!;
      // 500 + 3 = 503m; 200.2 + 0.3 = 200.5 MiB.
      expect(burn.usage).toEqual({ cpuMilli: 503, memoryMiB: 200.5 });
      expect(burn.requests).toEqual({ cpuMilli: 350, memoryMiB: 80 });
      // Memory limits 128 + 32 = 160; CPU only on one container: no pod CPU limit.
      expect(burn.limits).toEqual({ memoryMiB: 160 });
      expect(burn.containers.map((c) => [c.name, c.usage, c.limits])).toEqual([
        ["main", { cpuMilli: 500, memoryMiB: 200.2 }, { cpuMilli: 1000, memoryMiB: 128 }],
        ["side", { cpuMilli: 3, memoryMiB: 0.3 }, { memoryMiB: 32 }],
      ]);
      const nodes = await h.admin.usage.nodes();
      const n = nodes.find((x) => x.name === (owner === a ? "a" : "b"))!;
      expect(n.usage).toEqual({ cpuMilli: 560, memoryMiB: 250.5 });
      expect(n.agent).toEqual({ cpuMilli: 5, memoryMiB: 40 });
      expect(n.capacity).toEqual({ cpuMilli: 2000, memoryMiB: 1024 });
      expect(n.podCount).toBe(1);
      // Three heartbeat intervals (1 s) later nothing is current.
      h.clock.now += 3001;
      expect((await h.admin.usage.pods()).find((p) => p.name === "burn")!.usage).toBeNull();
      expect((await h.admin.usage.nodes()).every((x) => x.usage === null)).toBe(true);
    });

    it("answers ranges from memory at 1 s and from the database after a restart", async () => {
      const owner = (await h.admin.pods.get({ name: "burn" })).pod.nodeName === "a" ? a : b;
      const t0 = h.clock.now;
      // 30 s of beats: CPU i*10, memory 100 + i.
      for (let i = 0; i < 30; i++) {
        h.clock.now = t0 + i * 1000;
        await beat(owner, i * 10, 100 + i, { [podId]: { main: [i * 10, 100 + i] } });
        h.cp.usageStore.tickCluster(h.clock.now, 3000);
      }
      const r1 = await h.admin.usage.range({ target: { kind: "pod", name: "burn" }, from: t0, to: t0 + 30_000, stepSeconds: 1 });
      expect(r1.points).toHaveLength(30);
      expect(r1.points[7]).toEqual({ t: t0 + 7000, cpuMilli: 70, memoryMiB: 107 });
      expect(r1.limits).toEqual({ memoryMiB: 160 });
      // Step 10 s: the first bucket averages 0..90 -> 45 m and 100..109 -> 104.5 MiB.
      const r10 = await h.admin.usage.range({ target: { kind: "pod", name: "burn" }, from: t0, to: t0 + 30_000, stepSeconds: 10 });
      expect(r10.points.map((p) => p.cpuMilli)).toEqual([45, 145, 245]);
      const cluster = await h.admin.usage.range({ target: { kind: "cluster" }, from: t0, to: t0 + 30_000, stepSeconds: 10 });
      // Only the owner beat, so the cluster is the owner: the same averages.
      expect(cluster.points.map((p) => p.cpuMilli)).toEqual([45, 145, 245]);
      expect(cluster.capacity).toEqual({ cpuMilli: 4000, memoryMiB: 2048 });

      // A restart: stopping writes every bucket; the new process has no 1 s series, the database has the 10 s ones.
      h.clock.now = t0 + 31_000;
      await h.cp.stop();
      const again = await createHarness({ db: shared.db, keep: true });
      again.clock.now = t0 + 40_000;
      try {
        const back = await again.admin.usage.range({ target: { kind: "pod", name: "burn" }, from: t0, to: t0 + 40_000, stepSeconds: 10 });
        expect(back.points.map((p) => [p.t - t0, p.cpuMilli, p.memoryMiB])).toEqual([
          [0, 45, 104.5],
          [10_000, 145, 114.5],
          [20_000, 245, 124.5],
        ]);
        const node = await again.admin.usage.range({ target: { kind: "node", name: owner === a ? "a" : "b" }, from: t0, to: t0 + 40_000 });
        expect(node.points.length).toBe(3);
      } finally {
        await again.close();
      }
    });

    it("refuses a malformed usage report, saying what is wrong, and records nothing from it", async () => {
      const bad = async (podUsage: unknown) => {
        try {
          await a.agent.heartbeat({ podIds: [], usage: { cpuMilli: 1, memoryMiB: 1 }, components: {}, podUsage: podUsage as never });
          return "OK";
        } catch (err) {
          return err instanceof TRPCError ? `${err.code}: ${err.message}` : String(err);
        }
      };
      expect(await bad({ "not-a-uuid": { main: [1, 1] } })).toMatch(/^BAD_REQUEST: podUsage: "not-a-uuid" is not a pod id/);
      expect(await bad({ [podId]: { main: [1] } })).toMatch(/^BAD_REQUEST: podUsage: .*main: must be \[cpuMilli, memoryMiB\]/);
      expect(await bad({ [podId]: { main: [-1, 1] } })).toMatch(/^BAD_REQUEST: podUsage: .*numbers from 0 to 1e9/);
      expect(await bad([1, 2])).toMatch(/^BAD_REQUEST: podUsage: must be an object/);
      expect((await h.admin.usage.nodes()).every((n) => n.usage === null)).toBe(true);
    });

    it("refuses bad ranges with the field and the rule", async () => {
      expect(await code(h.admin.usage.range({ target: { kind: "pod", name: "nope" } }))).toBe("NOT_FOUND");
      expect(await code(h.admin.usage.range({ target: { kind: "cluster" }, from: 2000, to: 1000 }))).toBe("BAD_REQUEST");
      // 24 h at 1 s is 86,400 points: too many.
      expect(await code(h.admin.usage.range({ target: { kind: "cluster" }, from: 0, to: 86_400_000, stepSeconds: 1 }))).toBe("BAD_REQUEST");
      expect(await code(h.admin.usage.range({ target: { kind: "node" } } as never))).toBe("BAD_REQUEST");
    });
  });
}
