import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ContainerStartError, startContainer, type ContainerHandle, type StartContainerOptions } from "./process-container.js";

const BUSYBOX = "/bin/busybox";
const dir = mkdtempSync(join(tmpdir(), "k9-pc-"));
const started: ContainerHandle[] = [];
let seq = 0;

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !/\) Z /.test(safeRead(`/proc/${pid}/stat`));
}
function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

async function run(argv: string[], extra: Partial<StartContainerOptions> = {}): Promise<ContainerHandle> {
  const handle = await startContainer({ id: `c${++seq}`, argv, env: {}, logDir: dir, limits: {}, cgroups: null, ...extra });
  started.push(handle);
  return handle;
}

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.kill()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("startContainer (no cgroups)", () => {
  it("runs as its own process group and reports exit codes as Kubernetes does", async () => {
    const ok = await run([BUSYBOX, "sh", "-c", "echo hi; echo err >&2"]);
    expect(ok.pgid).toBe(ok.pid);
    const done = await ok.exited;
    expect(done).toMatchObject({ exitCode: 0, oomKilled: false, reason: "Completed" });
    expect(done.finishedAt).toBeGreaterThanOrEqual(ok.startedAt);
    expect(ok.log.read()).toEqual(["hi", "err"]);
    expect((await (await run([BUSYBOX, "sh", "-c", "exit 3"])).exited)).toMatchObject({ exitCode: 3, reason: "Error" });
    const killed = await run([BUSYBOX, "sh", "-c", "kill -TERM $$; sleep 5"]);
    expect(await killed.exited).toMatchObject({ exitCode: 143, signal: "SIGTERM" });
  });

  it("gets only the environment it is given, with a default PATH", async () => {
    process.env.K9_AGENT_SECRET = "must-not-leak";
    const c = await run(["sh", "-c", 'echo "$FOO|$K9_AGENT_SECRET|$PATH"; pwd'], { env: { FOO: "bar" }, cwd: dir });
    await c.exited;
    delete process.env.K9_AGENT_SECRET;
    const [line, cwd] = c.log.read();
    expect(line).toMatch(/^bar\|\|.*\/bin/);
    expect(cwd).toBe(dir);
  });

  it("refuses to start a missing executable", async () => {
    await expect(run(["/no/such/program"])).rejects.toBeInstanceOf(ContainerStartError);
    await expect(run(["no-such-program-k9"])).rejects.toThrow(/executable file not found/);
  });

  it("stop: the whole process tree dies with the container", async () => {
    // busybox sh execs its last command, so this is two sleeps: the leader and a child.
    const c = await run([BUSYBOX, "sh", "-c", "sleep 100 & sleep 100"]);
    await until(() => c.pids().length >= 2);
    const pids = c.pids();
    expect(pids).toContain(c.pid);
    const t0 = Date.now();
    const done = await c.stop(5_000);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(done.exitCode).toBe(143);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(c.pids()).toEqual([]);
  });

  it("stop: a process ignoring SIGTERM is SIGKILLed after the grace period (137)", async () => {
    const c = await run([BUSYBOX, "sh", "-c", 'trap "" TERM; echo ready; while :; do sleep 1; done']);
    await until(() => c.log.read().includes("ready"));
    const t0 = Date.now();
    const done = await c.stop(800);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(600);
    expect(took).toBeLessThanOrEqual(1_000);
    expect(done).toMatchObject({ exitCode: 137, signal: "SIGKILL", reason: "Error" });
  });

  it("when the main process exits, what it left running is killed", async () => {
    const c = await run([BUSYBOX, "sh", "-c", "sleep 100 & echo $!; sleep 0.3; exit 0"]);
    await until(() => c.log.read().length > 0);
    const orphan = Number(c.log.read()[0]);
    expect(alive(orphan)).toBe(true);
    expect((await c.exited).exitCode).toBe(0);
    expect(alive(orphan)).toBe(false);
  });

  it("kill() ends it at once with 137", async () => {
    const c = await run([BUSYBOX, "sleep", "100"]);
    expect(await c.kill()).toMatchObject({ exitCode: 137, oomKilled: false });
  });

  it("restarting with the same id moves the last run's log to previous", async () => {
    const a = await run([BUSYBOX, "echo", "first"], { id: "same" });
    await a.exited;
    const b = await run([BUSYBOX, "echo", "second"], { id: "same" });
    await b.exited;
    expect(b.log.read()).toEqual(["second"]);
    expect(b.log.read({ previous: true })).toEqual(["first"]);
  });

  it("memory guard: above its limit without a cgroup the agent kills it as OOMKilled", async () => {
    // Grows by 8 MiB of touched memory every 20 ms; gives up at 1 GiB so a broken guard fails slowly, not the machine.
    const script =
      "const a=[];const t=setInterval(()=>{a.push(Buffer.alloc(8<<20,1));if(a.length>=128){clearInterval(t);setTimeout(()=>{},5000)}},20)";
    const c = await run([process.execPath, "-e", script], { limits: { memoryMiB: 128 }, memoryGuardIntervalMs: 100 });
    expect(c.enforcement).toEqual({ memory: "agent", cpu: "none" });
    const done = await c.exited;
    expect(done).toMatchObject({ exitCode: 137, oomKilled: true, reason: "OOMKilled" });
  });

  it("memory guard leaves a container under its limit alone", async () => {
    const c = await run([BUSYBOX, "sh", "-c", "sleep 0.6; exit 0"], { limits: { memoryMiB: 64 }, memoryGuardIntervalMs: 100 });
    expect(await c.exited).toMatchObject({ exitCode: 0, oomKilled: false });
    // Gone: no memory; its CPU counter keeps what it had (a cumulative figure never goes back).
    expect(c.usage()).toEqual({ memoryBytes: 0, cpuNanos: expect.any(Number) });
  });
});

describe("usage without a cgroup (/proc)", () => {
  // About a third of a second of CPU in busybox's shell arithmetic (a few hundred ms on this machine).
  const BURN = "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done";
  const cpuSeconds = (c: ContainerHandle) => c.usage().cpuNanos! / 1e9;

  it("counts a finished command's CPU once its shell reaped it", async () => {
    const c = await run([BUSYBOX, "sh", "-c", `${BUSYBOX} sh -c '${BURN}'; echo done; exec ${BUSYBOX} sleep 30`]);
    await until(() => c.log.read().includes("done"), 10_000);
    const wall = (Date.now() - c.startedAt) / 1000;
    // Only the leader (a sleep now) is alive: the burner's time is in its parent's cutime/cstime.
    const cpu = cpuSeconds(c);
    expect(cpu).toBeGreaterThan(0.15);
    expect(cpu).toBeLessThanOrEqual(wall + 0.02);
  });

  it("counts an exited child nobody reaps yet (a zombie), and the figure never goes back", async () => {
    // The shell execs sleep, which never waits: the burner stays a zombie after it ends.
    const c = await run([BUSYBOX, "sh", "-c", `${BUSYBOX} sh -c '${BURN}' & exec ${BUSYBOX} sleep 30`]);
    const zombie = () => {
      const children = safeRead(`/proc/${c.pid}/task/${c.pid}/children`).trim().split(" ").filter(Boolean);
      return children.some((pid) => /\) Z /.test(safeRead(`/proc/${pid}/stat`)));
    };
    await until(zombie, 10_000);
    const first = cpuSeconds(c);
    expect(first).toBeGreaterThan(0.15);
    expect(cpuSeconds(c)).toBeGreaterThanOrEqual(first);
  });
});
