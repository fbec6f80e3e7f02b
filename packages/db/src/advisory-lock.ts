import pg from "pg";
import type { Client } from "pg";

// Advisory lock keys (bigint, shared by every Kube-9 process on a database). "kube9" in ASCII.
export const LEADER_LOCK_KEY = "461530883385"; // 0x6b75626539
export const MIGRATION_LOCK_KEY = "461530883386";

/** Opens a dedicated connection, outside the pool, so session-level advisory locks stay with it. */
async function connect(url: string, purpose: string): Promise<Client> {
  const client = new pg.Client({ connectionString: url, keepAlive: true, application_name: `kube9-${purpose}` });
  await client.connect();
  return client;
}

/** Runs fn while holding a blocking session advisory lock, so concurrent processes take turns (used for migrations). */
export async function withAdvisoryLock<T>(url: string, key: string, fn: () => Promise<T>): Promise<T> {
  const client = await connect(url, "migrate");
  // An idle client that loses its socket emits 'error'; without a listener that would crash the process.
  client.on("error", () => {});
  try {
    await client.query("select pg_advisory_lock($1::bigint)", [key]);
    try {
      return await fn();
    } finally {
      await client.query("select pg_advisory_unlock($1::bigint)", [key]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The leader lease on PostgreSQL: a session advisory lock held by one dedicated connection for
 * as long as this process leads. If that connection dies, Postgres drops the lock and so do we.
 */
export class PgLeaderLease {
  private client: Client | null = null;
  private held = false;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly url: string) {}

  /** Takes the lease if free, or confirms we still hold it. */
  tryAcquire(): Promise<boolean> {
    return this.serial(() => this.acquire());
  }

  /** Gives the lease up (and closes its connection) so another process can lead. */
  release(): Promise<void> {
    return this.serial(() => this.drop(true));
  }

  private async acquire(): Promise<boolean> {
    if (this.client && this.held) {
      try {
        await this.client.query("select 1");
        return true;
      } catch {
        await this.drop(false);
      }
    }
    if (!this.client) {
      let client: Client;
      try {
        client = await connect(this.url, "leader");
      } catch {
        // Database unreachable: we cannot lead now; the caller simply asks again on its next tick.
        return false;
      }
      client.on("error", () => {
        // Postgres released the lock with the session; the next call reconnects.
        if (this.client === client) {
          this.client = null;
          this.held = false;
        }
      });
      this.client = client;
    }
    try {
      const r = await this.client.query<{ ok: boolean }>("select pg_try_advisory_lock($1::bigint) as ok", [LEADER_LOCK_KEY]);
      this.held = r.rows[0]?.ok === true;
    } catch {
      await this.drop(false);
    }
    return this.held;
  }

  private async drop(unlock: boolean): Promise<void> {
    const client = this.client;
    const held = this.held;
    this.client = null;
    this.held = false;
    if (!client) return;
    if (unlock && held) await client.query("select pg_advisory_unlock($1::bigint)", [LEADER_LOCK_KEY]).catch(() => {});
    await client.end().catch(() => {});
  }

  // One query at a time on the dedicated client; overlapping calls would race on `held`.
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => {});
    return next;
  }
}
