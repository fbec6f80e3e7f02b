import pg from "pg";
import type { Client, ClientConfig } from "pg";

// Advisory lock keys (bigint, shared by every Kube-9 process on a database). "kube9" in ASCII.
export const LEADER_LOCK_KEY = "461530883385"; // 0x6b75626539
export const MIGRATION_LOCK_KEY = "461530883386";
// 461530883387 is the event log's (EVENT_LOCK_KEY, repositories/event-repository.ts).
/** Held shared by every live API process (on its lease connection): who else serves this database. */
export const PRESENCE_LOCK_KEY = "461530883390";
/** The presence connection's application_name: this prefix, then the URL agents reach the process at. */
const PRESENCE_NAME_PREFIX = "kube9-api ";
/** PostgreSQL keeps application_name to 63 bytes. */
const MAX_APPLICATION_NAME = 63;

/**
 * The leader lease's bounds. A cut-off leader must stop leading before the server frees its lock for
 * another process: its checks get no answer within `checkMs` and it drops the lease, while the server
 * ends the session only after `serverIdleMs` without a query (idle_session_timeout; TCP keepalive and
 * tcp_user_timeout too, for a real network cut) — and a live leader uses the session every `pingMs`.
 * So pingMs + checkMs < serverIdleMs, and failover after a cut takes about serverIdleMs + one retry.
 */
export const LEADER_LEASE_TIMINGS = {
  connectMs: 3_000,
  checkMs: 3_000,
  pingMs: 2_000,
  serverIdleMs: 10_000,
} as const;

/** Server settings of the leader's session (each skipped when the server does not know it: idle_session_timeout needs PostgreSQL 14). */
const LEADER_SESSION_SETTINGS: Array<[string, string]> = [
  ["idle_session_timeout", String(LEADER_LEASE_TIMINGS.serverIdleMs)],
  ["tcp_keepalives_idle", "2"],
  ["tcp_keepalives_interval", "1"],
  ["tcp_keepalives_count", "3"],
  ["tcp_user_timeout", String(LEADER_LEASE_TIMINGS.serverIdleMs / 2)],
];

/** Opens a dedicated connection, outside the pool, so session-level advisory locks stay with it. */
async function connect(url: string, purpose: string, queryTimeoutMs?: number): Promise<Client> {
  const config = {
    connectionString: url,
    keepAlive: true,
    keepAliveInitialDelayMillis: 1_000,
    connectionTimeoutMillis: LEADER_LEASE_TIMINGS.connectMs,
    ...(queryTimeoutMs ? { query_timeout: queryTimeoutMs } : {}),
    application_name: `kube9-${purpose}`,
  };
  const client = new pg.Client(config as ClientConfig);
  await client.connect();
  return client;
}

/** Ends a client without waiting on a socket that may never answer (a cut-off connection). */
function destroy(client: Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  client.end().catch(() => {});
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
 *
 * The same connection holds the presence lock (shared, by every live API process) and is named after
 * the URL this process serves at, so each process can tell which others are alive and where: a
 * process that dies, or whose connection dies, is gone from the list with its session.
 */
export class PgLeaderLease {
  private client: Client | null = null;
  private held = false;
  private busy: Promise<unknown> = Promise.resolve();
  private pinger: NodeJS.Timeout | null = null;
  private advertised = "";
  private closed = false;

  constructor(private readonly url: string) {}

  /** Names the URL this process serves at (shown to the other processes by peers()). */
  advertise(url: string): Promise<void> {
    this.advertised = url;
    return this.serial(async () => {
      const fresh = !this.client;
      const client = await this.connected();
      if (client && !fresh) await client.query("select set_config('application_name', $1, false)", [presenceName(url)]).catch(() => {});
    });
  }

  /** The other live API processes on this database: the URL each advertised ("" before it did). */
  peers(): Promise<string[]> {
    return this.serial(async () => {
      const client = await this.connected();
      if (!client) return [];
      try {
        const r = await client.query<{ name: string | null }>(
          `select a.application_name as name from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where l.locktype = 'advisory' and l.granted and l.objsubid = 1
              and ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint
              and l.database = (select oid from pg_database where datname = current_database())
              and l.pid <> pg_backend_pid()`,
          [PRESENCE_LOCK_KEY],
        );
        return r.rows.map((row) => (row.name?.startsWith(PRESENCE_NAME_PREFIX) ? row.name.slice(PRESENCE_NAME_PREFIX.length) : ""));
      } catch {
        await this.drop(false);
        return [];
      }
    });
  }

  /** Takes the lease if free, or confirms we still hold it. */
  tryAcquire(): Promise<boolean> {
    return this.serial(() => this.acquire());
  }

  /** Gives the lease up (and closes its connection) so another process can lead. */
  release(): Promise<void> {
    return this.serial(() => this.drop(true));
  }

  /** Gives the lease and the presence up for good: this process is closing. */
  close(): Promise<void> {
    this.closed = true;
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
    // Database unreachable: we cannot lead now; the caller simply asks again on its next tick.
    if (!(await this.connected())) return false;
    try {
      const r = await this.client!.query<{ ok: boolean }>("select pg_try_advisory_lock($1::bigint) as ok", [LEADER_LOCK_KEY]);
      this.held = r.rows[0]?.ok === true;
    } catch {
      await this.drop(false);
    }
    if (this.held) this.startPinging();
    return this.held;
  }

  /** While held, the session is used every pingMs, so the server's idle timeout ends only a session nobody uses. */
  private startPinging(): void {
    if (this.pinger) return;
    this.pinger = setInterval(() => {
      void this.serial(async () => {
        if (!this.client || !this.held) return;
        try {
          await this.client.query("select 1");
        } catch {
          await this.drop(false);
        }
      });
    }, LEADER_LEASE_TIMINGS.pingMs);
    this.pinger.unref();
  }

  /** The dedicated connection, opened (holding the presence lock) when there is none; null when the database is unreachable. */
  private async connected(): Promise<Client | null> {
    if (this.client) return this.client;
    if (this.closed) return null;
    let client: Client;
    try {
      client = await connect(this.url, "leader", LEADER_LEASE_TIMINGS.checkMs);
    } catch {
      return null;
    }
    client.on("error", () => {
      // Postgres released the locks with the session; the next call reconnects.
      if (this.client === client) {
        this.client = null;
        this.held = false;
      }
    });
    try {
      for (const [name, value] of LEADER_SESSION_SETTINGS) {
        await client.query("select set_config($1, $2, false)", [name, value]).catch((err: unknown) => {
          if (!/unrecognized configuration parameter/i.test(String(err))) throw err;
        });
      }
      await client.query("select pg_advisory_lock_shared($1::bigint)", [PRESENCE_LOCK_KEY]);
      if (this.advertised) await client.query("select set_config('application_name', $1, false)", [presenceName(this.advertised)]);
    } catch {
      destroy(client);
      return null;
    }
    this.client = client;
    return client;
  }

  private async drop(unlock: boolean): Promise<void> {
    const client = this.client;
    const held = this.held;
    this.client = null;
    this.held = false;
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
    if (!client) return;
    if (unlock && held) {
      try {
        await client.query("select pg_advisory_unlock($1::bigint)", [LEADER_LOCK_KEY]);
      } catch {
        // No answer: the session is cut off or gone, and the server frees the lock with it.
        destroy(client);
        return;
      }
      await client.end().catch(() => {});
      return;
    }
    // Dropped after a failure: the socket may never answer again, so it is not waited for.
    destroy(client);
  }

  // One query at a time on the dedicated client; overlapping calls would race on `held`.
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => {});
    return next;
  }
}

function presenceName(url: string): string {
  return (PRESENCE_NAME_PREFIX + url).slice(0, MAX_APPLICATION_NAME);
}
