/**
 * How long `kube9 up --runtime process` takes to be ready, and what it holds in memory idle, with 0 nodes:
 *  - time from spawning the process to "Press Ctrl-C" on its stdout (listening, controllers started, config written),
 *    and to the first answered GET /healthz; the median of 3 starts each on the embedded database with a fresh
 *    KUBE9_HOME, on the embedded database with the data those starts left (an existing cluster), on a new
 *    PostgreSQL database (migrations included) and on that database again;
 *  - RSS (from /proc) after 20 s idle, on the embedded database with existing data and with a new KUBE9_HOME,
 *    and on PostgreSQL.
 *
 * The process is `node apps/cli/dist/main.js up`, as a user runs it (npm run build first). The issue sets no
 * number for these, only "bring them down": the figures carry no aim.
 *
 * Run: npm run build && npx tsx bench/startup-bench.ts [--quick]   (KUBE9_BENCH_PG_URL=postgres://... for an existing server)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { benchPostgres, median, ROOT, rssMiB } from "./lib.js";
import { record } from "./report.js";

const CLI = join(ROOT, "apps/cli/dist/main.js");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started {
  child: ChildProcess;
  url: string;
  /** Spawn to "Press Ctrl-C". */
  readyMs: number;
  /** Spawn to the first 200 from /healthz. */
  healthzMs: number;
}

/** Starts `kube9 up --runtime process --port 0` and times it until it says it is ready and answers. */
async function startUp(home: string, databaseUrl: string | undefined): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: home, KUBE9_LOG_LEVEL: "warn" };
  delete env.DATABASE_URL;
  delete env.KUBE9_PORT;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, "up", "--runtime", "process", "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const readyMs = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Press Ctrl-C")) resolve(performance.now() - t0);
    });
    child.once("exit", (code) => reject(new Error(`kube9 up exited (${code}) before it was ready: ${err.trim().split("\n").slice(-3).join(" | ")}`)));
  });
  const url = /API:\s+(\S+)/.exec(out)?.[1];
  if (!url) throw new Error(`no API URL in: ${out}`);
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(5);
  }
  return { child, url, readyMs, healthzMs: performance.now() - t0 };
}

/** Stops a started `kube9 up` with SIGTERM, as Ctrl-C would, and waits for it to exit. */
async function stopUp(s: Started): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once("exit", () => r()));
  s.child.kill("SIGTERM");
  await exited;
}

/** A new, empty database on the server at baseUrl; dropped by the returned function. */
async function freshPgDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `kube9_startup_bench_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: baseUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Times `runs` starts, each given its own setup (a home, a database), and returns the medians. */
async function timeStarts(
  runs: number,
  setup: () => Promise<{ home: string; databaseUrl?: string; cleanup(): Promise<void> }>,
): Promise<{ readyMs: number; healthzMs: number; each: number[] }> {
  const ready: number[] = [];
  const healthz: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = await setup();
    try {
      const started = await startUp(s.home, s.databaseUrl);
      ready.push(started.readyMs);
      healthz.push(started.healthzMs);
      await stopUp(started);
    } finally {
      await s.cleanup();
    }
  }
  return { readyMs: median(ready), healthzMs: median(healthz), each: ready.map(Math.round) };
}

/** Starts once, sits idle for `idleSeconds` with 0 nodes, and reads the RSS. */
async function idleRss(home: string, databaseUrl: string | undefined, idleSeconds: number): Promise<number> {
  const s = await startUp(home, databaseUrl);
  try {
    await sleep(idleSeconds * 1000);
    return rssMiB(s.child.pid!);
  } finally {
    await stopUp(s);
  }
}

/** Runs the startup benchmark, printing each figure and recording it. */
export async function runStartupBench(log: (line: string) => void = console.log, opts: { runs?: number; idleSeconds?: number } = {}): Promise<void> {
  const runs = opts.runs ?? 3;
  const idleSeconds = opts.idleSeconds ?? 20;
  const note = `median of ${runs}; kube9 up --runtime process --port 0, 0 nodes`;
  const report = (label: string, r: { readyMs: number; healthzMs: number; each: number[] }) => {
    log(`start to ready, ${label}: ${Math.round(r.readyMs)} ms (first /healthz ${Math.round(r.healthzMs)} ms; runs ${r.each.join(", ")} ms)`);
    record(`start to ready, ${label}`, Math.round(r.readyMs), "ms", { note });
  };

  // Embedded database: fresh homes first, then the last of them again and again (an existing cluster).
  const homes: string[] = [];
  const fresh = await timeStarts(runs, async () => {
    const home = mkdtempSync(join(tmpdir(), "kube9-startup-bench-"));
    homes.push(home);
    return { home, cleanup: async () => {} };
  });
  report("embedded database, new KUBE9_HOME", fresh);
  const existingHome = homes.pop()!;
  for (const h of homes) rmSync(h, { recursive: true, force: true });
  try {
    const existing = await timeStarts(runs, async () => ({ home: existingHome, cleanup: async () => {} }));
    report("embedded database, existing data", existing);
    const rss = await idleRss(existingHome, undefined, idleSeconds);
    log(`idle RSS after ${idleSeconds} s, embedded database, existing data: ${rss.toFixed(0)} MiB`);
    record("idle RSS, embedded database, existing data", Math.round(rss), "MiB", { note: `0 nodes, after ${idleSeconds} s` });
  } finally {
    rmSync(existingHome, { recursive: true, force: true });
  }
  // The first start of a cluster also creates the database (initdb), whose memory must not stay behind.
  const newHome = mkdtempSync(join(tmpdir(), "kube9-startup-bench-"));
  try {
    const rss = await idleRss(newHome, undefined, idleSeconds);
    log(`idle RSS after ${idleSeconds} s, embedded database, new KUBE9_HOME: ${rss.toFixed(0)} MiB`);
    record("idle RSS, embedded database, new KUBE9_HOME", Math.round(rss), "MiB", { note: `0 nodes, after ${idleSeconds} s` });
  } finally {
    rmSync(newHome, { recursive: true, force: true });
  }

  // PostgreSQL: a fresh database each start (migrations included), a throwaway KUBE9_HOME.
  const server = await benchPostgres();
  try {
    const withPg = async () => {
      const db = await freshPgDatabase(server.url);
      const home = mkdtempSync(join(tmpdir(), "kube9-startup-bench-"));
      return {
        home,
        databaseUrl: db.url,
        cleanup: async () => {
          rmSync(home, { recursive: true, force: true });
          await db.drop();
        },
      };
    };
    report("PostgreSQL, new database", await timeStarts(runs, withPg));
    const s = await withPg();
    try {
      // The same database again and again: migrated, as every start after the first finds it.
      report("PostgreSQL, existing database", await timeStarts(runs, async () => ({ home: s.home, databaseUrl: s.databaseUrl, cleanup: async () => {} })));
      const rss = await idleRss(s.home, s.databaseUrl, idleSeconds);
      log(`idle RSS after ${idleSeconds} s, PostgreSQL: ${rss.toFixed(0)} MiB`);
      record("idle RSS, PostgreSQL", Math.round(rss), "MiB", { note: `0 nodes, after ${idleSeconds} s` });
    } finally {
      await s.cleanup();
    }
  } finally {
    server.stop();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes("--quick");
  await runStartupBench(console.log, quick ? { runs: 1, idleSeconds: 5 } : {});
  process.exit(0);
}
