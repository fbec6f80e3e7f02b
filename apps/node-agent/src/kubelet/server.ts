import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { execInContainer } from "../containers/exec.js";
import { probeConnections, type ConnectTarget } from "../network/connect-probe.js";
import { findIp } from "../network/ip-command.js";
import type { ContainerAccess } from "./container-runner.js";

// The kubelet's own HTTP server, which the API proxies `logs` and `exec` to, asks for a heartbeat
// (`sync`) and has connections tried from inside a pod (`probe`). It listens on loopback only, with a
// random port and bearer token handed to the API at registration; anything without the token learns
// nothing (401 before any route is matched).

/** A container the server can reach, with its pod's name for messages. */
export interface ContainerTarget {
  podName: string;
  container: ContainerAccess;
}

/** What `POST /probe` needs of the kubelet. */
export interface ProbeAccess {
  /** Why pods here have no network namespaces to probe from, or undefined when they have. */
  unavailable(): string | undefined;
  /** The pod's network namespace; undefined when the pod is not on this node or has none (yet). */
  netns(podId: string): string | undefined;
}

/** Options of {@link startKubeletServer}. */
export interface KubeletServerOptions {
  lookup: (podId: string, container: string) => ContainerTarget | undefined;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** An exec is killed after this long (default 30 s). */
  execTimeoutMs?: number;
  /** Cap of an exec's stdout and of its stderr (default 1 MiB each). */
  maxExecOutputBytes?: number;
  /** `POST /sync`: the API has news for this node (a pod bound or deleted); heartbeat now instead of at the next interval. */
  onSync?: () => void;
  /** `POST /probe`: connections from inside a pod's network namespace (absent: the node has no pod network). */
  probes?: ProbeAccess;
}

/** A listening kubelet server. */
export interface KubeletServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

const ROUTE = /^\/pods\/([^/]+)\/containers\/([^/]+)\/(logs|exec)$/;
const MAX_BODY_BYTES = 64 * 1024;
/** 1000 IPv6 targets in JSON. */
const MAX_PROBE_BODY_BYTES = 128 * 1024;
const MAX_PROBE_TARGETS = 1000;
const PROBE_TIMEOUT_RANGE_MS = [50, 10_000] as const;
const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Compares through hashes so neither the length nor a prefix of the token leaks through timing. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(.+)$/i.exec(header ?? "")?.[1] ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

function flag(value: string | null): boolean {
  return value === "1" || value === "true";
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(text.endsWith("\n") || text === "" ? text : `${text}\n`);
}

/** Starts the server on 127.0.0.1 at a random port. */
export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const token = opts.token ?? randomBytes(32).toString("hex");
  const server = createServer((req, res) => {
    handle(req, res, token, opts).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (!res.headersSent) sendText(res, status, err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Followed logs would otherwise hold the server open until their containers end.
      server.closeAllConnections();
      return closed;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, token: string, opts: KubeletServerOptions): Promise<void> {
  if (!tokenMatches(req.headers.authorization, token)) throw new HttpError(401, "unauthorized");
  const url = new URL(req.url ?? "/", "http://kubelet");
  if (url.pathname === "/sync") {
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      throw new HttpError(405, "use POST");
    }
    opts.onSync?.();
    res.writeHead(204).end();
    return;
  }
  if (url.pathname === "/probe") {
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      throw new HttpError(405, "use POST");
    }
    return serveProbe(req, res, opts.probes);
  }
  const match = ROUTE.exec(url.pathname);
  if (!match) throw new HttpError(404, "not found");
  const [, podId, name, action] = match.map((m) => decodeURIComponent(m)) as [string, string, string, "logs" | "exec"];
  const method = action === "logs" ? "GET" : "POST";
  if (req.method !== method) {
    res.setHeader("allow", method);
    throw new HttpError(405, `use ${method}`);
  }
  const target = opts.lookup(podId, name);
  if (!target) throw new HttpError(404, `container "${name}" of pod ${podId} not found on this node`);
  if (action === "logs") return serveLogs(res, url.searchParams, target, name);
  return serveExec(req, res, target, name, opts);
}

async function serveLogs(res: ServerResponse, query: URLSearchParams, target: ContainerTarget, name: string): Promise<void> {
  const tailText = query.get("tail");
  if (tailText !== null && !/^\d+$/.test(tailText)) throw new HttpError(400, `tail must be a whole number, got "${tailText}"`);
  const read = { ...(tailText !== null ? { tail: Number(tailText) } : {}), timestamps: flag(query.get("timestamps")) };
  const { container, podName } = target;
  if (flag(query.get("previous"))) {
    if (!container.hasPrevious || !container.log) throw new HttpError(400, `previous terminated container "${name}" in pod "${podName}" not found`);
    return sendText(res, 200, container.log.read({ ...read, previous: true }).map((l) => `${l}\n`).join(""));
  }
  const log = container.log;
  if (!log) throw new HttpError(400, `container "${name}" in pod "${podName}" is waiting to start: ${container.waitingReason ?? "ContainerCreating"}`);
  if (!flag(query.get("follow"))) return sendText(res, 200, log.read(read).map((l) => `${l}\n`).join(""));
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" });
  // Headers now, so a client sees the stream open even before the first line.
  res.flushHeaders();
  const ac = new AbortController();
  const abort = () => ac.abort();
  // The response's close (not the request's, which fires once its empty body is read) means the client left.
  res.once("close", abort);
  for await (const line of log.follow({ ...read, signal: ac.signal })) {
    if (!res.write(`${line}\n`)) {
      await new Promise<void>((resolve) => {
        res.once("drain", resolve);
        ac.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    if (ac.signal.aborted) break;
  }
  res.off("close", abort);
  res.end();
}

/** Reads a JSON body of at most `max` bytes. */
async function readJson(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new HttpError(413, `body larger than ${max} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "body must be JSON");
  }
}

/** Keeps the first `max` bytes of a stream. */
function boundedSink(max: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add(chunk: Buffer) {
      if (size >= max) return;
      const piece = chunk.subarray(0, max - size);
      chunks.push(piece);
      size += piece.length;
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}

async function serveExec(req: IncomingMessage, res: ServerResponse, target: ContainerTarget, name: string, opts: KubeletServerOptions): Promise<void> {
  const body = (await readJson(req)) as { command?: unknown };
  const command = body?.command;
  if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === "string")) {
    throw new HttpError(400, "command must be a non-empty array of strings");
  }
  const ctx = target.container.execContext;
  if (!ctx) throw new HttpError(409, `container "${name}" in pod "${target.podName}" is not running`);
  const max = opts.maxExecOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const stdout = boundedSink(max);
  const stderr = boundedSink(max);
  const timeoutMs = opts.execTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const ac = new AbortController();
  // A client that hangs up does not want the command to keep running.
  const onClose = () => ac.abort();
  res.once("close", onClose);
  const result = await execInContainer({
    argv: target.container.execArgv(command as string[]),
    container: ctx,
    onStdout: (c) => stdout.add(c),
    onStderr: (c) => stderr.add(c),
    timeoutMs,
    signal: ac.signal,
  });
  res.off("close", onClose);
  // As a shell would: the reason a command did not run or was cut off goes to stderr.
  let err = stderr.text();
  if (result.error) err += `${result.error}\n`;
  if (result.timedOut) err += `command timed out after ${timeoutMs / 1000}s\n`;
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ exitCode: result.exitCode, stdout: stdout.text(), stderr: err }));
}

/** A checked `POST /probe` body. */
interface ProbeRequest {
  podId: string;
  targets: ConnectTarget[];
  timeoutMs: number;
}

function probeTarget(value: unknown, i: number): ConnectTarget {
  const t = (value ?? {}) as { ip?: unknown; port?: unknown; protocol?: unknown };
  const where = `targets[${i}]`;
  if (typeof t.ip !== "string" || isIP(t.ip) === 0) throw new HttpError(400, `${where}.ip must be an IPv4 or IPv6 address, got ${JSON.stringify(t.ip)}`);
  if (!Number.isInteger(t.port) || (t.port as number) < 1 || (t.port as number) > 65535) throw new HttpError(400, `${where}.port must be a whole number from 1 to 65535`);
  if (t.protocol !== "TCP") throw new HttpError(400, `${where}.protocol must be "TCP" (the only protocol probed)`);
  return { ip: t.ip, port: t.port as number, protocol: "TCP" };
}

/** Checks a probe request; a 400 names the first problem. */
function parseProbeRequest(body: unknown): ProbeRequest {
  const b = (body ?? {}) as { podId?: unknown; targets?: unknown; timeoutMs?: unknown };
  if (typeof b.podId !== "string" || b.podId === "") throw new HttpError(400, "podId must be a pod id");
  if (!Array.isArray(b.targets)) throw new HttpError(400, "targets must be an array of { ip, port, protocol }");
  if (b.targets.length > MAX_PROBE_TARGETS) throw new HttpError(400, `at most ${MAX_PROBE_TARGETS} targets per probe, got ${b.targets.length}`);
  const [min, max] = PROBE_TIMEOUT_RANGE_MS;
  if (!Number.isInteger(b.timeoutMs) || (b.timeoutMs as number) < min || (b.timeoutMs as number) > max) {
    throw new HttpError(400, `timeoutMs must be a whole number from ${min} to ${max}`);
  }
  return { podId: b.podId, targets: b.targets.map(probeTarget), timeoutMs: b.timeoutMs as number };
}

/** Real TCP connections from inside the pod's namespace, so that its egress policies apply, in target order. */
async function serveProbe(req: IncomingMessage, res: ServerResponse, probes: ProbeAccess | undefined): Promise<void> {
  const request = parseProbeRequest(await readJson(req, MAX_PROBE_BODY_BYTES));
  const unavailable = probes ? probes.unavailable() : "this node has no pod network";
  if (unavailable !== undefined) throw new HttpError(409, `cannot probe from pods on this node: ${unavailable}`);
  const netns = probes!.netns(request.podId);
  if (!netns) throw new HttpError(404, `pod ${request.podId} has no network namespace on this node`);
  const ip = findIp();
  if (!ip) throw new HttpError(409, "cannot probe from pods on this node: no `ip` command (iproute2)");
  const results = await probeConnections({ ip, netns, targets: request.targets, timeoutMs: request.timeoutMs });
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ results }));
}
