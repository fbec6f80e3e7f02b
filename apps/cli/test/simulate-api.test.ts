// `kube9 simulate --through-api`: the openb trace's first 2,000 pods (fill mode) on its first 400 nodes, replayed
// through a real `kube9 up` on PostgreSQL with hollow nodes, must place every pod exactly where the core replay
// places it, for every policy. Needs the trace beside the checkout and KUBE9_TEST_PG_URL; CI sets
// KUBE9_REQUIRE_TRACE=1 and KUBE9_REQUIRE_POSTGRES=1, so there it fails rather than skips.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI = resolve(ROOT, "apps/cli/dist/main.js");
const TRACE = process.env.KUBE9_TRACE_DIR || resolve(ROOT, "../shared/data/openb-2023");
const traceThere = existsSync(join(TRACE, "nodes.csv")) && existsSync(join(TRACE, "pods.csv"));
const PG = process.env.KUBE9_TEST_PG_URL;

it("the API replay runs when CI requires it", () => {
  expect(process.env.KUBE9_REQUIRE_TRACE === "1" && !traceThere, `KUBE9_REQUIRE_TRACE=1 but no trace in ${TRACE}`).toBe(false);
  expect(process.env.KUBE9_REQUIRE_POSTGRES === "1" && !PG, "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
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

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => res({ code, stdout, stderr }));
  });
}

describe.runIf(traceThere && PG)("simulate --through-api on PostgreSQL", () => {
  const dbName = `kube9_replay_${Date.now()}`;
  let home: string;
  let up: ChildProcess;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(PG!);
    url.pathname = `/${dbName}`;
    home = mkdtempSync(join(tmpdir(), "kube9-replay-"));
    const port = await freePort();
    env = { ...process.env, KUBE9_HOME: home, DATABASE_URL: url.toString(), KUBE9_LOG_LEVEL: "error", NO_COLOR: "1" };
    for (const k of ["KUBE9_URL", "KUBE9_TOKEN", "KUBE9_PORT", "KUBE9_RUNTIME"]) delete env[k];
    up = spawn(process.execPath, [CLI, "up", "--port", String(port), "--runtime", "process"], { env, stdio: "ignore" });
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(home, "config.json")) || !readFileSync(join(home, "config.json"), "utf8").includes(String(port))) {
      if (Date.now() > deadline) throw new Error("kube9 up did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 90_000);

  afterAll(async () => {
    if (up && up.exitCode === null) {
      const exited = new Promise((r) => up.once("exit", r));
      up.kill("SIGTERM");
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }, 60_000);

  it("places the first 2,000 pods on the first 400 nodes exactly as the core replay does, for every policy", async () => {
    const r = await run(
      ["simulate", "--nodes", join(TRACE, "nodes.csv"), "--pods", join(TRACE, "pods.csv"), "--node-limit", "400", "--pod-limit", "2000", "--through-api", "-o", "json"],
      env,
    );
    expect(r.stderr).toContain("added 400 hollow nodes");
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { nodes: number; pods: number; throughApi: Array<{ policy: string; agree: number; placed: number; differences: unknown[] }> };
    expect(report).toMatchObject({ nodes: 400, pods: 2000 });
    expect(report.throughApi.map((p) => p.policy)).toEqual(["first-fit", "best-fit", "worst-fit"]);
    for (const p of report.throughApi) {
      expect(p.differences, p.policy).toEqual([]);
      expect(p.agree).toBe(2000);
      expect(p.placed).toBeGreaterThan(0);
    }
  }, 600_000);
});
