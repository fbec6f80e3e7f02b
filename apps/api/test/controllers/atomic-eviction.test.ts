import type { Database } from "@kube9/db";
import { rawSql } from "@kube9/db/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backends, createHarness, freshPostgres, openTestDatabase, postgresRequiredButMissing, type Harness } from "../harness.js";
import { attachControlPlane, dbNode, dbPod, readyNode } from "./support.js";

it("the PostgreSQL suite runs when CI requires it", () => {
  expect(postgresRequiredButMissing(), "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

/** Makes the database refuse to move pods off one node: the eviction step fails inside its statement. */
async function breakEvictionOf(db: Database, nodeId: string): Promise<void> {
  const sql = rawSql(db);
  await sql.rows(`create or replace function kube9_test_refuse_eviction() returns trigger language plpgsql as $$
    begin
      if old.node_id = '${nodeId}'::uuid and new.node_id is null then raise exception 'injected eviction failure'; end if;
      return new;
    end $$`);
  await sql.rows("drop trigger if exists kube9_test_refuse_eviction on pod");
  await sql.rows("create trigger kube9_test_refuse_eviction before update on pod for each row execute function kube9_test_refuse_eviction()");
}

async function repairEviction(db: Database): Promise<void> {
  await rawSql(db).rows("drop trigger if exists kube9_test_refuse_eviction on pod");
}

for (const backend of backends()) {
  describe(`node status changes and their evictions are one transaction (${backend.name})`, () => {
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
      await repairEviction(shared.db);
      await h.close();
    });

    /** Node a (2 cores) holding pods p and q, node b empty. */
    async function twoPodsOnA(): Promise<{ aId: string }> {
      const a = await readyNode(h, "a", 2);
      await readyNode(h, "b", 2);
      await h.admin.pods.launch({ name: "p", cpu: 1, algorithm: "first-fit" });
      await h.admin.pods.launch({ name: "q", cpu: 1, algorithm: "first-fit" });
      expect((await dbPod(h, "p")).nodeId).toBe(a.nodeId);
      return { aId: a.nodeId };
    }

    it("failing a node whose eviction fails changes nothing: the node is not Failed with its pods still bound", async () => {
      const { aId } = await twoPodsOnA();
      await breakEvictionOf(h.db, aId);
      await expect(h.cp.lifecycle.agentExited({ nodeId: aId, description: "agent process exited with code 137" })).rejects.toThrow(
        /injected eviction failure/,
      );
      const a = await dbNode(h, "a");
      expect(a.status).toBe("Ready");
      expect(a.allocated.cpuMilli).toBe(2000);
      expect((await dbPod(h, "p")).nodeId).toBe(aId);
      expect((await dbPod(h, "q")).status).toBe("Scheduled");

      // Once the database lets it, the same call does both.
      await repairEviction(h.db);
      await h.cp.lifecycle.agentExited({ nodeId: aId, description: "agent process exited with code 137" });
      expect((await dbNode(h, "a")).status).toBe("Failed");
      expect((await dbNode(h, "a")).allocated.cpuMilli).toBe(0);
      expect((await dbPod(h, "p")).nodeId).not.toBe(aId);
    });

    it("node remove whose eviction fails changes nothing: no Removed (hidden) node with pods still bound", async () => {
      const { aId } = await twoPodsOnA();
      await breakEvictionOf(h.db, aId);
      await expect(h.admin.nodes.remove({ name: "a" })).rejects.toThrow();
      expect((await dbNode(h, "a")).status).toBe("Ready");
      expect((await h.admin.nodes.list()).map((n) => n.name).sort()).toEqual(["a", "b"]);
      expect((await dbPod(h, "p")).nodeId).toBe(aId);

      await repairEviction(h.db);
      const { movedPods } = await h.admin.nodes.remove({ name: "a" });
      expect(movedPods.map((p) => p.name).sort()).toEqual(["p", "q"]);
      expect(await h.db.nodes.getByName("a")).toBeNull();
    });

    it("a new leader finds pods stranded on a Failed node (the old leader died between the steps) and reschedules them", async () => {
      const { aId } = await twoPodsOnA();
      // What a crash between "mark Failed" and "evict" used to leave behind.
      await h.db.nodes.transition(aId, "Failed", { from: ["Ready"], reason: "no heartbeat", now: h.clock.now });
      await h.close();

      h = await attachControlPlane(shared.db, { now: Date.now() });
      await h.cp.lifecycle.tick();
      for (const name of ["p", "q"]) {
        const pod = await dbPod(h, name);
        expect(pod.nodeId, `${name} left on the Failed node`).not.toBe(aId);
        expect(pod.restarts).toBe(1);
      }
      expect((await dbPod(h, "p")).status).toBe("Scheduled"); // placed on b at once
      expect((await dbNode(h, "a")).allocated.cpuMilli).toBe(0);
      expect((await h.admin.events.list({ objectName: "p" })).map((e) => e.reason)).toContain("PodEvicted");
    });

    it("a new leader finishes a node removal that was interrupted: pods moved, agent stopped, row deleted", async () => {
      const { aId } = await twoPodsOnA();
      await h.db.nodes.transition(aId, "Removed", { reason: "removed by user", now: h.clock.now });
      await h.close();

      const clock = { now: Date.now() + 60_000 };
      h = await attachControlPlane(shared.db, clock);
      expect((await h.admin.nodes.list()).map((n) => n.name)).toEqual(["b"]);
      await h.cp.lifecycle.tick();
      expect(await h.db.nodes.getByName("a")).toBeNull();
      expect(h.runtime.stopped).toContain(aId);
      for (const name of ["p", "q"]) expect((await dbPod(h, name)).nodeId, name).not.toBe(aId);
      // The node is gone, so its events are found among all of them.
      expect((await h.admin.events.list({})).filter((e) => e.reason === "NodeRemoved")).toHaveLength(1);
    });

    it("giving a node up (PermanentlyFailed) evicts any pod still bound to it in the same transaction", async () => {
      const { aId } = await twoPodsOnA();
      await h.db.nodes.transition(aId, "Failed", { from: ["Ready"], reason: "no heartbeat", now: h.clock.now, recoveryAttempts: 99 });
      await h.cp.cache.reloadNode(aId);
      h.clock.now += 60_000;
      await h.cp.recovery.tick();
      expect((await dbNode(h, "a")).status).toBe("PermanentlyFailed");
      expect((await dbPod(h, "p")).nodeId).not.toBe(aId);
      expect((await dbNode(h, "a")).allocated.cpuMilli).toBe(0);
    });
  });
}
