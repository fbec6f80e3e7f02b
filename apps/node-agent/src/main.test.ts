import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TRPCError } from "@trpc/server";
import { describe, it, type TestContext } from "vitest";
import { FakeApi, until } from "../test/fake-api.js";

const srcDir = dirname(fileURLToPath(import.meta.url));
const distMain = join(srcDir, "..", "dist", "main.js");

/**
 * The built entry (what the runtimes spawn, and 3x faster to start) when it is newer than every
 * source file; otherwise the source through tsx, so a stale build is never what gets tested.
 */
function entryArgs(): string[] {
  if (existsSync(distMain)) {
    const built = statSync(distMain).mtimeMs;
    const sources = readdirSync(srcDir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    if (sources.every((f) => statSync(join(srcDir, f)).mtimeMs <= built)) return [distMain];
  }
  return ["--import", "tsx", join(srcDir, "main.ts")];
}
const entry = entryArgs();

/** Runs the agent's main with exactly the given environment; killed when the test ends. */
function runMain(ctx: TestContext, env: Record<string, string>) {
  const proc: ChildProcess = spawn(process.execPath, entry, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  ctx.onTestFinished(async () => {
    if (proc.exitCode === null) proc.kill("SIGKILL");
    await exited;
  });
  return { proc, exited, stderr: () => stderr };
}

async function fakeApiWithNode(ctx: TestContext) {
  const api = await new FakeApi().listen(0);
  ctx.onTestFinished(() => api.close());
  const id = randomUUID();
  const node = api.addNode(id, { heartbeatIntervalMs: 50, name: "w1" });
  const env = { KUBE9_URL: api.url, KUBE9_NODE_ID: id, KUBE9_NODE_TOKEN: node.token, KUBE9_NODE_NAME: "w1" };
  return { api, id, env };
}

// Concurrent: each test pays for a process start-up, and they share nothing.
describe.concurrent("main", () => {
  it("exits 2 with clear messages on bad config", async (ctx) => {
    const run = runMain(ctx, { KUBE9_URL: "nope" });
    ctx.expect(await run.exited).toBe(2);
    ctx.expect(run.stderr()).toContain("[agent] config error: KUBE9_URL is not a valid URL");
    ctx.expect(run.stderr()).toContain("[agent] config error: KUBE9_NODE_ID is required");
  });

  it("leaves the cluster and exits 0 on SIGTERM", async (ctx) => {
    const { api, id, env } = await fakeApiWithNode(ctx);
    const run = runMain(ctx, env);
    await until(() => api.beatsOf(id).length >= 1, 8000, "a heartbeat from the child");
    run.proc.kill("SIGTERM");
    ctx.expect(await run.exited).toBe(0);
    ctx.expect(api.leaves).toEqual([{ nodeId: id, reason: "received SIGTERM" }]);
    ctx.expect(run.stderr()).toContain("[agent w1] registered as w1 (worker");
    ctx.expect(run.stderr()).toContain("[agent w1] left the cluster");
  });

  it("leaves the cluster and exits 0 on SIGHUP (its terminal closed, e.g. under kube9 up)", async (ctx) => {
    const { api, id, env } = await fakeApiWithNode(ctx);
    const run = runMain(ctx, env);
    await until(() => api.beatsOf(id).length >= 1, 8000, "a heartbeat from the child");
    run.proc.kill("SIGHUP");
    ctx.expect(await run.exited).toBe(0);
    ctx.expect(api.leaves).toEqual([{ nodeId: id, reason: "received SIGHUP" }]);
  });

  it("exits 3 when the API rejects the node", async (ctx) => {
    const { api, env } = await fakeApiWithNode(ctx);
    api.heartbeatFault = () => new TRPCError({ code: "NOT_FOUND", message: "no such node" });
    const run = runMain(ctx, env);
    ctx.expect(await run.exited).toBe(3);
    ctx.expect(run.stderr()).toContain("[agent w1] error: heartbeat rejected by the API (NOT_FOUND: no such node)");
    ctx.expect(run.stderr()).not.toMatch(/\n\s+at /);
  });
});
