import { randomUUID } from "node:crypto";
import type { Labels } from "@kube9/core";
import { rethrowConflict } from "../errors.js";
import { TS, ms, type Row, type SqlRunner } from "../sql.js";
import type {
  NamespacePhase,
  NamespaceRecord,
  NamespaceRepository,
  NetworkPolicyRecord,
  NetworkPolicyRepository,
} from "../types.js";

function json<T>(v: unknown): T {
  return (typeof v === "string" ? JSON.parse(v) : v) as T;
}

const NS_COLUMNS = `name, uid, labels, status, ${ms("created_at")} as created_at, ${ms("updated_at")} as updated_at`;

function toNamespace(r: Row): NamespaceRecord {
  return {
    name: String(r.name),
    uid: String(r.uid),
    labels: json<Labels>(r.labels),
    status: String(r.status) as NamespacePhase,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Namespaces in raw SQL, one statement per call. */
export class SqlNamespaceRepository implements NamespaceRepository {
  constructor(private readonly sql: SqlRunner) {}

  async list(): Promise<NamespaceRecord[]> {
    return (await this.sql.rows(`select ${NS_COLUMNS} from namespace order by name`)).map(toNamespace);
  }

  async get(name: string): Promise<NamespaceRecord | null> {
    const [row] = await this.sql.rows(`select ${NS_COLUMNS} from namespace where name = ?`, [name]);
    return row ? toNamespace(row) : null;
  }

  async create(name: string, labels: Labels, now: number): Promise<NamespaceRecord> {
    try {
      const [row] = await this.sql.rows(
        `insert into namespace (name, uid, labels, status, created_at, updated_at)
         values (?, ?::uuid, ?::jsonb, 'Active', ${TS}, ${TS}) returning ${NS_COLUMNS}`,
        [name, randomUUID(), JSON.stringify(labels), now, now],
      );
      return toNamespace(row!);
    } catch (err) {
      rethrowConflict(err, "namespace", name);
    }
  }

  async setLabels(name: string, labels: Labels, now: number): Promise<NamespaceRecord | null> {
    const [row] = await this.sql.rows(
      `update namespace set labels = ?::jsonb, updated_at = ${TS} where name = ? and status = 'Active' returning ${NS_COLUMNS}`,
      [JSON.stringify(labels), now, name],
    );
    return row ? toNamespace(row) : null;
  }

  async markTerminating(name: string, now: number): Promise<NamespaceRecord | null> {
    const [row] = await this.sql.rows(
      `update namespace set status = 'Terminating', updated_at = case when status = 'Terminating' then updated_at else ${TS} end
       where name = ? returning ${NS_COLUMNS}`,
      [now, name],
    );
    return row ? toNamespace(row) : null;
  }

  async deleteIfEmpty(name: string): Promise<boolean> {
    const rows = await this.sql.rows(
      `delete from namespace where name = ? and status = 'Terminating' and not exists (select 1 from pod where pod.namespace = ?)
       returning name`,
      [name, name],
    );
    return rows.length > 0;
  }
}

const NP_COLUMNS = `namespace, name, uid, spec, generation, ${ms("created_at")} as created_at, ${ms("updated_at")} as updated_at`;

function toPolicy(r: Row): NetworkPolicyRecord {
  return {
    namespace: String(r.namespace),
    name: String(r.name),
    uid: String(r.uid),
    spec: json<unknown>(r.spec),
    generation: Number(r.generation),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** NetworkPolicies in raw SQL. A policy's namespace must exist and be Active (checked in the statement). */
export class SqlNetworkPolicyRepository implements NetworkPolicyRepository {
  constructor(private readonly sql: SqlRunner) {}

  async list(namespace?: string): Promise<NetworkPolicyRecord[]> {
    const rows = namespace === undefined
      ? await this.sql.rows(`select ${NP_COLUMNS} from network_policy order by namespace, name`)
      : await this.sql.rows(`select ${NP_COLUMNS} from network_policy where namespace = ? order by name`, [namespace]);
    return rows.map(toPolicy);
  }

  async get(namespace: string, name: string): Promise<NetworkPolicyRecord | null> {
    const [row] = await this.sql.rows(`select ${NP_COLUMNS} from network_policy where namespace = ? and name = ?`, [namespace, name]);
    return row ? toPolicy(row) : null;
  }

  async upsert(namespace: string, name: string, spec: unknown, now: number) {
    const text = JSON.stringify(spec);
    // The generation before the statement tells an update that changed the spec from one that did not.
    const [row] = await this.sql.rows(
      `with old as (select generation from network_policy where namespace = ? and name = ?)
       insert into network_policy as np (namespace, name, uid, spec, generation, created_at, updated_at)
       select ?, ?, ?::uuid, ?::jsonb, 1, ${TS}, ${TS} from namespace where name = ? and status = 'Active'
       on conflict (namespace, name) do update
         set spec = excluded.spec,
             generation = np.generation + case when np.spec = excluded.spec then 0 else 1 end,
             updated_at = case when np.spec = excluded.spec then np.updated_at else excluded.updated_at end
       returning ${NP_COLUMNS}, (select generation from old) as old_generation`,
      [namespace, name, namespace, name, randomUUID(), text, now, now, namespace],
    );
    if (!row) return null;
    const record = toPolicy(row);
    const created = row.old_generation === null || row.old_generation === undefined;
    return { record, created, changed: created || Number(row.old_generation) !== record.generation };
  }

  async delete(namespace: string, name: string): Promise<NetworkPolicyRecord | null> {
    const [row] = await this.sql.rows(`delete from network_policy where namespace = ? and name = ? returning ${NP_COLUMNS}`, [namespace, name]);
    return row ? toPolicy(row) : null;
  }
}
