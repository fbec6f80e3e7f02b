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

  it("launches and launchMany from both onto the same small nodes never overcommit: allocation within capacity, equal to the bound pods' requests", async () => {
    // 12 cores and 12 GiB on four nodes of their own (the selector keeps the pods off the first case's); 120 pods ask about 100 cores: most must wait.
    const sizes = [2, 3, 3, 4];
    for (const [i, cpu] of sizes.entries()) {
      await a.admin.nodes.add({ name: `s${i}`, cpu, memoryMiB: cpu * 1024, labels: { set: "small" } });
      const agent = await a.agent(`s${i}`);
      await agent.agent.register({ nodeId: agent.nodeId });
    }
    await b.cp.init();
    const algorithms = ["first-fit", "best-fit", "worst-fit"] as const;
    const item = (p: string, i: number) => ({
      name: `${p}${i}`,
      cpu: [0.5, 1, 1.5][i % 3]!,
      memoryMiB: [256, 512, 1024][(i + 1) % 3]!,
      algorithm: algorithms[i % 3],
      nodeSelector: { set: "small" },
    });
    const many = (h: Harness, p: string) => h.admin.pods.launchMany({ items: Array.from({ length: 40 }, (_, i) => item(p, i)) });
    const singles = Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).admin.pods.launch(item("one", i)));
    const [fromA, fromB, ...one] = await Promise.all([many(a, "a"), many(b, "b"), ...singles]);
    const answers = [...fromA.results, ...fromB.results, ...one.map((launched) => ({ ok: true as const, ...launched }))];
    expect(answers.every((r) => r.ok)).toBe(true);
    const pods = (await a.db.pods.list()).filter((p) => p.nodeSelector.set === "small");
    expect(pods).toHaveLength(120);
    // What the callers were told matches the database.
    const told = new Map(answers.flatMap((r) => (r.ok ? [[r.pod.name, r.scheduled] as const] : [])));
    for (const p of pods) expect(told.get(p.name), p.name).toBe(p.status === "Scheduled");
    let bound = 0;
    const nodes = (await a.db.nodes.list()).filter((n) => n.labels.set === "small");
    for (const n of nodes) {
      const mine = pods.filter((p) => p.nodeId === n.id);
      bound += mine.length;
      expect(n.allocated.cpuMilli).toBeLessThanOrEqual(n.capacity.cpuMilli);
      expect(n.allocated.memoryMiB).toBeLessThanOrEqual(n.capacity.memoryMiB);
      expect(n.allocated.cpuMilli).toBe(mine.reduce((s, p) => s + p.request.cpuMilli, 0));
      expect(n.allocated.memoryMiB).toBe(mine.reduce((s, p) => s + p.request.memoryMiB, 0));
      for (const p of mine) expect(p.status).toBe("Scheduled");
    }
    // Races lose picks, not room: a launch that lost its node tried again elsewhere, so no waiting pod fits anywhere.
    for (const p of pods.filter((x) => x.status === "Pending")) {
      const fits = nodes.filter((n) => n.allocated.cpuMilli + p.request.cpuMilli <= n.capacity.cpuMilli && n.allocated.memoryMiB + p.request.memoryMiB <= n.capacity.memoryMiB);
      expect(fits.map((n) => n.name), p.name).toEqual([]);
    }
    expect(pods.filter((p) => p.status === "Pending")).toHaveLength(120 - bound);
  });
});
