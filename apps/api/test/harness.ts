import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Database } from "@kube9/db";
import { resetDatabase } from "@kube9/db/testing";
import pg from "pg";
import { ControlPlane } from "../src/control-plane.js";
import { createLogger } from "../src/logger.js";
import { appRouter } from "../src/router/_app.js";
import type { AgentExit, AgentSpec, NodeRuntime } from "../src/runtime/runtime.js";
import { hashToken } from "../src/tokens.js";
import { createCallerFactory, createContext } from "../src/trpc.js";

export const ADMIN = "k9a.test-admin-token-0123456789";

/** A runtime that starts nothing: it keeps each node's credential so the test can act as the agent. */
export class ScriptedRuntime implements NodeRuntime {
  readonly kind = "process" as const;
  readonly specs = new Map<string, AgentSpec>();
  readonly stopped: string[] = [];
  private listener: ((e: AgentExit) => void) | null = null;
  failNextStart = false;
  async start(spec: AgentSpec): Promise<string> {
    if (this.failNextStart) {
      this.failNextStart = false;
      throw new Error("simulated start failure");
    }
    this.specs.set(spec.nodeId, spec);
    return `fake-${spec.name}`;
  }
  async stop(nodeId: string): Promise<void> {
    this.specs.delete(nodeId);
    this.stopped.push(nodeId);
  }
  async kill(nodeId: string): Promise<void> {
    this.specs.delete(nodeId);
    this.listener?.({ nodeId, description: "agent process killed by SIGKILL" });
  }
  async pause(): Promise<void> {}
  async resume(): Promise<void> {}
  has(nodeId: string): boolean {
    return this.specs.has(nodeId);
  }
  onUnexpectedExit(listener: (e: AgentExit) => void): void {
    this.listener = listener;
  }
  async stopAll(): Promise<void> {
    this.specs.clear();
  }
}

export interface Harness {
  db: Database;
  cp: ControlPlane;
  runtime: ScriptedRuntime;
  clock: { now: number };
  admin: Caller;
  as(token: string | undefined): Promise<Caller>;
  agent(nodeName: string): Promise<AgentCaller>;
  /** One pass of the health controllers (node lifecycle, then recovery), as their loops would run it. */
  monitorTick(): Promise<void>;
  close(): Promise<void>;
}

const createCaller = createCallerFactory(appRouter);
type Caller = ReturnType<typeof createCaller>;

/** A caller holding one node's credential, as that node's agent would. */
export interface AgentCaller {
  nodeId: string;
  token: string;
  agent: Caller["agent"];
  nodes: Caller["nodes"];
}

/** Where the shared suite runs: always PGlite; PostgreSQL when KUBE9_TEST_PG_URL is set. */
export function backends(): Array<{ name: string; url?: string }> {
  const list: Array<{ name: string; url?: string }> = [{ name: "pglite" }];
  const url = process.env.KUBE9_TEST_PG_URL;
  if (url) list.push({ name: "postgres", url });
  return list;
}

/** True when CI demands the PostgreSQL suites but no server was given: they must fail, not skip. */
export function postgresRequiredButMissing(): boolean {
  return process.env.KUBE9_REQUIRE_POSTGRES === "1" && !process.env.KUBE9_TEST_PG_URL;
}

/** Creates a fresh PostgreSQL database for one test file and returns its URL and a drop function. */
export async function freshPostgres(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `kube9_api_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Opens a test database: a PGlite folder, or the given PostgreSQL URL. */
export async function openTestDatabase(url?: string): Promise<{ db: Database; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "kube9-api-"));
  const db = await openDatabase(url ? { url } : { dataDir: join(dir, "data") });
  return {
    db,
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A control plane on a real database with a scripted runtime and a hand-driven clock. With `db`,
 * the database is emptied (unless `keep`: a restart over the same data) and reused (fast); otherwise a new one is opened and closed with the harness.
 */
export async function createHarness(
  opts: { url?: string; db?: Database; start?: boolean; keep?: boolean; eventLoopLag?: { recentMs(windowMs: number): number } } = {},
): Promise<Harness> {
  let own: { db: Database; close(): Promise<void> } | null = null;
  let db: Database;
  if (opts.db) {
    db = opts.db;
    if (!opts.keep) await resetDatabase(db);
  } else {
    own = await openTestDatabase(opts.url);
    db = own.db;
  }
  const runtime = new ScriptedRuntime();
  const clock = { now: Date.now() };
  const cp = new ControlPlane({
    db,
    runtimes: { process: runtime },
    defaultRuntime: "process",
    adminTokenHash: hashToken(ADMIN),
    log: createLogger({ level: "error" }),
    apiUrl: () => "http://127.0.0.1:1",
    now: () => clock.now,
    ...(opts.eventLoopLag ? { eventLoopLag: opts.eventLoopLag } : {}),
  });
  await cp.init();
  if (opts.start) await cp.start();
  const as = async (token: string | undefined) => createCaller(await createContext(cp, token ? `Bearer ${token}` : undefined));
  const admin = await as(ADMIN);
  return {
    db,
    cp,
    runtime,
    clock,
    admin,
    as,
    async agent(nodeName: string) {
      const node = (await admin.nodes.get({ name: nodeName })).node;
      const spec = runtime.specs.get(node.id);
      if (!spec) throw new Error(`no agent spec for ${nodeName}`);
      const caller = await as(spec.token);
      return { nodeId: node.id, token: spec.token, agent: caller.agent, nodes: caller.nodes };
    },
    async monitorTick() {
      await cp.lifecycle.tick();
      await cp.recovery.tick();
    },
    async close() {
      await cp.stop();
      await own?.close();
    },
  };
}

/** Polls until check() holds (for effects the control plane applies asynchronously). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
