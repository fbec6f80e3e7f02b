import { existsSync } from "node:fs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE, cpuSeconds, freePort, killAll, rssMiB, sleep, startWorkload } from "./child.js";

beforeAll(() => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "npm run build" in apps/workload first`);
});
afterEach(killAll);

describe("every mode", () => {
  it("--help lists the modes and exits 0", async () => {
    const child = startWorkload(["--help"]);
    expect((await child.exited).code).toBe(0);
    for (const mode of ["idle", "cpu", "memory", "http", "crash", "exit"]) expect(child.stdout()).toContain(`  ${mode}`);
  });

  it.each([
    [["cpu", "--millicores", "abc"], /--millicores must be an integer from 1 to 64000/],
    [["cpu"], /--millicores is required/],
    [["memory", "--mib", "10", "--grow", "1"], /unknown flag --grow; flags allowed: --mib, --grow-mib-per-s/],
    [["http", "--port", "70000"], /--port must be an integer from 1 to 65535/],
    [["crash", "--after", "1"], /--exit-code is required/],
    [["exit", "--code", "256"], /--code must be an integer from 0 to 255/],
    [["dance"], /unknown mode "dance"; modes: idle, cpu, memory, http, crash, exit/],
    [[], /a mode is required/],
  ])("rejects %j with one line on stderr and exit 2", async (args, message) => {
    const child = startWorkload(args);
    expect((await child.exited).code).toBe(2);
    expect(child.stderr()).toMatch(message);
    expect(child.stderr().trim().split("\n")).toHaveLength(1);
    expect(child.stdout()).toBe("");
  });

  it.each([
    [["idle"], /^workload idle: /],
    [["cpu", "--millicores", "100"], /^workload cpu: /],
    [["memory", "--mib", "1"], /^workload memory: /],
  ])("%j prints a start line and exits 0 within 100 ms of SIGTERM", async (args, start) => {
    const child = startWorkload(args);
    await child.waitFor(start);
    const sent = Date.now();
    child.proc.kill("SIGTERM");
    const { code } = await child.exited;
    expect(code).toBe(0);
    // 100 ms is the promise; the margin is for a busy shared machine scheduling the child late.
    expect(Date.now() - sent).toBeLessThan(400);
    expect(child.stdout()).toContain("received SIGTERM, exiting");
  });

  it("SIGINT exits 0 too", async () => {
    const child = startWorkload(["idle"]);
    await child.waitFor(/^workload idle/);
    child.proc.kill("SIGINT");
    expect((await child.exited).code).toBe(0);
    expect(child.stdout()).toContain("received SIGINT, exiting");
  });
});

describe("exit and crash", () => {
  it("exit --code 3 exits at once with 3", async () => {
    const child = startWorkload(["exit", "--code", "3"]);
    const { code } = await child.exited;
    expect(code).toBe(3);
    expect(child.stdout()).toMatch(/exiting with code 3/);
  });

  it("crash --after 0.5 --exit-code 7 runs half a second, says why and exits 7", async () => {
    const child = startWorkload(["crash", "--after", "0.5", "--exit-code", "7"]);
    await child.waitFor(/^workload crash: will exit with code 7 after 0.5 s/);
    const { code, ms } = await child.exited;
    expect(code).toBe(7);
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(3000);
    expect(child.stdout()).toMatch(/0.5 s have passed, exiting with code 7/);
  });

  it("crash keeps its exit code when stopped early", async () => {
    const child = startWorkload(["crash", "--after", "60", "--exit-code", "4"]);
    await child.waitFor(/^workload crash/);
    child.proc.kill("SIGTERM");
    expect((await child.exited).code).toBe(4);
    expect(child.stdout()).toContain("received SIGTERM, exiting with code 4");
  });
});

describe("cpu", () => {
  it("--millicores 500 burns about half a core (±25%)", async () => {
    const child = startWorkload(["cpu", "--millicores", "500"]);
    await child.waitFor(/^workload cpu: burning 500 millicores on 1 thread/);
    const pid = child.proc.pid as number;
    await sleep(300); // start-up CPU (loading node) is not the workload's burn
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    await sleep(2000);
    const used = cpuSeconds(pid) - cpu0;
    const wall = (performance.now() - t0) / 1000;
    const millicores = (used / wall) * 1000;
    expect(millicores).toBeGreaterThan(375);
    expect(millicores).toBeLessThan(625);
  });
});

describe("memory", () => {
  async function baselineMiB(): Promise<number> {
    const idle = startWorkload(["memory", "--mib", "0"]);
    await idle.waitFor(/^workload memory/);
    await sleep(200);
    const rss = rssMiB(idle.proc.pid as number);
    idle.proc.kill("SIGTERM");
    await idle.exited;
    return rss;
  }

  it("--mib 200 makes resident memory grow by about 200 MiB (±15%)", async () => {
    const base = await baselineMiB();
    const child = startWorkload(["memory", "--mib", "200"]);
    await child.waitFor(/^workload memory: holding 200 MiB/);
    const grown = rssMiB(child.proc.pid as number) - base;
    expect(grown).toBeGreaterThan(170);
    expect(grown).toBeLessThan(230);
  });

  it("--grow-mib-per-s adds that much every second", async () => {
    const base = await baselineMiB();
    const child = startWorkload(["memory", "--mib", "10", "--grow-mib-per-s", "40"]);
    await child.waitFor(/^workload memory: holding 10 MiB, growing by 40 MiB\/s/);
    await child.waitFor(/^workload memory: holding 90 MiB$/, 5000);
    const grown = rssMiB(child.proc.pid as number) - base;
    expect(grown).toBeGreaterThan(90 * 0.85);
    expect(grown).toBeLessThan(130 * 1.15);
  });
});

describe("http", () => {
  it("names the pod, logs requests and switches /healthz", async () => {
    const port = await freePort();
    const child = startWorkload(["http", "--port", String(port), "--host", "127.0.0.1"], { ...process.env, POD_NAME: "web-1" });
    await child.waitFor(/^workload http: serving web-1 on http:\/\/127.0.0.1:/);
    const base = `http://127.0.0.1:${port}`;
    const get = async (path: string, method = "GET") => {
      const res = await fetch(base + path, { method });
      return [res.status, await res.text()] as const;
    };
    expect(await get("/")).toEqual([200, "hello from web-1\n"]);
    await child.waitFor(/^GET \/ from 127\.0\.0\.1$/);
    expect(await get("/healthz")).toEqual([200, "ok\n"]);
    expect((await get("/unhealthy", "POST"))[0]).toBe(200);
    expect(await get("/healthz")).toEqual([500, "unhealthy\n"]);
    expect((await get("/healthy", "POST"))[0]).toBe(200);
    expect((await get("/healthz"))[0]).toBe(200);
    // busybox wget only GETs: the switches answer GET as well.
    expect((await get("/unhealthy"))[0]).toBe(200);
    expect((await get("/healthz"))[0]).toBe(500);
    expect((await get("/healthy"))[0]).toBe(200);
    expect((await get("/nope"))[0]).toBe(404);
    expect((await get("/", "DELETE"))[0]).toBe(405);
    await child.waitFor(/^POST \/unhealthy from 127\.0\.0\.1$/);
    child.proc.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
  });

  it("falls back to HOSTNAME for the pod's name", async () => {
    const port = await freePort();
    const env = { ...process.env, POD_NAME: "", HOSTNAME: "node-7" };
    const child = startWorkload(["http", "--port", String(port), "--host", "127.0.0.1"], env);
    await child.waitFor(/^workload http: serving node-7/);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("hello from node-7\n");
  });

  it("exits 1 with a reason when the port is taken", async () => {
    const port = await freePort();
    const first = startWorkload(["http", "--port", String(port), "--host", "127.0.0.1"]);
    await first.waitFor(/^workload http: serving/);
    const second = startWorkload(["http", "--port", String(port), "--host", "127.0.0.1"]);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toMatch(/cannot listen on 127.0.0.1:\d+: .*EADDRINUSE/);
  });
});
