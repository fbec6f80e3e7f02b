/**
 * Usage monitoring figures, through the real API over HTTP on PostgreSQL:
 *  - the API's CPU and memory with 1,000 hollow nodes x 10 pods reporting usage every second, against
 *    the same cluster with usage reports off (KUBE9_HOLLOW_USAGE=off);
 *  - the size of 24 h of history per 1,000 pods (2 h of rows written through the repository, measured
 *    with pg_total_relation_size, and scaled: rows per object are the same every hour);
 *  - the latency of a 1-hour range query for one pod and for the whole cluster (from usage_history),
 *    and of a 15-minute one (from memory).
 *
 * Run: npm run build && npx tsx bench/usage-bench.ts   (KUBE9_BENCH_USAGE_NODES to change the size)
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kube9Client } from "@kube9/client";
import { openDatabase } from "@kube9/db";
import { freshDatabase, withControlPlane } from "./api-bench.js";
import { benchPostgres, cpuSeconds, median, pool, rssMiB, until } from "./lib.js";

const MEASURE_S = 30;
const CLUSTER_ID = "00000000-0000-0000-0000-000000000000";

interface Cost {
  usage: boolean;
  nodes: number;
  pods: number;
  cpuPercent: number;
  rssMiB: number;
  queries?: { podHourMs: number; clusterHourMs: number; podRecentMs: number; points: number };
}

async function fillCluster(c: Kube9Client, nodes: number, podsPerNode: number): Promise<void> {
  await pool(nodes, 16, (i) => c.nodes.add.mutate({ name: `u${i}`, cpu: 16, memoryMiB: 65536, runtime: "hollow" }));
  await until(async () => (await c.nodes.list.query({ status: ["Ready"] })).length === nodes || undefined, 300_000, 500);
  const pods = nodes * podsPerNode;
  await pool(pods, 32, (i) => c.pods.launch.mutate({ name: `w${i}`, image: "kube9/workload", args: ["idle"], limitCpu: 0.5, limitMemoryMiB: 256 }));
  await until(async () => (await c.pods.list.query({ status: ["Running"] })).length === pods || undefined, 300_000, 1000);
}

/** Median latency (ms) of `runs` calls. */
async function latency(runs: number, call: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** One API process with the cluster; usage on or off. */
async function measureCost(pgUrl: string, usage: boolean, nodes: number, podsPerNode: number): Promise<Cost> {
  const db = await freshDatabase(pgUrl);
  try {
    return await withControlPlane(
      db.url,
      async (c, apiPid) => {
        await fillCluster(c, nodes, podsPerNode);
        // Let the launch's garbage settle, then measure a quiet cluster that only beats (and reports).
        await new Promise((r) => setTimeout(r, 10_000));
        const cpu0 = cpuSeconds(apiPid);
        await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
        const cost: Cost = { usage, nodes, pods: nodes * podsPerNode, cpuPercent: ((cpuSeconds(apiPid) - cpu0) / MEASURE_S) * 100, rssMiB: rssMiB(apiPid) };
        if (!usage) return cost;
        // An hour of history for the cluster and the first 1,000 pods, written as the history controller would.
        const store = await openDatabase({ url: db.url, poolSize: 2 });
        try {
          const now = Date.now();
          const start = Math.floor((now - 3_600_000) / 10_000) * 10_000;
          const ids = (await c.pods.list.query({ status: ["Running"] })).slice(0, 1000).map((p) => p.id);
          for (const objectId of [CLUSTER_ID, ...ids]) {
            await store.usage.insert(Array.from({ length: 360 }, (_, k) => ({ objectId, t: start + k * 10_000, cpuMilli: 250 + (k % 7), memoryMiB: 128 + (k % 5) })));
          }
        } finally {
          await store.close();
        }
        const from = Date.now() - 3_600_000;
        const podHourMs = await latency(20, () => c.usage.range.query({ target: { kind: "pod", name: "w0" }, from }));
        const clusterHourMs = await latency(20, () => c.usage.range.query({ target: { kind: "cluster" }, from }));
        const podRecentMs = await latency(20, () => c.usage.range.query({ target: { kind: "pod", name: "w0" }, stepSeconds: 1 }));
        const points = (await c.usage.range.query({ target: { kind: "pod", name: "w0" }, from })).points.length;
        return { ...cost, queries: { podHourMs, clusterHourMs, podRecentMs, points } };
      },
      { KUBE9_HOLLOW_USAGE: usage ? "cpu=0.5,memory=0.5,noise=0.1" : "off" },
    );
  } finally {
    await db.drop();
  }
}

/** Bytes of usage_history per 1,000 pods for 24 h, from 2 h written and measured. */
async function historySize(pgUrl: string): Promise<{ rows: number; bytes: number; bytesPerRow: number; dayPer1000PodsMiB: number }> {
  const fresh = await freshDatabase(pgUrl);
  const db = await openDatabase({ url: fresh.url, poolSize: 2 });
  try {
    const t0 = Math.floor(Date.now() / 10_000) * 10_000 - 7_200_000;
    const ids = Array.from({ length: 1000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    // 720 buckets of 10 s = 2 h; written a bucket of every pod per statement, as the controller does.
    for (let k = 0; k < 720; k++) {
      await db.usage.insert(ids.map((objectId, i) => ({ objectId, t: t0 + k * 10_000, cpuMilli: 100 + ((i + k) % 400), memoryMiB: 64 + ((i * k) % 200) })));
    }
    const bytes = await db.usage.sizeBytes();
    const rows = 720 * 1000;
    return { rows, bytes, bytesPerRow: bytes / rows, dayPer1000PodsMiB: ((bytes / rows) * 8640 * 1000) / (1024 * 1024) };
  } finally {
    await db.close();
    await fresh.drop();
  }
}

/** Runs the usage benchmarks and prints the figures. */
export async function runUsageBench(log: (s: string) => void = console.log): Promise<void> {
  const nodes = Number(process.env.KUBE9_BENCH_USAGE_NODES ?? 1000);
  const server = await benchPostgres();
  try {
    const off = await measureCost(server.url, false, nodes, 10);
    const on = await measureCost(server.url, true, nodes, 10);
    for (const r of [off, on]) {
      log(`API with ${r.nodes} hollow nodes x 10 pods (${r.pods} pods), usage reports ${r.usage ? "on " : "off"}: ${r.cpuPercent.toFixed(1)}% of a core, ${r.rssMiB.toFixed(0)} MiB RSS (${MEASURE_S} s)`);
    }
    const q = on.queries!;
    log(`usage.range over HTTP, median of 20: 1 h of one pod ${q.podHourMs.toFixed(1)} ms (${q.points} points), 1 h of the cluster ${q.clusterHourMs.toFixed(1)} ms, last 15 min of one pod at 1 s ${q.podRecentMs.toFixed(1)} ms`);
    const h = await historySize(server.url);
    log(`usage history: ${h.rows} rows (1,000 pods x 2 h) take ${(h.bytes / 1048576).toFixed(1)} MiB = ${h.bytesPerRow.toFixed(0)} B/row -> 24 h per 1,000 pods: ${h.dayPer1000PodsMiB.toFixed(0)} MiB`);
  } finally {
    server.stop();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runUsageBench();
  process.exit(0);
}
