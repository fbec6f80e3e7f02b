import { randomUUID } from "node:crypto";
import type { KubeletEndpoint, NodeStatus } from "@kube9/core";
import { ConflictError, PG_FOREIGN_KEY_VIOLATION, rethrowConflict, sqlState } from "../errors.js";
import { NODE_FROM, RecordTable, TS, isUuid, jsonOrNull, ms, nodeColumns, toNodeRecord } from "../sql.js";
import type { Binding, SqlRunner } from "../sql.js";
import type { CreateNodeInput, LeaseRecord, NodeRecord, NodeRepository, TransitionNodeOptions } from "../types.js";

const NODE_SELECT = `select ${nodeColumns(true)} from ${NODE_FROM}`;

/** Node rows in raw SQL; allocation is changed only by the pod repository, together with the pods. */
export class SqlNodeRepository extends RecordTable<NodeRecord> implements NodeRepository {
  constructor(sql: SqlRunner) {
    super(sql, NODE_SELECT, "n", toNodeRecord);
  }

  getByName(name: string): Promise<NodeRecord | null> {
    return this.byName(name);
  }

  async create(input: CreateNodeInput): Promise<NodeRecord> {
    const { capacity, now } = input;
    try {
      return await this.inserted(
        `insert into node as n (id, name, role, runtime, status, status_changed_at, cpu_capacity, memory_capacity,
           labels, pod_ids, components, recovery_attempts, credential_hash, created_at, updated_at)
         values (?::uuid, ?, ?, ?, ?, ${TS}, ?, ?, ?::jsonb, '[]'::jsonb, '{}'::jsonb, 0, ?, ${TS}, ${TS})
         returning ${nodeColumns(false)}`,
        [randomUUID(), input.name, input.role, input.runtime, input.status ?? "Provisioning", now,
          capacity.cpuMilli, capacity.memoryMiB, JSON.stringify(input.labels), input.credentialHash, now, now],
      );
    } catch (err) {
      rethrowConflict(err, "node", input.name);
    }
  }

  async createMany(inputs: Array<CreateNodeInput & { id: string }>): Promise<NodeRecord[]> {
    if (inputs.length === 0) return [];
    for (const input of inputs) if (!isUuid(input.id)) throw new Error(`node id ${input.id} is not a UUID`);
    // One statement for a fleet's worth of nodes; a name someone else took meanwhile is skipped, not an error.
    return this.all(
      `insert into node as n (id, name, role, runtime, status, status_changed_at, cpu_capacity, memory_capacity,
         labels, pod_ids, components, recovery_attempts, credential_hash, created_at, updated_at)
       select x.id, x.name, x.role, x.runtime, x.status, ${TS}, x.cpu, x.memory, x.labels, '[]'::jsonb, '{}'::jsonb, 0, x.credential_hash, ${TS}, ${TS}
       from jsonb_to_recordset(?::jsonb) as x(id uuid, name text, role text, runtime text, status text, cpu int, memory int, labels jsonb, credential_hash text, ord int)
       order by x.ord
       on conflict (name) do nothing
       returning ${nodeColumns(false)}`,
      [
        inputs[0]!.now,
        inputs[0]!.now,
        inputs[0]!.now,
        JSON.stringify(
          inputs.map((input, ord) => ({
            id: input.id,
            name: input.name,
            role: input.role,
            runtime: input.runtime,
            status: input.status ?? "Provisioning",
            cpu: input.capacity.cpuMilli,
            memory: input.capacity.memoryMiB,
            labels: input.labels,
            credential_hash: input.credentialHash,
            ord,
          })),
        ),
      ],
    );
  }

  async leases(ids?: readonly string[]): Promise<LeaseRecord[]> {
    const only = ids ? ids.filter(isUuid) : undefined;
    if (only && only.length === 0) return [];
    const rows = await this.sql.rows(
      `select n.id, ${ms("l.renewed_at")} as renewed_at, l.usage from node n left join node_lease l on l.node_id = n.id
       where n.status <> 'Removed'${only ? " and n.id in (select jsonb_array_elements_text(?::jsonb)::uuid)" : ""}`,
      only ? [JSON.stringify(only)] : [],
    );
    return rows.map((r) => ({
      nodeId: String(r.id),
      renewedAt: r.renewed_at === null || r.renewed_at === undefined ? null : Number(r.renewed_at),
      usage: (typeof r.usage === "string" ? JSON.parse(r.usage) : (r.usage ?? null)) as LeaseRecord["usage"],
    }));
  }

  async listChangedSince(sinceMs: number): Promise<NodeRecord[]> {
    return this.all(`${NODE_SELECT} where n.updated_at > ${TS} order by n.seq`, [sinceMs]);
  }

  async list(opts: { includeRemoved?: boolean; afterSeq?: number; limit?: number } = {}): Promise<NodeRecord[]> {
    const where = [opts.includeRemoved ? "" : "n.status <> 'Removed'", opts.afterSeq !== undefined ? "n.seq > ?" : ""].filter(Boolean);
    const bindings: Binding[] = opts.afterSeq !== undefined ? [opts.afterSeq] : [];
    if (opts.limit !== undefined) bindings.push(opts.limit);
    return this.all(`${NODE_SELECT} ${where.length ? `where ${where.join(" and ")}` : ""} order by n.seq${opts.limit !== undefined ? " limit ?" : ""}`, bindings);
  }

  async versions(opts: { changedSince?: number } = {}): Promise<Array<{ id: string; version: string }>> {
    // xmin, the transaction that wrote the row's current version: it changes with every write, whatever
    // the writers' clocks say (two writes in one millisecond, or a replica whose clock is behind).
    const rows =
      opts.changedSince === undefined
        ? await this.sql.rows(`select n.id, n.xmin::text as version from node n where n.status <> 'Removed'`)
        : await this.sql.rows(`select n.id, n.xmin::text as version from node n where n.updated_at > ${TS}`, [opts.changedSince]);
    return rows.map((r) => ({ id: String(r.id), version: String(r.version) }));
  }

  async getMany(ids: readonly string[]): Promise<NodeRecord[]> {
    const only = ids.filter(isUuid);
    if (only.length === 0) return [];
    return this.all(`${NODE_SELECT} where n.id in (select jsonb_array_elements_text(?::jsonb)::uuid) order by n.seq`, [JSON.stringify(only)]);
  }

  async listRemoved(): Promise<NodeRecord[]> {
    return this.all(`${NODE_SELECT} where n.status = 'Removed' order by n.seq`);
  }

  async transition(id: string, to: NodeStatus, opts: TransitionNodeOptions): Promise<NodeRecord | null> {
    if (!isUuid(id)) return null;
    const bindings: Binding[] = [to, opts.reason ?? null, opts.now, opts.now, opts.recoveryAttempts ?? null, id];
    let guard = "";
    if (opts.from) {
      guard = "and status in (select jsonb_array_elements_text(?::jsonb))";
      bindings.push(JSON.stringify(opts.from));
    }
    return this.one(
      `with n as (
         update node set status = ?, status_reason = ?, status_changed_at = ${TS}, updated_at = ${TS},
           recovery_attempts = coalesce(?::int, recovery_attempts)
         where id = ?::uuid ${guard}
         returning *
       )
       select ${nodeColumns(true)} from n left join node_lease l on l.node_id = n.id`,
      bindings,
    );
  }

  async transitionMany(changes: Array<{ id: string; from: NodeStatus }>, to: NodeStatus, opts: { reason: string | null; now: number }): Promise<NodeRecord[]> {
    const valid = changes.filter((c) => isUuid(c.id));
    if (valid.length === 0) return [];
    // One statement for a whole fleet's registrations; each row still changes only from the status it was seen in.
    return this.all(
      `with c as (select * from jsonb_to_recordset(?::jsonb) as x(id uuid, status text)),
       n as (
         update node set status = ?, status_reason = ?, status_changed_at = ${TS}, updated_at = ${TS}
         from c where node.id = c.id and node.status = c.status
         returning node.*
       )
       select ${nodeColumns(true)} from n left join node_lease l on l.node_id = n.id order by n.seq`,
      [JSON.stringify(valid.map((c) => ({ id: c.id, status: c.from }))), to, opts.reason, opts.now, opts.now],
    );
  }

  async setContainer(id: string, containerId: string | null, now: number): Promise<void> {
    if (!isUuid(id)) return;
    await this.sql.rows(`update node set container_id = ?, updated_at = ${TS} where id = ?::uuid`, [containerId, now, id]);
  }

  async setCredential(id: string, credentialHash: string, now: number): Promise<void> {
    if (!isUuid(id)) return;
    await this.sql.rows(`update node set credential_hash = ?, updated_at = ${TS} where id = ?::uuid`, [credentialHash, now, id]);
  }

  async setKubelet(id: string, kubelet: KubeletEndpoint | null, now: number): Promise<void> {
    if (!isUuid(id)) return;
    await this.sql.rows(`update node set kubelet = ?::jsonb, updated_at = ${TS} where id = ?::uuid`, [jsonOrNull(kubelet), now, id]);
  }

  async delete(id: string): Promise<void> {
    if (!isUuid(id)) return;
    try {
      await this.sql.rows("delete from node where id = ?::uuid", [id]);
    } catch (err) {
      if (sqlState(err).code === PG_FOREIGN_KEY_VIOLATION) {
        throw new ConflictError("pods", `node ${id} still has pods bound to it`, { cause: err });
      }
      throw err;
    }
  }
}
