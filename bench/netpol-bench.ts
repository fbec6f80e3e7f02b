/**
 * Network policies on real connections, through the real API with process nodes (needs root, ip and nft):
 *  - time for a policy change to take effect on a new connection (allow -> deny and deny -> allow), median of 5;
 *  - time for a full 9x9 probe (`net probe`, namespaces x/y/z x pods a/b/c), open and under default deny;
 *  - connection setup cost from inside a pod's namespace to a pod with 100 policies selecting it, against none.
 *
 * Connections are made by a small node process inside the source pod's network namespace (`ip netns exec`), as
 * a pod's own process would make them, so the figures include nothing of Kube-9's API.
 *
 * Run: npm run build && npx tsx bench/netpol-bench.ts
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { scenarioPodManifest, type Kube9Client } from "@kube9/client";
import { withControlPlane } from "./api-bench.js";
import { median, until } from "./lib.js";
import { record } from "./report.js";

const NAMESPACES = ["x", "y", "z"];
const PODS = ["a", "b", "c"];

/** A pod's network namespace, as the node agent names it (apps/node-agent/src/network/pod-network.ts). */
function netnsOf(podId: string): string {
  return `k9p-${podId.replace(/-/g, "").slice(0, 12)}`;
}

// Runs inside the source pod's namespace: connects to ip:port over and over and prints "<ms since epoch> <ok|no> <connect ms>".
const LOOP = `
const net = require("node:net");
const [ip, port, timeout, gap, count] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
let left = count;
function once() {
  const t0 = Date.now(), h0 = process.hrtime.bigint();
  const s = net.connect({ host: ip, port });
  let done = false;
  const end = (ok) => {
    if (done) return;
    done = true;
    s.destroy();
    process.stdout.write(t0 + " " + (ok ? "ok" : "no") + " " + (Number(process.hrtime.bigint() - h0) / 1e6).toFixed(3) + "\\n");
    if (--left !== 0) setTimeout(once, gap); else process.exit(0);
  };
  s.setTimeout(timeout, () => end(false));
  s.once("connect", () => end(true));
  s.once("error", () => end(false));
}
once();
`;

interface Sample {
  at: number;
  ok: boolean;
  ms: number;
}

/** Starts connecting from a pod's namespace; `samples` grows as results come in. */
function connectLoop(netns: string, ip: string, port: number, opts: { timeoutMs: number; gapMs: number; count: number }): { samples: Sample[]; child: ChildProcess; done: Promise<void> } {
  const child = spawn("ip", ["netns", "exec", netns, process.execPath, "-e", LOOP, ip, String(port), String(opts.timeoutMs), String(opts.gapMs), String(opts.count)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const samples: Sample[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const [at, ok, ms] = line.split(" ");
    samples.push({ at: Number(at), ok: ok === "ok", ms: Number(ms) });
  });
  const done = new Promise<void>((r) => child.once("exit", () => r()));
  return { samples, child, done };
}

const policy = (name: string, namespace: string, spec: Record<string, unknown>) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});

async function setUp(c: Kube9Client): Promise<Map<string, { id: string; ip: string }>> {
  await c.cluster.setAlgorithm.mutate({ algorithm: "worst-fit" });
  await Promise.all(["nb1", "nb2"].map((name) => c.nodes.add.mutate({ name, cpu: 2, memoryMiB: 2048 })));
  for (const ns of NAMESPACES) await c.namespaces.create.mutate({ name: ns, labels: { ns } });
  for (const ns of NAMESPACES) for (const p of PODS) await c.pods.applyManifest.mutate({ manifest: scenarioPodManifest(ns, p) });
  return until(async () => {
    const pods = await c.pods.list.query({});
    const running = pods.filter((p) => p.status === "Running" && p.podIP);
    return running.length === 9 ? new Map(running.map((p) => [`${p.namespace}/${p.name}`, { id: p.id, ip: p.podIP! }])) : undefined;
  }, 60_000, 100);
}

/** ms from the start of a policy change until a new connection x/b -> x/a first shows its effect. */
async function changeToEffect(c: Kube9Client, pods: Map<string, { id: string; ip: string }>, deny: boolean): Promise<number> {
  const from = pods.get("x/b")!;
  const to = pods.get("x/a")!;
  // Blocked connections end at the 50 ms timeout, so "blocked" is seen within 50 ms of taking effect.
  const loop = connectLoop(netnsOf(from.id), to.ip, 80, { timeoutMs: 50, gapMs: 5, count: -1 });
  await until(async () => loop.samples.length > 3, 10_000);
  const t0 = Date.now();
  if (deny) await c.networkPolicies.applyManifest.mutate({ manifest: policy("deny-a", "x", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Ingress"] }) });
  else await c.networkPolicies.delete.mutate({ namespace: "x", name: "deny-a" });
  const seen = await until(async () => loop.samples.find((s) => s.at >= t0 && s.ok === !deny), 10_000, 5);
  loop.child.kill();
  await loop.done;
  return seen.at - t0;
}

/** Median and p99 connect time (ms) of `count` allowed connections x/b -> x/a. */
async function connectCost(pods: Map<string, { id: string; ip: string }>, count: number): Promise<{ median: number; p99: number; failed: number }> {
  // 5 ms apart: busybox httpd forks per connection, and a faster stream overflows its small accept backlog.
  const loop = connectLoop(netnsOf(pods.get("x/b")!.id), pods.get("x/a")!.ip, 80, { timeoutMs: 1000, gapMs: 5, count });
  await loop.done;
  const ms = loop.samples.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
  return { median: median(ms), p99: ms[Math.floor(ms.length * 0.99)]!, failed: count - ms.length };
}

/** Every figure of this bench, printed with `log`. */
export async function runNetpolBench(log: (s: string) => void = console.log): Promise<void> {
  if (process.getuid?.() !== 0) {
    log("skipped: network policies are enforced in pod network namespaces, which need root");
    return;
  }
  await withControlPlane(undefined, async (c) => {
    const pods = await setUp(c);
    // A first probe, so every pod's server is up before timing anything.
    await c.net.probe.mutate({ namespaces: NAMESPACES, ports: [80], timeoutMs: 1000 });

    const denyTimes: number[] = [];
    const allowTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      denyTimes.push(await changeToEffect(c, pods, true));
      allowTimes.push(await changeToEffect(c, pods, false));
    }
    record("policy change to effect (block)", median(denyTimes), "ms", { aim: "< 1000", note: "median of 5" });
    record("policy change to effect (allow)", median(allowTimes), "ms", { aim: "< 1000", note: "median of 5" });
    log(`policy change -> effect on a new connection (aim < 1000 ms): deny ${median(denyTimes)} ms, allow ${median(allowTimes)} ms (median of 5; runs ${denyTimes.join("/")} and ${allowTimes.join("/")})`);

    const open = await c.net.probe.mutate({ namespaces: NAMESPACES, ports: [80, 81], timeoutMs: 1000 });
    record("9x9 probe, no policy, 2 ports", open.durationMs, "ms", { note: `${open.connections} connections` });
    log(`full 9x9 probe, no policy, ports 80+81: ${open.durationMs} ms for ${open.connections} connections`);
    for (const ns of NAMESPACES) await c.networkPolicies.applyManifest.mutate({ manifest: policy("deny-all", ns, { podSelector: {}, policyTypes: ["Ingress"] }) });
    const denied = await c.net.probe.mutate({ namespaces: NAMESPACES, ports: [80], timeoutMs: 1000 });
    record("9x9 probe, default deny", denied.durationMs, "ms", { note: "72 connections time out at 1 s" });
    log(`full 9x9 probe, default deny in x, y, z (72 connections time out at 1 s): ${denied.durationMs} ms (of which ${denied.waitedMs} ms waiting for the policies to be in force)`);
    for (const ns of NAMESPACES) await c.networkPolicies.delete.mutate({ namespace: ns, name: "deny-all" });
    // A probe returns once every node has the current policies in force.
    await c.net.probe.mutate({ namespaces: ["x"], ports: [80], timeoutMs: 1000 });

    await connectCost(pods, 50);
    const none = await connectCost(pods, 1000);
    // 100 policies select x/a; the one that lets x/b in comes last in the rules (the worst case for a rule list).
    for (let i = 0; i < 99; i++) {
      await c.networkPolicies.applyManifest.mutate({
        manifest: policy(`p${String(i).padStart(3, "0")}`, "x", {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [{ from: [{ ipBlock: { cidr: `192.0.2.${i}/32` } }], ports: [{ port: 1000 + i }] }],
        }),
      });
    }
    await c.networkPolicies.applyManifest.mutate({ manifest: policy("p999-allow-b", "x", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }] }) });
    await c.net.probe.mutate({ namespaces: ["x"], ports: [80], timeoutMs: 1000 });
    const hundred = await connectCost(pods, 1000);
    record("connection setup, no policy", none.median, "ms", { note: `median of 1000; p99 ${none.p99.toFixed(3)} ms` });
    record("connection setup, 100 policies", hundred.median, "ms", { note: `median of 1000; p99 ${hundred.p99.toFixed(3)} ms` });
    const failed = none.failed + hundred.failed > 0 ? ` (${none.failed} and ${hundred.failed} connections failed)` : "";
    log(`connection setup x/b -> x/a, 1000 connections: no policy median ${none.median.toFixed(3)} ms p99 ${none.p99.toFixed(3)} ms; 100 policies selecting x/a median ${hundred.median.toFixed(3)} ms p99 ${hundred.p99.toFixed(3)} ms${failed}`);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runNetpolBench();
  process.exit(0);
}
