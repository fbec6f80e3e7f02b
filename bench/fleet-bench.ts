/**
 * A hollow node fleet (`kube9 hollow`, here in this process) against `kube9 up` on PostgreSQL, over HTTP:
 *  - time for N nodes to be joined, registered and Ready;
 *  - heartbeats/s and p50/p99 latency over a fixed window, with every node beating each second;
 *  - the API's CPU (share of one core) and RSS meanwhile; this process's RSS per hollow node;
 *  - nodes seen Suspect or Failed (none may be: every node beats).
 * Sizes 1,000, 5,000 and 10,000 (60 s window at 10,000; KUBE9_BENCH_FLEET_SIZES=1000,5000 to choose).
 *
 * Run: npm run build && npx tsx bench/fleet-bench.ts
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kube9Client } from "@kube9/client";
import { HollowFleet } from "@kube9/node-agent";
import { freshDatabase, withControlPlane } from "./api-bench.js";
import { benchPostgres, cpuSeconds, rssMiB, until } from "./lib.js";
import { record } from "./report.js";

/** How long a fleet may take to be Ready before the size is reported as failed. */
const READY_TIMEOUT_S = 300;

/** One size's figures. */
export interface FleetFigures {
  nodes: number;
  batched: boolean;
  readySeconds: number;
  windowSeconds: number;
  beatsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Beats refused or failed during the window. */
  refused: number;
  apiCpuShare: number;
  apiRssMiB: number;
  fleetRssMiB: number;
  fleetKiBPerNode: number;
  suspectOrFailedSeen: number;
}

/** How many nodes have one of these statuses (one tiny page: the count comes as remaining). */
async function countNodes(c: Kube9Client, status: Array<"Ready" | "Suspect" | "Failed">): Promise<number> {
  const page = await c.nodes.page.query({ limit: 1, status });
  return page.items.length + page.remaining;
}

/** Runs a fleet of `nodes` against a fresh API on PostgreSQL and measures it over `windowSeconds`. */
export async function fleetRun(pgUrl: string, nodes: number, windowSeconds: number, batched = true): Promise<FleetFigures> {
  const db = await freshDatabase(pgUrl);
  try {
    return await withControlPlane(db.url, async (c, apiPid, conn) => {
      const rssBefore = rssMiB(process.pid);
      const t0 = performance.now();
      const fleet = new HollowFleet({
        url: conn.url,
        adminToken: conn.token,
        nodes,
        cpu: 4,
        namePrefix: "bench",
        batch: batched,
        connections: batched ? 16 : 64,
        // KUBE9_BENCH_VERBOSE=1: the fleet's progress (joined, registered) with the time since start.
        ...(process.env.KUBE9_BENCH_VERBOSE ? { log: (line: string) => console.error(`  [${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}`) } : {}),
      });
      try {
        await fleet.start();
        await until(async () => (await countNodes(c, ["Ready"])) === nodes, READY_TIMEOUT_S * 1000, 250);
        const readySeconds = (performance.now() - t0) / 1000;
        // Let the first-beat spread settle, then measure a clean window.
        await new Promise((r) => setTimeout(r, 3000));
        const failed0 = fleet.window().beatsFailed;
        const cpu0 = cpuSeconds(apiPid);
        const w0 = performance.now();
        let seen = 0;
        const end = Date.now() + windowSeconds * 1000;
        while (Date.now() < end) {
          await new Promise((r) => setTimeout(r, 2000));
          seen = Math.max(seen, await countNodes(c, ["Suspect", "Failed"]));
        }
        const seconds = (performance.now() - w0) / 1000;
        const stats = fleet.window();
        const figures: FleetFigures = {
          nodes,
          batched,
          readySeconds,
          windowSeconds: seconds,
          beatsPerSec: stats.windowBeats / seconds,
          p50Ms: stats.p50Ms,
          p99Ms: stats.p99Ms,
          refused: stats.beatsFailed - failed0,
          apiCpuShare: (cpuSeconds(apiPid) - cpu0) / seconds,
          apiRssMiB: rssMiB(apiPid),
          fleetRssMiB: rssMiB(process.pid),
          fleetKiBPerNode: ((rssMiB(process.pid) - rssBefore) * 1024) / nodes,
          suspectOrFailedSeen: seen,
        };
        return figures;
      } finally {
        await fleet.stop();
      }
    });
  } finally {
    await db.drop();
  }
}

/** One line per size, each figure next to its aim. */
export function formatFleet(f: FleetFigures): string {
  const mode = f.batched ? "batched" : "one request per beat";
  return [
    `${f.nodes} hollow nodes over HTTP (${mode}): Ready in ${f.readySeconds.toFixed(1)} s${f.nodes === 10_000 ? " (aim < 60 s)" : ""}`,
    `  heartbeats ${f.beatsPerSec.toFixed(0)}/s (aim ${f.nodes}/s), p50 ${f.p50Ms.toFixed(1)} ms, p99 ${f.p99Ms.toFixed(1)} ms (aim < 100 ms), ${f.refused} refused or failed`,
    `  API: ${(f.apiCpuShare * 100).toFixed(0)}% of a core (${((f.apiCpuShare * 1e6) / Math.max(1, f.beatsPerSec)).toFixed(0)} µs CPU per beat), RSS ${f.apiRssMiB.toFixed(0)} MiB; fleet process RSS ${f.fleetRssMiB.toFixed(0)} MiB (${f.fleetKiBPerNode.toFixed(1)} KiB per node); API + fleet ${(f.apiRssMiB + f.fleetRssMiB).toFixed(0)} MiB${f.nodes === 10_000 ? " (aim < 1024)" : ""}`,
    `  nodes seen Suspect or Failed over ${f.windowSeconds.toFixed(0)} s: ${f.suspectOrFailedSeen} (aim 0)`,
  ].join("\n");
}

/** The fleet figures at 1,000, 5,000 and 10,000 nodes (and 1,000 without batching, for comparison). */
export async function runFleetBench(log: (s: string) => void = console.log): Promise<FleetFigures[]> {
  const sizes = (process.env.KUBE9_BENCH_FLEET_SIZES ?? "1000,5000,10000").split(",").map(Number);
  const pgServer = await benchPostgres();
  const out: FleetFigures[] = [];
  try {
    const runs: Array<[number, number, boolean]> = sizes.map((n) => [n, n >= 10_000 ? 60 : 20, true]);
    // KUBE9_BENCH_FLEET_UNBATCHED=1: also 1,000 nodes with one request per beat, to compare.
    if (process.env.KUBE9_BENCH_FLEET_UNBATCHED) runs.splice(1, 0, [1000, 20, false]);
    for (const [n, window, batched] of runs) {
      try {
        const f = await fleetRun(pgServer.url, n, window, batched);
        log(formatFleet(f));
        const tag = `${n} hollow nodes${batched ? "" : ", one request per beat"}`;
        record(`${tag}: Ready in`, Math.round(f.readySeconds * 10) / 10, "s", n === 10_000 ? { aim: "< 60" } : {});
        record(`${tag}: heartbeats`, Math.round(f.beatsPerSec), "/s", { aim: `>= ${Math.round(n * 0.98)}`, note: "every node beats once a second; 2% for jitter" });
        record(`${tag}: heartbeat p99`, Math.round(f.p99Ms), "ms", { aim: "< 100", note: `p50 ${f.p50Ms.toFixed(1)} ms` });
        record(`${tag}: API CPU per beat`, Math.round((f.apiCpuShare * 1e6) / Math.max(1, f.beatsPerSec)), "µs");
        record(`${tag}: API + fleet RSS`, Math.round(f.apiRssMiB + f.fleetRssMiB), "MiB", n === 10_000 ? { aim: "< 1024" } : {});
        record(`${tag}: nodes seen Suspect or Failed`, f.suspectOrFailedSeen, "nodes", { aim: "<= 0" });
        out.push(f);
      } catch (err) {
        log(`${n} hollow nodes (${batched ? "batched" : "one request per beat"}): not all Ready within ${READY_TIMEOUT_S} s (${(err as Error).message})`);
      }
    }
  } finally {
    pgServer.stop();
  }
  return out;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runFleetBench();
  process.exit(0);
}
