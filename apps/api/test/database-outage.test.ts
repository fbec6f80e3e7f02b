/**
 * A PostgreSQL restart under a running API: while the server is down, calls that need it are answered
 * 503 "database unavailable, retrying" (not 500 "internal error"), and the API serves again once it is
 * back, without a restart of its own. The test runs its own throwaway server (scripts/pg.sh, own folder
 * and port) so it can stop and start it; the shared one is never touched. Runs where the PostgreSQL
 * suites run (KUBE9_TEST_PG_URL set: the server binaries are there); fails when KUBE9_REQUIRE_POSTGRES=1
 * and they are not.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DATABASE_UNAVAILABLE } from "../src/errors.js";
import { startControlPlane, type RunningControlPlane } from "../src/index.js";
import { postgresRequiredButMissing } from "./harness.js";

const PG_SH = resolve(dirname(fileURLToPath(import.meta.url)), "../../../scripts/pg.sh");
const run = promisify(execFile);

it("the PostgreSQL suite runs when CI requires it", () => {
  expect(postgresRequiredButMissing(), "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
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

interface Answer {
  status: number;
  message: string | null;
  code: string | null;
}

/** One pods.launch over HTTP, unbatched, as any HTTP client sends it. */
async function launch(cp: RunningControlPlane, name: string): Promise<Answer> {
  const res = await fetch(`${cp.url}/trpc/pods.launch`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${cp.token}` },
    body: JSON.stringify({ name, cpu: 0.1 }),
  });
  const body = (await res.json()) as { error?: { message?: string; data?: { code?: string } } };
  return { status: res.status, message: body.error?.message ?? null, code: body.error?.data?.code ?? null };
}

describe.runIf(process.env.KUBE9_TEST_PG_URL)("PostgreSQL restart under a running API", () => {
  const dir = mkdtempSync(join(tmpdir(), "kube9-pg-outage-"));
  let cp: RunningControlPlane | null = null;
  const home = mkdtempSync(join(tmpdir(), "kube9-outage-home-"));
  afterAll(async () => {
    await run(PG_SH, ["start", dir, String(port)]).catch(() => {});
    await cp?.close().catch(() => {});
    await run(PG_SH, ["stop", dir]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });
  let port = 0;

  it("answers 503 'database unavailable, retrying' while it is down, and serves again once it is back", async () => {
    port = await freePort();
    const { stdout } = await run(PG_SH, ["start", dir, String(port)]);
    const url = stdout.trim();
    cp = await startControlPlane({ port: 0, home, runtime: "process", databaseUrl: url, logLevel: "error" });
    expect((await launch(cp, "before")).status).toBe(200);

    await run(PG_SH, ["stop", dir]);
    for (const name of ["during-1", "during-2"]) {
      const got = await launch(cp, name);
      expect(got, name).toEqual({ status: 503, message: DATABASE_UNAVAILABLE, code: "SERVICE_UNAVAILABLE" });
    }
    // What does not need the database still answers.
    const list = await fetch(`${cp.url}/trpc/pods.list`, { headers: { authorization: `Bearer ${cp.token}` } });
    expect(list.status).toBe(200);

    await run(PG_SH, ["start", dir, String(port)]);
    const backAt = Date.now();
    let served = -1;
    for (let i = 0; Date.now() - backAt < 60_000; i++) {
      const got = await launch(cp, `after-${i}`);
      if (got.status === 200) {
        served = Date.now() - backAt;
        break;
      }
      expect(got.status, `after the restart: ${JSON.stringify(got)}`).toBe(503);
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`PostgreSQL restart: launches served again ${served} ms after the server was back`);
    expect(served, "the API did not serve again within 60 s of PostgreSQL coming back").toBeGreaterThanOrEqual(0);
  }, 180_000);
});
