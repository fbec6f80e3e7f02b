import { TRPCError } from "@trpc/server";
import type { Database } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backends, createHarness, freshPostgres, openTestDatabase, type Harness } from "./harness.js";

// pods.launchMany: many pods per call, each answered as pods.launch would answer it.

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return { code: err.code, message: err.message };
    throw err;
  }
  return { code: "OK", message: "" };
}

for (const backend of backends()) {
  describe(`pods.launchMany on ${backend.name}`, () => {
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
      h = await createHarness({ db: shared.db });
    });
    afterEach(async () => {
      await h.close();
    });

    async function readyNode(name: string, cpu: number, memoryMiB = 4096) {
      await h.admin.nodes.add({ name, cpu, memoryMiB });
      const agent = await h.agent(name);
      await agent.agent.register({ nodeId: agent.nodeId });
    }

    it("refuses a malformed call whole, naming the item and field, and creates nothing", async () => {
      await readyNode("n1", 4);
      const bad = await failure(
        h.admin.pods.launchMany({ items: [{ name: "a", cpu: 1 }, { name: "b", cpu: 1 }, { name: "c", cpu: 1 }, { name: "d", cpu: -1 }] }),
      );
      expect(bad.code).toBe("BAD_REQUEST");
      expect(bad.message).toMatch(/^items\[3\]\.cpu: must be > 0 .* \(got -1\)$/);
      // A misspelt field would be silently lost: refused, naming it.
      const unknown = await failure(h.admin.pods.launchMany({ items: [{ name: "a", cpu: 1 }, { name: "b", cpus: 1 } as never] }));
      expect(unknown.code).toBe("BAD_REQUEST");
      expect(unknown.message).toMatch(/^items\[1\]\.cpus: unknown field \(allowed: name, namespace, cpu/);
      // The same rules as a single launch: no image, so a request is required and container settings are refused.
      const rules = await failure(h.admin.pods.launchMany({ items: [{ name: "a" }, { name: "b", cpu: 1, restartPolicy: "Never" }] }));
      expect(rules.message).toBe("items[0].cpu: required (or give an image with limits); items[1].restartPolicy: needs an image (got \"Never\")");
      expect((await failure(h.admin.pods.launchMany({ items: [] }))).message).toBe("items: must list at least one pod (got [])");
      const tooMany = await failure(h.admin.pods.launchMany({ items: Array.from({ length: 1001 }, () => ({ cpu: 0.001 })) }));
      expect(tooMany.message).toMatch(/^items: at most 1000 pods per call/);
      expect(await h.admin.pods.list()).toEqual([]);
      expect((await h.admin.nodes.list())[0]!.allocated.cpuMilli).toBe(0);
    });

    it("answers each item as a single launch would, in order; one item's error does not stop the others", async () => {
      await readyNode("n1", 2);
      await readyNode("n2", 2);
      await h.admin.pods.launch({ name: "taken", cpu: 0.5 });
      const out = await h.admin.pods.launchMany({
        items: [
          { name: "a", cpu: 1, labels: { app: "a" } },
          { name: "taken", cpu: 0.1 },
          { name: "elsewhere", cpu: 0.1, namespace: "nope" },
          { name: "huge", cpu: 3 },
          { name: "a", cpu: 0.1 },
          { name: "web", image: "kube9/workload", args: ["http"], limitCpu: 0.25, limitMemoryMiB: 64 },
          { cpu: 0.25, memoryMiB: "128Mi" },
        ],
      });
      expect(out.results.map((r) => (r.ok ? r.pod.status : r.error.code))).toEqual([
        "Scheduled",
        "CONFLICT",
        "NOT_FOUND",
        "Pending",
        "CONFLICT",
        "Scheduled",
        "Scheduled",
      ]);
      expect(out).toMatchObject({ scheduled: 3, pending: 1, failed: 3 });
      // The same words a single launch gives for the same item.
      for (const [i, item] of [[1, { name: "taken", cpu: 0.1 }], [2, { name: "elsewhere", cpu: 0.1, namespace: "nope" }]] as const) {
        const single = await failure(h.admin.pods.launch(item));
        const r = out.results[i]!;
        expect(r.ok ? null : r.error).toEqual(single);
      }
      const huge = out.results[3]!;
      expect(huge.ok && huge.message).toMatch(/^0\/2 nodes are available/);
      const web = out.results[5]!;
      expect(web.ok && web.pod.spec?.containers[0]).toMatchObject({ name: "web", image: "kube9/workload", args: ["http"] });
      const unnamed = out.results[6]!;
      expect(unnamed.ok && unnamed.pod).toMatchObject({ name: expect.stringMatching(/^pod-/), request: { cpuMilli: 250, memoryMiB: 128 } });
      // Room taken equals what the bound pods ask, on every node.
      const pods = await h.admin.pods.list();
      for (const n of await h.admin.nodes.list()) {
        const mine = pods.filter((p) => p.nodeName === n.name && p.status !== "Pending");
        expect(n.allocated.cpuMilli).toBe(mine.reduce((s, p) => s + p.request.cpuMilli, 0));
      }
      // Every placement is an event, as for single launches.
      const events = await h.admin.events.list({});
      expect(events.filter((e) => e.reason === "Scheduled").map((e) => e.objectName).sort()).toEqual(
        pods.filter((p) => p.status === "Scheduled").map((p) => p.name).sort(),
      );
    });

    it("places items in order, as the same launches one after another would", async () => {
      await readyNode("n1", 2);
      await readyNode("n2", 3);
      const items = [1, 1, 1, 0.5, 2, 0.5].map((cpu, i) => ({ name: `p${i}`, cpu, algorithm: "first-fit" as const }));
      const out = await h.admin.pods.launchMany({ items });
      const many = out.results.map((r) => (r.ok ? r.pod.nodeName : r.error.code));
      // The same launches one at a time, on an empty cluster again.
      for (const item of items) await h.admin.pods.delete({ name: item.name, gracePeriodSeconds: 0 });
      const one: Array<string | null> = [];
      for (const item of items) one.push((await h.admin.pods.launch(item)).pod.nodeName);
      expect(many).toEqual(["n1", "n1", "n2", "n2", null, "n2"]);
      expect(many).toEqual(one);
    });

    it("launches 1,000 pods in one call, with no node over capacity", async () => {
      for (let i = 0; i < 5; i++) await readyNode(`n${i}`, 100, 100_000);
      const out = await h.admin.pods.launchMany({ items: Array.from({ length: 1000 }, (_, i) => ({ name: `b${i}`, cpu: 0.25 + (i % 4) * 0.25, algorithm: "first-fit" as const })) });
      // 1,000 pods ask 625 cores; 500 cores exist: first-fit fills the nodes in order exactly with the first 800 (each 4 ask 2.5 cores).
      expect(out).toMatchObject({ scheduled: 800, pending: 200, failed: 0 });
      expect(out.results.slice(0, 800).every((r) => r.ok && r.scheduled)).toBe(true);
      const nodes = await h.db.nodes.list();
      const pods = await h.db.pods.list();
      for (const n of nodes) {
        expect(n.allocated.cpuMilli).toBeLessThanOrEqual(n.capacity.cpuMilli);
        expect(n.allocated.cpuMilli).toBe(pods.filter((p) => p.nodeId === n.id).reduce((s, p) => s + p.request.cpuMilli, 0));
      }
    });
  });
}
