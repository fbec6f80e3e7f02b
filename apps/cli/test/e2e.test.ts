// End to end: the real built CLI (dist/main.js) against a real control plane started by `kube9 up`
// with the process runtime and the embedded database in a throwaway KUBE9_HOME.
// Build first: `npm run build` at the repo root (turbo builds the dependencies too).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/main.js");
const home = mkdtempSync(join(tmpdir(), "kube9-cli-e2e-"));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment every CLI run gets: our home, and none of the caller's Kube-9 settings. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: home, NO_COLOR: "1", ...extra };
  for (const k of ["KUBE9_URL", "KUBE9_TOKEN", "DATABASE_URL", "KUBE9_PORT", "KUBE9_HOST", "KUBE9_RUNTIME"]) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

const running = new Set<ChildProcess>();

/** Runs `kube9 <args>` to completion and returns its exit code and output. */
function kube9(args: string[], extra: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(extra), stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      running.delete(child);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed and parses its -o json output. */
async function json<T>(args: string[]): Promise<T> {
  const r = await kube9([...args, "-o", "json"]);
  expect(r.stderr, `kube9 ${args.join(" ")}`).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePromise(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose environment points at this test's API (how node agents are told where the API is). */
function agentPidsFor(url: string): number[] {
  if (!existsSync("/proc")) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (environ.includes(`KUBE9_URL=${url}`) && environ.some((e) => e.startsWith("KUBE9_NODE_ID="))) {
        pids.push(Number(entry));
      }
    } catch {
      // Processes come and go, and some are not ours to read.
    }
  }
  return pids;
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

interface NodeJson {
  id: string;
  name: string;
  status: string;
  role: string;
  runtime: string;
  capacity: { cpuMilli: number; memoryMiB: number };
  allocated: { cpuMilli: number; memoryMiB: number };
  podIds: string[];
  lastHeartbeatAt: string | null;
}
interface PodJson {
  id: string;
  name: string;
  status: string;
  nodeName: string | null;
  nodeId: string | null;
}

let up: ChildProcess | undefined;
let upExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
let upOut = "";
let url = "";
let port = 0;
const seenAgentPids = new Set<number>();

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  port = await freePort();
  up = spawn(process.execPath, [CLI, "up", "--port", String(port), "--runtime", "process"], {
    env: cliEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const child = up;
  upExit = new Promise((r) => child.on("exit", (code, signal) => r({ code, signal })));
  let upErr = "";
  child.stderr!.on("data", (d: Buffer) => (upErr += d.toString()));
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`kube9 up did not start within 60 s:\n${upOut}\n${upErr}`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      upOut += d.toString();
      if (upOut.includes("Press Ctrl-C to stop")) {
        clearTimeout(timer);
        resolvePromise();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kube9 up exited early with ${code}:\n${upOut}\n${upErr}`));
    });
  });
  url = /API:\s+(\S+)/.exec(upOut)?.[1] ?? "";
}, 90_000);

afterAll(async () => {
  for (const c of running) c.kill("SIGKILL");
  if (up && up.exitCode === null && up.signalCode === null) {
    up.kill("SIGTERM");
    const done = await Promise.race([upExit, sleep(15_000).then(() => "timeout" as const)]);
    if (done === "timeout") up.kill("SIGKILL");
  }
  // Whatever happened above, no agent we saw may outlive the test.
  for (const pid of [...seenAgentPids, ...(url ? agentPidsFor(url) : [])]) {
    if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  rmSync(home, { recursive: true, force: true });
}, 30_000);

describe("kube9 CLI end to end (process runtime, embedded database)", () => {
  it("up prints the URL, database, runtime and config path, and writes config.json", () => {
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(upOut).toMatch(/Database:\s+pglite/);
    expect(upOut).toMatch(/Runtime:\s+process/);
    expect(upOut).toContain(join(home, "config.json"));
    const cfg = JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { server: string; token: string };
    expect(cfg.server).toBe(url);
    expect(cfg.token.length).toBeGreaterThan(10);
  });

  const sizes: [string, number, number][] = [
    // Added in this order so registration order is n4, n2, n8 (first-fit walks it).
    ["n4", 4, 4 * 4096],
    ["n2", 2, 2 * 4096],
    ["n8", 8, 8 * 4096],
  ];
  it.each(sizes)("node add %s waits until Ready and prints name, full id and size", async (name, cpu, mib) => {
    const r = await kube9(["node", "add", "--cpu", String(cpu), "--name", name, "--label", `size=${cpu}`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(
      new RegExp(`^node/${name} \\([0-9a-f-]{36}\\) Ready: ${cpu} CPU, ${mib} MiB$`),
    );
  });

  it("node list -o json prints the NodeDTOs exactly", async () => {
    const nodes = await json<NodeJson[]>(["node", "list"]);
    expect(nodes.map((n) => n.name)).toEqual(["n4", "n2", "n8"]);
    for (const n of nodes) {
      expect(Object.keys(n).sort()).toEqual(
        [
          "allocated", "capacity", "components", "containerId", "createdAt", "id", "labels", "lastHeartbeatAt",
          "name", "podIds", "reason", "recoveryAttempts", "role", "runtime", "status", "usage",
        ].sort(),
      );
      expect(n).toMatchObject({ status: "Ready", role: "worker", runtime: "process", allocated: { cpuMilli: 0 } });
      expect(n.lastHeartbeatAt).not.toBeNull();
    }
    expect(nodes.map((n) => n.capacity.cpuMilli)).toEqual([4000, 2000, 8000]);
    // Every agent we started is tracked so afterAll can be sure none survives.
    for (const pid of agentPidsFor(url)) seenAgentPids.add(pid);
    expect(seenAgentPids.size).toBe(3);
  });

  it("node list shows cores, not millicores", async () => {
    const r = await kube9(["node", "list"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLE\s+CPU\s+MEMORY\s+PODS\s+AGE$/);
    expect(lines[1]).toMatch(/^n4\s+Ready\s+worker\s+0\/4\s+0\/16384\s+0\s+\d+s$/);
    const wide = await kube9(["node", "list", "-o", "wide"]);
    expect(wide.stdout.split("\n")[0]).toMatch(/AGE\s+ID\s+RUNTIME\s+CONTAINER\s+LABELS$/);
    expect(wide.stdout).toContain("size=4");
  });

  const placements: [string, string, string][] = [
    // 1-core pods on empty 4, 2, 8-core nodes.
    ["first-fit", "n4", "the first registered node that fits"],
    ["best-fit", "n2", "the node left with the least free CPU (n4 has 3 free, n2 has 2)"],
    ["worst-fit", "n8", "the node left with the most free CPU"],
  ];
  it.each(placements)("pod launch --algorithm %s picks %s (%s)", async (algorithm, node) => {
    const name = `p-${algorithm}`;
    const r = await kube9(["pod", "launch", "--cpu", "1", "--name", name, "--algorithm", algorithm]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`^pod/${name} \\(\\S+\\) scheduled on node/${node}: .+`));
    const detail = await json<{ pod: PodJson; fits: { nodeName: string; chosen: boolean }[] }>(["pod", "get", name]);
    expect(detail.pod.nodeName).toBe(node);
    expect(detail.fits.filter((f) => f.chosen).map((f) => f.nodeName)).toEqual([node]);
    expect(detail.fits).toHaveLength(3);
  });

  it("pod launch --wait waits until Running", async () => {
    const r = await kube9(["pod", "launch", "--cpu", "0.5", "--name", "waiter", "--wait", "--timeout", "20"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pod\/waiter Running on node\/n\d$/m);
  });

  it("pod get explains the scheduling decision for every node", async () => {
    const r = await kube9(["pod", "get", "p-best-fit"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Scheduling \(best-fit\):\n\s+NODE\s+FEASIBLE\s+CHOSEN\s+FREE AFTER\s+REASONS/);
    // The chosen node must read as feasible: its own pod must not count against it in the explanation.
    expect(r.stdout).toMatch(/n2\s+yes\s+\*/);
  });

  it("a pod that fits nowhere is Pending, says why, and exits 0", async () => {
    const r = await kube9(["pod", "launch", "--cpu", "64", "--name", "huge"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^pod\/huge \(\S+\) is Pending: .+/);
    const del = await kube9(["pod", "delete", "huge"]);
    expect(del.code).toBe(0);
    expect(del.stdout.trim()).toBe("pod/huge deleted");
  });

  it("pod list shows pods with their nodes; --node filters", async () => {
    const r = await kube9(["pod", "list"]);
    expect(r.stdout.split("\n")[0]).toMatch(/^NAME\s+STATUS\s+NODE\s+CPU\s+MEMORY\s+AGE$/);
    expect(r.stdout).toMatch(/p-best-fit\s+\w+\s+n2\s+1\s/);
    const onN8 = await json<PodJson[]>(["pod", "list", "--node", "n8"]);
    expect(onN8.map((p) => p.name)).toContain("p-worst-fit");
    expect(onN8.every((p) => p.nodeName === "n8")).toBe(true);
  });

  const badInputs: [string, string[], string][] = [
    ["--cpu that is not a number", ["node", "add", "--cpu", "abc"], 'error: --cpu must be a number of cores > 0 and <= 1024 (got "abc")'],
    ["zero cores", ["node", "add", "--cpu", "0"], 'error: --cpu must be a number of cores > 0 and <= 1024 (got "0")'],
    ["a label without =", ["node", "add", "--cpu", "1", "--label", "foo"], 'error: --label must be key=value (got "foo")'],
    ["an unknown role", ["node", "add", "--cpu", "1", "--role", "boss"], 'error: --role must be one of worker, master (got "boss")'],
    ["a duplicate name (CONFLICT from the API)", ["node", "add", "--cpu", "1", "--name", "n4"], 'error: node name "n4" already exists'],
  ];
  it.each(badInputs)("node add with %s exits 1 with one line and adds nothing", async (_why, args, message) => {
    const r = await kube9(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.startsWith(message)).toBe(true);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(await json<NodeJson[]>(["node", "list"])).toHaveLength(3);
  });

  const apiErrors: [string, string[], Record<string, string>, RegExp][] = [
    ["an unknown node is NOT_FOUND", ["node", "get", "nosuch"], {}, /^error: node "nosuch" not found\n$/],
    ["a bad name is rejected by the API with the field", ["pod", "list", "--node", "Bad_Name"], {}, /^error: nodeName: .+\n$/],
    ["an unknown algorithm lists the allowed ones", ["pod", "launch", "--cpu", "1", "--algorithm", "random"], {},
      /^error: --algorithm must be one of first-fit, best-fit, worst-fit \(got "random"\)\n$/],
    ["a wrong token says where it came from", ["node", "list"], { KUBE9_TOKEN: "wrong-token" },
      /^error: the API at http:\/\/127\.0\.0\.1:\d+ rejected the token in \$KUBE9_TOKEN \(invalid token\).*\n$/],
    ["an unreachable server is one line", ["node", "list"], { KUBE9_URL: "http://localhost:1" },
      /^error: cannot reach the Kube-9 API at http:\/\/localhost:1 \(is "kube9 up" running\?\)\n$/],
    ["an unknown option is commander's one line", ["node", "list", "--stauts", "Ready"], {}, /^error: unknown option '--stauts' \(Did you mean --status\?\)\n$/],
  ];
  it.each(apiErrors)("%s", async (_why, args, env, pattern) => {
    const r = await kube9(args, env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(pattern);
    expect(r.stdout).toBe("");
  });

  it("cluster status shows nodes, capacity vs allocated and the algorithm", async () => {
    const r = await kube9(["cluster", "status"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Nodes:\s+3 \(Ready 3\)/);
    expect(r.stdout).toMatch(/CPU:\s+3\.5 \/ 14 cores allocated \(25%\)/);
    expect(r.stdout).toMatch(/Algorithm:\s+best-fit/);
    expect(r.stdout).toMatch(/Health:\s+heartbeat every \d+ ms/);
    const s = await json<{ capacity: { cpuMilli: number }; nodes: { total: number } }>(["cluster", "status"]);
    expect(s.capacity.cpuMilli).toBe(14000);
    expect(s.nodes.total).toBe(3);
  });

  it("cluster algorithm shows and sets the default", async () => {
    expect((await kube9(["cluster", "algorithm"])).stdout.trim()).toBe("best-fit");
    expect((await kube9(["cluster", "algorithm", "worst-fit"])).stdout.trim()).toBe("algorithm changed: best-fit -> worst-fit");
    expect((await kube9(["cluster", "algorithm", "best-fit"])).stdout.trim()).toBe("algorithm changed: worst-fit -> best-fit");
  });

  it("events lists what happened; --for filters by object", async () => {
    const r = await kube9(["events"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NodeReady\s+node\/n4/);
    const forN2 = await json<{ objectName: string }[]>(["events", "--for", "n2"]);
    expect(forN2.length).toBeGreaterThan(0);
    expect(forN2.every((e) => e.objectName === "n2")).toBe(true);
  });

  it("events -w prints new events and exits 0 on Ctrl-C", async () => {
    const child = spawn(process.execPath, [CLI, "events", "-w"], { env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await eventually("the watch header", 10_000, async () => (out.includes("REASON") ? true : undefined));
    await kube9(["pod", "launch", "--cpu", "0.1", "--name", "w1"]);
    await eventually("the new pod's event", 10_000, async () => (/pod\/w1/.test(out) ? true : undefined));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    running.delete(child);
    await kube9(["pod", "delete", "w1"]);
  });

  it("pod list -w and node list -w follow changes live (subscriptions) and exit 0 on Ctrl-C", async () => {
    const start = (args: string[]) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
      running.add(child);
      const state = { out: "", child, exited: new Promise<number | null>((r) => child.on("exit", (code) => r(code))) };
      child.stdout.on("data", (d: Buffer) => (state.out += d.toString()));
      return state;
    };
    const pods = start(["pod", "list", "-w"]);
    const nodes = start(["node", "list", "-w", "-o", "json"]);
    await eventually("the pod table header", 10_000, async () => (pods.out.includes("STATUS") ? true : undefined));
    await eventually("the node list", 10_000, async () => (nodes.out.includes('"name"') ? true : undefined));
    const listed = nodes.out.trim().split("\n").length;
    await kube9(["pod", "launch", "--cpu", "0.1", "--name", "w2"]);
    await eventually("the new pod's row", 10_000, async () => (/^w2\s+(Scheduled|Running)/m.test(pods.out) ? true : undefined));
    await kube9(["pod", "delete", "w2"]);
    await eventually("the deleted pod's row", 10_000, async () => (/^w2\s+Terminating/m.test(pods.out) ? true : undefined));
    // The pod's node reports it, and its podIds change: one JSON line per change.
    await eventually("a node change line", 10_000, async () => (nodes.out.trim().split("\n").length > listed ? true : undefined));
    for (const w of [pods, nodes]) {
      w.child.kill("SIGINT");
      expect(await w.exited).toBe(0);
      running.delete(w.child);
    }
  });

  it("node fail: within 10 s the node is Failed and its pods run on other nodes", async () => {
    const before = await json<PodJson[]>(["pod", "list", "--node", "n8"]);
    expect(before.length).toBeGreaterThan(0);
    const started = Date.now();
    const r = await kube9(["node", "fail", "n8"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // The recovery controller may already be restarting it, so the event log is the evidence of Failed.
    await eventually("n8 to be Failed", 10_000 - (Date.now() - started), async () => {
      const evs = await json<{ reason: string }[]>(["events", "--for", "n8"]);
      return evs.some((e) => e.reason === "NodeFailed") ? true : undefined;
    });
    const moved = await eventually("n8's pods to run elsewhere", Math.max(1000, 10_000 - (Date.now() - started)), async () => {
      const pods = await json<PodJson[]>(["pod", "list"]);
      const mine = pods.filter((p) => before.some((b) => b.id === p.id));
      return mine.length === before.length && mine.every((p) => p.status === "Running" && p.nodeName && p.nodeName !== "n8")
        ? mine
        : undefined;
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(moved.map((p) => p.nodeName)).not.toContain("n8");
  });

  it("node fail --mode pause: Failed after the heartbeat timeout; node recover waits until Ready again", async () => {
    // n8 was killed by the previous test; the recovery controller brings it back first.
    await eventually("n8 to be Ready again", 15_000, async () => {
      const got = await json<{ node: { status: string } }>(["node", "get", "n8"]);
      return got.node.status === "Ready" ? true : undefined;
    });
    const r = await kube9(["node", "fail", "n8", "--mode", "pause"]);
    expect(r.code).toBe(0);
    // Heartbeats stop: Suspect after 3 s, Failed after 5 s.
    await eventually("n8 to be Failed", 9000, async () => {
      const got = await json<{ node: { status: string } }>(["node", "get", "n8"]);
      return got.node.status === "Failed" ? true : undefined;
    });
    const rec = await kube9(["node", "recover", "n8"]);
    expect(rec.stderr).toBe("");
    expect(rec.code).toBe(0);
    expect(rec.stdout).toBe("node/n8 recovered: Ready\n");
  });

  it("SIGTERM to an agent: it leaves, and its pods are rescheduled at once", async () => {
    const pods = await json<PodJson[]>(["pod", "list"]);
    const victim = ["n4", "n2"].find((n) => pods.some((p) => p.nodeName === n && p.status === "Running"));
    expect(victim, "a node other than n8 hosting a running pod").toBeDefined();
    const mine = pods.filter((p) => p.nodeName === victim);
    const node = await json<{ node: { containerId: string | null } }>(["node", "get", victim!]);
    // The process runtime shows the agent's pid as the node's container id: "pid-<n>".
    const pid = Number(node.node.containerId?.replace(/^pid-/, ""));
    expect(pid).toBeGreaterThan(0);
    const started = Date.now();
    process.kill(pid, "SIGTERM");
    await eventually(`${victim}'s pods to be rebound`, 3000, async () => {
      const now = await json<PodJson[]>(["pod", "list"]);
      const moved = now.filter((p) => mine.some((m) => m.id === p.id));
      return moved.length === mine.length && moved.every((p) => p.nodeName && p.nodeName !== victim) ? true : undefined;
    });
    const rebound = Date.now() - started;
    const evs = await json<{ reason: string; message: string }[]>(["events", "--for", victim!]);
    expect(evs.some((e) => e.reason === "NodeLeft" && e.message.includes("SIGTERM"))).toBe(true);
    // "At once": each poll here starts a CLI process (~0.3 s), yet this stays well under the 5 s a silent node needs to be Failed.
    expect(rebound).toBeLessThan(3000);
    await eventually(`${victim}'s pods to run elsewhere`, 5000, async () => {
      const now = await json<PodJson[]>(["pod", "list"]);
      const moved = now.filter((p) => mine.some((m) => m.id === p.id));
      return moved.every((p) => p.status === "Running" && p.nodeName !== victim) ? true : undefined;
    });
  });

  it("up stops on SIGTERM with exit 0 and leaves no agent processes", async () => {
    for (const pid of agentPidsFor(url)) seenAgentPids.add(pid);
    expect(seenAgentPids.size).toBeGreaterThanOrEqual(3);
    up!.kill("SIGTERM");
    const done = await Promise.race([upExit!, sleep(20_000).then(() => undefined)]);
    expect(done, "kube9 up did not exit within 20 s of SIGTERM").toBeDefined();
    expect(done!.code).toBe(0);
    expect(upOut).toMatch(/stopped\n$/);
    await sleep(200);
    expect([...seenAgentPids].filter(alive)).toEqual([]);
    expect(agentPidsFor(url)).toEqual([]);
    // With the API gone, the CLI reports it plainly.
    const r = await kube9(["node", "list"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: cannot reach the Kube-9 API at ${url} (is "kube9 up" running?)\n`);
  });
});
