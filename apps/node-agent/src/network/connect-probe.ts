import { execFile } from "node:child_process";
import { DEFAULT_PATH } from "../containers/launch.js";

// Real connections from inside a pod's network namespace, so that the pod's own egress rules judge them as they judge
// the pod's traffic: what `net probe` and the policy tests use to see what the dataplane lets through. One short node
// process per batch enters the namespace (`ip netns exec`) and opens the connections itself, in parallel, timing each
// and naming each failure from its errno: one spawn costs the same as a busybox nc per target, and a batch of
// hundreds then needs no more.

/** One connection to attempt. */
export interface ConnectTarget {
  ip: string;
  port: number;
  protocol: "TCP";
}

/** How it went: `ms` from the first SYN to the answer (or to giving up). */
export interface ConnectResult {
  ok: boolean;
  ms: number;
  error?: string;
}

/** Connections open at once inside one namespace. */
export const PROBE_CONCURRENCY = 32;

/** Kept short (spawned once per batch); errors are named as a person reads them, not as errno constants. */
const SCRIPT = `
const net = require("node:net");
const NAMES = { ECONNREFUSED: "connection refused", EHOSTUNREACH: "no route to host", ENETUNREACH: "network unreachable", ECONNRESET: "connection reset", EADDRNOTAVAIL: "address not available" };
let input = "";
process.stdin.setEncoding("utf8").on("data", (d) => (input += d)).on("end", async () => {
  const { targets, timeoutMs, concurrency } = JSON.parse(input);
  const results = new Array(targets.length);
  const one = (t) => new Promise((resolve) => {
    const t0 = performance.now();
    const socket = net.connect({ host: t.ip, port: t.port });
    const done = (ok, error) => {
      clearTimeout(timer);
      socket.destroy();
      const r = { ok, ms: Math.round((performance.now() - t0) * 10) / 10 };
      if (error) r.error = error;
      resolve(r);
    };
    const timer = setTimeout(() => done(false, "timed out after " + timeoutMs + " ms"), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", (e) => done(false, NAMES[e.code] || e.message));
  });
  let next = 0;
  const worker = async () => { while (next < targets.length) { const i = next++; results[i] = await one(targets[i]); } };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  process.stdout.write(JSON.stringify(results));
});
`;

/** Options of {@link probeConnections}. */
export interface ProbeConnectionsOptions {
  /** `ip` (iproute2), absolute. */
  ip: string;
  /** The named network namespace to connect from. */
  netns: string;
  targets: readonly ConnectTarget[];
  /** Per connection. */
  timeoutMs: number;
  /** Default {@link PROBE_CONCURRENCY}. */
  concurrency?: number;
  /** The node binary to run inside the namespace (default: the agent's own). */
  node?: string;
}

/** Opens each connection from inside `netns` and answers in target order; rejects only when the probe cannot run. */
export function probeConnections(opts: ProbeConnectionsOptions): Promise<ConnectResult[]> {
  if (opts.targets.length === 0) return Promise.resolve([]);
  const concurrency = opts.concurrency ?? PROBE_CONCURRENCY;
  // Every round of connections may take the whole timeout; the process's start is a few tens of ms on top.
  const rounds = Math.ceil(opts.targets.length / concurrency);
  const limitMs = rounds * opts.timeoutMs + 10_000;
  const argv = ["netns", "exec", opts.netns, opts.node ?? process.execPath, "--no-warnings", "-e", SCRIPT];
  const input = JSON.stringify({ targets: opts.targets, timeoutMs: opts.timeoutMs, concurrency });
  return new Promise((resolve, reject) => {
    const child = execFile(opts.ip, argv, { timeout: limitMs, maxBuffer: 1024 * 1024, env: { PATH: DEFAULT_PATH, LC_ALL: "C" } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`probe from ${opts.netns}: ${String(stderr).trim() || err.message}`));
      try {
        const results = JSON.parse(String(stdout)) as ConnectResult[];
        if (!Array.isArray(results) || results.length !== opts.targets.length) throw new Error("wrong number of results");
        resolve(results);
      } catch (parseErr) {
        reject(new Error(`probe from ${opts.netns}: unreadable answer (${(parseErr as Error).message})`));
      }
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input);
  });
}
