/**
 * Faults on a seeded schedule, one at a time with random gaps: a node agent killed or paused
 * (SIGSTOP, then SIGCONT), kill -9 of either replica and its restart, a PostgreSQL restart, and a
 * replica's database sessions cut (pg_terminate_backend). Each fault measures what it is about:
 * leader failover after a leader dies, the time until a replica serves writes again.
 */
import type pg from "pg";
import { agentsByNode, type Postgres, processNodeIds, type Replica } from "./cluster.js";
import { type Rng, signal, sleep, stamp } from "./lib.js";

export const FAULT_KINDS = ["agent-kill", "agent-pause", "replica-kill", "pg-restart", "conn-cut"] as const;
/**
 * Not a fault but a breach written straight into the database (an allocation off by 1m, a pod in a second node's
 * report), only when asked for (`--faults breach,...`): it shows the checkers do catch what they look for.
 */
export const SELF_CHECK = "breach";
export type FaultKind = (typeof FAULT_KINDS)[number] | typeof SELF_CHECK;

/** How often each kind is drawn. */
const WEIGHTS: Record<FaultKind, number> = { "agent-kill": 3, "agent-pause": 3, "replica-kill": 3, "pg-restart": 1.5, "conn-cut": 2, breach: 2 };

export interface FaultFigures {
  injected: Map<FaultKind, number>;
  /** kill -9 (or a session cut) of the leader -> the other replica holds the lease, ms. */
  failoverMs: number[];
  /** Leaders killed whose lease nobody took within the limit. */
  failoverTimeouts: number;
  /** PostgreSQL back up -> a launch succeeds through each replica, ms. */
  pgServeAgainMs: number[];
  /** PostgreSQL stopped -> started, ms. */
  pgDownMs: number[];
  /** Sessions cut -> that replica serves a launch again, ms. */
  cutServeAgainMs: number[];
  /** A killed replica restarted -> /healthz answers, ms. */
  replicaStartMs: number[];
  log: string[];
}

/** Which replica holds the controllers' leader lease now (by its sessions' application_name), per direct SQL. */
export async function leader(pool: pg.Pool): Promise<{ app: string; pid: number } | undefined> {
  const r = await pool.query<{ usename: string; pid: number }>(
    `select a.usename, a.pid from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted and a.usename like 'chaos\\_%'`,
  );
  const row = r.rows[0];
  return row ? { app: row.usename, pid: row.pid } : undefined;
}

/** The role of the replica that leads now, if any. */
export async function leaderApp(pool: pg.Pool): Promise<string | undefined> {
  return (await leader(pool).catch(() => undefined))?.app;
}

export class Faults {
  readonly figures: FaultFigures = {
    injected: new Map(),
    failoverMs: [],
    failoverTimeouts: 0,
    pgServeAgainMs: [],
    pgDownMs: [],
    cutServeAgainMs: [],
    replicaStartMs: [],
    log: [],
  };
  private probeSeq = 0;
  /** Told after each fault is over (the checkers give caches that refill time). */
  onInjected: (kind: FaultKind) => void = () => undefined;
  /** Agents we stopped and have not resumed yet (cleanup resumes them). */
  readonly paused = new Set<number>();

  constructor(
    private readonly rng: Rng,
    private readonly pg: Postgres,
    private readonly pool: pg.Pool,
    private readonly replicas: Replica[],
    private readonly note: (line: string) => void,
    private readonly kinds: readonly FaultKind[] = FAULT_KINDS,
  ) {}

  /** Injects faults until the signal aborts, with 3-10 s between them. */
  async run(signal: AbortSignal): Promise<void> {
    await sleep(this.rng.int(3000, 6000), signal);
    while (!signal.aborted) {
      const kind = this.draw();
      try {
        await this.inject(kind);
      } catch (err) {
        this.say(`fault ${kind} could not be injected: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.onInjected(kind);
      }
      await sleep(this.rng.int(3000, 10_000), signal);
    }
  }

  private draw(): FaultKind {
    const total = this.kinds.reduce((s, k) => s + WEIGHTS[k], 0);
    let x = this.rng.next() * total;
    for (const k of this.kinds) {
      x -= WEIGHTS[k];
      if (x < 0) return k;
    }
    return this.kinds[this.kinds.length - 1]!;
  }

  private say(line: string): void {
    const l = `${stamp()} ${line}`;
    this.figures.log.push(l);
    this.note(l);
  }

  private count(kind: FaultKind): void {
    this.figures.injected.set(kind, (this.figures.injected.get(kind) ?? 0) + 1);
  }

  async inject(kind: FaultKind): Promise<void> {
    switch (kind) {
      case "agent-kill":
        return this.agentKill();
      case "agent-pause":
        return this.agentPause();
      case "replica-kill":
        return this.replicaKill(this.rng.pick(this.replicas));
      case "pg-restart":
        return this.pgRestart();
      case "conn-cut":
        return this.connCut(this.rng.pick(this.replicas.filter((r) => !r.down)));
      case "breach":
        return this.breach();
    }
  }

  private async breach(): Promise<void> {
    this.count("breach");
    const a = await this.pool.query<{ name: string }>(
      `update node set cpu_allocated = cpu_allocated + 1 where id = (select id from node where status = 'Ready' and cpu_allocated < cpu_capacity order by random() limit 1) returning name`,
    );
    // A pod one process node reports, added to another's report: it stays until that node's report changes.
    const d = await this.pool.query<{ name: string }>(
      `with src as (select pod_ids->0 as pod from node where runtime = 'process' and jsonb_array_length(pod_ids) > 0 order by random() limit 1)
       update node set pod_ids = pod_ids || jsonb_build_array((select pod from src))
       where id = (select id from node where runtime = 'process' and status = 'Ready' and not pod_ids @> jsonb_build_array((select pod from src)) order by random() limit 1)
         and (select pod from src) is not null
       returning name`,
    );
    this.say(`breach: node ${a.rows[0]?.name ?? "-"} allocation +1m; node ${d.rows[0]?.name ?? "-"} reports another node's pod`);
  }

  /** A random live process-node agent: [node name, pid]. */
  private pickAgent(): [string, number] | undefined {
    // In the order the nodes were added (chaos-p0, p1, ...), so a seed picks the same node every time.
    const order = [...processNodeIds];
    const agents = [...agentsByNode(this.replicas.map((r) => r.port)).entries()].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
    if (agents.length === 0) return undefined;
    const [id, pids] = this.rng.pick(agents);
    const i = order.indexOf(id);
    return [i >= 0 ? `chaos-p${i}` : id.slice(0, 8), pids[0]!];
  }

  private async agentKill(): Promise<void> {
    const a = this.pickAgent();
    if (!a) return this.say("agent-kill: no agent is running; skipped");
    this.count("agent-kill");
    signal(a[1], "SIGKILL");
    this.say(`agent-kill: node ${a[0]} agent pid ${a[1]} killed`);
  }

  private async agentPause(): Promise<void> {
    const a = this.pickAgent();
    if (!a) return this.say("agent-pause: no agent is running; skipped");
    this.count("agent-pause");
    const ms = this.rng.int(2000, 9000);
    this.paused.add(a[1]);
    signal(a[1], "SIGSTOP");
    this.say(`agent-pause: node ${a[0]} agent pid ${a[1]} stopped for ${ms} ms`);
    await sleep(ms);
    signal(a[1], "SIGCONT");
    this.paused.delete(a[1]);
  }

  /** Polls until a session other than oldPid holds the lease (and, given oldApp, another replica's); ms, or undefined after the limit. */
  private async awaitLeader(oldPid: number, oldApp: string | undefined, t0: number, limitMs = 30_000): Promise<number | undefined> {
    for (;;) {
      const now = await leader(this.pool).catch(() => undefined);
      if (now && now.pid !== oldPid && now.app !== oldApp) return Date.now() - t0;
      if (Date.now() - t0 > limitMs) return undefined;
      await sleep(50);
    }
  }

  private async replicaKill(r: Replica): Promise<void> {
    if (r.down) return this.say(`replica-kill: ${r.name} is down already; skipped`);
    this.count("replica-kill");
    const lead = await leader(this.pool).catch(() => undefined);
    const wasLeader = lead?.app === r.role;
    const t0 = Date.now();
    await r.kill9();
    this.say(`replica-kill: kill -9 of replica ${r.name}${wasLeader ? " (the leader)" : ""}`);
    const downFor = this.rng.int(1000, 6000);
    if (wasLeader) {
      const other = this.replicas.find((x) => x !== r && !x.down);
      if (other) {
        const ms = await this.awaitLeader(lead!.pid, r.role, t0);
        if (ms === undefined) {
          this.figures.failoverTimeouts++;
          this.say(`replica-kill: no replica took the leader lease within 30 s`);
        } else {
          this.figures.failoverMs.push(ms);
          this.say(`replica-kill: replica ${other.name} leads ${ms} ms after the kill`);
        }
      }
    }
    await sleep(Math.max(0, downFor - (Date.now() - t0)));
    const startMs = await r.start();
    this.figures.replicaStartMs.push(startMs);
    this.say(`replica-kill: replica ${r.name} restarted, answering after ${startMs} ms`);
  }

  /** Launches a probe pod (that fits nowhere, so nothing schedules it) through a replica and deletes it; true when both worked. */
  private async probe(r: Replica): Promise<boolean> {
    const name = `chaos-probe-${++this.probeSeq}`;
    try {
      await r.client.pods.launch.mutate({ name, cpu: 0.001, memoryMiB: 1, nodeSelector: { chaos: "probe-fits-nowhere" } });
    } catch {
      return false;
    }
    await r.client.pods.delete.mutate({ name, gracePeriodSeconds: 0 }).catch(() => undefined);
    return true;
  }

  /** ms from t0 until a probe through r succeeds (undefined after limitMs). */
  private async serveAgain(r: Replica, t0: number, limitMs = 60_000): Promise<number | undefined> {
    for (;;) {
      if (await this.probe(r)) return Date.now() - t0;
      if (Date.now() - t0 > limitMs) return undefined;
      await sleep(100);
    }
  }

  private async pgRestart(): Promise<void> {
    this.count("pg-restart");
    const t0 = Date.now();
    this.pg.stop();
    this.say("pg-restart: PostgreSQL stopped (fast shutdown)");
    await sleep(this.rng.int(500, 4000));
    this.pg.start();
    const up = Date.now();
    this.figures.pgDownMs.push(up - t0);
    this.say(`pg-restart: PostgreSQL up again after ${up - t0} ms`);
    const results = await Promise.all(this.replicas.filter((r) => !r.down).map(async (r) => [r.name, await this.serveAgain(r, up)] as const));
    for (const [name, ms] of results) {
      if (ms === undefined) this.say(`pg-restart: replica ${name} did not serve a launch within 60 s of PostgreSQL's return`);
      else {
        this.figures.pgServeAgainMs.push(ms);
        this.say(`pg-restart: replica ${name} serves launches ${ms} ms after PostgreSQL's return`);
      }
    }
  }

  private async connCut(r: Replica | undefined): Promise<void> {
    if (!r) return this.say("conn-cut: no replica is up; skipped");
    this.count("conn-cut");
    const lead = await leader(this.pool).catch(() => undefined);
    const wasLeader = lead?.app === r.role;
    const t0 = Date.now();
    const res = await this.pool.query<{ n: string }>(
      `select count(pg_terminate_backend(pid))::text as n from pg_stat_activity where usename = $1`,
      [r.role],
    );
    this.say(`conn-cut: ${res.rows[0]?.n ?? 0} database sessions of replica ${r.name}${wasLeader ? " (the leader)" : ""} terminated`);
    if (wasLeader) {
      // Either replica may take the lease again (the cut one can win the race): what counts is that someone leads.
      const ms = await this.awaitLeader(lead!.pid, undefined, t0);
      if (ms === undefined) {
        this.figures.failoverTimeouts++;
        this.say("conn-cut: nobody held the leader lease within 30 s");
      } else {
        this.figures.failoverMs.push(ms);
        this.say(`conn-cut: ${(await leaderApp(this.pool)) ?? "?"} leads ${ms} ms after the cut`);
      }
    }
    const ms = await this.serveAgain(r, t0);
    if (ms === undefined) this.say(`conn-cut: replica ${r.name} did not serve a launch within 60 s`);
    else {
      this.figures.cutServeAgainMs.push(ms);
      this.say(`conn-cut: replica ${r.name} serves launches ${ms} ms after the cut`);
    }
  }
}
