/**
 * `npm run chaos`: two API replicas on a PostgreSQL server of their own, process and hollow nodes, a
 * load of pod launches and deletes through both replicas, and faults on a seeded schedule, while the
 * checkers verify the cluster's invariants. Prints the operations done, the faults injected and the
 * violations found; exits 1 on any violation. Always removes what it started (also on Ctrl-C).
 *
 *   npm run chaos -- [--duration 120s] [--seed N] [--settle 90s] [--hollow 200] [--process-nodes 4]
 *                    [--pods 300] [--ops 10] [--faults agent-kill,agent-pause,replica-kill,pg-restart,conn-cut] [--keep]
 *
 * `--faults breach` corrupts rows on purpose (see faults.ts): a run that must report violations, to show the checkers work.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type pg from "pg";
import { checkerPool, FrontProxy, HollowFleet, killAll, Postgres, processNodeIds, Replica, strayAgents } from "./cluster.js";
import { Checkers, snapshot, Violations } from "./checkers.js";
import { FAULT_KINDS, type FaultKind, Faults, leaderApp, SELF_CHECK } from "./faults.js";
import { descendants, freePort, parseDuration, Rng, secs, sleep, stamp } from "./lib.js";
import { Load } from "./load.js";
import { EventWatcher } from "./watchers.js";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "120s" },
    seed: { type: "string" },
    settle: { type: "string", default: "90s" },
    hollow: { type: "string", default: "200" },
    "process-nodes": { type: "string", default: "4" },
    pods: { type: "string", default: "300" },
    ops: { type: "string", default: "10" },
    faults: { type: "string", default: FAULT_KINDS.join(",") },
    keep: { type: "boolean", default: false },
  },
});

function whole(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag}: must be a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

const durationMs = parseDuration(args.duration!, "--duration");
const settleMs = parseDuration(args.settle!, "--settle");
const seed = args.seed !== undefined ? whole(args.seed, "seed", 0, 2 ** 32 - 1) : randomBytes(4).readUInt32BE(0);
const hollowNodes = whole(args.hollow!, "hollow", 0, 5000);
const processNodes = whole(args["process-nodes"]!, "process-nodes", 1, 32);
const targetPods = whole(args.pods!, "pods", 1, 10_000);
const opsPerSecond = whole(args.ops!, "ops", 1, 1000);
const kinds = args.faults!.split(",").map((k) => k.trim()).filter(Boolean);
for (const k of kinds) {
  if (!(FAULT_KINDS as readonly string[]).includes(k) && k !== SELF_CHECK) {
    throw new Error(`--faults: unknown fault "${k}"; allowed: ${FAULT_KINDS.join(", ")} (and ${SELF_CHECK}, which corrupts rows on purpose to show the checkers catch it)`);
  }
}

const say = (line: string) => console.log(line);
// Separate streams: the load draws at a pace that timing decides, and must not shift the fault schedule.
const rng = new Rng(seed);
const loadRng = new Rng(seed ^ 0x9e3779b9);
const dir = mkdtempSync(join(tmpdir(), "kube9-chaos-"));
// PostgreSQL runs as the postgres user when we are root: it must be able to reach its data folder inside.
chmodSync(dir, 0o711);
say(`chaos: seed ${seed}, ${secs(durationMs)} of faults, settle up to ${secs(settleMs)}; ${processNodes} process + ${hollowNodes} hollow nodes; logs in ${dir}`);

// ---- everything we start, and how it goes away ----
const pgServer = new Postgres(join(dir, "pg"), await freePort());
const token = randomBytes(24).toString("hex");
const replicas = [
  new Replica("a", await freePort(), join(dir, "replica-a"), pgServer, token),
  new Replica("b", await freePort(), join(dir, "replica-b"), pgServer, token),
];
const proxy = new FrontProxy(replicas);
let fleet: HollowFleet | undefined;
let pool: pg.Pool | undefined;
let faults: Faults | undefined;
const watchers: EventWatcher[] = [];
let podIdsSeen = new Set<string>();
let clusterId: string | undefined;
let cleaning: Promise<void> | undefined;
// Process agents running as root make the machine's shared pod network (kube9-net) if it is missing.
const sharedNetnsBefore = existsSync("/run/netns/kube9-net");

/** Stops and removes everything this run started; safe to call twice. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const w of watchers) void w.stop();
    for (const r of replicas) r.closed = true;
    const ports = replicas.map((r) => r.port);
    const pids = [
      ...replicas.flatMap((r) => r.tree()),
      ...(fleet?.pid ? [fleet.pid, ...descendants([fleet.pid])] : []),
      ...(faults ? [...faults.paused] : []),
    ];
    killAll(pids);
    for (const r of replicas) r.down = true;
    await sleep(300);
    // Agents whose replica died left with it (IPC); a stopped one cannot, so whatever still carries our URLs goes now.
    killAll(strayAgents(ports));
    // Once more: a replica that was starting when we began is gone by now too.
    killAll([...replicas.flatMap((r) => r.tree()), ...strayAgents(ports)]);
    const bounded = (p: Promise<unknown>) => Promise.race([p.catch(() => undefined), sleep(3000)]);
    await bounded(proxy.stop());
    await bounded(pool?.end() ?? Promise.resolve());
    // Pod network namespaces are named after pod ids (placeholder pods make none, but a kubelet might have).
    for (const id of podIdsSeen) {
      const ns = `k9p-${id.replace(/-/g, "").slice(0, 12)}`;
      if (existsSync(`/run/netns/${ns}`)) {
        try {
          execFileSync("ip", ["netns", "del", ns], { stdio: "ignore", timeout: 5000 });
        } catch {
          // Best effort; reported below if it stays.
        }
      }
    }
    // The agents' pod folders (named after our node ids), and the shared pod network if this run made it and nothing uses it.
    for (const id of processNodeIds) {
      for (const base of [tmpdir(), "/dev/shm"]) rmSync(join(base, `kube9-pods-${id}`), { recursive: true, force: true });
    }
    if (!sharedNetnsBefore && existsSync("/run/netns/kube9-net")) {
      try {
        const pids = execFileSync("ip", ["netns", "pids", "kube9-net"], { encoding: "utf8", timeout: 5000 }).trim();
        const links = execFileSync("ip", ["-n", "kube9-net", "-o", "link", "show"], { encoding: "utf8", timeout: 5000 });
        if (!pids && !/\bk9v/.test(links)) execFileSync("ip", ["netns", "del", "kube9-net"], { stdio: "ignore", timeout: 5000 });
      } catch {
        // Best effort: .ci/run removes it too.
      }
    }
    if (clusterId) {
      try {
        const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=kube9.cluster=${clusterId}`], { encoding: "utf8", timeout: 5000 }).trim();
        if (ids) execFileSync("docker", ["rm", "-f", ...ids.split(/\s+/)], { stdio: "ignore", timeout: 30_000 });
      } catch {
        // No engine: no containers of ours either.
      }
    }
    try {
      pgServer.stop();
    } catch {
      // Not running.
    }
    if (args.keep) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    // A Ctrl-C reaches us twice (the terminal's process group, and tsx relaying it): later signals wait for the same cleanup.
    if (interrupted) return;
    interrupted = true;
    say(`\n${sig}: cleaning up`);
    // Bounded: a stuck step must not leave the run hanging; everything killed so far stays killed.
    setTimeout(() => process.exit(130), 60_000).unref();
    void cleanup().finally(() => process.exit(130));
  });
}

// Whatever goes wrong in the runner itself, what it started goes away.
for (const ev of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(ev, (err: unknown) => {
    say(`chaos: the runner failed (${ev}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    setTimeout(() => process.exit(2), 60_000).unref();
    void cleanup().finally(() => process.exit(2));
  });
}

const violations = new Violations(say);
let exitCode = 1;
try {
  exitCode = await main();
} catch (err) {
  say(`chaos: the run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (!args.keep) say(`(rerun with --keep to keep the logs)`);
  exitCode = 2;
} finally {
  await cleanup();
}
process.exit(exitCode);

async function main(): Promise<number> {
  // ---- the cluster ----
  pgServer.start();
  pool = checkerPool(pgServer.url);
  await pgServer.createRoles(pool, replicas.map((r) => r.role));
  say(`${stamp()} PostgreSQL on port ${pgServer.port}`);
  // One at a time: the first migrates the database.
  for (const r of replicas) say(`${stamp()} replica ${r.name} on ${r.url} answering after ${await r.start()} ms`);
  clusterId = (await pool.query<{ id: string }>("select id from cluster")).rows[0]?.id;
  await proxy.start();
  for (let i = 0; i < processNodes; i++) {
    const via = replicas[i % replicas.length]!;
    const added = await via.client.nodes.add.mutate({ name: `chaos-p${i}`, cpu: 2, memoryMiB: 2048, runtime: "process", labels: { chaos: "process" } });
    processNodeIds.add(added.id);
  }
  if (hollowNodes > 0) {
    fleet = new HollowFleet(dir, proxy.url, token, hollowNodes, 4);
    await fleet.start(replicas[0]!.client);
  }
  for (const t0 = Date.now(); ; ) {
    const ready = await replicas[0]!.client.nodes.list.query({ status: ["Ready"], selector: "chaos=process" });
    if (ready.length === processNodes) break;
    if (Date.now() - t0 > 60_000) throw new Error(`only ${ready.length}/${processNodes} process nodes Ready after 60 s`);
    await sleep(300);
  }
  say(`${stamp()} ${processNodes} process nodes and ${hollowNodes} hollow nodes Ready; leader: ${(await leaderApp(pool)) ?? "none"}`);

  // ---- watchers, load, checkers, faults ----
  for (const [i, home] of [0, 0, 1, 1].entries()) {
    const w = new EventWatcher(`watcher-${replicas[home]!.name}${(i % 2) + 1}`, replicas, home);
    w.onDisorder = (d) => violations.add("watch delivered an event twice or out of order", d);
    w.start();
    watchers.push(w);
  }
  const load = new Load(replicas, loadRng, { target: targetPods, inFlight: 4, opsPerSecond });
  load.onAckedNotFound = (name, via, launchedVia) => {
    void pool!
      .query<{ status: string }>("select status from pod where name = $1 and namespace = 'default'", [name])
      .then((r) => {
        if (r.rows[0]) {
          violations.add(
            "replica answered NOT_FOUND for an existing pod",
            `pods.delete ${name} through replica ${via} answered NOT_FOUND; the pod exists (${r.rows[0].status}), launched through ${launchedVia}`,
          );
        } else {
          violations.add("pod lost", `pod ${name} was launched (acknowledged through ${launchedVia}), never deleted, and is gone`);
        }
      })
      .catch(() => undefined);
  };
  load.start();
  const checkers = new Checkers(pool, replicas, violations);
  let checkErrors = 0;
  const checking = new AbortController();
  const checkLoop = (async () => {
    while (!checking.signal.aborted) {
      try {
        await checkers.round();
      } catch {
        checkErrors++; // the database is down, most likely: the next round reads again
      }
      await sleep(2000, checking.signal);
    }
  })();
  faults = new Faults(rng, pgServer, pool, replicas, say, kinds as FaultKind[]);
  // A replica or the database coming back refills caches: the view checks give it time.
  faults.onInjected = (kind) => {
    if (kind === "replica-kill" || kind === "conn-cut") for (const r of replicas) checkers.settledAfter.set(r.name, Date.now());
    if (kind === "pg-restart") checkers.settledAfter.set("*", Date.now());
  };
  const faultsDone = new AbortController();
  const faultTimer = setTimeout(() => faultsDone.abort(), durationMs);
  await faults.run(faultsDone.signal);
  clearTimeout(faultTimer);
  say(`${stamp()} faults over; stopping the load`);
  await load.stop();
  for (const r of replicas) if (r.down) say(`${stamp()} replica ${r.name} restarted after ${await r.start()} ms`);

  // ---- settle: every pod that can run runs ----
  const settleStart = Date.now();
  let problems: string[] = [];
  for (;;) {
    try {
      const snap = await snapshot(pool);
      for (const p of snap.pods) podIdsSeen.add(p.id);
      problems = Checkers.unsettled(snap);
      if (problems.length === 0) break;
    } catch (err) {
      problems = [`could not read the database: ${String(err)}`];
    }
    if (Date.now() - settleStart > settleMs) break;
    await sleep(2000);
  }
  say(`${stamp()} settled in ${secs(Date.now() - settleStart)}${problems.length ? ` (not all: ${problems.length} problems)` : ""}`);
  for (const p of problems) violations.add("pod not running after the settle window", p);

  // Pods whose launch was acknowledged and that nobody deleted must all exist.
  const names = new Set((await pool.query<{ name: string }>("select name from pod where namespace = 'default'")).rows.map((r) => r.name));
  for (const name of load.acknowledged) if (!names.has(name)) violations.add("pod lost", `pod ${name} was launched (acknowledged), never deleted, and is gone`);

  checking.abort();
  await checkLoop;

  // ---- watchers against the event table ----
  const maxId = Number((await pool.query<{ m: string | null }>("select max(id)::text as m from event")).rows[0]?.m ?? 0);
  for (const t0 = Date.now(); Date.now() - t0 < 15_000 && watchers.some((w) => w.lastId < maxId); ) await sleep(250);
  for (const w of watchers) await w.stop();
  const tableIds = (await pool.query<{ id: string }>("select id::text from event where id <= $1", [maxId])).rows.map((r) => Number(r.id)).sort((x, y) => x - y);
  for (const w of watchers) for (const gap of Checkers.watcherGaps(w, tableIds)) violations.add("watcher did not see every event exactly once, in order", gap);
  const lostForAll = Checkers.missedByAll(watchers, tableIds);

  // Internal errors: a fault must get an answer that says what happened (503 while the database is away), not a 500.
  for (const [key, n] of load.stats.failures) {
    if (key.includes("INTERNAL_SERVER_ERROR")) violations.add("internal error answered (500)", `${key} x${n}: ${load.stats.examples.get(key)}`);
  }

  // ---- report ----
  const f = faults.figures;
  const s = load.stats;
  say("\n== operations ==");
  say(`launches: ${s.launches} (${s.launchesOk} acknowledged); deletes: ${s.deletes} (${s.deletesOk} acknowledged); invariant checks: ${checkers.checks} rounds (${checkErrors} could not read the database)`);
  for (const [key, n] of [...s.failures].sort((a, b) => b[1] - a[1])) say(`  failed ${key}: ${n}  e.g. ${s.examples.get(key)}`);
  say(`events: ${tableIds.length} in the table, ${lostForAll.length} of them reached no watcher; watchers: ${watchers.map((w) => `${w.name} ${w.ids.length} received, ${w.reconnects} reconnects`).join("; ")}`);
  say("\n== faults ==");
  const injected = [...f.injected].map(([k, n]) => `${k} ${n}`).join(", ");
  say(`injected: ${injected || "none"} (${[...f.injected.values()].reduce((a, b) => a + b, 0)} in all)`);
  const figs = (xs: number[]) => (xs.length ? `${xs.map((x) => secs(x)).join(", ")} (max ${secs(Math.max(...xs))})` : "none measured");
  say(`leader failover (lease held by another session after the leader died or was cut): ${figs(f.failoverMs)}${f.failoverTimeouts ? `; ${f.failoverTimeouts} never failed over within 30 s` : ""}`);
  say(`PostgreSQL restart: down ${figs(f.pgDownMs)}; serving launches again after its return: ${figs(f.pgServeAgainMs)}`);
  say(`sessions cut: serving launches again after ${figs(f.cutServeAgainMs)}`);
  say(`replica restarts: answering after ${figs(f.replicaStartMs)}`);
  say("\n== violations ==");
  if (violations.total === 0) say("0 violations");
  for (const [kind, v] of violations.byKind) {
    say(`${kind}: ${v.count}`);
    for (const d of v.details) say(`  - ${d}`);
  }
  say(`\nchaos: seed ${seed}: ${violations.total} violation(s)`);
  return violations.total === 0 ? 0 : 1;
}
