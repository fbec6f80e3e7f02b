import { describe, expect, it } from "vitest";
import { DEFAULT_GROUP_SETTINGS, EMPTY_GROUP_STATUS, type NodeGroupSpec } from "@kube9/core";
import { ConflictError } from "../src/index.js";
import type { Database } from "../src/index.js";

const T0 = 1_750_000_000_000;
const SPEC: NodeGroupSpec = {
  name: "web",
  min: 0,
  max: 5,
  priority: 1,
  template: { capacity: { cpuMilli: 2000, memoryMiB: 4096 }, runtime: "process", labels: { tier: "web" } },
  settings: { ...DEFAULT_GROUP_SETTINGS },
};

/** Node groups; called inside storeSuite, which empties the tables before each test. */
export function nodeGroupSuite(db: () => Database): void {
  describe("node groups", () => {
    it("are created once, read back whole, updated, given a status, deleted", async () => {
      const made = await db().nodeGroups.create(SPEC, T0);
      expect(made).toEqual({ ...SPEC, status: EMPTY_GROUP_STATUS, createdAt: T0, updatedAt: T0 });
      await expect(db().nodeGroups.create(SPEC, T0)).rejects.toBeInstanceOf(ConflictError);
      expect(await db().nodeGroups.update({ ...SPEC, max: 7 }, T0 + 1)).toMatchObject({ max: 7, updatedAt: T0 + 1 });
      expect(await db().nodeGroups.update({ ...SPEC, name: "nope" }, T0)).toBeNull();
      const status = { ...EMPTY_GROUP_STATUS, lastScaleUpAt: T0 + 5, lastActivity: "added 2 nodes", lastActivityAt: T0 + 5 };
      await db().nodeGroups.setStatus("web", status, T0 + 5);
      expect((await db().nodeGroups.get("web"))?.status).toEqual(status);
      expect((await db().nodeGroups.list()).map((g) => g.name)).toEqual(["web"]);
      expect(await db().nodeGroups.delete("web")).toBe(true);
      expect(await db().nodeGroups.delete("web")).toBe(false);
      expect(await db().nodeGroups.get("web")).toBeNull();
    });

    it("refuses min above max (CHECK constraint)", async () => {
      await expect(db().nodeGroups.create({ ...SPEC, min: 6, max: 5 }, T0)).rejects.toThrow();
      expect(await db().nodeGroups.list()).toEqual([]);
    });
  });
}
