/**
 * The invariants, checked continuously while faults run and once more after the settle window.
 * Each check reads one consistent snapshot (a REPEATABLE READ transaction) or waits out what may be
 * in flight, so a violation is a real breach, not a moment between two statements of one change.
 */
import type pg from "pg";
import { agentsByNode, type Replica } from "./cluster.js";
import { stamp } from "./lib.js";
import type { EventWatcher } from "./watchers.js";

/** Violations by kind, each with its details (the first few kept). */
export class Violations {
  readonly byKind = new Map<string, { count: number; details: string[] }>();
  private readonly seen = new Set<string>();

  constructor(private readonly note: (line: string) => void) {}

  /** Records a violation once per key (the same breach seen again in a later check is not counted twice). */
  add(kind: string, detail: string, key = detail): void {
    if (this.seen.has(`${kind}\0${key}`)) return;
    this.seen.add(`${kind}\0${key}`);
    const v = this.byKind.get(kind) ?? { count: 0, details: [] };
    v.count++;
    if (v.details.length < 8) v.details.push(detail);
    this.byKind.set(kind, v);
    this.note(`${stamp()} VIOLATION ${kind}: ${detail}`);
  }

  get total(): number {
    let n = 0;
    for (const v of this.byKind.values()) n += v.count;
    return n;
  }
}

interface NodeRow {
  id: string;
  name: string;
  status: string;
  runtime: string;
  cpu_capacity: number;
  memory_capacity: number;
  cpu_allocated: number;
  memory_allocated: number;
  pod_ids: string[];
  labels: Record<string, string>;
  status_changed_ms: number;
  lease_ms: number | null;
}

interface PodRow {
  id: string;
  name: string;
  status: string;
  node_id: string | null;
  cpu_request: number;
  memory_request: number;
  node_selector: Record<string, string>;
  updated_ms: number;
}

export interface Snapshot {
  nowMs: number;
  nodes: NodeRow[];
  pods: PodRow[];
}

/** Statuses in which a pod holds its reservation on its node (packages/db's RESERVING). */
const RESERVING = new Set(["Scheduled", "Running", "Terminating"]);

/** Every node and pod as of one instant: one REPEATABLE READ, read-only transaction. */
export async function snapshot(pool: pg.Pool): Promise<Snapshot> {
  const c = await pool.connect();
  // A session ended by the server (a restart, a cut) errors the client while we hold it: that is this query's failure, not the run's.
  const onError = () => undefined;
  c.on("error", onError);
  let broken = false;
  try {
    await c.query("begin isolation level repeatable read read only");
    const now = await c.query<{ ms: string }>("select (extract(epoch from clock_timestamp()) * 1000)::bigint::text as ms");
    const nodes = await c.query<NodeRow>(
      `select n.id, n.name, n.status, n.runtime, n.cpu_capacity, n.memory_capacity, n.cpu_allocated, n.memory_allocated,
              n.pod_ids, n.labels, (extract(epoch from n.status_changed_at) * 1000)::float8 as status_changed_ms,
              (extract(epoch from l.renewed_at) * 1000)::float8 as lease_ms
       from node n left join node_lease l on l.node_id = n.id`,
    );
    const pods = await c.query<PodRow>(
      `select id, name, status, node_id, cpu_request, memory_request, node_selector,
              (extract(epoch from updated_at) * 1000)::float8 as updated_ms
       from pod`,
    );
    await c.query("commit");
    return { nowMs: Number(now.rows[0]!.ms), nodes: nodes.rows, pods: pods.rows };
  } catch (err) {
    broken = true;
    await c.query("rollback").catch(() => undefined);
    throw err;
  } finally {
    c.off("error", onError);
    // A failed client is dropped, not handed to the next check.
    c.release(broken);
  }
}

interface ReplicaView {
  replica: string;
  pods: Awaited<ReturnType<Replica["client"]["pods"]["list"]["query"]>>;
  nodes: Awaited<ReturnType<Replica["client"]["nodes"]["list"]["query"]>>;
}

/** How long two agents for one node may overlap before it counts (a restart that races an exit). */
const PERSIST_MS = 6000;
/**
 * How long a pod may sit in two live nodes' reports before it counts: a node back from a pause reports its old
 * pods once, is told to drop them and reports without them a beat (1 s) later; 4 s is four beats told to keep them.
 */
const REPORT_PERSIST_MS = 4000;
/** A node's report counts as current when its lease was renewed this recently. */
const FRESH_MS = 3000;
/** How long a replica may take to see a change another process committed (its resync runs every 1-5 s). */
const REPLICA_LAG_MS = 20_000;

export class Checkers {
  checks = 0;
  /** Pods reported by two live nodes: pod id -> when first seen with that pair. */
  private readonly twoNodes = new Map<string, { pair: string; since: number }>();
  /** Nodes with two agent processes: node id -> first seen. */
  private readonly twoAgents = new Map<string, number>();
  /** Replicas restarted (or the database restarted) at: their caches may be refilling. */
  readonly settledAfter = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly replicas: Replica[],
    private readonly violations: Violations,
  ) {}

  /** One round of the continuous checks. */
  async round(): Promise<void> {
    // The replicas' answers first, then the snapshot: whatever changed in between is newer than the snapshot's cut-off.
    const views = await this.readViews();
    const snap = await snapshot(this.pool);
    this.checks++;
    this.allocation(snap);
    this.doubleReports(snap);
    this.doubleAgents();
    this.replicaViews(snap, views);
  }

  /** Pods and nodes as each replica that has had time to settle answers them now. */
  private async readViews(): Promise<ReplicaView[]> {
    const now = Date.now();
    const out: ReplicaView[] = [];
    await Promise.all(
      this.replicas.map(async (r) => {
        if (r.down || now - (this.settledAfter.get(r.name) ?? 0) < REPLICA_LAG_MS) return;
        if (now - (this.settledAfter.get("*") ?? 0) < REPLICA_LAG_MS) return;
        try {
          const [pods, nodes] = await Promise.all([r.client.pods.list.query({}), r.client.nodes.list.query({})]);
          // Whole lists only: a paged answer would make every pod past the page look missing.
          if (Array.isArray(pods) && Array.isArray(nodes)) out.push({ replica: r.name, pods, nodes });
        } catch {
          // Down or slow: nothing to compare this round.
        }
      }),
    );
    return out;
  }

  /** Allocation never above capacity, and equal to the sum of its bound pods' requests (one snapshot). */
  private allocation(snap: Snapshot): void {
    const sums = new Map<string, { cpu: number; mem: number; pods: number }>();
    for (const p of snap.pods) {
      if (!p.node_id || !RESERVING.has(p.status)) continue;
      const s = sums.get(p.node_id) ?? { cpu: 0, mem: 0, pods: 0 };
      s.cpu += p.cpu_request;
      s.mem += p.memory_request;
      s.pods++;
      sums.set(p.node_id, s);
    }
    for (const n of snap.nodes) {
      if (n.cpu_allocated > n.cpu_capacity || n.memory_allocated > n.memory_capacity) {
        this.violations.add(
          "allocation above capacity",
          `node ${n.name}: allocated ${n.cpu_allocated}m/${n.memory_allocated}Mi of ${n.cpu_capacity}m/${n.memory_capacity}Mi`,
          `${n.id}:${n.cpu_allocated}:${n.memory_allocated}`,
        );
      }
      const s = sums.get(n.id) ?? { cpu: 0, mem: 0, pods: 0 };
      if (s.cpu !== n.cpu_allocated || s.mem !== n.memory_allocated) {
        this.violations.add(
          "allocation differs from its pods' requests",
          `node ${n.name} (${n.status}): allocated ${n.cpu_allocated}m/${n.memory_allocated}Mi, its ${s.pods} bound pods request ${s.cpu}m/${s.mem}Mi`,
          // One breach per node and difference: the same drift seen in later rounds (as pods come and go) is not another.
          `${n.id}:${n.cpu_allocated - s.cpu}:${n.memory_allocated - s.mem}`,
        );
      }
    }
  }

  /** A pod reported by two nodes whose agents are alive (fresh leases), for longer than a hand-over takes. */
  private doubleReports(snap: Snapshot): void {
    const reporters = new Map<string, string[]>();
    for (const n of snap.nodes) {
      if (n.lease_ms === null || snap.nowMs - n.lease_ms > FRESH_MS) continue;
      for (const id of n.pod_ids ?? []) {
        const list = reporters.get(id) ?? [];
        list.push(n.name);
        reporters.set(id, list);
      }
    }
    const now = Date.now();
    const names = new Map(snap.pods.map((p) => [p.id, p] as const));
    for (const [podId, nodes] of reporters) {
      if (nodes.length < 2) {
        this.twoNodes.delete(podId);
        continue;
      }
      const pair = nodes.sort().join(",");
      const seen = this.twoNodes.get(podId);
      if (!seen || seen.pair !== pair) {
        this.twoNodes.set(podId, { pair, since: now });
        continue;
      }
      if (now - seen.since >= REPORT_PERSIST_MS) {
        const pod = names.get(podId);
        const bound = pod ? snap.nodes.find((n) => n.id === pod.node_id)?.name ?? "no node" : "deleted";
        this.violations.add(
          "pod running on two nodes",
          `pod ${pod?.name ?? podId} (bound to ${bound}, ${pod?.status ?? "gone"}) reported by live nodes ${pair} for ${Math.round((now - seen.since) / 1000)} s`,
          podId,
        );
      }
    }
    for (const id of [...this.twoNodes.keys()]) if (!reporters.has(id) || reporters.get(id)!.length < 2) this.twoNodes.delete(id);
  }

  /** Two live agent processes for one process node (two kubelets running its pods). */
  private doubleAgents(): void {
    const now = Date.now();
    const agents = agentsByNode(this.replicas.map((r) => r.port));
    for (const [id, pids] of agents) {
      if (pids.length < 2) {
        this.twoAgents.delete(id);
        continue;
      }
      const since = this.twoAgents.get(id) ?? now;
      this.twoAgents.set(id, since);
      if (now - since >= PERSIST_MS) {
        this.violations.add("node with two agents", `node ${id.slice(0, 8)}: agent processes ${pids.join(", ")} for ${Math.round((now - since) / 1000)} s`, id);
      }
    }
    for (const id of [...this.twoAgents.keys()]) if (!agents.has(id)) this.twoAgents.delete(id);
  }

  /**
   * Each replica's answers against the database: a pod's node and status, a node's status, as a replica
   * reports them, must match rows that have not changed for REPLICA_LAG_MS (time for any resync).
   */
  private replicaViews(snap: Snapshot, views: ReplicaView[]): void {
    const podsById = new Map(snap.pods.map((p) => [p.id, p] as const));
    const nodesById = new Map(snap.nodes.map((n) => [n.id, n] as const));
    for (const { replica, pods, nodes } of views) {
      const r = { name: replica };
      // Only rows unchanged for REPLICA_LAG_MS before the snapshot count (the lists were read before it).
      const stableBefore = snap.nowMs - REPLICA_LAG_MS;
      const seenPods = new Set<string>();
      for (const p of pods) {
        seenPods.add(p.id);
        const row = podsById.get(p.id);
        if (!row) continue; // deleted between the list and the snapshot
        if (row.updated_ms > stableBefore) continue;
        const rowNode = row.node_id;
        if (p.status !== row.status || (p.nodeId ?? null) !== rowNode) {
          this.violations.add(
            "replica serves a stale view",
            `replica ${r.name} says pod ${p.name} is ${p.status} on ${p.nodeName ?? "no node"}; the database has had ${row.status} on ${nodesById.get(rowNode ?? "")?.name ?? "no node"} for ${Math.round((snap.nowMs - row.updated_ms) / 1000)} s`,
            `${r.name}:${p.id}:${row.status}:${rowNode}`,
          );
        }
      }
      for (const row of snap.pods) {
        if (row.updated_ms > stableBefore || seenPods.has(row.id)) continue;
        this.violations.add(
          "replica serves a stale view",
          `replica ${r.name} does not list pod ${row.name}, which the database has had (${row.status}) for ${Math.round((snap.nowMs - row.updated_ms) / 1000)} s`,
          `${r.name}:${row.id}:missing`,
        );
      }
      for (const n of nodes) {
        const row = nodesById.get(n.id);
        if (!row || row.status_changed_ms > stableBefore) continue;
        if (n.status !== row.status) {
          this.violations.add(
            "replica serves a stale view",
            `replica ${r.name} says node ${n.name} is ${n.status}; the database has had ${row.status} for ${Math.round((snap.nowMs - row.status_changed_ms) / 1000)} s`,
            `${r.name}:${n.id}:${row.status}`,
          );
        }
      }
    }
  }

  /**
   * After the settle window: every pod that can run does. A Pending pod with a Ready node that fits it, a pod
   * bound but never confirmed Running, a pod bound to a node that is not Ready or one stuck Terminating is a breach.
   * Returns the problems found (the caller polls until none or the window ends).
   */
  static unsettled(snap: Snapshot): string[] {
    const out: string[] = [];
    const nodes = new Map(snap.nodes.map((n) => [n.id, n] as const));
    const ready = snap.nodes.filter((n) => n.status === "Ready");
    for (const p of snap.pods) {
      if (p.name.startsWith("chaos-probe-")) {
        out.push(`probe pod ${p.name} was not deleted`);
        continue;
      }
      if (p.status === "Pending") {
        const fits = ready.find(
          (n) =>
            n.cpu_capacity - n.cpu_allocated >= p.cpu_request &&
            n.memory_capacity - n.memory_allocated >= p.memory_request &&
            Object.entries(p.node_selector ?? {}).every(([k, v]) => n.labels?.[k] === v),
        );
        if (fits) out.push(`pod ${p.name} is Pending although Ready node ${fits.name} has room (${fits.cpu_capacity - fits.cpu_allocated}m free, it asks ${p.cpu_request}m)`);
        continue;
      }
      if (!RESERVING.has(p.status)) continue;
      const n = p.node_id ? nodes.get(p.node_id) : undefined;
      if (!n) out.push(`pod ${p.name} is ${p.status} on a node that does not exist (${p.node_id})`);
      else if (n.status !== "Ready" && n.status !== "Cordoned") out.push(`pod ${p.name} is ${p.status} on node ${n.name}, which is ${n.status}`);
      else if (p.status === "Scheduled") out.push(`pod ${p.name} is bound to ${n.name} but never reported Running`);
      else if (p.status === "Terminating") out.push(`pod ${p.name} is still Terminating on ${n.name}`);
    }
    return out;
  }

  /**
   * Each watcher against the event table: every id it got once, in increasing order, and every stored id
   * from its first to the table's last (ids the table pruned excepted).
   */
  /** Event ids of the table that no watcher received (lost for everyone, not a single stream's hiccup). */
  static missedByAll(watchers: EventWatcher[], tableIds: number[]): number[] {
    const sets = watchers.map((w) => new Set(w.ids));
    return tableIds.filter((id) => sets.every((s) => !s.has(id)));
  }

  static watcherGaps(watcher: EventWatcher, tableIds: number[]): string[] {
    const out: string[] = [];
    const got = new Map<number, number>();
    let prev = 0;
    let disorder = 0;
    for (const id of watcher.ids) {
      got.set(id, (got.get(id) ?? 0) + 1);
      if (id <= prev) disorder++;
      prev = Math.max(prev, id);
    }
    const dups = [...got.entries()].filter(([, n]) => n > 1);
    if (dups.length) out.push(`${watcher.name}: ${dups.length} event ids delivered more than once (e.g. ${dups.slice(0, 5).map(([id, n]) => `${id} x${n}`).join(", ")})`);
    if (disorder) out.push(`${watcher.name}: ${disorder} event ids arrived after a higher one`);
    const missed = tableIds.filter((id) => !got.has(id));
    if (missed.length) {
      out.push(
        `${watcher.name}: missed ${missed.length} of ${tableIds.length} event ids (e.g. ${missed.slice(0, 8).join(", ")}); ${watcher.reconnects} reconnects`,
      );
    }
    const stored = new Set(tableIds);
    // Only ids within the table's range as read: later events may have arrived since.
    const lo = tableIds[0] ?? 0;
    const hi = tableIds[tableIds.length - 1] ?? 0;
    const phantom = [...got.keys()].filter((id) => !stored.has(id) && id >= lo && id <= hi);
    if (phantom.length) out.push(`${watcher.name}: ${phantom.length} event ids that are not in the table (e.g. ${phantom.slice(0, 5).join(", ")})`);
    return out;
  }
}
