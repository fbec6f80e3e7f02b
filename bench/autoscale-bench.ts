/**
 * Autoscaling figures through the real API over HTTP (embedded database, `kube9 up` as its own process):
 *  - an unschedulable pod -> Running on a node the autoscaler added (median of 5), process and docker
 *    groups, with the default 2 s scale-up delay;
 *  - a hollow group from 0 to 500 nodes for a burst of 4,000 one-core pods (8-core template), on PostgreSQL;
 *  - scale-down after the load stops: a process group of 3 nodes back to 0 (unneeded time 10 s, one
 *    node at a time), and the hollow group of 500 back to 0 (unneeded time 10 s, 100 at a time).
 *
 * Run: npm run build && npx tsx bench/autoscale-bench.ts
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kube9Client } from "@kube9/client";
import { freshDatabase, withControlPlane } from "./api-bench.js";
import { benchPostgres, median, pool, until } from "./lib.js";

const sizeOf = async (c: Kube9Client, name: string) => (await c.nodeGroups.get.query({ name })).size;

/** Launch -> Running on a new node of a group that has none, `runs` times (the group is emptied between runs). */
async function podOnNewNode(c: Kube9Client, runtime: "process" | "docker", runs: number): Promise<number[]> {
  if (runtime === "docker") await c.nodes.prepareRuntime.mutate({ runtime });
  const group = `up-${runtime}`;
  await c.nodeGroups.create.mutate({ name: group, min: 0, max: 1, cpu: 1, memoryMiB: 1024, runtime, labels: { bench: group }, settings: { unneededTime: "1s", scaleDownDelayAfterAdd: "1s" } });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const name = `${group}-pod-${i}`;
    const t0 = performance.now();
    await c.pods.launch.mutate({ name, cpu: 0.5, nodeSelector: { bench: group } });
    await until(async () => (await c.pods.get.query({ name })).pod.status === "Running", 60_000, 5);
    times.push(performance.now() - t0);
    await c.pods.delete.mutate({ name });
    await until(async () => (await sizeOf(c, group)) === 0, 60_000, 100);
  }
  await c.nodeGroups.delete.mutate({ name: group });
  return times;
}

/** Scale-down of a process group of 3 after its pods go: seconds until it is back at 0. */
async function processScaleDown(c: Kube9Client): Promise<number> {
  await c.nodeGroups.create.mutate({ name: "down", min: 0, max: 3, cpu: 1, memoryMiB: 1024, labels: { bench: "down" }, settings: { unneededTime: "10s", scaleDownDelayAfterAdd: "1s" } });
  for (let i = 0; i < 3; i++) await c.pods.launch.mutate({ name: `down-${i}`, cpu: 1, nodeSelector: { bench: "down" } });
  await until(async () => (await c.pods.list.query({ status: ["Running"] })).filter((p) => p.name.startsWith("down-")).length === 3, 60_000, 50);
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await c.pods.delete.mutate({ name: `down-${i}` });
  await until(async () => (await sizeOf(c, "down")) === 0, 120_000, 50);
  const secs = (performance.now() - t0) / 1000;
  await c.nodeGroups.delete.mutate({ name: "down" });
  return secs;
}

/** A hollow group from 0 to 500 nodes for 4,000 one-core pods, then back to 0 once they are deleted. */
async function hollowBurst(c: Kube9Client): Promise<{ upSeconds: number; nodes: number; downSeconds: number }> {
  await c.nodeGroups.create.mutate({
    name: "burst",
    min: 0,
    max: 600,
    cpu: 8,
    memoryMiB: 32768,
    runtime: "hollow",
    labels: { bench: "burst" },
    settings: { unneededTime: "10s", maxScaleDownParallel: 100, scaleDownDelayAfterAdd: "1s" },
  });
  const t0 = performance.now();
  await pool(4000, 32, (i) => c.pods.launch.mutate({ name: `b${i}`, cpu: 1, memoryMiB: 64, nodeSelector: { bench: "burst" } }));
  await until(async () => (await c.pods.list.query({ status: ["Running"] })).length >= 4000 || undefined, 300_000, 1000);
  const upSeconds = (performance.now() - t0) / 1000;
  const nodes = await sizeOf(c, "burst");
  await pool(4000, 32, (i) => c.pods.delete.mutate({ name: `b${i}` }));
  const t1 = performance.now();
  await until(async () => (await sizeOf(c, "burst")) === 0, 300_000, 500);
  return { upSeconds, nodes, downSeconds: (performance.now() - t1) / 1000 };
}

/** Runs the autoscaling benchmarks and prints the figures. */
export async function runAutoscaleBench(log: (s: string) => void = console.log, docker = false): Promise<void> {
  await withControlPlane(undefined, async (c) => {
    for (const runtime of docker ? (["process", "docker"] as const) : (["process"] as const)) {
      const t = await podOnNewNode(c, runtime, 5);
      log(`unschedulable pod -> Running on a node the autoscaler added (${runtime} group, 2 s scale-up delay): median ${(median(t) / 1000).toFixed(2)} s over ${t.length} (min ${(Math.min(...t) / 1000).toFixed(2)}, max ${(Math.max(...t) / 1000).toFixed(2)})`);
    }
    const down = await processScaleDown(c);
    log(`scale-down after the load stops: 3 process nodes -> 0 in ${down.toFixed(1)} s (unneeded time 10 s, one node at a time)`);
  });
  const server = await benchPostgres();
  const db = await freshDatabase(server.url);
  try {
    const b = await withControlPlane(db.url, hollowBurst);
    log(`hollow burst (PostgreSQL): 4,000 one-core pods -> ${b.nodes} nodes of 8 cores, all pods Running ${b.upSeconds.toFixed(1)} s after the first launch (launches included); back to 0 nodes ${b.downSeconds.toFixed(1)} s after the pods were deleted (unneeded time 10 s, 100 at a time)`);
  } finally {
    await db.drop();
    server.stop();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { dockerAnswers } = await import("./docker-bench.js");
  await runAutoscaleBench(console.log, await dockerAnswers());
  process.exit(0);
}
