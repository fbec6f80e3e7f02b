// End to end: the real built CLI (dist/main.js) against real control planes started by `kube9 up`
// with the process runtime and the embedded database, each in a throwaway KUBE9_HOME.
// Build first: `npm run build` at the repo root (turbo builds the dependencies too).
//
// Every case stands alone (`it.only` works on any of them): it adds its own uniquely named nodes
// (withNodes), launches its own uniquely named pods (pinned to its nodes with a node selector), and
// removes them when it ends. One `kube9 up` is shared by the file; the cases whose assertions are
// about the whole cluster (the scheduling algorithms over "every node", cluster totals, stopping `up`)
// start a fresh `kube9 up` of their own (withCluster).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/main.js");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment every CLI run gets: the cluster's home, and none of the caller's Kube-9 settings. */
function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: home, NO_COLOR: "1", ...extra };
  for (const k of ["KUBE9_URL", "KUBE9_TOKEN", "DATABASE_URL", "KUBE9_PORT", "KUBE9_HOST", "KUBE9_RUNTIME"]) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

/** Every child process we start, so afterAll can be sure none survives. */
const running = new Set<ChildProcess>();
/** Every agent pid we saw, for the same reason. */
const seenAgentPids = new Set<number>();

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

/**
 * Processes whose environment points at this API (how node agents are told where the API is);
 * with nodeIds, only the agents of those nodes.
 */
function agentPidsFor(url: string, nodeIds?: string[]): number[] {
  if (!existsSync("/proc")) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (!environ.includes(`KUBE9_URL=${url}`)) continue;
      const nodeId = environ.find((e) => e.startsWith("KUBE9_NODE_ID="))?.slice("KUBE9_NODE_ID=".length);
      if (nodeId && (!nodeIds || nodeIds.includes(nodeId))) pids.push(Number(entry));
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

let serial = 0;
/** A name prefix no other case (and no earlier run) uses: lowercase, DNS-label safe. */
function uniqueTag(): string {
  serial += 1;
  return `t${Date.now().toString(36).slice(-5)}${serial}`;
}

interface NodeJson {
  id: string;
  name: string;
  status: string;
  role: string;
  runtime: string;
  labels: Record<string, string>;
  capacity: { cpuMilli: number; memoryMiB: number };
  allocated: { cpuMilli: number; memoryMiB: number };
  podIds: string[];
  lastHeartbeatAt: string | null;
}
interface PodJson {
  id: string;
  name: string;
  namespace: string;
  status: string;
  phase?: string | null;
  nodeName: string | null;
  nodeId: string | null;
}

/** One control plane started by `kube9 up` in its own KUBE9_HOME, and the CLI pointed at it. */
interface Cluster {
  home: string;
  port: number;
  url: string;
  up: ChildProcess;
  upExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What `kube9 up` printed so far. */
  out(): string;
  /** Runs `kube9 <args>` to completion and returns its exit code and output. */
  kube9(args: string[], extra?: Record<string, string>): Promise<Result>;
  /** Runs a command that must succeed and parses its -o json output. */
  json<T>(args: string[]): Promise<T>;
  /** Starts a long-running `kube9 <args>` (a watch) and collects its output. */
  watch(args: string[]): { out: () => string; child: ChildProcess; exited: Promise<number | null> };
  /** SIGTERM to `up` (SIGKILL after 15 s), then no agent of this cluster may survive; removes the home. */
  stop(): Promise<void>;
}

/** Runs a command to completion (tracked in `running` meanwhile) and returns its exit code and output. */
function runToEnd(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
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

async function startCluster(): Promise<Cluster> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const home = mkdtempSync(join(tmpdir(), "kube9-cli-e2e-"));
  const port = await freePort();
  const up = spawn(process.execPath, [CLI, "up", "--port", String(port), "--runtime", "process"], {
    env: cliEnv(home),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(up);
  const upExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    up.on("exit", (code, signal) => {
      running.delete(up);
      r({ code, signal });
    }),
  );
  let upOut = "";
  let upErr = "";
  up.stderr!.on("data", (d: Buffer) => (upErr += d.toString()));
  up.stdout!.on("data", (d: Buffer) => (upOut += d.toString()));
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`kube9 up did not start within 60 s:\n${upOut}\n${upErr}`)), 60_000);
    const onData = () => {
      if (upOut.includes("Press Ctrl-C to stop")) {
        clearTimeout(timer);
        up.stdout!.off("data", onData);
        resolvePromise();
      }
    };
    up.stdout!.on("data", onData);
    up.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kube9 up exited early with ${code}:\n${upOut}\n${upErr}`));
    });
  });
  const url = /API:\s+(\S+)/.exec(upOut)?.[1] ?? "";

  const kube9 = (args: string[], extra: Record<string, string> = {}): Promise<Result> =>
    runToEnd(process.execPath, [CLI, ...args], cliEnv(home, extra));
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await kube9([...args, "-o", "json"]);
    expect(r.stderr, `kube9 ${args.join(" ")}`).toBe("");
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const watch = (args: string[]) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(home), stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) =>
      child.on("exit", (code) => {
        running.delete(child);
        r(code);
      }),
    );
    return { out: () => out, child, exited };
  };
  const stop = async () => {
    if (up.exitCode === null && up.signalCode === null) {
      up.kill("SIGTERM");
      const done = await Promise.race([upExit, sleep(15_000).then(() => "timeout" as const)]);
      if (done === "timeout") up.kill("SIGKILL");
    }
    // Whatever happened above, no agent of this cluster may outlive it.
    for (const pid of url ? agentPidsFor(url) : []) {
      if (alive(pid)) process.kill(pid, "SIGKILL");
    }
    rmSync(home, { recursive: true, force: true });
  };
  return { home, port, url, up, upExit, out: () => upOut, kube9, json, watch, stop };
}

/** Runs `fn` on a fresh `kube9 up` of its own, stopped (with all its agents) when `fn` ends. */
async function withCluster<T>(fn: (c: Cluster) => Promise<T>): Promise<T> {
  const c = await startCluster();
  try {
    return await fn(c);
  } finally {
    await c.stop();
  }
}

interface CaseNodes {
  /** This case's prefix: its node and pod names start with `${tag}-`; its nodes carry the label case=<tag>. */
  tag: string;
  /** The node's full name for a short name given to withNodes (e.g. "n4" -> "tk3j9x2-n4"). */
  name(short: string): string;
  /** A pod name of this case (removed when the case ends). */
  pod(short: string): string;
  /** The node records as `node add -o json` returned them, in registration order. */
  nodes: NodeJson[];
  /** `--selector case=<tag>`: pods that may only go to this case's nodes. */
  selector: string[];
}

/**
 * Adds this case's own nodes in the given order (registration order matters to first-fit), each
 * labelled case=<tag> and size=<cores>, runs `fn`, then deletes the case's pods and removes its nodes.
 */
async function withNodes<T>(c: Cluster, specs: [short: string, cpu: number][], fn: (n: CaseNodes) => Promise<T>): Promise<T> {
  const tag = uniqueTag();
  const ctx: CaseNodes = {
    tag,
    name: (short) => `${tag}-${short}`,
    pod: (short) => `${tag}-${short}`,
    nodes: [],
    selector: ["--selector", `case=${tag}`],
  };
  try {
    for (const [short, cpu] of specs) {
      const node = await c.json<NodeJson>([
        "node", "add", "--cpu", String(cpu), "--name", ctx.name(short), "--label", `case=${tag}`, "--label", `size=${cpu}`,
      ]);
      ctx.nodes.push(node);
    }
    for (const pid of agentPidsFor(c.url, ctx.nodes.map((n) => n.id))) seenAgentPids.add(pid);
    return await fn(ctx);
  } finally {
    await cleanUpCase(c, tag, ctx.nodes);
  }
}

/** Deletes a case's pods and removes its nodes; none of its agents may survive. */
async function cleanUpCase(c: Cluster, tag: string, nodes: NodeJson[]): Promise<void> {
  if (c.up.exitCode !== null || c.up.signalCode !== null) return;
  const pods = await c.json<PodJson[]>(["pod", "list", "-A"]).catch(() => [] as PodJson[]);
  for (const p of pods.filter((p) => p.name.startsWith(`${tag}-`))) await c.kube9(["pod", "delete", p.name, "-n", p.namespace]);
  for (const n of nodes) {
    const r = await c.kube9(["node", "remove", n.name]);
    if (r.code !== 0) console.warn(`cleanup: kube9 node remove ${n.name}: ${r.stderr.trim()}`);
  }
  await sleep(200);
  for (const pid of agentPidsFor(c.url, nodes.map((n) => n.id))) {
    console.warn(`cleanup: the agent of a removed node (pid ${pid}) was still running; killed it`);
    process.kill(pid, "SIGKILL");
  }
}

/** The shared control plane: the cases that only need their own nodes run on it. */
let main: Cluster;

beforeAll(async () => {
  main = await startCluster();
}, 90_000);

afterAll(async () => {
  for (const c of running) c.kill("SIGKILL");
  await main?.stop();
  // Whatever happened above, no agent we saw may outlive the test.
  for (const pid of seenAgentPids) {
    if (alive(pid)) process.kill(pid, "SIGKILL");
  }
}, 30_000);

/** The three sizes of the scheduling scenarios, added in this order so first-fit walks n4, n2, n8. */
const SIZES: [string, number][] = [
  ["n4", 4],
  ["n2", 2],
  ["n8", 8],
];

describe("kube9 CLI end to end (process runtime, embedded database)", () => {
  it("up prints the URL, database, runtime and config path, and writes config.json", () => {
    const out = main.out();
    expect(main.url).toBe(`http://127.0.0.1:${main.port}`);
    expect(out).toMatch(/Database:\s+pglite/);
    expect(out).toMatch(/Runtime:\s+process/);
    expect(out).toContain(join(main.home, "config.json"));
    const cfg = JSON.parse(readFileSync(join(main.home, "config.json"), "utf8")) as { server: string; token: string };
    expect(cfg.server).toBe(main.url);
    expect(cfg.token.length).toBeGreaterThan(10);
  });

  it.each(SIZES)("node add %s waits until Ready and prints name, full id and size", async (short, cpu) => {
    const name = `${uniqueTag()}-${short}`;
    const mib = cpu * 4096;
    try {
      const r = await main.kube9(["node", "add", "--cpu", String(cpu), "--name", name, "--label", `size=${cpu}`]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toMatch(new RegExp(`^node/${name} \\([0-9a-f-]{36}\\) Ready: ${cpu} CPU, ${mib} MiB$`));
      const got = await main.json<{ node: NodeJson }>(["node", "get", name]);
      for (const pid of agentPidsFor(main.url, [got.node.id])) seenAgentPids.add(pid);
    } finally {
      await cleanUpCase(main, name, (await main.json<NodeJson[]>(["node", "list"])).filter((n) => n.name === name));
    }
  });

  it("node list -o json prints the NodeDTOs exactly", async () => {
    await withNodes(main, SIZES, async (c) => {
      const nodes = (await main.json<NodeJson[]>(["node", "list"])).filter((n) => n.labels.case === c.tag);
      expect(nodes.map((n) => n.name)).toEqual(["n4", "n2", "n8"].map(c.name));
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
      // One agent process per node.
      expect(agentPidsFor(main.url, nodes.map((n) => n.id))).toHaveLength(3);
    });
  });

  it("node list shows cores, not millicores", async () => {
    await withNodes(main, [["n4", 4]], async (c) => {
      const r = await main.kube9(["node", "list"]);
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLE\s+CPU\s+MEMORY\s+PODS\s+AGE$/);
      const mine = lines.filter((l) => l.startsWith(`${c.name("n4")} `));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatch(new RegExp(`^${c.name("n4")}\\s+Ready\\s+worker\\s+0/4\\s+0/16384\\s+0\\s+\\d+s$`));
      const wide = await main.kube9(["node", "list", "-o", "wide"]);
      expect(wide.stdout.split("\n")[0]).toMatch(/AGE\s+ID\s+RUNTIME\s+CONTAINER\s+LABELS$/);
      const wideMine = wide.stdout.split("\n").find((l) => l.startsWith(`${c.name("n4")} `));
      expect(wideMine).toContain("size=4");
    });
  });

  const placements: [string, string, string][] = [
    // A 1-core pod on empty 4, 2, 8-core nodes.
    ["first-fit", "n4", "the first registered node that fits"],
    ["best-fit", "n2", "the node left with the least free CPU (n4 would have 3 free, n2 1)"],
    ["worst-fit", "n8", "the node left with the most free CPU"],
  ];
  // On a fresh cluster of its own: the decision is explained for every node, so exactly these three.
  it.each(placements)(
    "pod launch --algorithm %s picks %s (%s)",
    async (algorithm, node) => {
      await withCluster(async (cluster) => {
        await withNodes(cluster, SIZES, async (c) => {
          const name = c.pod(`p-${algorithm}`);
          const r = await cluster.kube9(["pod", "launch", "--cpu", "1", "--name", name, "--algorithm", algorithm]);
          expect(r.stderr).toBe("");
          expect(r.code).toBe(0);
          expect(r.stdout.trim()).toMatch(new RegExp(`^pod/${name} \\(\\S+\\) scheduled on node/${c.name(node)}: .+`));
          const detail = await cluster.json<{ pod: PodJson; fits: { nodeName: string; chosen: boolean }[] }>(["pod", "get", name]);
          expect(detail.pod.nodeName).toBe(c.name(node));
          expect(detail.fits.filter((f) => f.chosen).map((f) => f.nodeName)).toEqual([c.name(node)]);
          expect(detail.fits).toHaveLength(3);
        });
      });
    },
    60_000,
  );

  it("pod launch --wait waits until Running", async () => {
    await withNodes(main, SIZES, async (c) => {
      const name = c.pod("waiter");
      const r = await main.kube9(["pod", "launch", "--cpu", "0.5", "--name", name, ...c.selector, "--wait", "--timeout", "20"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^pod/${name} Running on node/${c.tag}-n\\d$`, "m"));
    });
  });

  it("pod launch --count launches many pods in one call and reports each", async () => {
    await withNodes(main, SIZES, async (c) => {
      const name = c.pod("many");
      const r = await main.kube9(["pod", "launch", "--cpu", "0.25", "--name", name, "--count", "3", ...c.selector]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines.slice(0, 3).map((l) => l.match(/^pod\/(\S+) \(\S+\) scheduled on node\//)?.[1])).toEqual([0, 1, 2].map((i) => `${name}-${i}`));
      expect(lines[3]).toBe("3 pods: 3 scheduled, 0 pending, 0 failed");
      // A name taken fails that pod alone; the command says so and exits 1.
      const again = await main.kube9(["pod", "launch", "--cpu", "0.25", "--name", name, "--count", "4", ...c.selector]);
      expect(again.code).toBe(1);
      expect(again.stdout).toContain(`error: pod name "${name}-0" already exists`);
      expect(again.stdout).toMatch(new RegExp(`^pod/${name}-3 \\(\\S+\\) scheduled`, "m"));
      expect(again.stdout).toContain("4 pods: 1 scheduled, 0 pending, 3 failed");
      expect(again.stderr).toContain("error: 3 of 4 pods were not launched");
    });
  });

  it("pod get explains the scheduling decision for every node", async () => {
    await withNodes(main, SIZES, async (c) => {
      const name = c.pod("p-best-fit");
      const launched = await main.kube9(["pod", "launch", "--cpu", "1", "--name", name, "--algorithm", "best-fit", ...c.selector]);
      expect(launched.code).toBe(0);
      const r = await main.kube9(["pod", "get", name]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Scheduling \(best-fit\):\n\s+NODE\s+FEASIBLE\s+CHOSEN\s+FREE AFTER\s+REASONS/);
      // The chosen node must read as feasible: its own pod must not count against it in the explanation.
      expect(r.stdout).toMatch(new RegExp(`${c.name("n2")}\\s+yes\\s+\\*`));
    });
  });

  it("a pod that fits nowhere is Pending, says why, and exits 0", async () => {
    const name = `${uniqueTag()}-huge`;
    try {
      const r = await main.kube9(["pod", "launch", "--cpu", "64", "--name", name]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toMatch(new RegExp(`^pod/${name} \\(\\S+\\) is Pending: .+`));
      const del = await main.kube9(["pod", "delete", name]);
      expect(del.code).toBe(0);
      expect(del.stdout.trim()).toBe(`pod/${name} deleted`);
    } finally {
      await main.kube9(["pod", "delete", name]);
    }
  });

  it("pod list shows pods with their nodes; --node filters", async () => {
    await withNodes(main, SIZES, async (c) => {
      for (const algorithm of ["best-fit", "worst-fit"]) {
        const r = await main.kube9(["pod", "launch", "--cpu", "1", "--name", c.pod(`p-${algorithm}`), "--algorithm", algorithm, ...c.selector]);
        expect(r.code).toBe(0);
      }
      const r = await main.kube9(["pod", "list"]);
      expect(r.stdout.split("\n")[0]).toMatch(/^NAME\s+STATUS\s+NODE\s+CPU\s+MEMORY\s+AGE$/);
      expect(r.stdout).toMatch(new RegExp(`${c.pod("p-best-fit")}\\s+\\w+\\s+${c.name("n2")}\\s+1\\s`));
      const onN8 = await main.json<PodJson[]>(["pod", "list", "--node", c.name("n8")]);
      expect(onN8.map((p) => p.name)).toContain(c.pod("p-worst-fit"));
      expect(onN8.every((p) => p.nodeName === c.name("n8"))).toBe(true);
    });
  });

  const badInputs: [string, (existing: string) => string[], (existing: string) => string][] = [
    ["--cpu that is not a number", () => ["node", "add", "--cpu", "abc"], () => 'error: --cpu must be a number of cores > 0 and <= 1024 (got "abc")'],
    ["zero cores", () => ["node", "add", "--cpu", "0"], () => 'error: --cpu must be a number of cores > 0 and <= 1024 (got "0")'],
    ["a label without =", () => ["node", "add", "--cpu", "1", "--label", "foo"], () => 'error: --label must be key=value (got "foo")'],
    ["an unknown role", () => ["node", "add", "--cpu", "1", "--role", "boss"], () => 'error: --role must be one of worker, master (got "boss")'],
    ["a duplicate name (CONFLICT from the API)", (existing) => ["node", "add", "--cpu", "1", "--name", existing],
      (existing) => `error: node name "${existing}" already exists`],
  ];
  it.each(badInputs)("node add with %s exits 1 with one line and adds nothing", async (_why, args, message) => {
    // An existing node of this case's own, for the duplicate name.
    await withNodes(main, [["n4", 4]], async (c) => {
      const before = (await main.json<NodeJson[]>(["node", "list"])).map((n) => n.name);
      const r = await main.kube9(args(c.name("n4")));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr.startsWith(message(c.name("n4")))).toBe(true);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect((await main.json<NodeJson[]>(["node", "list"])).map((n) => n.name)).toEqual(before);
    });
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
    const r = await main.kube9(args, env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(pattern);
    expect(r.stdout).toBe("");
  });

  // On a fresh cluster of its own: the totals are the whole cluster's.
  it("cluster status shows nodes, capacity vs allocated and the algorithm", async () => {
    await withCluster(async (cluster) => {
      await withNodes(cluster, SIZES, async (c) => {
        // 3.5 cores in all: three 1-core pods and a half-core one.
        for (const [short, cpu] of [["a", "1"], ["b", "1"], ["c", "1"], ["d", "0.5"]]) {
          const r = await cluster.kube9(["pod", "launch", "--cpu", cpu!, "--name", c.pod(short!)]);
          expect(r.stdout).toMatch(/scheduled on node\//);
        }
        const r = await cluster.kube9(["cluster", "status"]);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/Nodes:\s+3 \(Ready 3\)/);
        expect(r.stdout).toMatch(/CPU:\s+3\.5 \/ 14 cores allocated \(25%\)/);
        expect(r.stdout).toMatch(/Algorithm:\s+best-fit/);
        expect(r.stdout).toMatch(/Health:\s+heartbeat every \d+ ms/);
        const s = await cluster.json<{ capacity: { cpuMilli: number }; nodes: { total: number } }>(["cluster", "status"]);
        expect(s.capacity.cpuMilli).toBe(14000);
        expect(s.nodes.total).toBe(3);
      });
    });
  }, 60_000);

  it("cluster algorithm shows and sets the default", async () => {
    try {
      expect((await main.kube9(["cluster", "algorithm"])).stdout.trim()).toBe("best-fit");
      expect((await main.kube9(["cluster", "algorithm", "worst-fit"])).stdout.trim()).toBe("algorithm changed: best-fit -> worst-fit");
      expect((await main.kube9(["cluster", "algorithm", "best-fit"])).stdout.trim()).toBe("algorithm changed: worst-fit -> best-fit");
    } finally {
      // The shared cluster keeps its default whatever happened above.
      await main.kube9(["cluster", "algorithm", "best-fit"]);
    }
  });

  it("events lists what happened; --for filters by object", async () => {
    await withNodes(main, [["n4", 4], ["n2", 2]], async (c) => {
      const r = await main.kube9(["events"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`NodeReady\\s+node/${c.name("n4")}`));
      const forN2 = await main.json<{ objectName: string }[]>(["events", "--for", c.name("n2")]);
      expect(forN2.length).toBeGreaterThan(0);
      expect(forN2.every((e) => e.objectName === c.name("n2"))).toBe(true);
    });
  });

  it("events -w prints new events and exits 0 on Ctrl-C", async () => {
    await withNodes(main, [["n4", 4]], async (c) => {
      const w = main.watch(["events", "-w"]);
      try {
        await eventually("the watch header", 10_000, async () => (w.out().includes("REASON") ? true : undefined));
        await main.kube9(["pod", "launch", "--cpu", "0.1", "--name", c.pod("w1"), ...c.selector]);
        await eventually("the new pod's event", 10_000, async () => (w.out().includes(`pod/${c.pod("w1")}`) ? true : undefined));
        w.child.kill("SIGINT");
        expect(await w.exited).toBe(0);
      } finally {
        w.child.kill("SIGKILL");
      }
    });
  });

  it("pod list -w and node list -w follow changes live (subscriptions) and exit 0 on Ctrl-C", async () => {
    await withNodes(main, [["n4", 4]], async (c) => {
      const pods = main.watch(["pod", "list", "-w"]);
      const nodes = main.watch(["node", "list", "-w", "-o", "json"]);
      try {
        await eventually("the pod table header", 10_000, async () => (pods.out().includes("STATUS") ? true : undefined));
        await eventually("the node list", 10_000, async () => (nodes.out().includes('"name"') ? true : undefined));
        const myNodeLines = () => nodes.out().trim().split("\n").filter((l) => l.includes(`"name":"${c.name("n4")}"`)).length;
        const listed = myNodeLines();
        expect(listed).toBeGreaterThan(0);
        const w2 = c.pod("w2");
        await main.kube9(["pod", "launch", "--cpu", "0.1", "--name", w2, ...c.selector]);
        await eventually("the new pod's row", 10_000, async () => (new RegExp(`^${w2}\\s+(Scheduled|Running)`, "m").test(pods.out()) ? true : undefined));
        await main.kube9(["pod", "delete", w2]);
        await eventually("the deleted pod's row", 10_000, async () => (new RegExp(`^${w2}\\s+Terminating`, "m").test(pods.out()) ? true : undefined));
        // The pod's node reports it, and its podIds change: one JSON line per change.
        await eventually("a node change line", 10_000, async () => (myNodeLines() > listed ? true : undefined));
        for (const w of [pods, nodes]) {
          w.child.kill("SIGINT");
          expect(await w.exited).toBe(0);
        }
      } finally {
        for (const w of [pods, nodes]) w.child.kill("SIGKILL");
      }
    });
  });

  it("node fail: within 10 s the node is Failed and its pods run on other nodes", async () => {
    await withNodes(main, SIZES, async (c) => {
      const n8 = c.name("n8");
      // Worst-fit puts both on n8, the node with the most free CPU.
      for (const [short, cpu] of [["a", "1"], ["b", "0.5"]]) {
        const r = await main.kube9(["pod", "launch", "--cpu", cpu!, "--name", c.pod(short!), "--algorithm", "worst-fit", ...c.selector, "--wait", "--timeout", "20"]);
        expect(r.code).toBe(0);
      }
      const before = await main.json<PodJson[]>(["pod", "list", "--node", n8]);
      expect(before.length).toBeGreaterThan(0);
      const started = Date.now();
      const r = await main.kube9(["node", "fail", n8]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      // The recovery controller may already be restarting it, so the event log is the evidence of Failed.
      await eventually("n8 to be Failed", 10_000 - (Date.now() - started), async () => {
        const evs = await main.json<{ reason: string }[]>(["events", "--for", n8]);
        return evs.some((e) => e.reason === "NodeFailed") ? true : undefined;
      });
      const moved = await eventually("n8's pods to run elsewhere", Math.max(1000, 10_000 - (Date.now() - started)), async () => {
        const pods = await main.json<PodJson[]>(["pod", "list"]);
        const mine = pods.filter((p) => before.some((b) => b.id === p.id));
        return mine.length === before.length && mine.every((p) => p.status === "Running" && p.nodeName && p.nodeName !== n8)
          ? mine
          : undefined;
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(moved.map((p) => p.nodeName)).not.toContain(n8);
    });
  });

  it("node fail --mode pause: Failed after the heartbeat timeout; node recover waits until Ready again", async () => {
    await withNodes(main, [["n8", 8]], async (c) => {
      const n8 = c.name("n8");
      const r = await main.kube9(["node", "fail", n8, "--mode", "pause"]);
      expect(r.code).toBe(0);
      // Heartbeats stop: Suspect after 3 s, Failed after 5 s.
      await eventually("n8 to be Failed", 9000, async () => {
        const got = await main.json<{ node: { status: string } }>(["node", "get", n8]);
        return got.node.status === "Failed" ? true : undefined;
      });
      const rec = await main.kube9(["node", "recover", n8]);
      expect(rec.stderr).toBe("");
      expect(rec.code).toBe(0);
      expect(rec.stdout).toBe(`node/${n8} recovered: Ready\n`);
    });
  });

  it("SIGTERM to an agent: it leaves, and its pods are rescheduled at once", async () => {
    await withNodes(main, [["n4", 4], ["n2", 2]], async (c) => {
      const victim = c.name("n4");
      // First-fit puts it on n4, the first registered node that fits.
      const launched = await main.kube9(["pod", "launch", "--cpu", "1", "--name", c.pod("p"), "--algorithm", "first-fit", ...c.selector, "--wait", "--timeout", "20"]);
      expect(launched.code).toBe(0);
      const pods = await main.json<PodJson[]>(["pod", "list"]);
      const mine = pods.filter((p) => p.nodeName === victim && p.status === "Running");
      expect(mine.length, "a running pod on the victim").toBeGreaterThan(0);
      const node = await main.json<{ node: { containerId: string | null } }>(["node", "get", victim]);
      // The process runtime shows the agent's pid as the node's container id: "pid-<n>".
      const pid = Number(node.node.containerId?.replace(/^pid-/, ""));
      expect(pid).toBeGreaterThan(0);
      const started = Date.now();
      process.kill(pid, "SIGTERM");
      await eventually(`${victim}'s pods to be rebound`, 3000, async () => {
        const now = await main.json<PodJson[]>(["pod", "list"]);
        const moved = now.filter((p) => mine.some((m) => m.id === p.id));
        return moved.length === mine.length && moved.every((p) => p.nodeName && p.nodeName !== victim) ? true : undefined;
      });
      const rebound = Date.now() - started;
      const evs = await main.json<{ reason: string; message: string }[]>(["events", "--for", victim]);
      expect(evs.some((e) => e.reason === "NodeLeft" && e.message.includes("SIGTERM"))).toBe(true);
      // "At once": each poll here starts a CLI process (~0.3 s), yet this stays well under the 5 s a silent node needs to be Failed.
      expect(rebound).toBeLessThan(3000);
      await eventually(`${victim}'s pods to run elsewhere`, 5000, async () => {
        const now = await main.json<PodJson[]>(["pod", "list"]);
        const moved = now.filter((p) => mine.some((m) => m.id === p.id));
        return moved.every((p) => p.status === "Running" && p.nodeName !== victim) ? true : undefined;
      });
    });
  });

  // On a fresh cluster of its own: stopping it must not take the other cases' control plane down.
  it("up stops on SIGTERM with exit 0 and leaves no agent processes", async () => {
    await withCluster(async (cluster) => {
      for (const [short, cpu] of SIZES) await cluster.json<NodeJson>(["node", "add", "--cpu", String(cpu), "--name", short]);
      const agents = agentPidsFor(cluster.url);
      for (const pid of agents) seenAgentPids.add(pid);
      expect(agents).toHaveLength(3);
      cluster.up.kill("SIGTERM");
      const done = await Promise.race([cluster.upExit, sleep(20_000).then(() => undefined)]);
      expect(done, "kube9 up did not exit within 20 s of SIGTERM").toBeDefined();
      expect(done!.code).toBe(0);
      expect(cluster.out()).toMatch(/stopped\n$/);
      await sleep(200);
      expect(agents.filter(alive)).toEqual([]);
      expect(agentPidsFor(cluster.url)).toEqual([]);
      // With the API gone, the CLI reports it plainly.
      const r = await cluster.kube9(["node", "list"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error: cannot reach the Kube-9 API at ${cluster.url} (is "kube9 up" running?)\n`);
    });
  }, 60_000);
});

// kubectl habits: real containers (busybox, kube9/workload) run by the agents' kubelets on the process runtime.
describe("kube9 CLI end to end: kubectl habits", () => {
  /** A Pod manifest pinned to this case's nodes (node selector case=<tag>). */
  const podManifest = (c: CaseNodes, name: string, container: Record<string, unknown>) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { case: c.tag } },
    spec: { nodeSelector: { case: c.tag }, containers: [{ name: "main", ...container }] },
  });
  const sleeper = (c: CaseNodes, name: string) =>
    podManifest(c, name, { image: "busybox", command: ["sleep", "3600"], resources: { limits: { cpu: "100m", memory: "32Mi" } } });
  const httpWorkload = (c: CaseNodes, name: string, port: number) =>
    podManifest(c, name, { image: "kube9/workload", args: ["http", "--port", String(port)], ports: [{ containerPort: port }] });

  /** Writes documents as one YAML stream (JSON documents are YAML) into the cluster's home; returns its path. */
  const manifestFile = (c: CaseNodes, docs: unknown[]): string => {
    const path = join(main.home, `${c.tag}-${uniqueTag()}.yaml`);
    writeFileSync(path, docs.map((d) => JSON.stringify(d, null, 2)).join("\n---\n") + "\n");
    return path;
  };

  /** The `get pods` rows of these pods, once each reads READY 1/1 and STATUS Running. */
  const untilRunning = (names: string[], timeoutMs: number) =>
    eventually(`${names.join(", ")} Running 1/1`, timeoutMs, async () => {
      const r = await main.kube9(["get", "pods"]);
      const rows = names.map((n) => r.stdout.split("\n").find((l) => l.startsWith(`${n} `)));
      return rows.every((row) => row && /^\S+\s+1\/1\s+Running\s+0\s/.test(row)) ? rows : undefined;
    });

  it("apply -f with two documents creates both; get pods shows them Running 1/1 within 15 s; again is unchanged", async () => {
    await withNodes(main, [["k1", 2]], async (c) => {
      const [sleep, web] = [c.pod("sleep"), c.pod("web")];
      const file = manifestFile(c, [sleeper(c, sleep), httpWorkload(c, web, await freePort())]);
      const r = await main.kube9(["apply", "-f", file]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`pod/${sleep} created\npod/${web} created\n`);
      await untilRunning([sleep, web], 15_000);
      const header = (await main.kube9(["get", "pods"])).stdout.split("\n")[0];
      expect(header).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
      const again = await main.kube9(["apply", "-f", file]);
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(`pod/${sleep} unchanged\npod/${web} unchanged\n`);
      // The Kubernetes object, for scripts written against kubectl.
      const obj = JSON.parse((await main.kube9(["get", "pod", sleep, "-o", "json"])).stdout) as { kind: string; status: { phase: string } };
      expect(obj).toMatchObject({ kind: "Pod", status: { phase: "Running" } });
    });
  });

  /** The pod's IP from `get pod -o json`, once it has one. */
  const podIP = (name: string) =>
    eventually(`${name} to have a pod IP`, 10_000, async () => {
      const r = await main.kube9(["get", "pod", name, "-o", "json"]);
      return r.code === 0 ? ((JSON.parse(r.stdout) as { status: { podIP?: string } }).status.podIP ?? undefined) : undefined;
    });

  /** What `wget` in the client pod gets from url (pods reach each other at their pod IPs). */
  const fetchFrom = (client: string, url: string) =>
    eventually(`${client} to get ${url}`, 10_000, async () => {
      const r = await main.kube9(["exec", client, "--", "wget", "-q", "-O", "-", url]);
      return r.code === 0 ? r.stdout : undefined;
    });

  it("web.yaml: Running and Ready with a readiness probe, reached from another pod at its pod IP, logs show the request; node fail -> runs again elsewhere with a new IP", async () => {
    await withNodes(main, [["k1", 2], ["k2", 2]], async (c) => {
      const [web, client] = [c.pod("web"), c.pod("client")];
      const webDoc = podManifest(c, web, {
        image: "kube9/workload",
        args: ["http", "--port", "8080"],
        ports: [{ containerPort: 8080, name: "http" }],
        resources: { limits: { cpu: "250m", memory: "64Mi" } },
        readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1 },
      });
      expect((await main.kube9(["apply", "-f", manifestFile(c, [webDoc, sleeper(c, client)])])).code).toBe(0);
      await untilRunning([web, client], 20_000);
      const ip1 = await podIP(web);
      expect(ip1).toMatch(/^10\.2(4[4-7])\.\d+\.\d+$/);
      expect(await fetchFrom(client, `http://${ip1}:8080/`)).toBe(`hello from ${web}\n`);
      const logs = await eventually("the request in the log", 5_000, async () => {
        const r = await main.kube9(["logs", web]);
        return r.code === 0 && r.stdout.includes("GET / from") ? r : undefined;
      });
      expect(logs.stdout).toContain("GET / from");

      const node1 = (JSON.parse((await main.kube9(["get", "pod", web, "-o", "json"])).stdout) as { spec: { nodeName: string } }).spec.nodeName;
      expect((await main.kube9(["node", "fail", node1])).code).toBe(0);
      const moved = await eventually(`${web} Running elsewhere`, 20_000, async () => {
        const r = await main.kube9(["get", "pod", web, "-o", "json"]);
        const o = JSON.parse(r.stdout) as { spec: { nodeName?: string }; status: { podIP?: string; conditions?: Array<{ type: string; status: string }> } };
        const ready = o.status.conditions?.some((x) => x.type === "Ready" && x.status === "True");
        return o.spec.nodeName && o.spec.nodeName !== node1 && ready && o.status.podIP ? o : undefined;
      });
      expect(moved.status.podIP).not.toBe(ip1);
      await untilRunning([client], 20_000);
      expect(await fetchFrom(client, `http://${moved.status.podIP}:8080/`)).toBe(`hello from ${web}\n`);
    });
  });

  it("logs of the http workload show a request it served", async () => {
    await withNodes(main, [["k1", 2]], async (c) => {
      const [web, client] = [c.pod("web"), c.pod("client")];
      const port = await freePort();
      expect((await main.kube9(["apply", "-f", manifestFile(c, [httpWorkload(c, web, port), sleeper(c, client)])])).code).toBe(0);
      await untilRunning([web, client], 15_000);
      // Pods have their own IPs: the request comes from another pod, never from the host.
      const body = await fetchFrom(client, `http://${await podIP(web)}:${port}/`);
      expect(body).toBe(`hello from ${web}\n`);
      const logs = await eventually("the request in the log", 5_000, async () => {
        const r = await main.kube9(["logs", web]);
        return r.code === 0 && r.stdout.includes("GET / from") ? r : undefined;
      });
      expect(logs.stdout).toMatch(/workload http: serving/);
      const tail = await main.kube9(["logs", web, "--tail", "1"]);
      expect(tail.stdout.trimEnd().split("\n")).toHaveLength(1);
    });
  });

  it("exec passes the command's output and exit code through", async () => {
    await withNodes(main, [["k1", 2]], async (c) => {
      const name = c.pod("sleep");
      expect((await main.kube9(["apply", "-f", manifestFile(c, [sleeper(c, name)])])).code).toBe(0);
      await untilRunning([name], 15_000);
      const three = await main.kube9(["exec", name, "--", "sh", "-c", "exit 3"]);
      expect(three.code).toBe(3);
      expect(three.stderr).toBe("");
      const out = await main.kube9(["exec", name, "--", "sh", "-c", "echo out; echo err >&2"]);
      expect(out).toEqual({ code: 0, stdout: "out\n", stderr: "err\n" });
      const wrong = await main.kube9(["exec", name, "-c", "nope", "--", "true"]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toBe(`error: container "nope" is not valid for pod "${name}"\n`);
    });
  });

  it("namespaces and network policies: pods in a namespace, default deny then an allow rule, net probe shows the real matrix, explain says why, deleting the namespace takes its pods", async () => {
    await withNodes(main, [["p1", 2], ["p2", 2]], async (c) => {
      const ns = `${c.tag}-ns`;
      const server = (name: string, role: string) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: ns, labels: { case: c.tag, role } },
        spec: {
          nodeSelector: { case: c.tag },
          containers: [{ name: "web", image: "busybox", command: ["httpd", "-f", "-p", "80"], ports: [{ containerPort: 80, name: "http" }], resources: { limits: { cpu: "50m", memory: "16Mi" } } }],
        },
      });
      const [a, b] = [c.pod("a"), c.pod("b")];
      try {
        expect((await main.kube9(["create", "namespace", ns, "--label", "team=e2e"])).stdout).toBe(`namespace/${ns} created\n`);
        const nsList = await main.kube9(["get", "ns"]);
        expect(nsList.stdout).toMatch(new RegExp(`^${ns}\\s+Active\\s`, "m"));
        expect((await main.kube9(["apply", "-f", manifestFile(c, [server(a, "db"), server(b, "client")])])).stdout).toBe(`pod/${a} created\npod/${b} created\n`);
        await eventually("both pods Running with IPs", 20_000, async () => {
          const pods = await main.json<Array<PodJson & { podIP: string | null }>>(["pod", "list", "-n", ns]);
          return pods.length === 2 && pods.every((p) => p.status === "Running" && p.podIP) ? pods : undefined;
        });
        // -A adds the NAMESPACE column; without -n the pods are not in "default".
        expect((await main.kube9(["get", "pods", "-A"])).stdout).toMatch(new RegExp(`^${ns}\\s+${a}\\s+1/1\\s+Running`, "m"));
        expect((await main.kube9(["get", "pod", a])).stderr).toContain(`pod "${a}" not found`);
        // No policy yet: every connection goes through once the servers listen (Running is their start, not their bind).
        const open = await eventually("httpd to listen in both pods", 10_000, async () => {
          const r = await main.kube9(["net", "probe", "-n", ns, "--expect"]);
          return r.code === 0 && r.stdout.includes(`${ns}/${a}\t.\t.`) && r.stdout.includes(`${ns}/${b}\t.\t.`) ? r : undefined;
        });
        expect(open.stdout).toContain("Matches the policies");
        const deny = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "deny-db" }, spec: { podSelector: { matchLabels: { role: "db" } }, policyTypes: ["Ingress"] } };
        expect((await main.kube9(["apply", "-f", manifestFile(c, [deny]), "-n", ns])).stdout).toBe("networkpolicy.networking.k8s.io/deny-db created\n");
        const denied = await main.kube9(["net", "probe", "-n", ns, "--expect"]);
        expect(denied.code).toBe(0);
        // Rows are sources in name order (a, b): b -> a is blocked, a -> b still connects.
        expect(denied.stdout).toContain(`${ns}/${a}\t.\t.`);
        expect(denied.stdout).toContain(`${ns}/${b}\tX\t.`);
        expect(denied.stdout).toContain("Matches the policies");
        const why = await main.kube9(["net", "explain", b, a, "-n", ns]);
        expect(why.stdout).toContain(`${ns}/${b} -> ${ns}/${a} 80/TCP: blocked (by ingress)`);
        expect(why.stdout).toContain(`${ns}/deny-db: no ingress rules`);
        const allow = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "allow-client", namespace: ns },
          spec: { podSelector: { matchLabels: { role: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: "client" } } }], ports: [{ port: "http" }] }] } };
        await main.kube9(["apply", "-f", manifestFile(c, [allow])]);
        const allowed = await main.kube9(["net", "probe", "-n", ns]);
        expect(allowed.stdout, allowed.stdout).toContain(`${ns}/${b}\t.\t.`);
        expect((await main.kube9(["get", "netpol", "-n", ns])).stdout).toMatch(/^allow-client\s+role=db\s/m);
        const described = await main.kube9(["describe", "netpol", "allow-client", "-n", ns]);
        expect(described.stdout).toContain("To Port: http/TCP");
        expect(described.stdout).toContain(`Selected Pods:  ${a}`);
        expect(described.stdout).toMatch(/Enforcement:\s+nftables/);
        // Relabel the client: the allow rule no longer matches it.
        expect((await main.kube9(["label", "pod", b, "role=other", "-n", ns])).stderr).toContain("already has a value");
        await main.kube9(["label", "pod", b, "role=other", "--overwrite", "-n", ns]);
        expect((await main.kube9(["net", "probe", "-n", ns])).stdout).toContain(`${ns}/${b}\tX\t.`);
        const gone = await main.kube9(["delete", "namespace", ns]);
        expect(gone.code).toBe(0);
        expect((await main.kube9(["get", "ns"])).stdout).not.toContain(ns);
        expect(await main.json<PodJson[]>(["pod", "list", "-A"])).not.toContainEqual(expect.objectContaining({ namespace: ns }));
      } finally {
        await main.kube9(["delete", "namespace", ns, "--ignore-not-found"]);
      }
    });
  }, 120_000);

  it("delete pod waits until the pod is gone", async () => {
    await withNodes(main, [["k1", 2]], async (c) => {
      const name = c.pod("sleep");
      expect((await main.kube9(["apply", "-f", manifestFile(c, [sleeper(c, name)])])).code).toBe(0);
      await untilRunning([name], 15_000);
      const r = await main.kube9(["delete", "pod", name]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`pod "${name}" deleted\n`);
      // Gone, not Terminating, the moment delete returns.
      const get = await main.kube9(["get", "pod", name]);
      expect(get.code).toBe(1);
      expect(get.stderr).toMatch(/not found/);
    });
  });

  it("a bad manifest: exit 1 with the field path; a wrong kind is named; the good document still applies", async () => {
    await withNodes(main, [["k1", 2]], async (c) => {
      const [bad, good] = [c.pod("bad"), c.pod("good")];
      const noImage = podManifest(c, bad, {});
      const service = { apiVersion: "v1", kind: "Service", metadata: { name: c.pod("svc") } };
      const file = manifestFile(c, [noImage, service, sleeper(c, good)]);
      const r = await main.kube9(["apply", "-f", file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(`pod/${good} created\n`);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^error: \\S+ document 1 \\(line 1\\): pod "${bad}": .*spec\\.containers\\[0\\]\\.image: Required value`));
      expect(lines[1]).toMatch(/^error: \S+ document 2 \(line \d+\): kind "Service" is not supported/);
      expect((await main.kube9(["get", "pod", bad])).code).toBe(1);
    });
  });
});

// Issue 9's acceptance through the CLI: measured use in `top`, and alerts from rules changed and applied with it.
describe("kube9 CLI end to end: top and alerts", () => {
  const RULE = "prometheusrule.monitoring.coreos.com";

  /** `kube9 <args>` that must succeed; its stdout. */
  const ok = async (args: string[]): Promise<string> => {
    const r = await main.kube9(args);
    expect(r.stderr, `kube9 ${args.join(" ")}`).toBe("");
    expect(r.code, `kube9 ${args.join(" ")}`).toBe(0);
    return r.stdout;
  };
  /** The table line that starts with this name, if any. */
  const row = (table: string, name: string) => table.split("\n").find((l) => l.startsWith(`${name} `));

  it("top pods shows a burner (~500m) and a memory pod (~120Mi) within 2 s of Running; the memory alert fires; rules apply and delete", async () => {
    await withNodes(main, [["u1", 2]], async (c) => {
      const [burn, mem] = [c.pod("burn"), c.pod("mem")];
      const mine = `E2E_${c.tag}`;
      const bare = `E2E_bare_${c.tag}`;
      try {
        // The built-in rules as a PrometheusRule read back unchanged (nothing is modified yet).
        const exported = join(main.home, `${c.tag}-rules.yaml`);
        writeFileSync(exported, await ok(["alert", "rules", "-o", "yaml"]));
        const back = (await ok(["apply", "-f", exported])).trimEnd().split("\n");
        expect(back).toHaveLength(8);
        for (const line of back) expect(line).toMatch(new RegExp(`^${RULE}/\\w+ unchanged$`));

        const hook = `http://127.0.0.1:${await freePort()}/hook`;
        expect(await ok(["alert", "webhook", hook])).toBe(`alert webhook set to ${hook}\n`);
        expect(await ok(["alert", "webhook"])).toBe(`${hook}\n`);
        expect(await ok(["alert", "webhook", "--clear"])).toBe("alert webhook cleared\n");

        const launch = (name: string, cpu: string, args: string[]) =>
          ok(["pod", "launch", "--image", "kube9/workload", "--limit-cpu", cpu, "--limit-memory", "256Mi", "--name", name, ...c.selector, "--", ...args]);
        await launch(burn, "1", ["cpu", "--millicores", "500"]);
        await launch(mem, "250m", ["memory", "--mib", "120"]);
        // Running as kubectl means it: the containers have started (phase), not only the pod bound and confirmed.
        const runningAt = await eventually("both pods Running", 20_000, async () => {
          const pods = await main.json<PodJson[]>(["pod", "list"]);
          return [burn, mem].every((n) => pods.find((p) => p.name === n)?.phase === "Running") ? Date.now() : undefined;
        });

        // Within 2 s of Running, both have a row (each try starts a CLI process; the one that counts is the one asked in time).
        const first = await eventually("both pods in top pods", 10_000, async () => {
          const askedAt = Date.now();
          const r = await main.kube9(["top", "pods"]);
          return row(r.stdout, burn) && row(r.stdout, mem) ? { askedAt, out: r.stdout } : undefined;
        });
        expect(first.askedAt - runningAt).toBeLessThan(2000);
        expect(first.out.split("\n")[0]).toMatch(/^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%\s+CPU-REQ\s+CPU-LIM\s+MEM-REQ\s+MEM-LIM$/);
        // Once warm: the burner at 500m ± 30% of its 1000m request, the memory pod at 120Mi ± 30% of its 256Mi.
        const warm = await eventually("the burner near 500m", 20_000, async () => {
          const out = await ok(["top", "pods", "--sort-by", "cpu"]);
          const b = new RegExp(`^${burn}\\s+(\\d+)m\\s+(\\d+)%\\s+\\d+Mi\\s+\\d+%\\s+1000m\\s+1000m\\s+256Mi\\s+256Mi$`).exec(row(out, burn) ?? "");
          return b && Number(b[1]) >= 350 && Number(b[1]) <= 650 ? { out, cpu: Number(b[1]), pct: Number(b[2]) } : undefined;
        });
        expect(Math.abs(warm.pct - warm.cpu / 10)).toBeLessThanOrEqual(1);
        const m = new RegExp(`^${mem}\\s+\\d+m\\s+\\d+%\\s+(\\d+)Mi\\s+(\\d+)%\\s+250m\\s+250m\\s+256Mi\\s+256Mi$`).exec(row(warm.out, mem) ?? "");
        expect(m, warm.out).not.toBeNull();
        expect(Number(m![1])).toBeGreaterThanOrEqual(84);
        expect(Number(m![1])).toBeLessThanOrEqual(156);
        expect(Math.abs(Number(m![2]) - (Number(m![1]) / 256) * 100)).toBeLessThanOrEqual(1);

        // The node: measured use, and its pods' requests (1250m of 2000m, 512Mi of 8192Mi).
        const nodes = await ok(["top", "nodes"]);
        expect(row(nodes, c.name("u1"))).toMatch(new RegExp(`^${c.name("u1")}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\s+1250m \\(63%\\)\\s+512Mi \\(6%\\)$`));

        // A rule of our own, then the built-in memory rule lowered: both fire within a few seconds.
        const ruleFile = join(main.home, `${c.tag}-mine.yaml`);
        writeFileSync(ruleFile, JSON.stringify({
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: { name: c.tag },
          spec: { groups: [{ name: c.tag, rules: [{ alert: mine, expr: `kube9_pod_cpu_usage_millicores{pod="${burn}"} > 100`, for: "1s", labels: { severity: "warning" }, annotations: { summary: "{{ $labels.pod }} burns {{ $value }}m" } }] }] },
        }));
        expect(await ok(["apply", "-f", ruleFile])).toBe(`${RULE}/${mine} created\n`);
        expect(row(await ok(["alert", "rules"]), mine)).toMatch(new RegExp(`^${mine}\\s+true\\s+kube9_pod_cpu_usage_millicores\\{pod="${burn}"\\} > 100\\s+1s\\s+warning\\s+-$`));
        expect(await ok(["alert", "rules", "set", "ContainerMemoryNearLimit", "--threshold", "0.3", "--for", "1s"])).toBe(
          "alert rule ContainerMemoryNearLimit configured: kube9_container_memory_limit_ratio > 0.3, for 1s, enabled\n",
        );
        const setAt = Date.now();
        const alerts = await eventually("both alerts firing", 15_000, async () => {
          const out = await ok(["alerts"]);
          const lines = out.split("\n");
          const memAlert = lines.find((l) => new RegExp(`^ContainerMemoryNearLimit\\s+firing\\s+critical\\s+\\d+s\\s+pod/${mem}\\s`).test(l));
          const ours = lines.find((l) => new RegExp(`^${mine}\\s+firing\\s+warning\\s+\\d+s\\s+pod/${burn}\\s`).test(l));
          return memAlert && ours ? { out, memAlert } : undefined;
        });
        expect(Date.now() - setAt).toBeLessThan(10_000);
        expect(alerts.out.split("\n")[0]).toMatch(/^NAME\s+STATE\s+SEVERITY\s+AGE\s+OBJECT\s+VALUE\s+SUMMARY$/);
        // ~127/256 of its limit; the summary says the same in percent.
        expect(alerts.memAlert).toMatch(new RegExp(`pod/${mem}\\s+0\\.[3-6]\\d*\\s+Container \\S+ of pod default/${mem} is at [3-6]\\d(\\.\\d+)?% of its memory limit$`));

        // -w redraws every 2 s and stops on Ctrl-C with exit 0.
        const w = main.watch(["alerts", "-w"]);
        await eventually("two frames of alerts -w", 10_000, async () => (w.out().split(/^NAME\s+STATE/m).length > 2 ? true : undefined));
        w.child.kill("SIGINT");
        expect(await w.exited).toBe(0);

        expect(await ok(["alert", "rules", "delete", mine])).toBe(`alert rule ${mine} deleted\n`);
        expect(row(await ok(["alert", "rules"]), mine)).toBeUndefined();

        // A bare Prometheus rule file goes both ways through apply -f and delete -f.
        const bareFile = join(main.home, `${c.tag}-bare.yaml`);
        writeFileSync(bareFile, `groups:\n- name: bare\n  rules:\n  - alert: ${bare}\n    expr: kube9_pod_pending_seconds > 600\n`);
        expect(await ok(["apply", "-f", bareFile])).toBe(`${RULE}/${bare} created\n`);
        expect(await ok(["delete", "-f", bareFile])).toBe(`${RULE} "${bare}" deleted\n`);

        expect(await ok(["alert", "rules", "reset", "ContainerMemoryNearLimit"])).toMatch(/^alert rule ContainerMemoryNearLimit reset to its built-in defaults/);
        expect(row(await ok(["alert", "rules"]), "ContainerMemoryNearLimit")).toMatch(/^ContainerMemoryNearLimit\s+true\s+kube9_container_memory_limit_ratio > 0\.9\s+2s\s+critical\s+no$/);
      } finally {
        // The rules are the shared cluster's: leave them as they were, whatever failed above.
        await main.kube9(["alert", "rules", "reset", "ContainerMemoryNearLimit"]);
        for (const name of [mine, bare]) await main.kube9(["alert", "rules", "delete", name]);
        await main.kube9(["alert", "webhook", "--clear"]);
      }
    });
  }, 60_000);
});

// Issue 10's acceptance through the CLI: a node group grows for pods that fit nowhere, and shrinks back to
// its minimum when they go; every step is in `kube9 events`.
describe("kube9 CLI end to end: node groups and the autoscaler", () => {
  /** `a | b` through a shell, as a user pipes one kube9 into another. */
  const pipe = (c: Cluster, from: string[], to: string[]): Promise<Result> => {
    const kube9 = (args: string[]) => [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(" ");
    return runToEnd("sh", ["-c", `${kube9(from)} | ${kube9(to)}`], cliEnv(c.home));
  };

  it("nodegroup create web; 4 one-core pods for tier=web -> 2 nodes, pods Running; pods deleted -> 0 nodes; events explain both; -o yaml applies back unchanged", async () => {
    // A cluster of its own: the autoscaler acts on every pending pod, and events are cluster-wide.
    await withCluster(async (c) => {
      const ok = async (args: string[]): Promise<string> => {
        const r = await c.kube9(args);
        expect(r.stderr, `kube9 ${args.join(" ")}`).toBe("");
        expect(r.code, `kube9 ${args.join(" ")}`).toBe(0);
        return r.stdout;
      };
      const row = (table: string, name: string) => table.split("\n").find((l) => l.startsWith(`${name} `));
      const pods = ["burst-1", "burst-2", "burst-3", "burst-4"];
      const status = c.watch(["autoscaler", "status", "-w"]);
      try {
        expect(await ok(["nodegroup", "create", "web", "--min", "0", "--max", "4", "--cpu", "2", "--memory", "1Gi", "--label", "tier=web", "--unneeded-time", "3s"])).toBe(
          "nodegroup/web created: min 0, max 4, nodes of 2 cores, 1Gi, process, labels tier=web\n",
        );
        // No node has tier=web yet, so each is Pending until the group grows (or placed on a node it already added).
        for (const p of pods) await ok(["pod", "launch", "--cpu", "1", "--selector", "tier=web", "--name", p]);

        // 4 pods of 1 core on 2-core nodes: 2 nodes, both Ready, and every pod Running on one of them.
        const grown = await eventually("the group at 2 Ready nodes with the pods Running", 30_000, async () => {
          const list = await ok(["nodegroup", "list"]);
          const running = (await c.json<PodJson[]>(["pod", "list"])).filter((p) => pods.includes(p.name) && p.status === "Running");
          return /^web\s+0\s+2\/2\s+4\s+2 cores, 1Gi, process\s+\d+s ago: /.test(row(list, "web") ?? "") && running.length === 4 ? { list, running } : undefined;
        });
        expect(grown.list.split("\n")[0]).toMatch(/^NAME\s+MIN\s+SIZE\s+MAX\s+TEMPLATE\s+LAST ACTIVITY$/);
        for (const p of grown.running) expect(p.nodeName).toMatch(/^web-[0-9a-f]{5}$/);
        expect(row(await ok(["autoscaler", "status"]), "web")).toMatch(/^web\s+0\s+2\s+2\s+4\s+0\s+\d+s\s+-$/);
        const upEvents = await ok(["events"]);
        expect(upEvents).toMatch(/\sScaledUpGroup\s+cluster\/\S+\s+\d+ pods? unschedulable, added \d+ nodes? to group web \(least-waste: .+ idle after placement\)\n/);
        expect(upEvents).toMatch(/\sTriggeredScaleUp\s+pod\/burst-\d\s+pod triggered scale-up: group web \+\d node\(s\)\n/);

        // Gone pods leave the nodes unneeded: after 3 s below 50% (and 10 s after the scale-up), both go.
        await ok(["delete", "pod", ...pods]);
        const shrunk = await eventually("the group back at 0 nodes", 40_000, async () => {
          const list = await ok(["nodegroup", "list"]);
          return /^web\s+0\s+0\/0\s+4\s/.test(row(list, "web") ?? "") ? list : undefined;
        });
        expect(row(shrunk, "web")).toMatch(/\d+s ago: removed node web-[0-9a-f]{5}: /);
        const downEvents = (await ok(["events"])).split("\n").filter((l) => /\sScaleDown\s/.test(l));
        expect(downEvents).toHaveLength(2);
        for (const l of downEvents) expect(l).toMatch(/group web: removing node (web-[0-9a-f]{5}): node \1 unneeded for \d+s \(below 50%\) and has no pods to move$/);

        // The frames of `autoscaler status -w` saw the group at 2 and back at 0; Ctrl-C ends it with 0.
        expect(status.out()).toMatch(/^web\s+0\s+2\s+2\s+4\s/m);
        expect(status.out()).toMatch(/^web\s+0\s+0\s+0\s+4\s/m);
        status.child.kill("SIGINT");
        expect(await status.exited).toBe(0);

        // What -o yaml prints is what apply takes: nothing to change.
        const back = await pipe(c, ["nodegroup", "get", "web", "-o", "yaml"], ["apply", "-f", "-"]);
        expect(back).toEqual({ code: 0, stdout: "nodegroup.kube9.io/web unchanged\n", stderr: "" });
        expect(await ok(["nodegroup", "delete", "web"])).toBe("nodegroup/web deleted (it had no nodes)\n");
        expect(await ok(["nodegroup", "list"])).toBe("No node groups. Create one with: kube9 nodegroup create <name> --min 0 --max 4 --cpu 2\n");
      } finally {
        status.child.kill("SIGKILL");
        // The cluster and its agents go with withCluster; the group and pods are removed first, whatever failed above.
        await c.kube9(["delete", "pod", ...pods, "--ignore-not-found", "--wait=false"]);
        await c.kube9(["delete", "nodegroup", "web", "--ignore-not-found"]);
      }
    });
  }, 60_000);
});
