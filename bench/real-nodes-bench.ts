/**
 * Real process nodes (agent child processes of `kube9 up`), what they cost when idle and under load:
 *  - an idle agent's CPU (% of a core) and RSS: the median of 5 agents over 30 s;
 *  - the API's CPU per heartbeat with 10 and 100 real nodes (the API's own idle CPU, measured first
 *    in the same process, is subtracted; beats are counted by the API's kube9_heartbeats_received_total);
 *  - 100 real nodes plus 500 launches on PostgreSQL: pods/s, and how many nodes went Suspect or
 *    Failed (NodeSuspect/NodeFailed events) although every agent kept running.
 *
 * CPU is read from schedstat (nanoseconds, every thread), not /proc/<pid>/stat ticks: an idle agent runs ~2 ms a second.
 *
 * Run: npm run build && npx tsx bench/real-nodes-bench.ts [--quick]
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kube9Client } from "@kube9/client";
import { freshDatabase, withControlPlane } from "./api-bench.js";
import { readFileSync } from "node:fs";
import { benchPostgres, median, pidsWithEnv, pool, preciseCpuSeconds, rssMiB, until } from "./lib.js";
import { record } from "./report.js";

const AIM_IDLE_CPU_PERCENT = 0.2;
const AIM_IDLE_RSS_MIB = 40;
const AIM_MS_PER_BEAT = 0.3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nodes by status. */
async function statusCounts(c: Kube9Client): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const n of await c.nodes.list.query()) counts[n.status] = (counts[n.status] ?? 0) + 1;
  return counts;
}

/**
 * Adds `count` process nodes (a few at a time, as an operator's script would) and waits up to `waitMs` for all
 * of them to be Ready at once; an API that cannot keep up with them is a result, not an error: `allReady` says.
 */
async function addRealNodes(c: Kube9Client, prefix: string, count: number, cpu = 4, waitMs = 90_000): Promise<{ names: string[]; allReady: boolean; counts: Record<string, number> }> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  await pool(count, 4, (i) => c.nodes.add.mutate({ name: names[i]!, cpu, memoryMiB: 8192, runtime: "process" }));
  const allReady = await until(async () => (await c.nodes.list.query({ status: ["Ready"] })).length >= count || undefined, waitMs, 500).then(
    () => true,
    () => false,
  );
  return { names, allReady, counts: await statusCounts(c) };
}

/** The agent process of a node (the process runtime sets KUBE9_NODE_NAME). */
function agentPid(name: string): number {
  const [pid] = pidsWithEnv(`KUBE9_NODE_NAME=${name}`);
  if (pid === undefined) throw new Error(`no agent process for node ${name}`);
  return pid;
}

/** The API's count of heartbeats received, from /metrics. */
async function beatsReceived(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^kube9_heartbeats_received_total (\d+(?:\.\d+)?)/m.exec(text);
  if (!m) throw new Error("/metrics has no kube9_heartbeats_received_total");
  return Number(m[1]);
}

/** Idle agents: each one's CPU over `seconds` and its RSS at the end; medians over `count` agents. */
/**
 * A process's proportional set size: its own pages plus its share of pages it shares (the node binary's
 * ~34 MiB of code are mapped by every agent once), what an agent adds to the machine when many run.
 */
function pssMiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

export async function idleAgents(count = 5, seconds = 30): Promise<{ cpuPercent: number; rssMiB: number; pssMiB: number; agents: number }> {
  return withControlPlane(undefined, async (c) => {
    const { names } = await addRealNodes(c, "idle-", count);
    const pids = names.map(agentPid);
    // Registration and start-up JIT are not idle cost.
    await sleep(5000);
    const cpu0 = pids.map(preciseCpuSeconds);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = pids.map((pid, i) => ((preciseCpuSeconds(pid) - cpu0[i]!) / elapsed) * 100);
    return { cpuPercent: median(cpu), rssMiB: median(pids.map(rssMiB)), pssMiB: median(pids.map(pssMiB)), agents: pids.length };
  });
}

/** The API's CPU per heartbeat with `nodes` idle real nodes: (CPU with them - its idle CPU) / beats received. */
export async function apiCostPerBeat(
  nodes: number,
  seconds = 20,
  databaseUrl?: string,
): Promise<{ msPerBeat: number; beats: number; idlePercent: number; busyPercent: number; allReady: boolean; counts: Record<string, number> }> {
  return withControlPlane(databaseUrl, async (c, apiPid, { url }) => {
    await sleep(3000);
    let cpu0 = preciseCpuSeconds(apiPid);
    let t0 = performance.now();
    await sleep(seconds * 1000);
    const idleRate = (preciseCpuSeconds(apiPid) - cpu0) / ((performance.now() - t0) / 1000);
    const { allReady } = await addRealNodes(c, "beat-", nodes);
    await sleep(5000);
    const beats0 = await beatsReceived(url);
    cpu0 = preciseCpuSeconds(apiPid);
    t0 = performance.now();
    await sleep(seconds * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = preciseCpuSeconds(apiPid) - cpu0;
    const beats = (await beatsReceived(url)) - beats0;
    return {
      msPerBeat: (Math.max(0, cpu - idleRate * elapsed) * 1000) / beats,
      beats,
      idlePercent: idleRate * 100,
      busyPercent: (cpu / elapsed) * 100,
      allReady,
      counts: await statusCounts(c),
    };
  });
}

/** Node events of the health rules that say a node stopped beating, by reason. */
async function silenceEvents(c: Kube9Client): Promise<{ suspect: Set<string>; failed: Set<string> }> {
  const suspect = new Set<string>();
  const failed = new Set<string>();
  let afterId = 0;
  for (;;) {
    const page = await c.events.list.query({ afterId, limit: 1000 });
    for (const e of page) {
      if (e.reason === "NodeSuspect") suspect.add(e.objectName);
      if (e.reason === "NodeFailed") failed.add(e.objectName);
    }
    if (page.length < 1000) return { suspect, failed };
    afterId = page[page.length - 1]!.id;
  }
}

/** `nodes` real nodes on PostgreSQL, then `pods` launches (placeholder pods, 32 in flight): pods/s and nodes falsely Suspect or Failed. */
export async function launchesOnRealNodes(
  pgUrl: string,
  nodes = 100,
  pods = 500,
): Promise<{ podsPerSec: number; placed: number; refused: number; suspect: number; failed: number; agentsAlive: number; seconds: number; allReady: boolean; counts: Record<string, number> }> {
  const db = await freshDatabase(pgUrl);
  try {
    return await withControlPlane(db.url, async (c) => {
      const { names, allReady } = await addRealNodes(c, "real-", nodes, 8);
      await sleep(5000);
      const t0 = performance.now();
      // A launch the overloaded API refuses counts as a failed launch, not as the end of the run.
      const results = await pool(pods, 32, (i) => c.pods.launch.mutate({ name: `load-${i}`, cpu: 0.5, memoryMiB: 64 }).then((r) => r.scheduled, () => undefined));
      const seconds = (performance.now() - t0) / 1000;
      // The health rules judge a node after 3 s of silence: give them the time to see any that went quiet.
      await sleep(10_000);
      const { suspect, failed } = await silenceEvents(c);
      const agentsAlive = names.filter((n) => pidsWithEnv(`KUBE9_NODE_NAME=${n}`).length > 0).length;
      return { podsPerSec: pods / seconds, placed: results.filter((r) => r === true).length, refused: results.filter((r) => r === undefined).length, suspect: suspect.size, failed: failed.size, agentsAlive, seconds, allReady, counts: await statusCounts(c) };
    });
  } finally {
    await db.drop();
  }
}

/** Runs every real-node benchmark and prints each figure next to its aim; --quick (or quick=true) uses 5 and 20 nodes. */
export async function runRealNodesBench(log: (s: string) => void = console.log, quick = false): Promise<void> {
  const idle = await idleAgents(5, quick ? 10 : 30);
  log(
    `idle process agent (median of ${idle.agents}): ${idle.cpuPercent.toFixed(2)}% of a core (aim < ${AIM_IDLE_CPU_PERCENT}), ${idle.rssMiB.toFixed(1)} MiB RSS (aim < ${AIM_IDLE_RSS_MIB}), ${idle.pssMiB.toFixed(1)} MiB PSS (its own pages plus its share of the node binary's)`,
  );
  record("idle process agent: CPU", Math.round(idle.cpuPercent * 100) / 100, "% of a core", { aim: `< ${AIM_IDLE_CPU_PERCENT}` });
  record("idle process agent: RSS", Math.round(idle.rssMiB * 10) / 10, "MiB", { aim: `< ${AIM_IDLE_RSS_MIB}`, note: "Node.js 20 alone doing one kept-alive POST a second: ~45 MiB RSS, most of it the shared node binary" });
  record("idle process agent: PSS (what each more agent adds)", Math.round(idle.pssMiB * 10) / 10, "MiB");
  const pgServer = await benchPostgres();
  try {
    // 10 nodes on the embedded database (`kube9 up` as it comes); 100 on PostgreSQL, as the launch run below.
    for (const [n, pg] of quick ? ([[5, false]] as const) : ([[10, false], [100, true]] as const)) {
      const db = pg ? await freshDatabase(pgServer.url) : undefined;
      try {
        const b = await apiCostPerBeat(n, quick ? 10 : 20, db?.url);
        record(`API CPU per heartbeat, ${n} real process nodes (${pg ? "PostgreSQL" : "embedded DB"})`, Math.round(b.msPerBeat * 1000) / 1000, "ms", { aim: `< ${AIM_MS_PER_BEAT}` });
        log(
          `API CPU per heartbeat, ${n} real process nodes (${pg ? "PostgreSQL" : "embedded DB"}): ${b.msPerBeat.toFixed(3)} ms (aim < ${AIM_MS_PER_BEAT}; ${b.beats} beats in ${quick ? 10 : 20} s; API ${b.idlePercent.toFixed(1)}% of a core idle, ${b.busyPercent.toFixed(1)}% with the nodes; ${b.allReady ? "all Ready" : "NOT all Ready at once"}, now ${JSON.stringify(b.counts)})`,
        );
      } finally {
        await db?.drop();
      }
    }
    const nodes = quick ? 20 : 100;
    const pods = quick ? 100 : 500;
    const l = await launchesOnRealNodes(pgServer.url, nodes, pods);
    record(`${nodes} real process nodes + ${pods} launches: pods/s`, Math.round(l.podsPerSec), "pods/s");
    record(`${nodes} real process nodes + ${pods} launches: nodes falsely Suspect or Failed`, l.suspect + l.failed, "nodes", { aim: "<= 0" });
    log(
      `${nodes} real process nodes + ${pods} launches (PostgreSQL, placeholder pods): ${l.podsPerSec.toFixed(0)} pods/s (${l.placed} placed, ${l.refused} refused, in ${l.seconds.toFixed(1)} s); nodes falsely Suspect ${l.suspect}, Failed ${l.failed} (aim 0; ${l.agentsAlive}/${nodes} agents alive; ${l.allReady ? "all were Ready before the launches" : "NOT all Ready before the launches"}, at the end ${JSON.stringify(l.counts)})`,
    );
  } finally {
    pgServer.stop();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runRealNodesBench(console.log, process.argv.includes("--quick"));
  process.exit(0);
}
