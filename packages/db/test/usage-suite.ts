import { describe, expect, it } from "vitest";
import { DEFAULT_ALERTING_SETTINGS } from "@kube9/core";
import { CLUSTER_USAGE_ID } from "../src/index.js";
import type { Database } from "../src/index.js";

// Buckets align to the epoch (stable as a chart refreshes): T0 is a multiple of 10 s and of 30 s.
const T0 = 1_750_000_020_000;
const POD = "11111111-2222-4333-8444-555555555555";

/** Usage history and alerting settings; called inside storeSuite, which truncates the tables before each test. */
export function usageSuite(db: () => Database): void {
  describe("usage history", () => {
    it("inserts a batch and reads it back averaged over the step", async () => {
      // Six 10 s buckets of a pod: cpu 100, 200, ..., 600; memory 10, 20, ..., 60.
      const rows = Array.from({ length: 6 }, (_, i) => ({ objectId: POD, t: T0 + i * 10_000, cpuMilli: (i + 1) * 100, memoryMiB: (i + 1) * 10 }));
      await db().usage.insert([...rows, { objectId: CLUSTER_USAGE_ID, t: T0, cpuMilli: 1, memoryMiB: 1 }]);
      // Step 10 s: the rows as they are.
      const raw = await db().usage.range(POD, T0, T0 + 60_000, 10_000);
      expect(raw.map((r) => [r.t - T0, r.cpuMilli, r.memoryMiB])).toEqual(rows.map((r) => [r.t - T0, r.cpuMilli, r.memoryMiB]));
      // Step 30 s: (100+200+300)/3 = 200 and (400+500+600)/3 = 500; memory 20 and 50.
      const coarse = await db().usage.range(POD, T0, T0 + 60_000, 30_000);
      expect(coarse.map((r) => [r.t - T0, r.cpuMilli, r.memoryMiB])).toEqual([
        [0, 200, 20],
        [30_000, 500, 50],
      ]);
      // [T0 + 20 s, T0 + 40 s) holds buckets 2 and 3 only.
      expect((await db().usage.range(POD, T0 + 20_000, T0 + 40_000, 10_000)).map((r) => r.cpuMilli)).toEqual([300, 400]);
      expect(await db().usage.range(CLUSTER_USAGE_ID, T0, T0 + 10_000, 10_000)).toHaveLength(1);
    });

    it("a bucket written twice keeps the later figures; bad ids and NaN are skipped", async () => {
      await db().usage.insert([{ objectId: POD, t: T0, cpuMilli: 1, memoryMiB: 1 }]);
      await db().usage.insert([
        { objectId: POD, t: T0, cpuMilli: 2, memoryMiB: 2 },
        { objectId: "not-a-uuid", t: T0, cpuMilli: 2, memoryMiB: 2 },
        { objectId: POD, t: T0 + 10_000, cpuMilli: Number.NaN, memoryMiB: 2 },
      ]);
      expect((await db().usage.range(POD, T0, T0 + 60_000, 10_000)).map((r) => r.cpuMilli)).toEqual([2]);
      await db().usage.insert([]);
    });

    it("retention deletes rows older than the cut and reports how many", async () => {
      await db().usage.insert(Array.from({ length: 5 }, (_, i) => ({ objectId: POD, t: T0 + i * 10_000, cpuMilli: 1, memoryMiB: 1 })));
      // Cut at T0 + 20 s: buckets 0 and 10 s go, 20, 30, 40 s stay.
      expect(await db().usage.deleteBefore(T0 + 20_000)).toBe(2);
      expect((await db().usage.range(POD, T0, T0 + 60_000, 10_000)).map((r) => r.t - T0)).toEqual([20_000, 30_000, 40_000]);
      expect(await db().usage.sizeBytes()).toBeGreaterThan(0);
    });

    it("inserts 10,000 rows in one call", async () => {
      const ids = Array.from({ length: 1000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
      await db().usage.insert(ids.flatMap((objectId) => Array.from({ length: 10 }, (_, k) => ({ objectId, t: T0 + k * 10_000, cpuMilli: k, memoryMiB: k }))));
      // The last object's ten buckets hold 0..9.
      expect((await db().usage.range(ids[999]!, T0, T0 + 100_000, 10_000)).map((r) => r.cpuMilli)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
  });

  describe("alerting settings", () => {
    it("default to no rules and no webhook, and are stored whole", async () => {
      expect((await db().cluster.get()).alerting).toEqual(DEFAULT_ALERTING_SETTINGS);
      const rule = { name: "Mine", expr: "kube9_pod_cpu_usage_millicores > 100", forMs: 3000, labels: { severity: "warning" }, annotations: {}, builtin: false, enabled: true };
      await db().cluster.update({ alerting: { rules: [rule], webhookUrl: "http://127.0.0.1:9/hook" } });
      expect((await db().cluster.get()).alerting).toEqual({ rules: [rule], webhookUrl: "http://127.0.0.1:9/hook" });
    });
  });
}
