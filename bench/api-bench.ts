/**
 * Control-plane figures through the real API over HTTP:
 *  - pods/s launched on PostgreSQL with 1,000 registered (hollow) nodes heartbeating, through pods.launch
 *    and through pods.launchMany, each next to its aim with where the time went;
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
import { benchPostgres, cpuSeconds, cpuSecondsOf, freePort, machineBusySeconds, median, pool, ROOT, until } from "./lib.js";
import { record } from "./report.js";

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
  fn: (c: Kube9Client, apiPid: number, conn: { url: string; token: string }) => Promise<T>,
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
    return await fn(c, api.pid!, { url, token });
  } finally {
    api.kill("SIGTERM");
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
}

/** The launch aim of issue 12: pods per second through the API, over HTTP, on PostgreSQL. */
export const LAUNCH_AIM_PER_SEC = 1000;

/** Where a run's time went, per pod: CPU of each process, commits, latency, and what else ran. */
export interface LaunchCost {
  apiCpuMsPerPod: number;
  /** Null when the server is not ours to measure (KUBE9_BENCH_PG_URL). */
  pgCpuMsPerPod: number | null;
  clientCpuMsPerPod: number;
  /** Transactions committed in the cluster's database per pod (pod inserts, events, leases, heartbeat reports). */
  commitsPerPod: number;
  /** Per call: one pod for pods.launch, one batch for pods.launchMany. */
  latencyMs: { p50: number; p99: number };
  heartbeatsPerSec: number;
  /** The API's event-loop delay during the run (what a heartbeat arriving then waits before it is read). */
  eventLoopLagMs: { p99: number; max: number };
  /** Cores the API spends with the same nodes and no launches (heartbeats, resyncs, controllers), measured before the runs. */
  apiIdleCores: number;
  /** The API's CPU per pod beyond that: what launching itself costs. */
  apiLaunchCpuMsPerPod: number;
  /** PostgreSQL's CPU per pod beyond what it spends with no launches (null: not measured). */
  pgLaunchCpuMsPerPod: number | null;
  /** Busy cores of the whole machine during the run, and how many of them were none of the above (other work on the machine). */
  machineCores: number;
  otherCores: number;
}

/** One measured way of launching. */
export interface LaunchFigures {
  procedure: "pods.launch" | "pods.launchMany";
  /** How the client sent them: calls in flight, pods per call. */
  shape: string;
  pods: number;
  placed: number;
  seconds: number;
  podsPerSec: number;
  cost: LaunchCost;
}

/**
 * Pods per second through the API on PostgreSQL with `nodes` hollow nodes heartbeating: first
 * pods.launch with `concurrency` calls in flight (the typed client batches what is sent together),
 * then pods.launchMany in calls of `batch` pods, one after another, as `kube9 pod launch --count` sends them.
 */
export async function launchThroughput(
  server: { url: string; pids(): number[] },
  opts: { nodes?: number; pods?: number; concurrency?: number; manyPods?: number; batch?: number } = {},
): Promise<{ nodes: number; launch: LaunchFigures; many: LaunchFigures }> {
  const { nodes = 1000, pods = 3000, concurrency = 32, manyPods = 5000, batch = 1000 } = opts;
  const db = await freshDatabase(server.url);
  const commits = async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ n: string }>("select xact_commit as n from pg_stat_database where datname = current_database()");
      return Number(rows[0]!.n);
    } finally {
      await c.end();
    }
  };
  try {
    return await withControlPlane(db.url, async (c, apiPid, { url }) => {
      // A scrape also restarts the API's event-loop delay histogram, so the one after a run covers that run.
      const scrape = async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        const value = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)`, "m").exec(text)?.[1] ?? NaN);
        return {
          beats: value("kube9_heartbeats_received_total"),
          lagMs: { p99: 1000 * value("kube9_process_nodejs_eventloop_lag_p99_seconds"), max: 1000 * value("kube9_process_nodejs_eventloop_lag_max_seconds") },
        };
      };
      /** Runs `calls` and measures them; `sizes[i]` is how many pods call i launches. */
      let idleCores = 0;
      let pgIdleCores = 0;
      const measure = async (procedure: LaunchFigures["procedure"], shape: string, sizes: number[], inFlight: number, call: (i: number) => Promise<number>) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        // pg_stat_database lags a little: let the counters settle around the run.
        await new Promise((r) => setTimeout(r, 600));
        const before = { commits: await commits(), beats: (await scrape()).beats, api: cpuSeconds(apiPid), pg: cpuSecondsOf(server.pids()), client: process.cpuUsage(), machine: machineBusySeconds() };
        const t0 = performance.now();
        const latencies: number[] = [];
        const placed = (
          await pool(sizes.length, inFlight, async (i) => {
            const s = performance.now();
            const n = await call(i);
            latencies.push(performance.now() - s);
            return n;
          })
        ).reduce((a, b) => a + b, 0);
        const seconds = (performance.now() - t0) / 1000;
        const api = cpuSeconds(apiPid) - before.api;
        const pgPids = server.pids();
        const pgCpu = pgPids.length ? cpuSecondsOf(pgPids) - before.pg : null;
        const clientUsage = process.cpuUsage(before.client);
        const client = (clientUsage.user + clientUsage.system) / 1e6;
        const machine = machineBusySeconds() - before.machine;
        const after = await scrape();
        const heartbeats = after.beats - before.beats;
        await new Promise((r) => setTimeout(r, 600));
        const committed = (await commits()) - before.commits;
        const ms = (cpu: number) => (1000 * cpu) / total;
        const sorted = latencies.sort((a, b) => a - b);
        const cost: LaunchCost = {
          apiCpuMsPerPod: ms(api),
          pgCpuMsPerPod: pgCpu === null ? null : ms(pgCpu),
          clientCpuMsPerPod: ms(client),
          commitsPerPod: committed / total,
          latencyMs: { p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! },
          heartbeatsPerSec: heartbeats / seconds,
          eventLoopLagMs: after.lagMs,
          apiIdleCores: idleCores,
          apiLaunchCpuMsPerPod: ms(Math.max(0, api - idleCores * seconds)),
          pgLaunchCpuMsPerPod: pgCpu === null ? null : ms(Math.max(0, pgCpu - pgIdleCores * seconds)),
          machineCores: machine / seconds,
          otherCores: Math.max(0, machine - api - (pgCpu ?? 0) - client) / seconds,
        };
        return { procedure, shape, pods: total, placed, seconds, podsPerSec: total / seconds, cost } satisfies LaunchFigures;
      };
      await pool(nodes, 16, (i) => c.nodes.add.mutate({ name: `h${i}`, cpu: 32, memoryMiB: 262144, runtime: "hollow" }));
      await until(async () => (await c.nodes.list.query({ status: ["Ready"] })).length === nodes || undefined, 120_000, 250);
      // Warm-up (statements prepared, code optimized), then what the API spends with no launches, then the measured runs.
      await pool(100, concurrency, (i) => c.pods.launch.mutate({ name: `warm-${i}`, cpu: 0.5 }));
      await c.pods.launchMany.mutate({ items: Array.from({ length: 100 }, (_, i) => ({ name: `warm-many-${i}`, cpu: 0.5 })) });
      await new Promise((r) => setTimeout(r, 2000));
      const idle0 = { cpu: cpuSeconds(apiPid), pg: cpuSecondsOf(server.pids()), t: performance.now() };
      await new Promise((r) => setTimeout(r, 5000));
      const idleSeconds = (performance.now() - idle0.t) / 1000;
      idleCores = (cpuSeconds(apiPid) - idle0.cpu) / idleSeconds;
      pgIdleCores = (cpuSecondsOf(server.pids()) - idle0.pg) / idleSeconds;
      const launch = await measure("pods.launch", `${concurrency} calls in flight`, Array(pods).fill(1), concurrency, async (i) => {
        const r = await c.pods.launch.mutate({ name: `p-${i}`, cpu: 1 + (i % 4), memoryMiB: 1024 });
        return r.scheduled ? 1 : 0;
      });
      const calls = Math.ceil(manyPods / batch);
      const sizes = Array.from({ length: calls }, (_, k) => Math.min(batch, manyPods - k * batch));
      const many = await measure("pods.launchMany", `${batch} pods per call, one call at a time`, sizes, 1, async (k) => {
        const items = Array.from({ length: sizes[k]! }, (_, j) => ({ name: `m-${k}-${j}`, cpu: 1 + (j % 4), memoryMiB: 1024 }));
        return (await c.pods.launchMany.mutate({ items })).scheduled;
      });
      return { nodes, launch, many };
    });
  } finally {
    await db.drop();
  }
}

/** The figure next to its aim, and the breakdown line under it. */
export function formatLaunchFigures(nodes: number, f: LaunchFigures): string {
  const c = f.cost;
  const met = f.podsPerSec >= LAUNCH_AIM_PER_SEC ? "met" : "NOT met";
  const pgPart =
    c.pgCpuMsPerPod === null || c.pgLaunchCpuMsPerPod === null
      ? "PostgreSQL not measured (external server)"
      : `PostgreSQL ${c.pgCpuMsPerPod.toFixed(2)} ms (${c.pgLaunchCpuMsPerPod.toFixed(2)} ms more than with no launches)`;
  return [
    `pods through ${f.procedure} (PostgreSQL, ${nodes} hollow nodes heartbeating, ${f.shape}): ${f.pods} in ${f.seconds.toFixed(2)} s = ${f.podsPerSec.toFixed(0)} pods/s (aim >= ${LAUNCH_AIM_PER_SEC}/s: ${met}; ${f.placed} placed)`,
    `  where the time goes, per pod: API ${c.apiCpuMsPerPod.toFixed(2)} ms CPU = ${c.apiLaunchCpuMsPerPod.toFixed(2)} ms launching + the rest of ` +
      `${c.apiIdleCores.toFixed(2)} cores it spends anyway (${c.heartbeatsPerSec.toFixed(0)} heartbeats/s, resyncs, controllers), ${pgPart}, bench client ${c.clientCpuMsPerPod.toFixed(2)} ms; ` +
      `${c.commitsPerPod.toFixed(3)} commits/pod; call latency p50 ${c.latencyMs.p50.toFixed(0)} ms, p99 ${c.latencyMs.p99.toFixed(0)} ms; ` +
      `API event-loop delay p99 ${c.eventLoopLagMs.p99.toFixed(0)} ms, max ${c.eventLoopLagMs.max.toFixed(0)} ms; machine ${c.machineCores.toFixed(2)} cores busy (${c.otherCores.toFixed(2)} of them other work)`,
  ].join("\n");
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
    const t = await launchThroughput(pgServer);
    for (const f of [t.launch, t.many]) {
      const c = f.cost;
      record(`pods/s through ${f.procedure}`, f.podsPerSec, "pods/s", {
        aim: `>= ${LAUNCH_AIM_PER_SEC}`,
        note: `PostgreSQL, ${t.nodes} hollow nodes heartbeating, ${f.shape}; API ${c.apiLaunchCpuMsPerPod.toFixed(2)} ms CPU per pod launching; machine ${c.machineCores.toFixed(2)} cores busy, ${c.otherCores.toFixed(2)} of them other work`,
      });
      log(formatLaunchFigures(t.nodes, f));
    }
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
