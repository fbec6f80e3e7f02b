/**
 * Control-plane figures through the real API over HTTP:
 *  - pods/s launched on PostgreSQL with 1,000 registered (hollow) nodes heartbeating;
 *  - time from node add to Ready with real agent processes (median of 10);
 *  - time from killing an agent to Failed and to its pods Running elsewhere (median of 5),
 *    for a kill (process exit noticed at once) and a pause (heartbeats stop: the 5 s rule).
 *
 * Run: npm run build && npx tsx bench/api-bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import pg from "pg";
import { benchPostgres, freePort, median, pool, ROOT, until } from "./lib.js";

/** A new, empty database on the bench server; drop() removes it. */
export async function freshDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `kube9_bench_${Date.now()}`;
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const d = new pg.Client({ connectionString: baseUrl });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}

/** Runs `kube9 up` as its own process (as users run it), so the load generator does not share its CPU time. */
export async function withControlPlane<T>(
  databaseUrl: string | undefined,
  fn: (c: Kube9Client, apiPid: number, url: string) => Promise<T>,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<T> {
  const home = mkdtempSync(join(tmpdir(), "kube9-bench-"));
  const port = await freePort();
  const token = `k9a.bench-${Date.now()}-token`;
  const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: home, KUBE9_ADMIN_TOKEN: token, KUBE9_LOG_LEVEL: "error", ...extraEnv };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  // KUBE9_BENCH_CPU_PROF=<dir> profiles the API process (node --cpu-prof) to see where its time goes.
  const prof = process.env.KUBE9_BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.KUBE9_BENCH_CPU_PROF}`] : [];
  const api = spawn(process.execPath, [...prof, join(ROOT, "apps/cli/dist/main.js"), "up", "--port", String(port), "--runtime", "process"], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((r) => api.once("exit", () => r()));
  try {
    const url = `http://127.0.0.1:${port}`;
    const c = createKube9Client({ url, token });
    await until(async () => (await c.health.check.query().catch(() => undefined))?.ok, 120_000, 100);
    return await fn(c, api.pid!, url);
  } finally {
    api.kill("SIGTERM");
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
}

/** Pods per second through the API on PostgreSQL with `nodes` hollow nodes. */
export async function launchThroughput(pgUrl: string, nodes = 1000, pods = 3000, concurrency = 32) {
  const db = await freshDatabase(pgUrl);
  try {
    return await withControlPlane(db.url, async (c) => {
      await pool(nodes, 16, (i) => c.nodes.add.mutate({ name: `h${i}`, cpu: 32, memoryMiB: 262144, runtime: "hollow" }));
      await until(async () => (await c.nodes.list.query({ status: ["Ready"] })).length === nodes || undefined, 120_000, 250);
      // Warm-up, then the measured run.
      await pool(100, concurrency, (i) => c.pods.launch.mutate({ name: `warm-${i}`, cpu: 0.5 }));
      const t0 = performance.now();
      const results = await pool(pods, concurrency, (i) => c.pods.launch.mutate({ name: `p-${i}`, cpu: 1 + (i % 4), memoryMiB: 1024 }));
      const secs = (performance.now() - t0) / 1000;
      const placed = results.filter((r) => r.scheduled).length;
      return { nodes, pods, placed, seconds: secs, podsPerSec: pods / secs, concurrency };
    });
  } finally {
    await db.drop();
  }
}

/** Time from nodes.add to Ready with real agent processes. */
export async function nodeReadyTimes(runs = 10): Promise<number[]> {
  return withControlPlane(undefined, async (c) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await c.nodes.add.mutate({ name: `r${i}`, cpu: 1 });
      await until(async () => (await c.nodes.get.query({ name: `r${i}` })).node.status === "Ready", 30_000, 5);
      times.push(performance.now() - t0);
    }
    return times;
  });
}

/** Time from a fault to the node Failed and to its pod Running on another node. */
export async function failoverTimes(mode: "kill" | "pause", runs = 5): Promise<Array<{ failed: number; running: number }>> {
  return withControlPlane(undefined, async (c) => {
    const out: Array<{ failed: number; running: number }> = [];
    await c.nodes.add.mutate({ name: "spare", cpu: 64 });
    for (let i = 0; i < runs; i++) {
      const name = `v${i}`;
      await c.nodes.add.mutate({ name, cpu: 2 });
      await until(async () => (await c.nodes.get.query({ name })).node.status === "Ready", 30_000);
      // best-fit puts a 2-core pod on the 2-core victim (0 left), not on the 64-core spare.
      await c.pods.launch.mutate({ name: `pod-${i}`, cpu: 2, algorithm: "best-fit" });
      await until(async () => {
        const p = (await c.pods.get.query({ name: `pod-${i}` })).pod;
        return p.status === "Running" && p.nodeName === name;
      }, 10_000);
      const t0 = performance.now();
      await c.nodes.fail.mutate({ name, mode });
      let failed = 0;
      const running = await until(async () => {
        if (!failed && (await c.nodes.get.query({ name })).node.status === "Failed") failed = performance.now() - t0;
        const p = (await c.pods.get.query({ name: `pod-${i}` })).pod;
        return p.status === "Running" && p.nodeName !== name ? performance.now() - t0 : undefined;
      }, 30_000);
      out.push({ failed: failed || running, running });
      await c.nodes.remove.mutate({ name });
    }
    return out;
  });
}

/** Runs every API benchmark and prints the figures. */
export async function runApiBench(log: (s: string) => void = console.log): Promise<void> {
  const pgServer = await benchPostgres();
  try {
    const t = await launchThroughput(pgServer.url);
    log(`pods launched through the API (PostgreSQL, ${t.nodes} hollow nodes, ${t.concurrency} in flight): ${t.pods} in ${t.seconds.toFixed(2)} s = ${t.podsPerSec.toFixed(0)} pods/s (${t.placed} placed)`);
  } finally {
    pgServer.stop();
  }
  const ready = await nodeReadyTimes(10);
  log(`node add -> Ready (process agents, embedded DB): median ${median(ready).toFixed(0)} ms over ${ready.length} (min ${Math.min(...ready).toFixed(0)}, max ${Math.max(...ready).toFixed(0)})`);
  for (const mode of ["kill", "pause"] as const) {
    const f = await failoverTimes(mode, 5);
    log(
      `${mode} agent -> node Failed: median ${(median(f.map((x) => x.failed)) / 1000).toFixed(2)} s; -> its pod Running elsewhere: median ${(median(f.map((x) => x.running)) / 1000).toFixed(2)} s (5 runs)`,
    );
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runApiBench();
  process.exit(0);
}
