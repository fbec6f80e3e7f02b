/**
 * The idle cost of Pending pods (issue 12, item 5): 10,000 pods that fit nowhere on 5,000 Ready nodes,
 * with the real SchedulerController over an in-memory PGlite database, and nothing changing. The
 * nodes are records no agent backs (hollow in the strictest sense: the node-lifecycle controller is
 * not started, so they stay Ready without heartbeats); only the scheduler's loop runs. Every pending
 * pod has its own shape (no two are equivalent), a fifth of them a nodeSelector no node matches.
 *
 * Figures: the first pass (every pod tried once, one FailedScheduling each), a full pass again with
 * the verdicts known (what retrying every pod every second costs), then process CPU over 30 s with
 * nothing changing (aim: < 10% of one core), and the attempts made meanwhile. The window holds the
 * flush that retries every unschedulable pod after 60 s, so it counts that burst once per 30 s.
 *
 * Run: npm run build && npx tsx bench/pending-bench.ts
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "@kube9/db";
import { ControlPlane } from "../apps/api/src/control-plane.js";
import { createLogger } from "../apps/api/src/logger.js";
import { hashToken } from "../apps/api/src/tokens.js";

/** What to build and how long to watch; every field has a default. */
export interface PendingBenchOptions {
  nodes?: number;
  pods?: number;
  idleSeconds?: number;
}

/** The measured figures. */
export interface PendingBenchResult {
  nodes: number;
  pods: number;
  setupSeconds: number;
  firstPassSeconds: number;
  fullPassSeconds: number;
  idleSeconds: number;
  idleCpuSeconds: number;
  /** idleCpuSeconds / idleSeconds: the share of one core. */
  idleCoreShare: number;
  idleAttempts: number;
}

const NODE_CPU = 32_000;
const NODE_MEMORY = 262_144;

/** Builds the cluster, runs the passes, watches the idle scheduler; resolves to the figures. */
export async function runPendingBench(options: PendingBenchOptions = {}): Promise<PendingBenchResult> {
  const nodes = options.nodes ?? 5000;
  const pods = options.pods ?? 10_000;
  const idleSeconds = options.idleSeconds ?? 30;
  const t0 = performance.now();
  const db = await openDatabase({});
  let clockOffset = 0;
  const cp = new ControlPlane({
    db,
    // No runtime for "hollow": a new leader restarts no agent for these nodes.
    runtimes: {},
    defaultRuntime: "hollow",
    adminTokenHash: hashToken("bench"),
    log: createLogger({ level: "error" }),
    apiUrl: () => "http://127.0.0.1:1",
    // Moved forward once, so the watched window holds the 60 s flush of every unschedulable pod.
    now: () => Date.now() + clockOffset,
  });
  try {
    const now = Date.now();
    for (let i = 0; i < nodes; i++) {
      await db.nodes.create({
        name: `hollow-${i}`,
        role: "worker",
        runtime: "hollow",
        capacity: { cpuMilli: NODE_CPU, memoryMiB: NODE_MEMORY },
        labels: { zone: `z${i % 3}` },
        credentialHash: "-",
        status: "Ready",
        now,
      });
    }
    for (let i = 0; i < pods; i++) {
      // Each pod its own shape: larger than any node (32 cores), or small with a selector nobody matches.
      const selector = i % 5 === 0;
      await db.pods.create({
        name: `pending-${i}`,
        namespace: "default",
        request: selector ? { cpuMilli: 100 + i, memoryMiB: 128 } : { cpuMilli: NODE_CPU + 1 + i, memoryMiB: 1024 },
        labels: {},
        nodeSelector: selector ? { zone: "nowhere" } : {},
        algorithm: null,
        now,
      });
    }
    // The cache only: taking the lease (init) would run the first pass before it is timed.
    await cp.cache.load();
    const setupSeconds = (performance.now() - t0) / 1000;
    const scheduler = cp.scheduler;

    let t = performance.now();
    await scheduler.runPass();
    const firstPassSeconds = (performance.now() - t) / 1000;
    if (cp.cache.pendingPods().length !== pods) throw new Error("a pending pod was placed");

    // The old loop's cost every second: every pending pod tried again, verdicts already recorded.
    cp.cache.setSettings(cp.cache.settings); // a settings event moves every unschedulable pod
    t = performance.now();
    await scheduler.runPass();
    const fullPassSeconds = (performance.now() - t) / 1000;

    scheduler.start();
    await new Promise((r) => setTimeout(r, 1500)); // the start pass (nothing to try) settles
    // The pods failed about 2 s ago: 45 s later the flush (60 s after the failures) falls 13 s into the
    // window. One flush per 30 s window counts it twice as often as it comes: a conservative figure.
    clockOffset = 45_000;
    const attemptsBefore = scheduler.attempts;
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const cpu = process.cpuUsage(cpu0);
    const watched = (performance.now() - w0) / 1000;
    const idleCpuSeconds = (cpu.user + cpu.system) / 1e6;
    const idleAttempts = scheduler.attempts - attemptsBefore;
    await scheduler.stop();
    return {
      nodes,
      pods,
      setupSeconds,
      firstPassSeconds,
      fullPassSeconds,
      idleSeconds: watched,
      idleCpuSeconds,
      idleCoreShare: idleCpuSeconds / watched,
      idleAttempts,
    };
  } finally {
    await cp.stop();
    await db.close();
  }
}

/** The figures as lines, each next to its aim. */
export function formatPendingBench(r: PendingBenchResult): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return [
    `${n(r.pods)} pending pods (all distinct, none fits) at ${n(r.nodes)} nodes, PGlite in memory; setup ${r.setupSeconds.toFixed(1)} s`,
    `first pass (each pod tried once, one FailedScheduling each): ${r.firstPassSeconds.toFixed(2)} s`,
    `a full pass again with the verdicts known (what a retry of every pod every second costs): ${(r.fullPassSeconds * 1000).toFixed(0)} ms`,
    `idle, nothing changing, over ${r.idleSeconds.toFixed(0)} s holding one 60 s flush: ${(r.idleCoreShare * 100).toFixed(2)}% of one core (aim < 10%), ${n(r.idleAttempts)} attempts`,
  ].join("\n");
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(formatPendingBench(await runPendingBench()));
  process.exit(0);
}
