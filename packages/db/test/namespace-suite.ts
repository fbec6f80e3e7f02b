import { describe, expect, it } from "vitest";
import { ConflictError, NotFoundError } from "../src/index.js";
import type { Database } from "../src/index.js";

const T0 = 1_750_000_000_000;

/** Namespaces and NetworkPolicies; called inside storeSuite, which empties the tables before each test. */
export function namespaceSuite(db: () => Database): void {
  const pod = (namespace: string, name: string) =>
    db().pods.create({ name, namespace, request: { cpuMilli: 100, memoryMiB: 10 }, labels: {}, nodeSelector: {}, algorithm: null, now: T0 });

  describe("namespaces", () => {
    it("has default from the migration; creates, relabels, lists by name", async () => {
      expect((await db().namespaces.list()).map((n) => n.name)).toEqual(["default"]);
      const x = await db().namespaces.create("x", { team: "a" }, T0);
      expect(x).toMatchObject({ name: "x", labels: { team: "a" }, status: "Active", createdAt: T0, updatedAt: T0 });
      await expect(db().namespaces.create("x", {}, T0)).rejects.toBeInstanceOf(ConflictError);
      expect(await db().namespaces.setLabels("x", { team: "b" }, T0 + 1)).toMatchObject({ labels: { team: "b" }, updatedAt: T0 + 1 });
      expect(await db().namespaces.setLabels("nope", {}, T0)).toBeNull();
      expect((await db().namespaces.list()).map((n) => n.name)).toEqual(["default", "x"]);
    });

    it("pod names are unique per namespace; a pod needs its namespace to exist", async () => {
      await db().namespaces.create("x", {}, T0);
      const a = await pod("default", "web");
      const b = await pod("x", "web");
      expect([a.namespace, b.namespace]).toEqual(["default", "x"]);
      await expect(pod("x", "web")).rejects.toThrow(new ConflictError("name", 'pods "web" already exists in namespace "x"'));
      await expect(pod("nope", "web")).rejects.toBeInstanceOf(NotFoundError);
      expect((await db().pods.list({ namespace: "x" })).map((p) => p.id)).toEqual([b.id]);
      expect((await db().pods.getByName("x", "web"))?.id).toBe(b.id);
    });

    it("goes only once Terminating and empty, taking its policies along", async () => {
      await db().namespaces.create("x", {}, T0);
      const p = await pod("x", "web");
      await db().networkPolicies.upsert("x", "deny", { podSelector: {} }, T0);
      expect(await db().namespaces.deleteIfEmpty("x")).toBe(false); // still Active
      expect(await db().namespaces.markTerminating("x", T0 + 1)).toMatchObject({ status: "Terminating", updatedAt: T0 + 1 });
      expect(await db().namespaces.markTerminating("x", T0 + 2)).toMatchObject({ updatedAt: T0 + 1 });
      expect(await db().namespaces.setLabels("x", { a: "b" }, T0)).toBeNull(); // Terminating: no changes
      expect(await db().networkPolicies.upsert("x", "late", {}, T0)).toBeNull();
      expect(await db().namespaces.deleteIfEmpty("x")).toBe(false); // a pod is left
      await db().pods.delete(p.id, T0);
      expect(await db().namespaces.deleteIfEmpty("x")).toBe(true);
      expect(await db().namespaces.get("x")).toBeNull();
      expect(await db().networkPolicies.list()).toEqual([]);
    });
  });

  describe("pod labels", () => {
    it("are replaced whole, kept on re-read, and a gone pod gives null", async () => {
      const p = await pod("default", "web");
      const labeled = await db().pods.setLabels(p.id, { app: "web", tier: "front" }, T0 + 1);
      expect(labeled).toMatchObject({ id: p.id, namespace: "default", labels: { app: "web", tier: "front" } });
      expect((await db().pods.get(p.id))?.labels).toEqual({ app: "web", tier: "front" });
      await db().pods.delete(p.id, T0);
      expect(await db().pods.setLabels(p.id, {}, T0)).toBeNull();
      expect(await db().pods.setLabels("not-a-uuid", {}, T0)).toBeNull();
    });
  });

  describe("network policies", () => {
    it("upsert creates at generation 1, bumps it only when the spec changed, deletes", async () => {
      const made = await db().networkPolicies.upsert("default", "deny", { podSelector: {}, n: 1 }, T0);
      expect(made).toMatchObject({ created: true, changed: true, record: { namespace: "default", name: "deny", generation: 1, createdAt: T0 } });
      const same = await db().networkPolicies.upsert("default", "deny", { podSelector: {}, n: 1 }, T0 + 1);
      expect(same).toMatchObject({ created: false, changed: false, record: { generation: 1, updatedAt: T0 } });
      const changed = await db().networkPolicies.upsert("default", "deny", { podSelector: {}, n: 2 }, T0 + 2);
      expect(changed).toMatchObject({ created: false, changed: true, record: { generation: 2, updatedAt: T0 + 2, uid: made!.record.uid } });
      expect(await db().networkPolicies.upsert("nope", "deny", {}, T0)).toBeNull();
      expect((await db().networkPolicies.list("default")).map((p) => p.name)).toEqual(["deny"]);
      expect(await db().networkPolicies.get("default", "deny")).toEqual(changed!.record);
      expect((await db().networkPolicies.delete("default", "deny"))?.name).toBe("deny");
      expect(await db().networkPolicies.delete("default", "deny")).toBeNull();
    });
  });
}
