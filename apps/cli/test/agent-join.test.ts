// Nodes from other machines, as a user sets them up: `kube9 token create` on the cluster, `kube9
// agent join` (a real agent process) on "another machine" (here: another process with its own
// KUBE9_HOME and no admin token), the node Ready and running pods like any other, killed -> Failed
// and never restarted by the API, restarted by its supervisor -> Ready again; an expired token is
// refused with a message saying so. On PostgreSQL when KUBE9_TEST_PG_URL is set, else PGlite.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlane, type RunningControlPlane } from "@kube9/api";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/main.js");
const PG_URL = process.env.KUBE9_TEST_PG_URL;

async function freshPostgres(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `kube9_cli_join_${Math.random().toString(36).slice(2, 10)}`;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe(`kube9 token and kube9 agent join (${PG_URL ? "PostgreSQL" : "PGlite"})`, () => {
  let home: string;
  let api: RunningControlPlane;
  let admin: Kube9Client;
  let pgdb: { url: string; drop(): Promise<void> } | undefined;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    if (process.env.KUBE9_REQUIRE_POSTGRES === "1" && !PG_URL) throw new Error("KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set");
    home = mkdtempSync(join(tmpdir(), "kube9-cli-join-"));
    if (PG_URL) pgdb = await freshPostgres(PG_URL);
    api = await startControlPlane({ port: 0, home: join(home, "api"), runtime: "process", logLevel: "error", log: () => {}, ...(pgdb ? { databaseUrl: pgdb.url } : {}) });
    admin = createKube9Client({ url: api.url, token: api.token });
  }, 60_000);
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await api?.close();
    await pgdb?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  /** The cluster admin's shell: the admin token in the environment. */
  const adminEnv = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: join(home, "admin"), NO_COLOR: "1", KUBE9_URL: api.url, KUBE9_TOKEN: api.token };
    delete e.DATABASE_URL;
    return e;
  };
  /** The other machine's shell: its own home, no admin token, no API URL but what the command names. */
  const machineEnv = (machine: string): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: join(home, machine), NO_COLOR: "1" };
    for (const k of ["DATABASE_URL", "KUBE9_URL", "KUBE9_TOKEN"]) delete e[k];
    return e;
  };

  function run(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      if (stdin !== undefined) child.stdin!.end(stdin);
      child.on("error", reject);
      child.on("close", (code) => done({ code, stdout, stderr }));
    });
  }

  function startAgent(machine: string, args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [CLI, "agent", "join", "--server", api.url, "--pod-network", "off", "--cgroups", "off", ...args], {
      env: machineEnv(machine),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) =>
      child.on("exit", (code) => {
        children.delete(child);
        r(code);
      }),
    );
    return { child, out: () => out, exited };
  }

  const node = async (name: string) => (await admin.nodes.list.query()).find((n) => n.name === name);

  it("token create -> agent join on another machine -> Ready, runs pods; killed -> Failed and not restarted; its supervisor restarts it -> Ready", async () => {
    const created = await run(["token", "create", "--ttl", "1h", "--description", "rack 7"], adminEnv());
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^k9b\.[0-9a-f]{6}\.[A-Za-z0-9_-]+$/);
    expect(created.stderr).toContain(`kube9 agent join --server ${api.url} --token-file`);
    const id = token.split(".")[1]!;

    const listed = await run(["token", "list", "-o", "json"], adminEnv());
    const tokens = JSON.parse(listed.stdout) as Array<{ id: string; description: string; expired: boolean; uses: number }>;
    expect(tokens).toEqual([expect.objectContaining({ id, description: "rack 7", expired: false, uses: 0 })]);
    // Only its hash is kept: the secret appears nowhere in what the API answers.
    expect(listed.stdout).not.toContain(token.split(".")[2]);
    // A bootstrap token is good for joining and nothing else.
    await expect(createKube9Client({ url: api.url, token }).nodes.list.query()).rejects.toThrow(/a bootstrap token can only join a node/);

    const tokenFile = join(home, "bootstrap-token");
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const agent = startAgent("machine-a", ["--token-file", tokenFile, "--cpu", "2", "--memory", "2048", "--name", "far-1", "--label", "site=b"]);
    await waitFor(`far-1 Ready:\n${agent.out()}`, async () => (await node("far-1"))?.status === "Ready");
    const joined = (await node("far-1"))!;
    expect(joined).toMatchObject({ runtime: "external", capacity: { cpuMilli: 2000, memoryMiB: 2048 }, labels: { site: "b" } });
    expect(agent.out()).toMatch(/node far-1 joined/);
    // The node's own credential is kept for restarts, readable by its owner only.
    const statePath = join(home, "machine-a", "agent", "far-1.json");
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(statePath, "utf8"))).toMatchObject({ server: api.url, nodeId: joined.id });
    expect((await admin.tokens.list.query())[0]).toMatchObject({ id, uses: 1 });

    // Managed like any node: the scheduler places pods there and the agent runs them.
    const launched = await admin.pods.launch.mutate({ name: "far-pod", cpu: 0.5, nodeSelector: { site: "b" } });
    expect(launched.pod.nodeName).toBe("far-1");
    await waitFor("far-pod Running", async () => (await admin.pods.list.query()).find((p) => p.name === "far-pod")?.status === "Running");

    // The machine dies: the API marks the node Failed from its silence and moves its pod...
    agent.child.kill("SIGKILL");
    await agent.exited;
    await waitFor("far-1 Failed", async () => (await node("far-1"))?.status === "Failed", 30_000);
    expect((await admin.pods.list.query()).find((p) => p.name === "far-pod")?.status).toBe("Pending");
    // ...and never tries to restart it: it stays Failed, with no recovery attempt.
    await sleep(4000);
    expect((await node("far-1"))?.status).toBe("Failed");
    const events = await admin.events.list.query({ limit: 500 });
    expect(events.filter((e) => e.objectName === "far-1" && /NodeRecover/.test(e.reason))).toEqual([]);

    // Its supervisor starts it again, with no bootstrap token: the saved credential brings it back.
    const again = startAgent("machine-a", ["--cpu", "2", "--memory", "2048", "--name", "far-1", "--label", "site=b"]);
    await waitFor(`far-1 Ready again:\n${again.out()}`, async () => (await node("far-1"))?.status === "Ready");
    await waitFor("far-pod Running again", async () => (await admin.pods.list.query()).find((p) => p.name === "far-pod")?.status === "Running");
    expect((await admin.tokens.list.query())[0]).toMatchObject({ uses: 1 });

    // Ctrl-C: it leaves (Failed at once), exit 0.
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
    expect((await node("far-1"))?.status).toBe("Failed");
    await admin.pods.delete.mutate({ name: "far-pod" });

    // Deleted tokens join nothing; the node that joined with it keeps its own credential.
    expect((await run(["token", "delete", id], adminEnv())).stdout).toContain(`bootstrap token ${id} deleted`);
    const refused = await run(["agent", "join", "--server", api.url, "--token", "-", "--cpu", "1", "--name", "far-2"], machineEnv("machine-b"), token);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: the API at .* refused the bootstrap token: invalid bootstrap token/);
  }, 180_000);

  it("an expired bootstrap token is refused, saying it expired and what to do", async () => {
    const created = await admin.tokens.create.mutate({ ttlMs: 60_000, description: "short" });
    if (pgdb) {
      const c = new pg.Client({ connectionString: pgdb.url });
      await c.connect();
      await c.query(`update bootstrap_token set expires_at = now() - interval '1 second' where id = $1`, [created.id]);
      await c.end();
    } else {
      // The embedded database is this process's alone: wait the minute out.
      await sleep(61_000);
    }
    const refused = await run(["agent", "join", "--server", api.url, "--token", "-", "--cpu", "1", "--name", "late-1"], machineEnv("machine-c"), created.token);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^error: the API at .* refused the bootstrap token: bootstrap token ${created.id} expired at \\S+; create a new one with kube9 token create --ttl 24h\\n$`),
    );
    expect(await node("late-1")).toBeUndefined();
    expect((await admin.tokens.list.query()).find((t) => t.id === created.id)?.expired).toBe(true);
  }, 120_000);

  it("bad flags and inputs name themselves", async () => {
    expect((await run(["token", "create", "--ttl", "10s"], adminEnv())).stderr).toMatch(/--ttl must be from 1m to 365d \(got "10s"\)/);
    expect((await run(["token", "delete", "nope"], adminEnv())).stderr).toMatch(/token id must be 6 hex digits/);
    expect((await run(["token", "delete", "abcdef"], adminEnv())).stderr).toMatch(/bootstrap token abcdef not found/);
    const noToken = await run(["agent", "join", "--server", api.url, "--cpu", "1", "--name", "x-1"], machineEnv("machine-d"));
    expect(noToken.stderr).toMatch(/no bootstrap token: pass --token-file/);
    // The admin token cannot stand in for a bootstrap token (nor leak to other machines through it).
    const withAdmin = await run(["agent", "join", "--server", api.url, "--token", "-", "--cpu", "1", "--name", "x-1"], machineEnv("machine-d"), api.token);
    expect(withAdmin.stderr).toMatch(/refused the bootstrap token: joining a node needs a bootstrap token/);
  }, 60_000);
});
