import { request } from "node:http";
import { connect } from "node:net";
import { execInContainer, type ExecResult } from "./exec.js";
import type { ExecContext } from "./process-container.js";

// One probe attempt with its timeout. Thresholds, periods and what a failure means belong to
// the kubelet rules in core; this only answers "did this attempt succeed, and why not".
// HTTP and TCP probes come from the node, as the kubelet's do, to the pod IP (or loopback). A pod with
// its own network namespace is out of the agent's reach, so there they run as a short busybox
// process inside that namespace instead (outside the container's cgroup: a probe is the kubelet's).

/** A probe handler with its port already resolved to a number. */
export type ProbeAction =
  | { exec: { command: string[] } }
  | { httpGet: { path: string; port: number; host?: string; scheme?: "HTTP" } }
  | { tcpSocket: { port: number; host?: string } };

/** Options of {@link runProbe}. */
export interface ProbeRunOptions {
  timeoutSeconds: number;
  /** Default host of httpGet and tcpSocket (default 127.0.0.1). */
  podIP?: string;
  /** The container an exec probe runs in. */
  container?: ExecContext;
  /** The pod's network namespace: httpGet and tcpSocket then run inside it, with `busybox`. */
  netns?: string;
  /** The busybox binary for probes inside `netns`. */
  busybox?: string;
}

/** Result of one attempt. */
export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** Output kept in an exec probe's message. */
const MAX_MESSAGE = 1024;

/** Runs one probe attempt; never rejects. */
export async function runProbe(action: ProbeAction, opts: ProbeRunOptions): Promise<ProbeResult> {
  const timeoutMs = (opts.timeoutSeconds > 0 ? opts.timeoutSeconds : 1) * 1000;
  if ("exec" in action) return execProbe(action.exec.command, timeoutMs, opts.container);
  if ("httpGet" in action) {
    const { path, port, host } = action.httpGet;
    const target = host ?? opts.podIP ?? "127.0.0.1";
    if (opts.netns) return inNetnsProbe({ http: probeUrl(target, port, path) }, timeoutMs, opts.netns, opts.busybox);
    return httpProbe(target, port, path, timeoutMs);
  }
  const target = action.tcpSocket.host ?? opts.podIP ?? "127.0.0.1";
  if (opts.netns) return inNetnsProbe({ tcp: { host: target, port: action.tcpSocket.port } }, timeoutMs, opts.netns, opts.busybox);
  return tcpProbe(target, action.tcpSocket.port, timeoutMs);
}

/** Runs a command to its end or timeout, keeping the start of its output. */
async function runCollecting(argv: string[], timeoutMs: number, container: ExecContext): Promise<{ result: ExecResult; output: string }> {
  let output = "";
  const collect = (chunk: Buffer) => {
    if (output.length < MAX_MESSAGE) output = (output + chunk.toString("utf8")).slice(0, MAX_MESSAGE);
  };
  const result = await execInContainer({ argv, container, onStdout: collect, onStderr: collect, timeoutMs });
  return { result, output: output.trim() };
}

/** exec: success is exit code 0 within the timeout. */
export async function execProbe(command: string[], timeoutMs: number, container?: ExecContext): Promise<ProbeResult> {
  const { result, output } = await runCollecting(command, timeoutMs, container ?? { env: {}, procsFiles: [] });
  if (result.error) return { ok: false, message: result.error };
  if (result.timedOut) return { ok: false, message: `command timed out after ${timeoutMs / 1000}s` };
  if (result.exitCode === 0) return { ok: true, message: output };
  return { ok: false, message: `command exited with ${result.exitCode}${output ? `: ${output}` : ""}` };
}

/**
 * httpGet or tcpSocket from inside a pod's network namespace: busybox wget (an HTTP error status
 * fails it; it follows redirects, where the kubelet counts 3xx as success) or nc, whose connection
 * ends at once because its stdin is empty. busybox wget has no working timeout flag, so the exec
 * timeout is the probe's timeout.
 */
async function inNetnsProbe(
  target: { http: string } | { tcp: { host: string; port: number } },
  timeoutMs: number,
  netns: string,
  busybox: string | undefined,
): Promise<ProbeResult> {
  const what = "http" in target ? `Get "${target.http}"` : `dial tcp ${target.tcp.host}:${target.tcp.port}`;
  if (!busybox) return { ok: false, message: `${what}: no busybox on this node to probe from inside the pod's network namespace` };
  const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  const argv =
    "http" in target
      ? [busybox, "wget", "-q", "-U", "kube-probe/kube9", "-O", "/dev/null", target.http]
      : [busybox, "nc", "-w", seconds, target.tcp.host, String(target.tcp.port)];
  const { result, output } = await runCollecting(argv, timeoutMs, { env: {}, procsFiles: [], netns });
  if (result.timedOut) return { ok: false, message: `${what}: ${"http" in target ? "timeout" : "i/o timeout"} after ${timeoutMs / 1000}s` };
  if (result.exitCode === 0) return { ok: true, message: "http" in target ? "HTTP 2xx/3xx" : `connected to ${target.tcp.host}:${target.tcp.port}` };
  const reason = (result.error ?? output.replace(/^(wget|nc): /, "")) || `exit code ${result.exitCode}`;
  return { ok: false, message: `${what}: ${reason}` };
}

/** The URL an httpGet probe requests. */
function probeUrl(host: string, port: number, path: string): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}${path.startsWith("/") ? path : `/${path}`}`;
}

/** httpGet: success is a 200-399 status within the timeout (redirects are not followed, 3xx already counts). */
export function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  const url = probeUrl(host, port, path);
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", agent: false, headers: { "user-agent": "kube-probe/kube9", accept: "*/*" } });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ ok: false, message: `Get "${url}": timeout after ${timeoutMs / 1000}s` });
    }, timeoutMs);
    req.once("response", (res) => {
      clearTimeout(timer);
      // The body is not needed; drop it so the socket closes.
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 400) resolve({ ok: true, message: `HTTP ${status}` });
      else resolve({ ok: false, message: `HTTP probe failed with statuscode: ${status}` });
      res.once("end", () => req.destroy());
    });
    req.once("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `Get "${url}": ${err.message}` });
    });
    req.end();
  });
}

/** tcpSocket: success is an established connection within the timeout. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }), timeoutMs);
    socket.once("connect", () => done({ ok: true, message: `connected to ${host}:${port}` }));
    socket.once("error", (err) => done({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}
