import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKube9Client } from "@kube9/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { waitFor } from "./harness.js";

// Issue 10 end to end with real process nodes: a group grows for pending pods in one step and never
// past max, shrinks to min once the pods are gone (one node at a time, after the unneeded time), a pod
// marked safe-to-evict "false" keeps its node, and real CPU-burning containers drive a load scale-up.

describe("autoscaling with process nodes", () => {
  let home: string;
  let api: RunningControlPlane;
  let c: ReturnType<typeof createKube9Client>;
  const group = async (name: string) => c.nodeGroups.get.query({ name });
  const events = async () => (await c.events.list.query({ limit: 1000 })).map((e) => `${e.reason}: ${e.message}`);

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-autoscale-"));
    api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {} });
    c = createKube9Client({ url: api.url, token: api.token });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("6 pending 1-core pods -> 3 two-core nodes in one step, all Running; then down to min, a safe-to-evict=false pod keeping its node", async () => {
    await c.nodeGroups.create.mutate({
      name: "web",
      min: 0,
      max: 5,
      cpu: 2,
      memoryMiB: 2048,
      labels: { tier: "web" },
      settings: { unneededTime: "4s", scaleDownDelayAfterAdd: "2s" },
    });
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) await c.pods.launch.mutate({ name: `p${i}`, cpu: 1, nodeSelector: { tier: "web" } });
    // Half a core: once alone, its node is at 25% (under the 50% low-water mark) and only the mark keeps it.
    await c.pods.launch.mutate({ name: "keep", cpu: 0.5, nodeSelector: { tier: "web" }, labels: { "kube9.io/safe-to-evict": "false" } });
    let largest = 0;
    await waitFor(async () => {
      const g = await group("web");
      largest = Math.max(largest, g.size);
      const pods = await c.pods.list.query();
      return pods.filter((p) => p.status === "Running").length === 6;
    }, 30_000);
    const upIn = Date.now() - t0;
    // 5.5 cores of pods on 2-core nodes: 3 nodes, in one scale-up, never more.
    expect(largest).toBe(3);
    expect((await group("web")).size).toBe(3);
    await waitFor(async () => (await events()).some((e) => e.startsWith("ScaledUpGroup:")), 5_000);
    const ups = (await events()).filter((e) => e.startsWith("ScaledUpGroup:"));
    expect(ups).toHaveLength(1);
    expect(ups[0]).toMatch(/6 pods unschedulable, added 3 nodes to group web/);
    expect(upIn).toBeLessThan(15_000);
    const keepNode = (await c.pods.get.query({ name: "keep" })).pod.nodeName!;

    // The pods go: every node but keep's is removed after the unneeded time, one at a time.
    for (let i = 0; i < 5; i++) await c.pods.delete.mutate({ name: `p${i}` });
    await waitFor(async () => (await group("web")).size === 1, 40_000);
    expect((await group("web")).nodes.map((n) => n.name)).toEqual([keepNode]);
    await waitFor(async () => (await events()).some((e) => e.startsWith("ScaleDownBlocked:") && /safe-to-evict/.test(e)), 15_000);
    expect((await events()).filter((e) => e.startsWith("ScaleDown:"))).toHaveLength(2);

    // keep goes too: the group shrinks to its minimum, 0.
    await c.pods.delete.mutate({ name: "keep" });
    await waitFor(async () => (await group("web")).size === 0, 30_000);
    const status = await c.autoscaler.status.query();
    expect(status.groups.find((g) => g.name === "web")).toMatchObject({ min: 0, size: 0, max: 5 });
    await c.nodeGroups.delete.mutate({ name: "web" });
  }, 150_000);

  it("real CPU-burning containers over the high-water mark add a node", async () => {
    await c.nodeGroups.create.mutate({
      name: "burst",
      min: 1,
      max: 2,
      cpu: 1,
      memoryMiB: 1024,
      labels: { tier: "burst" },
      settings: { highWaterMark: 0.5, lowWaterMark: 0.2, highDuration: "3s", loadMetric: "usage", unneededTime: "10m" },
    });
    await waitFor(async () => (await group("burst")).ready === 1, 20_000);
    // 700m of real burning on a 1-core node: 70% > 50% for 3 s.
    await c.pods.launch.mutate({ name: "burner", image: "kube9/workload", args: ["cpu", "--millicores", "700"], cpu: 0.1, limitCpu: 1, limitMemoryMiB: 128, nodeSelector: { tier: "burst" } });
    await waitFor(async () => (await group("burst")).size === 2, 30_000);
    // The group's event is written once its nodes were added (the node shows in the group a moment before).
    const burstUps = async () => (await events()).filter((e) => e.startsWith("ScaledUpGroup:") && e.includes("burst"));
    await waitFor(async () => (await burstUps()).length >= 2, 5_000);
    const ups = await burstUps();
    expect(ups).toHaveLength(2);
    expect(ups[0]).toMatch(/below its minimum size 1/);
    expect(ups[1]).toMatch(/usage|utilization|load/i);
    await c.pods.delete.mutate({ name: "burner", gracePeriodSeconds: 0 });
    await c.nodeGroups.delete.mutate({ name: "burst" });
  }, 90_000);
});
