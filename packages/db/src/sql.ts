import type { NodeRecord, PodRecord } from "./types.js";

// SQL fragments and row mappers shared by the repositories. Statements use `?` placeholders (knex
// turns them into $n server-side parameters) and must not contain semicolons: the PGlite
// adapter treats any raw SQL with more than one `;`-separated part as a multi-statement script.

export type Row = Record<string, unknown>;
export type Binding = string | number | boolean | null;

/** Runs one parameterized statement and returns its rows (RETURNING rows for writes). */
export interface SqlRunner {
  rows(sql: string, bindings?: readonly Binding[]): Promise<Row[]>;
}

/** Epoch milliseconds of a timestamptz column, as float8 (both drivers parse it to a number). */
export function ms(expr: string): string {
  return `round(extract(epoch from ${expr}) * 1000)::float8`;
}

/** A timestamptz from an epoch-milliseconds placeholder: every write's time comes from the caller. */
export const TS = "to_timestamp(?::float8 / 1000)";

/** Node columns for a query with the node table aliased `n` and (optionally) node_lease aliased `l`. */
export function nodeColumns(withLease: boolean): string {
  const lease = withLease
    ? `coalesce(l.usage, n.usage) as usage, ${ms("l.renewed_at")} as last_heartbeat_at`
    : "n.usage, null::float8 as last_heartbeat_at";
  return `n.id, n.seq, n.name, n.role, n.runtime, n.status, n.status_reason,
    ${ms("n.status_changed_at")} as status_changed_at, n.cpu_capacity, n.memory_capacity,
    n.cpu_allocated, n.memory_allocated, n.labels, n.pod_ids, n.components, ${lease},
    n.container_id, n.recovery_attempts, n.credential_hash, n.kubelet, ${ms("n.created_at")} as created_at`;
}

/** Node rows joined with their lease. */
export const NODE_FROM = "node n left join node_lease l on l.node_id = n.id";

/** Pod columns for a query with the pod table aliased `p`; `nodeName` is an expression for node_name. */
export function podColumns(nodeName: string): string {
  return `p.id, p.seq, p.name, p.namespace, p.status, p.node_id, ${nodeName} as node_name, p.cpu_request,
    p.memory_request, p.labels, p.node_selector, p.algorithm, p.spec, p.pod_status, p.reason, p.message,
    p.restarts, ${ms("p.created_at")} as created_at, ${ms("p.scheduled_at")} as scheduled_at,
    ${ms("p.started_at")} as started_at, ${ms("p.finished_at")} as finished_at`;
}

/** Pod rows joined with their node's name. */
export const POD_FROM = "pod p left join node pn on pn.id = p.node_id";
export const POD_COLUMNS = podColumns("pn.name");

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a syntactically valid UUID; anything else cannot match a row and would make Postgres raise on the cast. */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** A number from a numeric column: int8 arrives as a string from pg and as a number/bigint from PGlite. */
export function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

/** A nullable text column. */
export function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

// Node and pod rows share their key, registration order and unique name.
function identity(r: Row): Pick<NodeRecord & PodRecord, "id" | "seq" | "name"> {
  return { id: String(r.id), seq: num(r.seq), name: String(r.name) };
}

/** Maps a row selected with nodeColumns() to a NodeRecord. */
export function toNodeRecord(r: Row): NodeRecord {
  return {
    ...identity(r),
    role: r.role as NodeRecord["role"],
    runtime: r.runtime as NodeRecord["runtime"],
    status: r.status as NodeRecord["status"],
    statusReason: strOrNull(r.status_reason),
    statusChangedAt: num(r.status_changed_at),
    capacity: { cpuMilli: num(r.cpu_capacity), memoryMiB: num(r.memory_capacity) },
    allocated: { cpuMilli: num(r.cpu_allocated), memoryMiB: num(r.memory_allocated) },
    labels: (r.labels ?? {}) as NodeRecord["labels"],
    podIds: (r.pod_ids ?? []) as string[],
    components: (r.components ?? {}) as Record<string, string>,
    usage: (r.usage ?? null) as NodeRecord["usage"],
    lastHeartbeatAt: numOrNull(r.last_heartbeat_at),
    containerId: strOrNull(r.container_id),
    recoveryAttempts: num(r.recovery_attempts),
    credentialHash: String(r.credential_hash),
    kubelet: (r.kubelet ?? null) as NodeRecord["kubelet"],
    createdAt: num(r.created_at),
  };
}

/** Maps a row selected with podColumns() to a PodRecord. */
export function toPodRecord(r: Row): PodRecord {
  return {
    ...identity(r),
    namespace: String(r.namespace),
    status: r.status as PodRecord["status"],
    nodeId: strOrNull(r.node_id),
    nodeName: strOrNull(r.node_name),
    request: { cpuMilli: num(r.cpu_request), memoryMiB: num(r.memory_request) },
    labels: (r.labels ?? {}) as PodRecord["labels"],
    nodeSelector: (r.node_selector ?? {}) as PodRecord["nodeSelector"],
    algorithm: (r.algorithm ?? null) as PodRecord["algorithm"],
    spec: (r.spec ?? null) as PodRecord["spec"],
    podStatus: (r.pod_status ?? null) as PodRecord["podStatus"],
    reason: strOrNull(r.reason),
    message: strOrNull(r.message),
    restarts: num(r.restarts),
    createdAt: num(r.created_at),
    scheduledAt: numOrNull(r.scheduled_at),
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
  };
}

/** JSON for a jsonb placeholder; undefined and null both become SQL NULL. */
export function jsonOrNull(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}

/**
 * Statements whose rows map to one record type. Nodes and pods share it: both tables have a UUID
 * key and a name (unique, per namespace for pods), and their lookups differ only in the select and the table alias.
 */
export abstract class RecordTable<T> {
  constructor(
    protected readonly sql: SqlRunner,
    /** `select ... from <table> <alias> ...`, open for a where clause. */
    private readonly select: string,
    private readonly alias: string,
    private readonly toRecord: (r: Row) => T,
  ) {}

  async get(id: string): Promise<T | null> {
    return isUuid(id) ? this.one(`${this.select} where ${this.alias}.id = ?::uuid`, [id]) : null;
  }

  /** The row whose `name` (and, for pods, namespace) is this. */
  protected byName(name: string, namespace?: string): Promise<T | null> {
    if (namespace === undefined) return this.one(`${this.select} where ${this.alias}.name = ?`, [name]);
    return this.one(`${this.select} where ${this.alias}.namespace = ? and ${this.alias}.name = ?`, [namespace, name]);
  }

  /** The first row's record, or null when the statement returned none. */
  protected async one(text: string, bindings: readonly Binding[]): Promise<T | null> {
    const [row] = await this.sql.rows(text, bindings);
    return row ? this.toRecord(row) : null;
  }

  /** For INSERT ... RETURNING, which always returns its row. */
  protected async inserted(text: string, bindings: readonly Binding[]): Promise<T> {
    const [row] = await this.sql.rows(text, bindings);
    if (!row) throw new Error("statement returned no row");
    return this.toRecord(row);
  }

  protected async all(text: string, bindings: readonly Binding[] = []): Promise<T[]> {
    return (await this.sql.rows(text, bindings)).map(this.toRecord);
  }
}
