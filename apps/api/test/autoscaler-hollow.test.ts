import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKube9Client } from "@kube9/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { waitFor } from "./harness.js";

// A ramp of 2,000 pending pods on hollow nodes: the group grows from 0 to what the pods need while
// they keep arriving, counting the room of nodes still starting, with no overshoot beyond one node.

describe("autoscaling a hollow group for a ramp of 2,000 pods", () => {
  let home: string;
  let api: RunningControlPlane;
  let c: ReturnType<typeof createKube9Client>;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-autoscale-hollow-"));
    api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {} });
    c = createKube9Client({ url: api.url, token: api.token });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("scales 0 -> 125 nodes (2,000 x 1 core on 16-core nodes) with at most one node too many", async () => {
    await c.nodeGroups.create.mutate({ name: "ramp", min: 0, max: 300, cpu: 16, memoryMiB: 65536, runtime: "hollow", labels: { pool: "ramp" }, settings: { scaleUpDelay: "1s", unneededTime: "10m" } });
    // Ten waves of 200 pods, 300 ms apart: the autoscaler sees the ramp over several passes.
    const launch = async (i: number) => c.pods.launch.mutate({ name: `r${i}`, cpu: 1, memoryMiB: 64, nodeSelector: { pool: "ramp" } });
    for (let wave = 0; wave < 10; wave++) {
      const jobs: Promise<unknown>[] = [];
      for (let k = 0; k < 200; k++) jobs.push(launch(wave * 200 + k));
      await Promise.all(jobs);
      await new Promise((r) => setTimeout(r, 300));
    }
    let largest = 0;
    await waitFor(async () => {
      const g = await c.nodeGroups.get.query({ name: "ramp" });
      largest = Math.max(largest, g.size);
      return (await c.pods.list.query({ status: ["Running"] })).length === 2000;
    }, 90_000);
    // 2,000 cores of pods / 16 per node = 125 nodes needed.
    expect(largest).toBeGreaterThanOrEqual(125);
    expect(largest).toBeLessThanOrEqual(126);
    expect((await c.nodeGroups.get.query({ name: "ramp" })).size).toBe(largest);
  }, 150_000);
});
