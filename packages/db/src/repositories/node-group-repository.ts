import { EMPTY_GROUP_STATUS, type NodeGroupSettings, type NodeGroupSpec, type NodeGroupStatus, type NodeTemplate } from "@kube9/core";
import { rethrowConflict } from "../errors.js";
import { TS, ms, type Row, type SqlRunner } from "../sql.js";
import type { NodeGroupRecord, NodeGroupRepository } from "../types.js";

const COLUMNS = `name, min_size, max_size, priority, template, settings, status, ${ms("created_at")} as created_at, ${ms("updated_at")} as updated_at`;

function parseJson<T>(v: unknown): T {
  return (typeof v === "string" ? JSON.parse(v) : v) as T;
}

function toRecord(r: Row): NodeGroupRecord {
  return {
    name: String(r.name),
    min: Number(r.min_size),
    max: Number(r.max_size),
    priority: Number(r.priority),
    template: parseJson<NodeTemplate>(r.template),
    settings: parseJson<NodeGroupSettings>(r.settings),
    status: { ...EMPTY_GROUP_STATUS, ...(r.status ? parseJson<Partial<NodeGroupStatus>>(r.status) : {}) },
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Node groups in raw SQL: one statement per call; written rarely (users, and the autoscaler's status). */
export class SqlNodeGroupRepository implements NodeGroupRepository {
  constructor(private readonly sql: SqlRunner) {}

  async list(): Promise<NodeGroupRecord[]> {
    return (await this.sql.rows(`select ${COLUMNS} from node_group order by name`)).map(toRecord);
  }

  async get(name: string): Promise<NodeGroupRecord | null> {
    const [row] = await this.sql.rows(`select ${COLUMNS} from node_group where name = ?`, [name]);
    return row ? toRecord(row) : null;
  }

  async create(spec: NodeGroupSpec, now: number): Promise<NodeGroupRecord> {
    try {
      const [row] = await this.sql.rows(
        `insert into node_group (name, min_size, max_size, priority, template, settings, status, created_at, updated_at)
         values (?, ?, ?, ?, ?::jsonb, ?::jsonb, null, ${TS}, ${TS}) returning ${COLUMNS}`,
        [spec.name, spec.min, spec.max, spec.priority, JSON.stringify(spec.template), JSON.stringify(spec.settings), now, now],
      );
      return toRecord(row!);
    } catch (err) {
      rethrowConflict(err, "node group", spec.name);
    }
  }

  async update(spec: NodeGroupSpec, now: number): Promise<NodeGroupRecord | null> {
    const [row] = await this.sql.rows(
      `update node_group set min_size = ?, max_size = ?, priority = ?, template = ?::jsonb, settings = ?::jsonb, updated_at = ${TS}
       where name = ? returning ${COLUMNS}`,
      [spec.min, spec.max, spec.priority, JSON.stringify(spec.template), JSON.stringify(spec.settings), now, spec.name],
    );
    return row ? toRecord(row) : null;
  }

  async setStatus(name: string, status: NodeGroupStatus, now: number): Promise<void> {
    await this.sql.rows(`update node_group set status = ?::jsonb, updated_at = ${TS} where name = ?`, [JSON.stringify(status), now, name]);
  }

  async delete(name: string): Promise<boolean> {
    return (await this.sql.rows(`delete from node_group where name = ? returning name`, [name])).length > 0;
  }
}
