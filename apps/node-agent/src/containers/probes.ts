import { request } from "node:http";
import { connect } from "node:net";
import { execInContainer } from "./exec.js";
import type { ExecContext } from "./process-container.js";

// One probe attempt with its timeout. Thresholds, periods and what a failure means belong to
// the kubelet rules in core; this only answers "did this attempt succeed, and why not".
// HTTP and TCP probes come from the node, as the kubelet's do, to the pod IP (or loopback).

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
    return httpProbe(host ?? opts.podIP ?? "127.0.0.1", port, path, timeoutMs);
  }
  return tcpProbe(action.tcpSocket.host ?? opts.podIP ?? "127.0.0.1", action.tcpSocket.port, timeoutMs);
}

/** exec: success is exit code 0 within the timeout. */
export async function execProbe(command: string[], timeoutMs: number, container?: ExecContext): Promise<ProbeResult> {
  let output = "";
  const collect = (chunk: Buffer) => {
    if (output.length < MAX_MESSAGE) output = (output + chunk.toString("utf8")).slice(0, MAX_MESSAGE);
  };
  const result = await execInContainer({
    argv: command,
    container: container ?? { env: {}, procsFiles: [] },
    onStdout: collect,
    onStderr: collect,
    timeoutMs,
  });
  if (result.error) return { ok: false, message: result.error };
  if (result.timedOut) return { ok: false, message: `command timed out after ${timeoutMs / 1000}s` };
  if (result.exitCode === 0) return { ok: true, message: output.trim() };
  return { ok: false, message: `command exited with ${result.exitCode}${output.trim() ? `: ${output.trim()}` : ""}` };
}

/** httpGet: success is a 200-399 status within the timeout (redirects are not followed, 3xx already counts). */
export function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}${path.startsWith("/") ? path : `/${path}`}`;
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
