import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { setFlagsFromString } from "node:v8";
import { MikroORM } from "@mikro-orm/core";
import type { Options } from "@mikro-orm/core";
import type { AbstractSqlDriver, SqlEntityManager } from "@mikro-orm/postgresql";
import { lockDataDir } from "./data-dir-lock.js";
import { MIGRATION_LOCK_KEY, PgLeaderLease, withAdvisoryLock } from "./advisory-lock.js";
import { ENTITIES } from "./entities.js";
import { MIGRATION_NAMES } from "./migrations/names.js";
import type { SqlRunner } from "./sql.js";
import { knexRunner, preparedPgRunner } from "./sql-runners.js";
import { OrmClusterRepository } from "./repositories/cluster-repository.js";
import { SqlEventRepository } from "./repositories/event-repository.js";
import { SqlLeaseRepository } from "./repositories/lease-repository.js";
import { SqlUsageRepository } from "./repositories/usage-repository.js";
import { SqlNodeGroupRepository } from "./repositories/node-group-repository.js";
import { SqlNamespaceRepository, SqlNetworkPolicyRepository } from "./repositories/namespace-repository.js";
import { SqlNodeRepository } from "./repositories/node-repository.js";
import { SqlPodRepository } from "./repositories/pod-repository.js";
import { SqlBootstrapTokenRepository } from "./repositories/bootstrap-token-repository.js";
import type { Database, OpenDatabaseOptions } from "./types.js";

type Orm = MikroORM<AbstractSqlDriver>;

const DEFAULT_POOL_SIZE = 10;

/**
 * Bounds on every pooled PostgreSQL connection, so a database that is down or cut off fails a call in
 * seconds (the API answers 503 and the caller retries) instead of hanging it: connecting, waiting for a
 * pooled connection, and a statement that gets no answer at all (the server never heard it, or its
 * answer was lost). TCP keepalive finds dead idle connections; a transaction left idle (its client cut
 * off) is ended by the server so its row locks do not stall everyone else.
 */
export const PG_POOL_TIMEOUTS = {
  connectMs: 5_000,
  acquireMs: 10_000,
  queryMs: 30_000,
  keepAliveDelayMs: 10_000,
  idleInTransactionMs: 30_000,
} as const;

/** Options common to both engines: explicit entities, migrations from code, no schema sync. */
function baseOptions(): Partial<Options<AbstractSqlDriver>> {
  return {
    entities: ENTITIES,
    // The migrator and the migration list are registered by migrate(), only when one is pending.
    migrations: {
      snapshot: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
      // Would need superuser (session_replication_role) on PostgreSQL.
      disableForeignKeys: false,
    },
    // Every operation forks its own EntityManager; using the global one is a bug.
    allowGlobalContext: false,
    debug: false,
    discovery: { warnWhenNoEntities: false },
  };
}

/** Whether this build has a migration the database has not applied (all of them on a new database). */
async function migrationsPending(orm: Orm): Promise<boolean> {
  const conn = orm.em.getConnection();
  const [table] = await conn.execute<Array<{ t: string | null }>>("select to_regclass('mikro_orm_migrations')::text as t");
  if (!table?.t) return true;
  const applied = new Set((await conn.execute<Array<{ name: string }>>("select name from mikro_orm_migrations")).map((r) => r.name));
  return MIGRATION_NAMES.some((name) => !applied.has(name));
}

/**
 * Applies pending migrations. The migrator (umzug, with its command-line tooling: ~200 modules, 0.1-0.3 s)
 * is loaded only when one is pending, which on a restart of an existing cluster is almost never.
 */
async function migrate(orm: Orm): Promise<void> {
  const [{ Migrator }, { MIGRATIONS }] = await Promise.all([import("@mikro-orm/migrations"), import("./migrations/index.js")]);
  orm.config.set("migrations", { ...orm.config.get("migrations"), migrationsList: MIGRATIONS });
  Migrator.register(orm);
  await orm.getMigrator().up();
}

class SqlDatabase implements Database {
  readonly cluster: OrmClusterRepository;
  readonly nodes: SqlNodeRepository;
  readonly pods: SqlPodRepository;
  readonly events: SqlEventRepository;
  readonly leases: SqlLeaseRepository;
  readonly usage: SqlUsageRepository;
  readonly nodeGroups: SqlNodeGroupRepository;
  readonly namespaces: SqlNamespaceRepository;
  readonly networkPolicies: SqlNetworkPolicyRepository;
  readonly bootstrapTokens: SqlBootstrapTokenRepository;
  /** For tests and benchmarks inside this package: raw SQL on the same connection pool. */
  readonly sql: SqlRunner;
  private closed = false;

  constructor(
    readonly kind: "postgres" | "pglite",
    readonly orm: Orm,
    private readonly leader: PgLeaderLease | null,
    private readonly onClose: () => Promise<void>,
  ) {
    const knex = orm.em.getKnex();
    this.sql = kind === "postgres" ? preparedPgRunner(knex) : knexRunner(knex);
    this.cluster = new OrmClusterRepository(() => orm.em.fork() as SqlEntityManager);
    this.nodes = new SqlNodeRepository(this.sql);
    this.pods = new SqlPodRepository(this.sql);
    this.events = new SqlEventRepository(this.sql, kind === "postgres" ? String(orm.config.get("clientUrl")) : null);
    this.leases = new SqlLeaseRepository(this.sql);
    this.usage = new SqlUsageRepository(this.sql);
    this.nodeGroups = new SqlNodeGroupRepository(this.sql);
    this.namespaces = new SqlNamespaceRepository(this.sql);
    this.networkPolicies = new SqlNetworkPolicyRepository(this.sql);
    this.bootstrapTokens = new SqlBootstrapTokenRepository(this.sql);
  }

  async tryAcquireLeadership(): Promise<boolean> {
    if (this.closed) return false;
    // PGlite is embedded: only this process can open its data folder, so it always leads.
    return this.leader ? this.leader.tryAcquire() : true;
  }

  async releaseLeadership(): Promise<void> {
    await this.leader?.release();
  }

  async advertise(url: string): Promise<void> {
    await this.leader?.advertise(url);
  }

  async peers(): Promise<string[]> {
    // PGlite is embedded: no other process can share it.
    if (this.closed || !this.leader) return [];
    return this.leader.peers();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.leader?.close();
    await this.orm.close(true);
    await this.onClose();
  }
}

/** Opens PostgreSQL when url is given, else embedded PGlite in dataDir (created if missing; in-memory when absent); runs pending migrations. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts.poolSize ?? DEFAULT_POOL_SIZE) : openPglite(opts.dataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const { PostgreSqlDriver } = await import("@mikro-orm/postgresql");
  const orm = (await MikroORM.init({
    ...baseOptions(),
    driver: PostgreSqlDriver,
    clientUrl: url,
    pool: { min: 0, max: Math.max(1, poolSize) },
    driverOptions: {
      acquireConnectionTimeout: PG_POOL_TIMEOUTS.acquireMs,
      connection: {
        application_name: "kube9-api",
        connectionTimeoutMillis: PG_POOL_TIMEOUTS.connectMs,
        query_timeout: PG_POOL_TIMEOUTS.queryMs,
        keepAlive: true,
        keepAliveInitialDelayMillis: PG_POOL_TIMEOUTS.keepAliveDelayMs,
        idle_in_transaction_session_timeout: PG_POOL_TIMEOUTS.idleInTransactionMs,
      },
    },
  } as Options<AbstractSqlDriver>)) as Orm;
  try {
    // Several API processes may start together; they take turns so only one applies a migration.
    // Migrations are only ever added, so "none pending" stays true without the lock.
    if (await migrationsPending(orm)) await withAdvisoryLock(url, MIGRATION_LOCK_KEY, () => migrate(orm));
  } catch (err) {
    await orm.close(true).catch(() => {});
    throw err;
  }
  return new SqlDatabase("postgres", orm, new PgLeaderLease(url), async () => {});
}

/**
 * PGlite is PostgreSQL compiled to WebAssembly. By default V8 compiles its 9 MB of code twice: at once
 * with Liftoff, then again with TurboFan, in the background, for every function that gets warm. That
 * second compile costs ~60-120 MB of resident code and seconds of CPU at start (initdb and the
 * migrations warm most of PostgreSQL), and bought nothing measurable here: warm, a loop of small
 * inserts and selects took the same time either way (their time goes to the protocol and the ORM,
 * not to PostgreSQL's own code), and initdb got faster without it. V8 reads the flag when it
 * compiles a module, so it applies from the next one on; the only other WebAssembly in the process
 * is Node's small HTTP parser.
 */
function compileWasmOnce(): void {
  setFlagsFromString("--liftoff-only");
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  compileWasmOnce();
  const [{ PGlite }, { Kube9PGliteDriver, openPGliteDataDir }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("./pglite-driver.js"),
  ]);
  // The parent only: the data folder itself appears once PGlite has created it whole (openPGliteDataDir).
  if (dataDir) mkdirSync(dirname(resolve(dataDir)), { recursive: true });
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  // We own the PGlite instance (the ORM only borrows it) so the pool can never close and reopen it behind our back.
  let pglite: InstanceType<typeof PGlite>;
  try {
    if (dataDir) {
      pglite = await openPGliteDataDir(PGlite, dataDir);
    } else {
      pglite = new PGlite("memory://");
      await pglite.waitReady;
    }
  } catch (err) {
    unlock();
    throw err;
  }
  let orm: Orm | undefined;
  try {
    orm = (await MikroORM.init({
      ...baseOptions(),
      driver: Kube9PGliteDriver,
      dbName: "postgres",
      driverOptions: { connection: { pglite: () => pglite } },
      // PGlite is one connection: a pool of exactly one serializes statements and transactions.
      pool: { min: 1, max: 1 },
    } as Options<AbstractSqlDriver>)) as Orm;
    if (await migrationsPending(orm)) await migrate(orm);
  } catch (err) {
    await orm?.close(true).catch(() => {});
    await pglite.close().catch(() => {});
    unlock();
    throw err;
  }
  return new SqlDatabase("pglite", orm, null, async () => {
    await pglite.close();
    unlock();
  });
}

