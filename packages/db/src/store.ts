import { randomUUID } from "node:crypto";
import { DEFAULT_HEALTH_CONFIG, DEFAULT_POLICY } from "@kube9/core";
import type { EventType, NodeStatus, PolicyName } from "@kube9/core";
import type { FilterQuery, InferEntity } from "@mikro-orm/core";
import type { SqlEntityManager } from "@mikro-orm/postgresql";
import { ClusterEntity, EventEntity, NodeEntity, PodEntity } from "./entities.js";
import { ConflictError, PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, sqlState } from "./errors.js";
import {
  NODE_FROM,
  POD_COLUMNS,
  POD_FROM,
  TS,
  isUuid,
  jsonOrNull,
  mergeHealth,
  nodeColumns,
  podColumns,
  toNodeRecord,
  toPodRecord,
} from "./sql.js";
import type { Binding, Row, SqlRunner } from "./sql.js";
import type {
  BindResult,
  ClusterPatch,
  ClusterRecord,
  CreateNodeInput,
  CreatePodInput,
  EventObjectKind,
  EventRecord,
  FinishedPodStatus,
  LeaseInput,
  ListEventsOptions,
  ListPodsOptions,
  NodeRecord,
  NodeReport,
  PodRecord,
  Store,
  TransitionNodeOptions,
} from "./types.js";

// Statuses in which a bound pod holds a reservation on its node's allocation.
const RESERVING = "('Scheduled', 'Running', 'Terminating')";

// LOCK_NOTE: every statement that changes a node's allocation first locks the node row with a
// `select ... for update` CTE (`l`) and computes the new values from that row. A plain
// `update node set cpu_allocated = cpu_allocated - x` computes the new row from the statement's
// snapshot and PostgreSQL checks CHECK constraints on it *before* waiting for a concurrent
// writer, so a release racing a reservation fails with a spurious CHECK violation (and a
// reservation would judge room from stale numbers). FOR UPDATE waits and returns the latest row.
// Lock order is always pod rows, then the node row, so these statements cannot deadlock.

const NODE_SELECT = `select ${nodeColumns(true)} from ${NODE_FROM}`;
const POD_SELECT = `select ${POD_COLUMNS} from ${POD_FROM}`;

/** Turns a unique violation into ConflictError naming the column (constraints are named <table>_<column>_unique). */
function rethrowConflict(err: unknown, what: string, value: string): never {
  const { code, constraint } = sqlState(err);
  if (code === PG_UNIQUE_VIOLATION) {
    const field = constraint?.match(/^[a-z]+_(.+)_unique$/)?.[1] ?? "name";
    throw new ConflictError(field, `${what} ${field} "${value}" is already taken`, { cause: err });
  }
  throw err;
}

/**
 * The Store over PostgreSQL or PGlite. Multi-row invariants (capacity, binding, eviction) are
 * single statements with data-modifying CTEs: atomic, one round trip, and on PGlite they cannot
 * interleave with other callers because the one connection serves one statement at a time.
 */
export class SqlStore implements Store {
  constructor(
    private readonly sql: SqlRunner,
    private readonly newEm: () => SqlEntityManager,
  ) {}

  // ---------------------------------------------------------------- cluster

  async getCluster(): Promise<ClusterRecord> {
    const em = this.newEm();
    let [row] = await em.find(ClusterEntity, {}, { limit: 1 });
    if (!row) {
      // Two processes may both see no row; the singleton index makes the loser a no-op.
      await em
        .createQueryBuilder(ClusterEntity)
        .insert({
          id: randomUUID(),
          algorithm: DEFAULT_POLICY,
          health: { ...DEFAULT_HEALTH_CONFIG },
          adminTokenHash: null,
          createdAt: new Date(),
        })
        .onConflict()
        .ignore()
        .execute();
      [row] = await em.find(ClusterEntity, {}, { limit: 1 });
      if (!row) throw new Error("cluster row missing after insert");
    }
    return {
      id: row.id,
      algorithm: row.algorithm as PolicyName,
      health: mergeHealth(DEFAULT_HEALTH_CONFIG, row.health),
      adminTokenHash: row.adminTokenHash ?? null,
      createdAt: row.createdAt.getTime(),
    };
  }

  async updateCluster(patch: ClusterPatch): Promise<ClusterRecord> {
    await this.getCluster();
    const em = this.newEm();
    const [row] = await em.find(ClusterEntity, {}, { limit: 1 });
    if (!row) throw new Error("cluster row missing");
    if (patch.algorithm !== undefined) row.algorithm = patch.algorithm;
    if (patch.health !== undefined) row.health = { ...patch.health };
    if (patch.adminTokenHash !== undefined) row.adminTokenHash = patch.adminTokenHash;
    await em.flush();
    return this.getCluster();
  }

  // ------------------------------------------------------------------ nodes

  async createNode(input: CreateNodeInput): Promise<NodeRecord> {
    const status: NodeStatus = input.status ?? "Provisioning";
    try {
      const rows = await this.sql.rows(
        `insert into node as n (id, name, role, runtime, status, status_changed_at, cpu_capacity, memory_capacity,
           labels, pod_ids, components, recovery_attempts, credential_hash, created_at, updated_at)
         values (?::uuid, ?, ?, ?, ?, ${TS}, ?, ?, ?::jsonb, '[]'::jsonb, '{}'::jsonb, 0, ?, ${TS}, ${TS})
         returning ${nodeColumns(false)}`,
        [
          randomUUID(),
          input.name,
          input.role,
          input.runtime,
          status,
          input.now,
          input.capacity.cpuMilli,
          input.capacity.memoryMiB,
          JSON.stringify(input.labels),
          input.credentialHash,
          input.now,
          input.now,
        ],
      );
      return toNodeRecord(first(rows));
    } catch (err) {
      rethrowConflict(err, "node", input.name);
    }
  }

  async getNode(id: string): Promise<NodeRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.sql.rows(`${NODE_SELECT} where n.id = ?::uuid`, [id]);
    return rows[0] ? toNodeRecord(rows[0]) : null;
  }

  async getNodeByName(name: string): Promise<NodeRecord | null> {
    const rows = await this.sql.rows(`${NODE_SELECT} where n.name = ?`, [name]);
    return rows[0] ? toNodeRecord(rows[0]) : null;
  }

  async listNodes(opts: { includeRemoved?: boolean } = {}): Promise<NodeRecord[]> {
    const where = opts.includeRemoved ? "" : "where n.status <> 'Removed'";
    const rows = await this.sql.rows(`${NODE_SELECT} ${where} order by n.seq`);
    return rows.map(toNodeRecord);
  }

  async transitionNode(id: string, to: NodeStatus, opts: TransitionNodeOptions): Promise<NodeRecord | null> {
    if (!isUuid(id)) return null;
    const bindings: Binding[] = [to, opts.reason ?? null, opts.now, opts.now, opts.recoveryAttempts ?? null, id];
    let guard = "";
    if (opts.from) {
      guard = "and status in (select jsonb_array_elements_text(?::jsonb))";
      bindings.push(JSON.stringify(opts.from));
    }
    const rows = await this.sql.rows(
      `with n as (
         update node set status = ?, status_reason = ?, status_changed_at = ${TS}, updated_at = ${TS},
           recovery_attempts = coalesce(?::int, recovery_attempts)
         where id = ?::uuid ${guard}
         returning *
       )
       select ${nodeColumns(true)} from n left join node_lease l on l.node_id = n.id`,
      bindings,
    );
    return rows[0] ? toNodeRecord(rows[0]) : null;
  }

  async updateNodeReport(id: string, report: NodeReport): Promise<void> {
    if (!isUuid(id)) return;
    if (report.podIds === undefined && report.components === undefined) return;
    // Raw: agents report on every pod change, so this runs once per placement.
    await this.sql.rows(
      `update node set pod_ids = coalesce(?::jsonb, pod_ids), components = coalesce(?::jsonb, components), updated_at = now()
       where id = ?::uuid`,
      [
        report.podIds === undefined ? null : JSON.stringify(report.podIds),
        report.components === undefined ? null : JSON.stringify(report.components),
        id,
      ],
    );
  }


  async setNodeContainer(id: string, containerId: string | null): Promise<void> {
    if (!isUuid(id)) return;
    await this.newEm().nativeUpdate(NodeEntity, { id }, { containerId, updatedAt: new Date() });
  }

  async setNodeCredential(id: string, credentialHash: string): Promise<void> {
    if (!isUuid(id)) return;
    await this.newEm().nativeUpdate(NodeEntity, { id }, { credentialHash, updatedAt: new Date() });
  }

  async flushLeases(leases: LeaseInput[]): Promise<void> {
    // Last write per node wins inside a batch (ON CONFLICT cannot touch a row twice), and a
    // stable order keeps two API processes flushing at once from deadlocking on row locks.
    const latest = new Map<string, LeaseInput>();
    for (const l of leases) {
      if (!isUuid(l.nodeId)) continue;
      const key = l.nodeId.toLowerCase();
      const prev = latest.get(key);
      if (!prev || prev.at <= l.at) latest.set(key, l);
    }
    if (latest.size === 0) return;
    const batch = [...latest.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([nodeId, l]) => ({ node_id: nodeId, at: l.at, usage: l.usage }));
    const statement = `insert into node_lease (node_id, renewed_at, usage)
       select x.node_id, to_timestamp(x.at / 1000), nullif(x.usage, 'null'::jsonb)
       from jsonb_to_recordset(?::jsonb) as x(node_id uuid, at float8, usage jsonb)
       where exists (select 1 from node where node.id = x.node_id)
       order by x.node_id
       on conflict (node_id) do update set renewed_at = excluded.renewed_at, usage = excluded.usage
       where excluded.renewed_at >= node_lease.renewed_at`;
    try {
      await this.sql.rows(statement, [JSON.stringify(batch)]);
    } catch (err) {
      // A node deleted between the EXISTS check and the insert; the retry no longer sees it.
      if (sqlState(err).code !== PG_FOREIGN_KEY_VIOLATION) throw err;
      await this.sql.rows(statement, [JSON.stringify(batch)]);
    }
  }

  async deleteNode(id: string): Promise<void> {
    if (!isUuid(id)) return;
    try {
      await this.newEm().nativeDelete(NodeEntity, { id });
    } catch (err) {
      if (sqlState(err).code === PG_FOREIGN_KEY_VIOLATION) {
        throw new ConflictError("pods", `node ${id} still has pods bound to it`, { cause: err });
      }
      throw err;
    }
  }

  // ------------------------------------------------------------------- pods

  async createPod(input: CreatePodInput): Promise<PodRecord> {
    const values = [
      randomUUID(),
      input.name,
      input.request.cpuMilli,
      input.request.memoryMiB,
      JSON.stringify(input.labels),
      JSON.stringify(input.nodeSelector),
      input.algorithm,
      jsonOrNull(input.workload),
      input.now,
      input.now,
    ];
    try {
      if (input.bindTo && isUuid(input.bindTo.nodeId)) {
        // Reserve on the locked node row (`l`, see bindPod) and insert the pod in the same
        // statement: bound when the reservation happened, Pending otherwise, never half of it.
        const { cpuMilli, memoryMiB } = input.request;
        const rows = await this.sql.rows(
          `with l as (
             select id, name, status, cpu_allocated, memory_allocated, cpu_capacity, memory_capacity from node
             where id = ?::uuid for update
           ), n as (
             update node set cpu_allocated = l.cpu_allocated + ?, memory_allocated = l.memory_allocated + ?,
                             updated_at = ${TS}
             from l
             where node.id = l.id and l.status = 'Ready'
               and l.cpu_allocated + ? <= l.cpu_capacity and l.memory_allocated + ? <= l.memory_capacity
             returning node.id, l.name
           ), p as (
             insert into pod (id, name, status, node_id, cpu_request, memory_request, labels, node_selector, algorithm,
               workload, restarts, created_at, updated_at, scheduled_at, message)
             select ?::uuid, ?, case when n.id is null then 'Pending' else 'Scheduled' end, n.id, ?, ?, ?::jsonb, ?::jsonb, ?,
               ?::jsonb, 0, ${TS}, ${TS}, case when n.id is null then null else ${TS} end,
               case when n.id is null then null else ?::text end
             from (select 1) as one left join n on true
             returning *
           )
           select ${podColumns("(select name from n)")} from p`,
          [input.bindTo.nodeId, cpuMilli, memoryMiB, input.now, cpuMilli, memoryMiB, ...values, input.now, input.bindTo.message],
        );
        return toPodRecord(first(rows));
      }
      const rows = await this.sql.rows(
        `insert into pod as p (id, name, status, cpu_request, memory_request, labels, node_selector, algorithm,
           workload, restarts, created_at, updated_at)
         values (?::uuid, ?, 'Pending', ?, ?, ?::jsonb, ?::jsonb, ?, ?::jsonb, 0, ${TS}, ${TS})
         returning ${podColumns("null::text")}`,
        values,
      );
      return toPodRecord(first(rows));
    } catch (err) {
      rethrowConflict(err, "pod", input.name);
    }
  }


  async getPod(id: string): Promise<PodRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.sql.rows(`${POD_SELECT} where p.id = ?::uuid`, [id]);
    return rows[0] ? toPodRecord(rows[0]) : null;
  }

  async getPodByName(name: string): Promise<PodRecord | null> {
    const rows = await this.sql.rows(`${POD_SELECT} where p.name = ?`, [name]);
    return rows[0] ? toPodRecord(rows[0]) : null;
  }

  async listPods(opts: ListPodsOptions = {}): Promise<PodRecord[]> {
    const conds: string[] = [];
    const bindings: Binding[] = [];
    if (opts.status) {
      conds.push("p.status in (select jsonb_array_elements_text(?::jsonb))");
      bindings.push(JSON.stringify(opts.status));
    }
    if (opts.nodeId !== undefined) {
      if (!isUuid(opts.nodeId)) return [];
      conds.push("p.node_id = ?::uuid");
      bindings.push(opts.nodeId);
    }
    const where = conds.length ? `where ${conds.join(" and ")}` : "";
    const rows = await this.sql.rows(`${POD_SELECT} ${where} order by p.seq`, bindings);
    return rows.map(toPodRecord);
  }

  async listPendingPods(limit?: number): Promise<PodRecord[]> {
    const bindings: Binding[] = [];
    let lim = "";
    if (limit !== undefined) {
      lim = "limit ?";
      bindings.push(Math.max(0, Math.floor(limit)));
    }
    // Pending pods are unbound: no join needed.
    const rows = await this.sql.rows(
      `select ${podColumns("null::text")} from pod p where p.status = 'Pending' order by p.seq ${lim}`,
      bindings,
    );
    return rows.map(toPodRecord);
  }

  async bindPod(podId: string, nodeId: string, now: number, message: string): Promise<BindResult> {
    if (!isUuid(podId)) return "pod-not-pending";
    if (!isUuid(nodeId)) return "node-unavailable";
    // One statement, so one transaction: lock the Pending pod, then lock the node and read its
    // latest row (`l`), reserve only if it is Ready with room, and bind the pod only if the
    // reservation happened. Nothing changes unless both succeed. See LOCK_NOTE for why the
    // node's values come from `l` rather than from the UPDATE's own row.
    const rows = await this.sql.rows(
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
    const r = first(rows);
    if (Number(r.bound) > 0) return "bound";
    return Number(r.pending) > 0 ? "node-unavailable" : "pod-not-pending";
  }

  async evictNodePods(nodeId: string, reason: string, message: string, now: number): Promise<PodRecord[]> {
    if (!isUuid(nodeId)) return [];
    const rows = await this.sql.rows(
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
    return rows.map(toPodRecord);
  }

  async confirmPodsRunning(nodeId: string, podIds: string[], now: number): Promise<PodRecord[]> {
    const ids = podIds.filter(isUuid);
    if (!isUuid(nodeId) || ids.length === 0) return [];
    const rows = await this.sql.rows(
      `with p as (
         update pod set status = 'Running', started_at = coalesce(started_at, ${TS}), updated_at = ${TS}
         where node_id = ?::uuid and status = 'Scheduled'
           and id in (select (jsonb_array_elements_text(?::jsonb))::uuid)
         returning pod.*
       )
       select ${POD_COLUMNS} from p left join node pn on pn.id = p.node_id order by p.seq`,
      [now, now, nodeId, JSON.stringify(ids)],
    );
    return rows.map(toPodRecord);
  }
  async confirmAndReport(nodeId: string, confirm: string[], report: NodeReport, now: number): Promise<PodRecord[]> {
    if (!isUuid(nodeId)) return [];
    const ids = confirm.filter(isUuid);
    const podIds = report.podIds === undefined ? null : JSON.stringify(report.podIds);
    const components = report.components === undefined ? null : JSON.stringify(report.components);
    // One round trip for both writes. The node update reads `p`, so pod rows are locked before the
    // node row, the same order as every other statement here (no deadlocks).
    const rows = await this.sql.rows(
      `with p as (
         update pod set status = 'Running', started_at = coalesce(started_at, ${TS}), updated_at = ${TS}
         where node_id = ?::uuid and status = 'Scheduled'
           and id in (select (jsonb_array_elements_text(?::jsonb))::uuid)
         returning pod.*
       ), r as (
         update node set pod_ids = coalesce(?::jsonb, pod_ids), components = coalesce(?::jsonb, components), updated_at = now()
         where id = ?::uuid and ?::boolean and (select count(*) from p) >= 0
         returning id
       )
       select ${POD_COLUMNS} from p left join node pn on pn.id = p.node_id order by p.seq`,
      [now, now, nodeId, JSON.stringify(ids), podIds, components, nodeId, podIds !== null || components !== null],
    );
    return rows.map(toPodRecord);
  }



  async markPodTerminating(id: string, now: number): Promise<PodRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.sql.rows(
      `with p as (
         update pod set status = 'Terminating', updated_at = ${TS}
         where id = ?::uuid and status in ('Scheduled', 'Running')
         returning pod.*
       )
       select ${POD_COLUMNS} from p left join node pn on pn.id = p.node_id`,
      [now, id],
    );
    return rows[0] ? toPodRecord(rows[0]) : null;
  }

  async finishPod(
    id: string,
    status: FinishedPodStatus,
    reason: string | null,
    message: string | null,
    now: number,
  ): Promise<PodRecord | null> {
    if (!isUuid(id)) return null;
    // Locks the pod first so the released amount is from the row actually being finished.
    const rows = await this.sql.rows(
      `with old as (
         select id, node_id, cpu_request, memory_request from pod
         where id = ?::uuid and status in ${RESERVING} for update
       ), p as (
         update pod set status = ?, reason = ?, message = ?, finished_at = ${TS}, updated_at = ${TS}
         from old where pod.id = old.id
         returning pod.*
       ), l as (
         select id, cpu_allocated, memory_allocated from node where id = (select node_id from old) for update
       ), released as (
         update node set cpu_allocated = l.cpu_allocated - old.cpu_request,
                         memory_allocated = l.memory_allocated - old.memory_request,
                         updated_at = ${TS}
         from l, old where node.id = l.id
         returning node.id
       )
       select ${POD_COLUMNS} from p left join node pn on pn.id = p.node_id`,
      [id, status, reason, message, now, now, now],
    );
    return rows[0] ? toPodRecord(rows[0]) : null;
  }

  async deletePod(id: string): Promise<PodRecord | null> {
    if (!isUuid(id)) return null;
    // DELETE ... RETURNING yields the latest row version even when it changed concurrently,
    // so the reservation released is the one the pod really held.
    const rows = await this.sql.rows(
      `with p as (
         delete from pod where id = ?::uuid returning *
       ), l as (
         select id, name, cpu_allocated, memory_allocated from node
         where id = (select node_id from p where status in ${RESERVING}) for update
       ), released as (
         update node set cpu_allocated = l.cpu_allocated - p.cpu_request,
                         memory_allocated = l.memory_allocated - p.memory_request,
                         updated_at = now()
         from l, p where node.id = l.id
         returning node.id
       )
       select ${podColumns("coalesce((select name from l), (select name from node where node.id = p.node_id))")}
       from p`,
      [id],
    );
    return rows[0] ? toPodRecord(rows[0]) : null;
  }

  async desiredPodIds(nodeId: string): Promise<string[]> {
    if (!isUuid(nodeId)) return [];
    const rows = await this.sql.rows(
      `select id from pod where node_id = ?::uuid and status in ('Scheduled', 'Running') order by seq`,
      [nodeId],
    );
    return rows.map((r) => String(r.id));
  }

  async setPodReason(id: string, reason: string | null, message: string | null): Promise<void> {
    if (!isUuid(id)) return;
    await this.newEm().nativeUpdate(PodEntity, { id }, { reason, message, updatedAt: new Date() });
  }

  // ----------------------------------------------------------------- events

  async addEvents(events: Array<Omit<EventRecord, "id">>): Promise<EventRecord[]> {
    if (events.length === 0) return [];
    // One JSON parameter keeps the statement text fixed, so it stays one prepared statement.
    const payload = events.map((e) => ({
      t: e.time,
      ty: e.type,
      r: e.reason,
      k: e.objectKind,
      oid: e.objectId,
      oname: e.objectName,
      msg: e.message,
      ord: 0,
    }));
    payload.forEach((p, i) => (p.ord = i));
    const rows = await this.sql.rows(
      `insert into event (time, type, reason, object_kind, object_id, object_name, message)
       select to_timestamp(x.t / 1000), x.ty, x.r, x.k, x.oid, x.oname, x.msg
       from jsonb_to_recordset(?::jsonb) as x(t float8, ty text, r text, k text, oid text, oname text, msg text, ord int)
       order by x.ord
       returning id`,
      [JSON.stringify(payload)],
    );
    // Identity values are handed out in insertion order, which follows the ORDER BY above.
    const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    return events.map((e, i) => ({ ...e, id: ids[i]! }));
  }

  async addEvent(e: Omit<EventRecord, "id">): Promise<EventRecord> {
    // Raw rather than em.insert: every scheduling decision writes an event, so this is a hot path.
    const rows = await this.sql.rows(
      `insert into event (time, type, reason, object_kind, object_id, object_name, message)
       values (${TS}, ?, ?, ?, ?, ?, ?) returning id`,
      [e.time, e.type, e.reason, e.objectKind, e.objectId, e.objectName, e.message],
    );
    return {
      id: Number(first(rows).id),
      time: e.time,
      type: e.type,
      reason: e.reason,
      objectKind: e.objectKind,
      objectId: e.objectId,
      objectName: e.objectName,
      message: e.message,
    };
  }

  async listEvents(opts: ListEventsOptions = {}): Promise<EventRecord[]> {
    const limit = Math.max(0, Math.floor(opts.limit ?? 100));
    if (limit === 0) return [];
    const where: FilterQuery<InferEntity<typeof EventEntity>> = {};
    if (opts.afterId !== undefined) where.id = { $gt: opts.afterId };
    if (opts.objectId !== undefined) where.objectId = opts.objectId;
    const forward = opts.afterId !== undefined;
    const rows = await this.newEm().find(EventEntity, where, {
      orderBy: { id: forward ? "asc" : "desc" },
      limit,
    });
    const events = rows.map(
      (r): EventRecord => ({
        id: Number(r.id),
        time: r.time.getTime(),
        type: r.type as EventType,
        reason: r.reason,
        objectKind: r.objectKind as EventObjectKind,
        objectId: r.objectId ?? null,
        objectName: r.objectName,
        message: r.message,
      }),
    );
    return forward ? events : events.reverse();
  }

  async pruneEvents(keep: number): Promise<void> {
    await this.sql.rows(
      `delete from event where id <= (select id from event order by id desc offset ? limit 1)`,
      [Math.max(0, Math.floor(keep))],
    );
  }
}

function first(rows: Row[]): Row {
  const r = rows[0];
  if (!r) throw new Error("statement returned no row");
  return r;
}
