import { randomUUID } from "node:crypto";
import { ConflictError, NotFoundError, PG_FOREIGN_KEY_VIOLATION, sqlState } from "../errors.js";
import { POD_COLUMNS, POD_FROM, RecordTable, TS, isUuid, jsonOrNull, nodeColumns, podColumns, toNodeRecord, toPodRecord } from "../sql.js";
import type { Binding, Row, SqlRunner } from "../sql.js";
import type { Labels, NodeStatus, PodStatusReport } from "@kube9/core";
import type { BindResult, CreatePodInput, ListPodsOptions, NodeRecord, NodeReport, PodRecord, PodRepository, TransitionNodeOptions } from "../types.js";

// Statuses in which a bound pod holds a reservation on its node's allocation.
const RESERVING = "('Scheduled', 'Running', 'Terminating')";

// LOCK_NOTE: every statement that changes a node's allocation first locks the node row with a
// `select ... for update` CTE (`l`) and computes the new values from that row. A plain
// `update node set cpu_allocated = cpu_allocated - x` computes the new row from the statement's
// snapshot and PostgreSQL checks CHECK constraints on it *before* waiting for a concurrent
// writer, so a release racing a reservation fails with a spurious CHECK violation (and a
// reservation would judge room from stale numbers). FOR UPDATE waits and returns the latest row.
// Lock order is always pod rows, then the node row, so these statements cannot deadlock.

const POD_SELECT = `select ${POD_COLUMNS} from ${POD_FROM}`;

/** A missing namespace (the foreign key), in Kubernetes' words; anything else is rethrown. */
function namespaceGone(err: unknown, inputs: CreatePodInput[]): never {
  if (sqlState(err).code === PG_FOREIGN_KEY_VIOLATION) {
    const names = [...new Set(inputs.map((p) => p.namespace))];
    const which = names.length === 1 ? `namespaces "${names[0]}"` : `one of namespaces ${names.map((n) => `"${n}"`).join(", ")}`;
    throw new NotFoundError(`${which} not found`, { cause: err });
  }
  throw err;
}

/**
 * The CTEs `l` (the node row, locked: LOCK_NOTE) and `released`, which give back the cpu_request and
 * memory_request of the one row of CTE `src` on node `nodeId`; the time of the write is one `?`.
 */
function releaseReservation(nodeId: string, src: string): string {
  return `l as (
         select id, name, cpu_allocated, memory_allocated from node where id = ${nodeId} for update
       ), released as (
         update node set cpu_allocated = l.cpu_allocated - ${src}.cpu_request,
                         memory_allocated = l.memory_allocated - ${src}.memory_request,
                         updated_at = ${TS}
         from l, ${src} where node.id = l.id
         returning node.id
       )`;
}

/**
 * Pod rows in raw SQL, and the node allocation their reservations make up. Multi-row invariants
 * (capacity, binding, eviction) are single statements with data-modifying CTEs: atomic, one round
 * trip, and on PGlite they cannot interleave with other callers because the one connection serves
 * one statement at a time.
 */
export class SqlPodRepository extends RecordTable<PodRecord> implements PodRepository {
  constructor(sql: SqlRunner) {
    super(sql, POD_SELECT, "p", toPodRecord);
  }

  async create(input: CreatePodInput): Promise<PodRecord> {
    const [made] = await this.createMany([input]);
    if (made instanceof ConflictError) throw made;
    return made!;
  }

  async createMany(inputs: CreatePodInput[]): Promise<Array<PodRecord | ConflictError>> {
    if (inputs.length === 0) return [];
    const items = inputs.map((p, o) => ({
      o,
      id: randomUUID(),
      n: p.name,
      ns: p.namespace,
      node: p.bindTo && isUuid(p.bindTo.nodeId) ? p.bindTo.nodeId : null,
      msg: p.bindTo?.message ?? null,
      c: p.request.cpuMilli,
      m: p.request.memoryMiB,
      l: p.labels,
      s: p.nodeSelector,
      a: p.algorithm,
      ...(p.spec ? { sp: p.spec } : {}),
      t: p.now,
    }));
    let rows: PodRecord[];
    try {
      // One statement, so one transaction and one commit for the whole batch. The chosen nodes are
      // locked in id order (LOCK_NOTE; two batches never wait on each other in a cycle); on each, the
      // batch's pods in order take room while the running sum fits, the rest are inserted Pending.
      // A taken name inserts nothing, and only inserted pods are added to the allocation (`n` reads
      // `p`), so a conflict never leaves a reservation behind.
      rows = await this.all(
        `with x as materialized (
           select * from jsonb_to_recordset(?::jsonb) as x(o int, id uuid, n text, ns text, node uuid, msg text, c int, m int,
             l jsonb, s jsonb, a text, sp jsonb, t float8)
         ), l as materialized (
           select id, name, status, cpu_allocated, memory_allocated, cpu_capacity, memory_capacity from node
           where id in (select node from x) order by id for update
         ), fit as materialized (
           select w.o, w.node from (
             select x.o, x.node, sum(x.c) over run as c, sum(x.m) over run as m from x where x.node is not null
             window run as (partition by x.node order by x.o)
           ) w join l on l.id = w.node
           where l.status = 'Ready' and l.cpu_allocated + w.c <= l.cpu_capacity and l.memory_allocated + w.m <= l.memory_capacity
         ), p as (
           insert into pod (id, name, namespace, status, node_id, cpu_request, memory_request, labels, node_selector, algorithm,
             spec, restarts, created_at, updated_at, scheduled_at, message)
           select x.id, x.n, x.ns, case when fit.node is null then 'Pending' else 'Scheduled' end, fit.node, x.c, x.m, x.l, x.s, x.a,
             x.sp, 0, to_timestamp(x.t / 1000), to_timestamp(x.t / 1000),
             case when fit.node is null then null else to_timestamp(x.t / 1000) end, case when fit.node is null then null else x.msg end
           from x left join fit on fit.o = x.o
           order by x.o
           on conflict (namespace, name) do nothing
           returning *
         ), n as (
           update node set cpu_allocated = l.cpu_allocated + r.c, memory_allocated = l.memory_allocated + r.m, updated_at = ${TS}
           from l, (select node_id, sum(cpu_request)::int as c, sum(memory_request)::int as m from p where node_id is not null group by node_id) r
           where node.id = l.id and l.id = r.node_id
           returning node.id
         )
         select ${podColumns("l.name")} from p left join l on l.id = p.node_id`,
        [JSON.stringify(items), Math.max(...inputs.map((p) => p.now))],
      );
    } catch (err) {
      namespaceGone(err, inputs);
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    return items.map(
      (it) => byId.get(it.id) ?? new ConflictError("name", `pods "${it.n}" already exists in namespace "${it.ns}"`),
    );
  }

  getByName(namespace: string, name: string): Promise<PodRecord | null> {
    return this.byName(name, namespace);
  }

  async list(opts: ListPodsOptions = {}): Promise<PodRecord[]> {
    const conds: string[] = [];
    const bindings: Binding[] = [];
    if (opts.status) {
      conds.push("p.status in (select jsonb_array_elements_text(?::jsonb))");
      bindings.push(JSON.stringify(opts.status));
    }
    if (opts.namespace !== undefined) {
      conds.push("p.namespace = ?");
      bindings.push(opts.namespace);
    }
    if (opts.nodeId !== undefined) {
      if (!isUuid(opts.nodeId)) return [];
      conds.push("p.node_id = ?::uuid");
      bindings.push(opts.nodeId);
    }
    if (opts.changedSince !== undefined) {
      conds.push(`p.updated_at > ${TS}`);
      bindings.push(opts.changedSince);
    }
    const where = conds.length ? `where ${conds.join(" and ")}` : "";
    return this.all(`${POD_SELECT} ${where} order by p.seq`, bindings);
  }

  async listPending(limit?: number): Promise<PodRecord[]> {
    const bindings: Binding[] = [];
    let lim = "";
    if (limit !== undefined) {
      lim = "limit ?";
      bindings.push(Math.max(0, Math.floor(limit)));
    }
    // Pending pods are unbound: no join needed.
    return this.all(`select ${podColumns("null::text")} from pod p where p.status = 'Pending' order by p.seq ${lim}`, bindings);
  }

  async bind(podId: string, nodeId: string, now: number, message: string): Promise<BindResult> {
    if (!isUuid(podId)) return "pod-not-pending";
    if (!isUuid(nodeId)) return "node-unavailable";
    // One statement, so one transaction: lock the Pending pod, then lock the node and read its
    // latest row (`l`), reserve only if it is Ready with room, and bind the pod only if the
    // reservation happened. Nothing changes unless both succeed. See LOCK_NOTE for why the
    // node's values come from `l` rather than from the UPDATE's own row.
    const [r] = await this.sql.rows(
      `with p as (
         select id, cpu_request, memory_request from pod where id = ?::uuid and status = 'Pending' for update
       ), l as (
         select id, status, cpu_allocated, memory_allocated, cpu_capacity, memory_capacity from node
         where id = ?::uuid and exists (select 1 from p) for update
       ), n as (
         update node set cpu_allocated = l.cpu_allocated + p.cpu_request,
                         memory_allocated = l.memory_allocated + p.memory_request,
                         updated_at = ${TS}
         from l, p
         where node.id = l.id and l.status = 'Ready'
           and l.cpu_allocated + p.cpu_request <= l.cpu_capacity
           and l.memory_allocated + p.memory_request <= l.memory_capacity
         returning node.id
       ), b as (
         update pod set status = 'Scheduled', node_id = n.id, scheduled_at = ${TS}, updated_at = ${TS},
                        reason = null, message = ?
         from n
         where pod.id = ?::uuid and pod.status = 'Pending'
         returning pod.id
       )
       select (select count(*) from p)::int as pending, (select count(*) from b)::int as bound`,
      [podId, nodeId, now, now, now, message, podId],
    );
    if (!r) throw new Error("statement returned no row");
    if (Number(r.bound) > 0) return "bound";
    return Number(r.pending) > 0 ? "node-unavailable" : "pod-not-pending";
  }

  async evictFromNode(nodeId: string, reason: string, message: string, now: number): Promise<PodRecord[]> {
    if (!isUuid(nodeId)) return [];
    return this.all(
      `with moved as (
         update pod set status = 'Pending', node_id = null, restarts = restarts + 1, reason = ?, message = ?,
                        scheduled_at = null, started_at = null, updated_at = ${TS}
         where node_id = ?::uuid and status in ('Scheduled', 'Running')
         returning pod.*
       ), gone as (
         delete from pod where node_id = ?::uuid and status = 'Terminating'
         returning cpu_request, memory_request
       ), freed as (
         select coalesce(sum(cpu_request), 0)::int as cpu, coalesce(sum(memory_request), 0)::int as mem
         from (select cpu_request, memory_request from moved
               union all select cpu_request, memory_request from gone) f
       ), l as (
         select id, cpu_allocated, memory_allocated from node
         where id = ?::uuid and exists (select 1 from freed where cpu > 0 or mem > 0) for update
       ), released as (
         update node set cpu_allocated = l.cpu_allocated - freed.cpu,
                         memory_allocated = l.memory_allocated - freed.mem,
                         updated_at = ${TS}
         from l, freed
         where node.id = l.id
         returning node.id
       )
       select ${podColumns("null::text")} from moved p order by p.seq`,
      [reason, message, now, nodeId, nodeId, nodeId, now],
    );
  }

  async transitionAndEvict(
    nodeId: string,
    to: NodeStatus | null,
    opts: TransitionNodeOptions,
    evict: { reason: string; message: string },
  ): Promise<{ node: NodeRecord | null; evicted: PodRecord[] }> {
    if (!isUuid(nodeId)) return { node: null, evicted: [] };
    const from = opts.from ? JSON.stringify(opts.from) : null;
    // One statement, so one transaction: the node's status and its pods change together or not at all
    // (a crash between them used to strand pods bound to a Failed or Removed node). Pod rows are
    // locked before the node row (LOCK_NOTE), and the node is guarded again once locked, so a node
    // that changed status meanwhile keeps its pods. The node's status and allocation are one UPDATE:
    // a statement may change a row only once.
    const rows = await this.sql.rows(
      `with g as (
         select id from node where id = ?::uuid and (?::jsonb is null or status in (select jsonb_array_elements_text(?::jsonb)))
       ), p as (
         select id, status, cpu_request, memory_request from pod
         where node_id = ?::uuid and status in ${RESERVING} and exists (select 1 from g)
         order by id for update
       ), lk as (
         select id, cpu_allocated, memory_allocated from node
         where id = ?::uuid and (?::jsonb is null or status in (select jsonb_array_elements_text(?::jsonb)))
           and (select count(*) from p) >= 0
         for update
       ), moved as (
         update pod set status = 'Pending', node_id = null, restarts = pod.restarts + 1, reason = ?, message = ?,
                        scheduled_at = null, started_at = null, updated_at = ${TS}
         from p where pod.id = p.id and p.status in ('Scheduled', 'Running') and exists (select 1 from lk)
         returning pod.*
       ), gone as (
         delete from pod using p where pod.id = p.id and p.status = 'Terminating' and exists (select 1 from lk)
         returning pod.cpu_request, pod.memory_request
       ), freed as (
         select coalesce(sum(cpu_request), 0)::int as cpu, coalesce(sum(memory_request), 0)::int as mem
         from (select cpu_request, memory_request from moved union all select cpu_request, memory_request from gone) f
       ), n as (
         update node set status = coalesce(?::text, node.status),
                         status_reason = case when ?::text is null then node.status_reason else ?::text end,
                         status_changed_at = case when ?::text is null then node.status_changed_at else ${TS} end,
                         recovery_attempts = coalesce(?::int, node.recovery_attempts),
                         cpu_allocated = lk.cpu_allocated - freed.cpu,
                         memory_allocated = lk.memory_allocated - freed.mem,
                         updated_at = ${TS}
         from lk, freed where node.id = lk.id
         returning node.*
       )
       select nd.node, ${podColumns("null::text")}
       from (select row_to_json(x) as node from (select ${nodeColumns(true)} from n left join node_lease l on l.node_id = n.id) x) nd
       left join moved p on true
       order by p.seq`,
      [
        nodeId, from, from,
        nodeId,
        nodeId, from, from,
        evict.reason, evict.message, opts.now,
        to, to, opts.reason ?? null, to, opts.now, opts.recoveryAttempts ?? null, opts.now,
      ],
    );
    const first = rows[0];
    if (!first) return { node: null, evicted: [] };
    const raw = typeof first.node === "string" ? (JSON.parse(first.node) as Row) : (first.node as Row);
    return { node: toNodeRecord(raw), evicted: rows.filter((r) => r.id !== null && r.id !== undefined).map(toPodRecord) };
  }

  async confirmAndReport(nodeId: string, confirm: string[], report: NodeReport, now: number): Promise<PodRecord[]> {
    if (!isUuid(nodeId)) return [];
    const ids = confirm.filter(isUuid);
    const podIds = jsonOrNull(report.podIds);
    const components = jsonOrNull(report.components);
    // One round trip for both writes. The node update reads `p`, so pod rows are locked before the
    // node row, the same order as every other statement here (no deadlocks).
    return this.all(
      `with p as (
         update pod set status = 'Running', started_at = coalesce(started_at, ${TS}), updated_at = ${TS}
         where node_id = ?::uuid and status = 'Scheduled'
           and id in (select (jsonb_array_elements_text(?::jsonb))::uuid)
         returning pod.*
       ), r as (
         update node set pod_ids = coalesce(?::jsonb, pod_ids), components = coalesce(?::jsonb, components), updated_at = ${TS}
         where id = ?::uuid and ?::boolean and (select count(*) from p) >= 0
         returning id
       )
       select ${POD_COLUMNS} from p left join node pn on pn.id = p.node_id order by p.seq`,
      [now, now, nodeId, JSON.stringify(ids), podIds, components, now, nodeId, podIds !== null || components !== null],
    );
  }

  async delete(id: string, now: number): Promise<PodRecord | null> {
    if (!isUuid(id)) return null;
    // DELETE ... RETURNING yields the latest row version even when it changed concurrently,
    // so the reservation released is the one the pod really held.
    return this.one(
      `with p as (
         delete from pod where id = ?::uuid returning *
       ), ${releaseReservation(`(select node_id from p where status in ${RESERVING})`, "p")}
       select ${podColumns("coalesce((select name from l), (select name from node where node.id = p.node_id))")}
       from p`,
      [id, now],
    );
  }

  async markTerminating(id: string, now: number): Promise<PodRecord | null> {
    if (!isUuid(id)) return null;
    return this.one(
      `with p as (
         update pod set status = 'Terminating', updated_at = ${TS}
         where id = ?::uuid and status in ('Scheduled', 'Running')
         returning pod.*
       )
       select ${POD_COLUMNS} from p left join node pn on pn.id = p.node_id`,
      [now, id],
    );
  }

  async finish(id: string, status: "Succeeded" | "Failed", reason: string | null, message: string | null, now: number): Promise<PodRecord | null> {
    if (!isUuid(id)) return null;
    // Locks the pod first so the released amount is from the row actually being finished (LOCK_NOTE).
    return this.one(
      `with old as (
         select id, node_id, cpu_request, memory_request from pod
         where id = ?::uuid and status in ${RESERVING} for update
       ), p as (
         update pod set status = ?, reason = ?, message = ?, finished_at = ${TS}, updated_at = ${TS}
         from old where pod.id = old.id
         returning pod.*
       ), ${releaseReservation("(select node_id from old)", "old")}
       select ${POD_COLUMNS} from p left join node pn on pn.id = p.node_id`,
      [id, status, reason, message, now, now, now],
    );
  }

  async reportStatuses(nodeId: string, reports: PodStatusReport[], now: number): Promise<PodRecord[]> {
    const rows = reports.filter((r) => isUuid(r.podId)).map(({ podId, ...status }) => ({ id: podId, status }));
    if (!isUuid(nodeId) || rows.length === 0) return [];
    // Only the node's own pods: a report about a pod that moved elsewhere is stale and ignored.
    return this.all(
      `with p as (
         update pod set pod_status = x.status, updated_at = ${TS}
         from jsonb_to_recordset(?::jsonb) as x(id uuid, status jsonb)
         where pod.id = x.id and pod.node_id = ?::uuid
         returning pod.*
       )
       select ${POD_COLUMNS} from p left join node pn on pn.id = p.node_id order by p.seq`,
      [now, JSON.stringify(rows), nodeId],
    );
  }

  async setReason(id: string, reason: string | null, message: string | null, now: number): Promise<void> {
    if (!isUuid(id)) return;
    await this.sql.rows(`update pod set reason = ?, message = ?, updated_at = ${TS} where id = ?::uuid`, [reason, message, now, id]);
  }

  async setLabels(id: string, labels: Labels, now: number): Promise<PodRecord | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.sql.rows(
      `with u as (update pod set labels = ?::jsonb, updated_at = ${TS} where id = ?::uuid returning *)
       select ${podColumns("(select name from node where node.id = p.node_id)")} from u p`,
      [JSON.stringify(labels), now, id],
    );
    return row ? toPodRecord(row) : null;
  }
}
