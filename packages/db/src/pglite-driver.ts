import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Results } from "@electric-sql/pglite";
import { AbstractSqlDriver, PostgreSqlPlatform } from "@mikro-orm/postgresql";
import type { Configuration } from "@mikro-orm/postgresql";
import { PGliteConnection } from "mikro-orm-pglite";

/**
 * mikro-orm-pglite runs any SQL text containing a `;` as a multi-statement script, and the ORM
 * inlines parameter values into the text, so a value such as "a;b" turns a single query into a
 * one-element result list that the stock connection maps wrongly (e.g. insert ids become NaN).
 */
class Kube9PGliteConnection extends PGliteConnection {
  protected override transformRawResult<T>(response: Results | Results[], method: "all" | "get" | "run"): T {
    if (Array.isArray(response) && response.length === 1) {
      return super.transformRawResult<T>(response[0]!, method);
    }
    return super.transformRawResult<T>(response, method);
  }
}

/** The mikro-orm-pglite driver with the result-shape fix above. */
export class Kube9PGliteDriver extends AbstractSqlDriver<Kube9PGliteConnection> {
  constructor(config: Configuration) {
    super(config, new PostgreSqlPlatform(), Kube9PGliteConnection, ["knex", "@electric-sql/pglite", "@harryplusplus/knex-pglite"]);
  }
}

/** Thrown when the embedded database's folder exists but cannot be opened: damaged, most likely by an unclean stop. */
export class DataDirDamagedError extends Error {}

type PGliteClass = typeof import("@electric-sql/pglite").PGlite;
type PGliteInstance = InstanceType<PGliteClass>;

/** A folder PostgreSQL never finished creating holds no data: it counts as new. */
function isNewDataDir(dir: string): boolean {
  if (!existsSync(dir)) return true;
  return readdirSync(dir).length === 0;
}

/** First line of an error, for a one-line explanation (PGlite's errors may carry whole queries). */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** The user's way out of a damaged folder, named precisely. */
export function damagedMessage(dir: string, cause: unknown): string {
  return (
    `the embedded database in ${dir} cannot be opened (${firstLine(cause)}); ` +
    "it was most likely damaged by an unclean stop (a crash, kill -9 or power loss). " +
    `Restore the folder from a backup, or move it aside to start an empty cluster: mv ${dir} ${dir}.damaged ` +
    "(node agents of the old cluster then need to be started again)"
  );
}

/** Runs in the worker: creates the database cluster in workerData.dir and shuts it down cleanly. */
const INITDB_WORKER = `
const { workerData } = require("node:worker_threads");
const { PGlite } = require(workerData.pglite);
(async () => {
  const pg = new PGlite(workerData.dir);
  await pg.waitReady;
  await pg.close();
})();
`;

/**
 * Creates a new PGlite data folder (initdb) in a worker thread. PGlite's WebAssembly memory (~170 MB, most
 * of it touched) is freed only when the garbage collector collects the instance, and an idle API may not
 * run a full collection for a long time: done in the main thread, the closed initdb instance stayed
 * resident beside the one in use (~480 MB idle instead of ~310 MB). A worker's memory goes when it ends.
 */
async function initdbInWorker(dir: string): Promise<void> {
  const pglite = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const worker = new Worker(INITDB_WORKER, { eval: true, workerData: { dir, pglite } });
  await new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`initdb of ${dir} ended with code ${code}`))));
  });
}

/**
 * Opens PGlite on a data folder so that no crash leaves a folder that cannot be opened again:
 * a new folder is created (initdb) beside its final place and renamed into it only once complete
 * (a kill during initdb otherwise leaves a catalog without half its tables), and an existing
 * folder must open and answer a catalog query, else a DataDirDamagedError says what to do.
 * The caller holds the folder's lock.
 */
export async function openPGliteDataDir(PGlite: PGliteClass, dir: string): Promise<PGliteInstance> {
  if (isNewDataDir(dir)) {
    const aside = `${dir.replace(/\/+$/, "")}.initializing`;
    // Left by an initdb that was killed: it never held data.
    rmSync(aside, { recursive: true, force: true });
    await initdbInWorker(aside);
    rmSync(dir, { recursive: true, force: true });
    renameSync(aside, dir);
  }
  let pglite: PGliteInstance | undefined;
  try {
    pglite = new PGlite(dir);
    await pglite.waitReady;
    // The migrator reads information_schema first; a catalog an unclean stop broke fails here, not in the ORM.
    await pglite.query("select count(*) from information_schema.tables");
    return pglite;
  } catch (err) {
    await pglite?.close().catch(() => {});
    throw new DataDirDamagedError(damagedMessage(dir, err), { cause: err });
  }
}
