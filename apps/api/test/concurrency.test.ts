import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, freshPostgres, postgresRequiredButMissing, type Harness } from "./harness.js";

const pgUrl = process.env.KUBE9_TEST_PG_URL;

it("the PostgreSQL concurrency suite runs when CI requires it", () => {
  expect(postgresRequiredButMissing(), "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

describe.runIf(pgUrl)("concurrent launches on PostgreSQL", () => {
  let a: Harness;
  let b: Harness;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshPostgres(pgUrl!);
    drop = fresh.drop;
    // Two control planes on one database: two API processes scheduling at once.
    a = await createHarness({ url: fresh.url });
    b = await createHarness({ url: fresh.url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
  });

  it("50 parallel launches on a cluster that fits 20: exactly 20 placed, no node over capacity", async () => {
    // 5 nodes x 4 cores = 20 cores; each pod asks 1 core, so 20 fit and 30 wait.
    for (let i = 0; i < 5; i++) {
      await a.admin.nodes.add({ name: `n${i}`, cpu: 4, memoryMiB: 4096 });
      const agent = await a.agent(`n${i}`);
      await agent.agent.register({ nodeId: agent.nodeId });
    }
    // b learns the nodes from the database, as a second API process would.
    await b.cp.init();
    const launches = Array.from({ length: 50 }, (_, i) =>
      (i % 2 === 0 ? a : b).admin.pods.launch({ name: `p${i}`, cpu: 1, algorithm: i % 3 === 0 ? "worst-fit" : "best-fit" }),
    );
    const results = await Promise.all(launches);
    expect(results.filter((r) => r.scheduled)).toHaveLength(20);
    // The database is the truth (each API process's cache learns the other's binds on its next resync).
    const pods = await a.db.pods.list();
    expect(pods.filter((p) => p.status === "Scheduled")).toHaveLength(20);
    expect(pods.filter((p) => p.status === "Pending")).toHaveLength(30);
    const nodes = await a.db.nodes.list();
    for (const n of nodes) {
      expect(n.allocated.cpuMilli).toBeLessThanOrEqual(n.capacity.cpuMilli);
      const onNode = pods.filter((p) => p.nodeId === n.id).reduce((s, p) => s + p.request.cpuMilli, 0);
      expect(n.allocated.cpuMilli).toBe(onNode);
    }
    // After a resync, each process's cache agrees with the database.
    for (const h of [a, b]) {
      await h.cp.cache.resyncNodes();
      await h.cp.cache.resyncPods();
      const listed = await h.admin.pods.list();
      expect(listed.filter((p) => p.status === "Scheduled")).toHaveLength(20);
      expect((await h.admin.nodes.list()).map((n) => n.allocated.cpuMilli).sort()).toEqual(nodes.map((n) => n.allocated.cpuMilli).sort());
    }
  });
});
