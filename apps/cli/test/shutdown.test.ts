/**
 * `kube9 up` stopping on SIGTERM while a request is in flight: the request that committed gets its
 * answer before the database closes. Needs PostgreSQL (a trigger holds the launch's insert open for a
 * while, so SIGTERM surely arrives in the middle of it); fails when KUBE9_REQUIRE_POSTGRES=1 and no
 * server is given.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/main.js");
const adminUrl = process.env.KUBE9_TEST_PG_URL;
const TOKEN = "k9a.shutdown-test-token-0123456789";

const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  for (const f of cleanups.reverse()) await f().catch(() => {});
});

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

it("the PostgreSQL suite runs when CI requires it", () => {
  expect(process.env.KUBE9_REQUIRE_POSTGRES === "1" && !adminUrl, "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

describe.runIf(adminUrl)("kube9 up on SIGTERM", () => {
  it("waits for a launch in flight: the client gets its answer, and the pod it names exists", async () => {
    const name = `kube9_shutdown_${randomBytes(5).toString("hex")}`;
    await sql(adminUrl!, `create database ${name}`);
    cleanups.push(() => sql(adminUrl!, `drop database if exists ${name} with (force)`).then(() => {}));
    const u = new URL(adminUrl!);
    u.pathname = `/${name}`;
    const dbUrl = u.toString();

    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    const home = mkdtempSync(join(tmpdir(), "kube9-shutdown-"));
    cleanups.push(async () => rmSync(home, { recursive: true, force: true }));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: home, DATABASE_URL: dbUrl, KUBE9_ADMIN_TOKEN: TOKEN, NO_COLOR: "1" };
    for (const k of ["KUBE9_URL", "KUBE9_TOKEN", "KUBE9_PORT", "KUBE9_HOST", "KUBE9_RUNTIME"]) delete env[k];
    const up = spawn(process.execPath, [CLI, "up", "--port", String(port), "--runtime", "process"], { env, stdio: ["ignore", "pipe", "pipe"] });
    children.add(up);
    let out = "";
    up.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    up.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => up.on("exit", (code) => (children.delete(up), r(code))));
    const deadline = Date.now() + 60_000;
    while (!out.includes("Press Ctrl-C to stop")) {
      if (Date.now() > deadline || up.exitCode !== null) throw new Error(`kube9 up did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // Every pod insert now takes 2 s inside its transaction.
    await sql(dbUrl, `create function kube9_test_slow_insert() returns trigger language plpgsql as $$ begin perform pg_sleep(2); return new; end $$`);
    await sql(dbUrl, `create trigger kube9_test_slow_insert before insert on pod for each row execute function kube9_test_slow_insert()`);

    const answer = fetch(`http://127.0.0.1:${port}/trpc/pods.launch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ name: "in-flight", cpu: 0.1 }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { result?: { data?: { pod?: { name?: string } } } } }));
    // SIGTERM once the launch is inside the database.
    const sleepDeadline = Date.now() + 20_000;
    for (;;) {
      const [row] = await sql<{ n: number }>(dbUrl, "select count(*)::int as n from pg_stat_activity where datname = $1 and wait_event = 'PgSleep'", [name]);
      if ((row?.n ?? 0) > 0) break;
      if (Date.now() > sleepDeadline) throw new Error(`the launch never reached the database:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    up.kill("SIGTERM");

    const got = await answer;
    expect(got.status).toBe(200);
    expect(got.body.result?.data?.pod?.name).toBe("in-flight");
    expect(await exited).toBe(0);
    const rows = await sql<{ name: string }>(dbUrl, "select name from pod");
    expect(rows.map((r) => r.name)).toEqual(["in-flight"]);
  }, 120_000);
});
