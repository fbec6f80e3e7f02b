/**
 * The cluster under test: a PostgreSQL server of its own (so restarting it harms nobody), two API
 * replicas as separate `kube9 up` processes on that database, a TCP front address that forwards to
 * whichever replica is up (what a load balancer in front of replicas does; the hollow fleet uses it),
 * a `kube9 hollow` fleet, and process nodes (agents the replicas spawn).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import { descendants, freePort, procEnv, procsWithEnv, ROOT, signal, sleep } from "./lib.js";

const CLI = join(ROOT, "apps/cli/dist/main.js");
const PG_SH = join(ROOT, "scripts/pg.sh");

/** The run's own PostgreSQL server (scripts/pg.sh on a temp dir and a free port). */
export class Postgres {
  readonly url: string;
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /** Starts (or restarts after stop) the server; returns when it accepts connections. */
  start(): void {
    execFileSync(PG_SH, ["start", this.dir, String(this.port)], { stdio: ["ignore", "ignore", "pipe"] });
  }

  /** Fast shutdown: every connection is closed, as a crash or failover of the server would. */
  stop(): void {
    execFileSync(PG_SH, ["stop", this.dir], { stdio: ["ignore", "ignore", "pipe"] });
  }

  /**
   * The URL an API replica connects with: its own role (a superuser made for it), so its sessions can be told
   * apart in pg_stat_activity whatever application_name its connections set.
   */
  urlFor(role: string): string {
    return `postgres://${role}@127.0.0.1:${this.port}/postgres?application_name=${role}`;
  }

  /** Creates the replicas' roles. */
  async createRoles(pool: pg.Pool, roles: string[]): Promise<void> {
    for (const role of roles) await pool.query(`create role ${role} login superuser`);
  }
}

/** One API replica: `kube9 up --runtime process` with its own KUBE9_HOME, the shared database and admin token. */
export class Replica {
  child: ChildProcess | undefined;
  /** Set while we have it down on purpose (killed, not restarted yet). */
  down = true;
  /** Set by the cleanup: nothing starts any more, and a start in progress is undone. */
  closed = false;
  readonly url: string;
  /** Its database role (and application_name): chaos_a, chaos_b. */
  readonly role: string;
  readonly client: Kube9Client;
  private readonly logPath: string;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly dir: string,
    private readonly pg: Postgres,
    readonly token: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.role = `chaos_${name}`;
    this.client = createKube9Client({ url: this.url, token, timeoutMs: 15_000 });
    this.logPath = join(dir, "api.log");
    mkdirSync(join(dir, "home"), { recursive: true });
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Starts the process and waits until it answers /healthz (a start takes seconds). */
  async start(timeoutMs = 90_000): Promise<number> {
    if (this.closed) throw new Error(`replica ${this.name}: the run is cleaning up`);
    const t0 = Date.now();
    const fd = openSync(this.logPath, "a");
    const child = spawn(process.execPath, [CLI, "up", "--runtime", "process", "--port", String(this.port)], {
      env: {
        ...process.env,
        KUBE9_HOME: join(this.dir, "home"),
        DATABASE_URL: this.pg.urlFor(this.role),
        KUBE9_ADMIN_TOKEN: this.token,
        KUBE9_LOG_LEVEL: "info",
      },
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    this.child = child;
    for (;;) {
      if (this.closed) {
        killAll([child.pid!, ...descendants([child.pid!])]);
        throw new Error(`replica ${this.name}: the run is cleaning up`);
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`replica ${this.name} exited during start (${child.exitCode ?? child.signalCode}); see ${this.logPath}`);
      }
      if (await this.healthy()) break;
      if (Date.now() - t0 > timeoutMs) throw new Error(`replica ${this.name} did not answer within ${timeoutMs} ms; see ${this.logPath}`);
      await sleep(200);
    }
    this.down = false;
    return Date.now() - t0;
  }

  /** Whether /healthz answers now. */
  async healthy(): Promise<boolean> {
    try {
      const r = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) });
      return r.ok;
    } catch {
      return false;
    }
  }

  /** kill -9 of the API process alone (its agents see their IPC channel close, as on a real crash). */
  async kill9(): Promise<void> {
    const child = this.child;
    this.down = true;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGKILL");
    await exited;
  }

  /** The replica's process and everything under it (agents, their containers). */
  tree(): number[] {
    const pid = this.pid;
    return pid === undefined ? [] : [pid, ...descendants([pid])];
  }
}

/** A TCP front address forwarding each connection to a replica that is up (round robin), like a load balancer. */
export class FrontProxy {
  private server: Server | undefined;
  private next = 0;
  private readonly sockets = new Set<Socket>();
  url = "";

  constructor(private readonly replicas: Replica[]) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.server = createServer((inbound) => {
      this.sockets.add(inbound);
      inbound.on("close", () => this.sockets.delete(inbound));
      const up = this.replicas.filter((r) => !r.down);
      if (up.length === 0) {
        inbound.destroy();
        return;
      }
      const target = up[this.next++ % up.length]!;
      const outbound = connect(target.port, "127.0.0.1");
      this.sockets.add(outbound);
      outbound.on("close", () => this.sockets.delete(outbound));
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.on("error", () => outbound.destroy());
      outbound.on("error", () => inbound.destroy());
      inbound.on("close", () => outbound.destroy());
      outbound.on("close", () => inbound.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(port, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Closes every forwarded connection to a replica that went down, so clients reconnect elsewhere at once. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** A `kube9 hollow` fleet process (simulated nodes speaking the agent protocol) behind the front address. */
export class HollowFleet {
  child: ChildProcess | undefined;

  constructor(
    private readonly dir: string,
    private readonly url: string,
    private readonly token: string,
    private readonly nodes: number,
    private readonly cpu: number,
  ) {}

  /** Starts the fleet and waits until all its nodes are Ready in the API. */
  async start(client: Kube9Client, timeoutMs = 120_000): Promise<void> {
    const fd = openSync(join(this.dir, "hollow.log"), "a");
    this.child = spawn(
      process.execPath,
      [CLI, "hollow", "--nodes", String(this.nodes), "--cpu", String(this.cpu), "--name-prefix", "chaos-h", "--label", "chaos=hollow", "--stats-every", "30", "--connections", "4"],
      { env: { ...process.env, KUBE9_URL: this.url, KUBE9_TOKEN: this.token, KUBE9_HOME: join(this.dir, "cli-home") }, stdio: ["ignore", fd, fd] },
    );
    closeSync(fd);
    const t0 = Date.now();
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`the hollow fleet exited (${this.child.exitCode}); see ${join(this.dir, "hollow.log")}`);
      const ready = await client.nodes.list
        .query({ status: ["Ready"], selector: "chaos=hollow" })
        .then((ns) => ns.length)
        .catch(() => 0);
      if (ready >= this.nodes) return;
      if (Date.now() - t0 > timeoutMs) throw new Error(`only ${ready}/${this.nodes} hollow nodes Ready after ${timeoutMs} ms`);
      await sleep(500);
    }
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }
}

/** Ids of the run's process nodes (uuids of its own database: no one else's agent carries them). */
export const processNodeIds = new Set<string>();

/**
 * Live agent processes of our process nodes, by node id (more than one per node is a fault of its own): those
 * with one of our node ids, or our replicas' URL, in their environment (agents need not be the replicas' children).
 */
export function agentsByNode(ports: number[]): Map<string, number[]> {
  const urls = new Set(ports.map((p) => `http://127.0.0.1:${p}`));
  const out = new Map<string, number[]>();
  const ours = (env: Map<string, string>) => processNodeIds.has(env.get("KUBE9_NODE_ID") ?? "") || (urls.has(env.get("KUBE9_URL") ?? "") && env.has("KUBE9_NODE_ID"));
  for (const pid of procsWithEnv(ours)) {
    const id = procEnv(pid).get("KUBE9_NODE_ID");
    if (!id) continue;
    const list = out.get(id) ?? [];
    list.push(pid);
    out.set(id, list);
  }
  return out;
}

/** Every process our replicas' agents could have left behind (they carry the replicas' URL). */
export function strayAgents(ports: number[]): number[] {
  return [...agentsByNode(ports).values()].flat();
}

/** A pool for the checkers' own SQL (tolerates the server restarting). */
export function checkerPool(pgUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: `${pgUrl}?application_name=chaos-checker`, max: 3, connectionTimeoutMillis: 3000 });
  pool.on("error", () => undefined);
  return pool;
}

/** Sends SIGCONT, then SIGKILL, to every pid. */
export function killAll(pids: number[]): void {
  for (const pid of pids) signal(pid, "SIGCONT");
  for (const pid of pids) signal(pid, "SIGKILL");
}
