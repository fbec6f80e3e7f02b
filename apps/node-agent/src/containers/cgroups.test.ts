import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CgroupManager, createCgroupManager, detectCgroups } from "./cgroups.js";
import { startContainer, type StartContainerOptions } from "./process-container.js";

const BUSYBOX = "/bin/busybox";
const NODE_ID = `test-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), "k9-cg-"));
const detection = detectCgroups();
// Only what this machine really offers is exercised; the reason is printed when nothing is.
const manager = createCgroupManager({ nodeId: NODE_ID, layout: detection.layout, parent: "kube9-test" });
const usable = manager !== null;
if (!usable) console.warn(`cgroup tests skipped: ${detection.reason}`);
// CI (root, cgroups writable) sets KUBE9_REQUIRE_CGROUPS=1: there the real-cgroup tests must run, not skip.
if (!usable && process.env.KUBE9_REQUIRE_CGROUPS === "1") {
  it("can use cgroups (KUBE9_REQUIRE_CGROUPS=1)", () => {
    throw new Error(`KUBE9_REQUIRE_CGROUPS=1 but cgroups are not usable here: ${detection.reason}`);
  });
}

afterAll(() => {
  manager?.removeNodeDirs();
  rmSync(dir, { recursive: true, force: true });
});

function start(id: string, argv: string[], extra: Partial<StartContainerOptions> = {}) {
  return startContainer({ id, argv, env: {}, logDir: dir, limits: {}, cgroups: manager, ...extra });
}

describe("detectCgroups", () => {
  it("finds v1 controllers (co-mounted or not) in a mounts table", () => {
    const mounts = join(dir, "mounts-v1");
    const mem = mkdtempSync(join(dir, "mem-"));
    const cpu = mkdtempSync(join(dir, "cpu-"));
    writeFileSync(mounts, `cgroup ${mem} cgroup rw,relatime,memory 0 0\ncgroup ${cpu} cgroup rw,relatime,cpu,cpuacct 0 0\n`);
    expect(detectCgroups(mounts).layout).toEqual({ version: "v1", memory: mem, cpu, cpuacct: cpu });
  });

  it("prefers a v2 hierarchy with memory and cpu, ignores read-only mounts and reports why", () => {
    const unified = mkdtempSync(join(dir, "v2-"));
    writeFileSync(join(unified, "cgroup.controllers"), "cpuset cpu io memory pids\n");
    const mounts = join(dir, "mounts-v2");
    writeFileSync(mounts, `cgroup /nonexistent/mem cgroup ro,memory 0 0\ncgroup2 ${unified} cgroup2 rw,nosuid 0 0\n`);
    expect(detectCgroups(mounts).layout).toEqual({ version: "v2", unified });
    writeFileSync(mounts, `cgroup2 ${unified} cgroup2 ro 0 0\ncgroup /x cgroup ro,memory 0 0\n`);
    const none = detectCgroups(mounts);
    expect(none.layout).toBeNull();
    expect(none.reason).toMatch(/not writable/);
  });

  it("reports what this machine has", () => {
    console.info(`this machine: ${detection.reason}`);
    expect(detection.reason.length).toBeGreaterThan(0);
  });
});

describe("v2 limits (written into a stand-in hierarchy)", () => {
  it("enables memory+cpu down the tree and writes memory.max and cpu.max", async () => {
    const unified = mkdtempSync(join(dir, "fake-v2-"));
    writeFileSync(join(unified, "cgroup.subtree_control"), "");
    // A real hierarchy creates these files itself; a plain directory needs them made up front.
    mkdirSync(join(unified, "kube9", "n1"), { recursive: true });
    for (const d of ["kube9", "kube9/n1"]) writeFileSync(join(unified, d, "cgroup.subtree_control"), "");
    const m = new CgroupManager({ version: "v2", unified }, "kube9", "n1");
    expect(m.enforcement).toEqual({ memory: "cgroup-v2", cpu: "cgroup-v2" });
    expect(readFileSync(join(unified, "kube9", "cgroup.subtree_control"), "utf8")).toBe("+memory +cpu");
    const cg = await m.create("web", { cpuMilli: 250, memoryMiB: 64 });
    const d = join(unified, "kube9", "n1", "web");
    expect(readFileSync(join(d, "memory.max"), "utf8")).toBe(String(64 * 1024 * 1024));
    expect(readFileSync(join(d, "cpu.max"), "utf8")).toBe("25000 100000");
    expect(cg.procsFiles).toEqual([join(d, "cgroup.procs")]);
    writeFileSync(join(d, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    expect(cg.oomKilled(137)).toBe(true);
    expect(cg.oomKilled(0)).toBe(false);
  });
});

describe.runIf(usable)("containers in real cgroups", () => {
  const via = `cgroup-${detection.layout?.version}`;

  it("runs inside its own cgroup from its first instruction and removes it afterwards", async () => {
    const c = await start("inside", [BUSYBOX, "sh", "-c", "cat /proc/self/cgroup; sleep 0.3; exit 4"], {
      limits: { memoryMiB: 64, cpuMilli: 500 },
      shell: BUSYBOX,
    });
    expect(c.enforcement).toEqual({ memory: via, cpu: via });
    expect(c.procsFiles.length).toBeGreaterThan(0);
    const dirs = c.procsFiles.map((f) => f.replace(/\/cgroup\.procs$/, ""));
    await new Promise((r) => setTimeout(r, 100));
    expect(dirs.every((d) => existsSync(d))).toBe(true);
    expect(c.pids()).toContain(c.pid);
    expect((await c.exited).exitCode).toBe(4);
    const lines = c.log.read().join("\n");
    expect(lines).toContain(`/kube9-test/${NODE_ID}/inside`);
    expect(dirs.some((d) => existsSync(d))).toBe(false);
  });

  it("a process that escapes its session (setsid) is still killed through the cgroup", async () => {
    const c = await start("escape", [BUSYBOX, "sh", "-c", "setsid sleep 100 & echo $!; sleep 0.3"]);
    await new Promise((r) => setTimeout(r, 150));
    const escaped = Number(c.log.read()[0]);
    await c.exited;
    expect(existsSync(`/proc/${escaped}`) && !readFileSync(`/proc/${escaped}/stat`, "utf8").includes(") Z ")).toBe(false);
  });

  it("memory limit: allocating past it is an OOM kill by the kernel", async () => {
    const script =
      "const a=[];const t=setInterval(()=>{a.push(Buffer.alloc(8<<20,1));if(a.length>=128){clearInterval(t);setTimeout(()=>{},5000)}},20)";
    const c = await start("oom", [process.execPath, "-e", script], { limits: { memoryMiB: 128 } });
    expect(c.enforcement.memory).toBe(via);
    expect(await c.exited).toMatchObject({ exitCode: 137, oomKilled: true, reason: "OOMKilled" });
  });

  it("cpu quota: a busy loop limited to 200m uses about 200m", async () => {
    const c = await start("busy", [BUSYBOX, "sh", "-c", "while :; do :; done"], { limits: { cpuMilli: 200 } });
    try {
      expect(c.enforcement.cpu).toBe(via);
      await new Promise((r) => setTimeout(r, 300));
      const a = { cpu: c.usage().cpuNanos, at: process.hrtime.bigint() };
      await new Promise((r) => setTimeout(r, 2_000));
      const b = { cpu: c.usage().cpuNanos, at: process.hrtime.bigint() };
      expect(a.cpu).toBeTypeOf("number");
      const milli = ((b.cpu! - a.cpu!) / Number(b.at - a.at)) * 1000;
      expect(milli).toBeGreaterThan(140);
      expect(milli).toBeLessThan(260);
      expect(c.usage().memoryBytes).toBeGreaterThan(0);
    } finally {
      await c.kill();
    }
  });

  it("restart with the same id gets a fresh cgroup", async () => {
    const a = await start("again", [BUSYBOX, "true"], { limits: { memoryMiB: 32 } });
    await a.exited;
    const b = await start("again", [BUSYBOX, "true"], { limits: { memoryMiB: 32 } });
    expect((await b.exited).exitCode).toBe(0);
  });
});
