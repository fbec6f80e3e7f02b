import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { execInContainer } from "../containers/exec.js";
import type { ContainerAccess } from "./container-runner.js";

// The kubelet's own HTTP server, which the API proxies `logs` and `exec` to. It listens on loopback
// only, with a random port and bearer token handed to the API at registration; anything without
// the token learns nothing (401 before any route is matched).

/** A container the server can reach, with its pod's name for messages. */
export interface ContainerTarget {
  podName: string;
  container: ContainerAccess;
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
}

/** A listening kubelet server. */
export interface KubeletServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

const ROUTE = /^\/pods\/([^/]+)\/containers\/([^/]+)\/(logs|exec)$/;
const MAX_BODY_BYTES = 64 * 1024;
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

/** Reads a JSON body of at most MAX_BODY_BYTES. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
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
