import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseConfigFile, type ControlPlaneRuntime, type Kube9ConfigFile, type RuntimeKind } from "@kube9/core";
import { openDatabase } from "@kube9/db";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express from "express";
import { createAgentRoute } from "./agent-route.js";
import { ControlPlane } from "./control-plane.js";
import { createLogger, type Logger, type LogLevel } from "./logger.js";
import { DOCS_HTML } from "./docs-page.js";
import { readHollowUsage } from "./env.js";
import { Metrics } from "./metrics.js";
import { buildOpenApiDocument } from "./openapi.js";
import { resolveWebDist } from "./web-dist.js";
import { hubFor } from "./watch-hub.js";
import { appRouter } from "./router/_app.js";
// Only the type: dockerode and its gRPC/SSH dependencies load (~0.5 s) when the docker runtime may be used.
import type { DockerRuntime } from "./runtime/docker-runtime.js";
import { HollowRuntime } from "./runtime/hollow-runtime.js";
import { ProcessRuntime, resolveAgentEntry } from "./runtime/process-runtime.js";
import type { NodeRuntime } from "./runtime/runtime.js";
import { chooseAdminToken } from "./admin-token.js";
import { policySupport } from "./runtime/policy-support.js";
import { createCallerFactory, createContext } from "./trpc.js";

export interface ControlPlaneStartOptions {
  port: number;
  host?: string;
  runtime?: ControlPlaneRuntime;
  /** KUBE9_HOME: data folder, config.json, agent logs. */
  home: string;
  /** PostgreSQL URL; the embedded database in home/data when absent. */
  databaseUrl?: string;
  /** Fixed admin token (else one is made on first start and kept in config.json). */
  adminToken?: string;
  logLevel?: LogLevel;
  log?: (line: string) => void;
  agentEntry?: string;
  /** /metrics and /openapi.json answer only callers with the admin token (KUBE9_PROTECT_METRICS=1). */
  protectMetrics?: boolean;
}

export interface RunningControlPlane {
  url: string;
  token: string;
  runtime: RuntimeKind;
  database: "postgres" | "pglite";
  configPath: string;
  controlPlane: ControlPlane;
  /** Whether nodes of the default runtime can enforce NetworkPolicies, and how (or why not). */
  networkPolicies: { enforced: boolean; detail: string };
  /** Stops the API; keepNodes leaves docker node containers running (adopted by the next start). */
  close(opts?: { keepNodes?: boolean }): Promise<void>;
}

/** The saved config.json, if it is there and readable; a broken one is replaced on start. */
function readConfig(path: string): Kube9ConfigFile {
  if (!existsSync(path)) return {};
  try {
    return parseConfigFile(readFileSync(path, "utf8"), path);
  } catch {
    return {};
  }
}

/** Starts the database, controllers and the HTTP API; writes the CLI's config.json. */
export async function startControlPlane(opts: ControlPlaneStartOptions): Promise<RunningControlPlane> {
  // No level given: KUBE9_LOG_LEVEL, else info.
  const log: Logger = createLogger({ level: opts.logLevel, write: opts.log });
  // Checked before anything starts: a malformed KUBE9_HOLLOW_USAGE fails at once, naming itself.
  const hollowUsage = readHollowUsage();
  makePrivateDir(opts.home);
  const configPath = join(opts.home, "config.json");
  const db = await openDatabase({ url: opts.databaseUrl, dataDir: join(opts.home, "data") });
  try {
    const cluster = await db.cluster.get();
    const token = await chooseAdminToken(db, { given: opts.adminToken, saved: readConfig(configPath).token, log });

    const runtimes: Partial<Record<RuntimeKind, NodeRuntime>> = {};
    const wanted = opts.runtime ?? "auto";
    // Docker is touched (pinged, its containers adopted, listed and removed at stop) only when the
    // docker runtime is asked for or auto may pick it: `--runtime process` leaves every container alone.
    let dockerRuntime: DockerRuntime | null = null;
    let dockerUp = false;
    if (wanted === "docker" || wanted === "auto") {
      const { connectDocker, dockerReachable, dockerUnreachableMessage, DockerRuntime } = await import("./runtime/docker-runtime.js");
      // auto = docker when the engine answers within about a second, else process.
      const docker = connectDocker();
      dockerUp = await dockerReachable(docker, 1000);
      if (wanted === "docker" && !dockerUp) {
        let cause: unknown;
        await docker.ping().catch((err: unknown) => (cause = err));
        throw new Error(dockerUnreachableMessage(cause, docker));
      }
      // Registered even when the engine is down, so `node add --runtime docker` explains what to do.
      dockerRuntime = new DockerRuntime({ docker, clusterId: cluster.id, log, logLevel: opts.logLevel });
      runtimes.docker = dockerRuntime;
    }
    runtimes.process = new ProcessRuntime({
      agentEntry: resolveAgentEntry(opts.agentEntry),
      logDir: join(opts.home, "logs"),
      logLevel: opts.logLevel,
    });
    const defaultRuntime: RuntimeKind = wanted === "docker" || (wanted === "auto" && dockerUp) ? "docker" : "process";

    let url = "";
    const createCaller = createCallerFactory(appRouter);
    // Hollow nodes call the same agent procedures as real agents, through an in-process caller.
    runtimes.hollow = new HollowRuntime(async (nodeToken) => createCaller(await createContext(cp, `Bearer ${nodeToken}`)).agent, hollowUsage);
    const metrics = new Metrics(async () => cp.queries.clusterStatus());
    const cp: ControlPlane = new ControlPlane({ db, runtimes, defaultRuntime, log, apiUrl: () => url, metrics });
    // Watch ids start counting now, so every change after start can be resumed from.
    hubFor(cp);

    const app = express();
    app.disable("x-powered-by");
    app.get("/healthz", (_req, res) => {
      res.json({ ok: true });
    });
    // Bodies are bounded before anything reads them; tRPC's own limit catches bodies without a length.
    app.use("/trpc", refuseLargeBodies);
    app.use(
      "/trpc",
      createExpressMiddleware({
        router: appRouter,
        maxBodySize: MAX_BODY_BYTES,
        createContext: ({ req }) => createContext(cp, req.headers.authorization),
        onError: ({ error, path }) => {
          if (error.code === "INTERNAL_SERVER_ERROR") {
            log.error(`procedure ${path ?? "?"} failed`, { err: String(error.cause ?? error), stack: error.cause?.stack });
          }
        },
      }),
    );
    // Metrics and the API description say what runs here; a cluster reachable by others may keep them to admins.
    const adminOnly = async (req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (!opts.protectMetrics) return next();
      const { caller } = await createContext(cp, req.headers.authorization);
      if (caller.kind === "admin") return next();
      res.status(401).type("text/plain").send(`${req.path} needs the admin token (KUBE9_PROTECT_METRICS is on): send "Authorization: Bearer <token>"\n`);
    };
    app.get("/metrics", adminOnly, async (_req, res) => {
      try {
        const text = (await metrics.render()) + cp.metricsText();
        res.type(metrics.contentType).send(text);
      } catch (err) {
        log.error("collecting metrics failed", { err: String(err) });
        res.status(500).type("text/plain").send("collecting metrics failed\n");
      }
    });
    app.get("/openapi.json", adminOnly, (req, res) => {
      res.json(buildOpenApiDocument(`${req.protocol}://${req.get("host") ?? "localhost"}`));
    });
    app.get("/docs", (_req, res) => {
      res.type("html").send(DOCS_HTML);
    });
    // The dashboard (apps/web/dist), found at run time: the API does not depend on the web package.
    const webDist = resolveWebDist();
    if (webDist) {
      app.use(express.static(webDist, { index: "index.html", maxAge: "1h", setHeaders: noCacheIndex }));
      app.get(/^\/(?!trpc\/|metrics$|openapi\.json$|docs$|healthz$).*/, (_req, res) => {
        res.setHeader("cache-control", "no-cache");
        res.sendFile(join(webDist, "index.html"));
      });
    } else {
      app.get("/", (_req, res) => {
        res
          .type("html")
          .send('<!doctype html><title>Kube-9</title><p>The dashboard is not built (run <code>npm run build</code>). API docs: <a href="/docs">/docs</a>.</p>');
      });
    }
    const host = opts.host ?? "127.0.0.1";
    // Agents' calls take the plain node:http route (agent-route.ts); everything else is Express.
    const agentRoute = createAgentRoute({ cp, maxBodyBytes: MAX_BODY_BYTES, log });
    const server = createServer((req, res) => {
      if (!agentRoute(req, res)) app(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const requests = trackRequests(server);
    const port = (server.address() as AddressInfo).port;
    url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    // Other API processes on this database see where this one serves (agents get every address).
    await db.advertise(url);
    if (dockerRuntime && dockerUp) {
      // Before the controllers start: adopted nodes must not be started a second time.
      try {
        await dockerRuntime.adopt(await db.nodes.list(), url);
      } catch (err) {
        log.error("adopting node containers failed", { err: String(err) });
      }
    }
    await cp.start();
    writePrivateFile(configPath, `${JSON.stringify({ server: url, token }, null, 2)}\n`);
    log.info(`Kube-9 API listening on ${url}`, { database: db.kind, runtime: defaultRuntime });

    let closing: Promise<void> | null = null;
    return {
      url,
      token,
      runtime: defaultRuntime,
      database: db.kind,
      configPath,
      controlPlane: cp,
      networkPolicies: policySupport(defaultRuntime),
      close: (closeOpts?: { keepNodes?: boolean }) => {
        if (dockerRuntime) dockerRuntime.keepNodes = closeOpts?.keepNodes === true;
        closing ??= (async () => {
          // Stop accepting, then let the requests in flight finish (a launch that committed gets its
          // answer) for a bounded grace, before the database closes; then cut what is left (watches).
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          const left = await requests.drain(SHUTDOWN_GRACE_MS);
          if (left > 0) log.warn(`${left} request(s) still running after ${SHUTDOWN_GRACE_MS / 1000} s; closing their connections`);
          // Close HTTP before the controllers so stopping agents cannot trigger rescheduling on the way out.
          server.closeAllConnections();
          await closed;
          await cp.stop();
          await db.close();
          log.info("Kube-9 API stopped");
        })();
        return closing;
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** How long a stopping API waits for requests in flight before closing their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** A streaming answer (a watch) never ends by itself: shutdown does not wait for it. */
function isStream(req: IncomingMessage, res: ServerResponse): boolean {
  return String(req.headers.accept ?? "").includes("text/event-stream") || String(res.getHeader("content-type") ?? "").startsWith("text/event-stream");
}

/**
 * Counts the requests in flight, so a stop can wait for them. Once draining, every answer closes its
 * connection, so kept-alive clients (agents) open no new requests on this server.
 */
function trackRequests(server: Server): { drain(graceMs: number): Promise<number> } {
  const inFlight = new Map<ServerResponse, IncomingMessage>();
  let draining = false;
  let wake: (() => void) | null = null;
  const busy = () => [...inFlight].filter(([res, req]) => !isStream(req, res)).length;
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    inFlight.set(res, req);
    if (draining && !res.headersSent) res.setHeader("connection", "close");
    res.once("close", () => {
      inFlight.delete(res);
      if (wake && busy() === 0) wake();
    });
  });
  return {
    async drain(graceMs: number): Promise<number> {
      draining = true;
      for (const res of inFlight.keys()) if (!res.headersSent) res.setHeader("connection", "close");
      if (busy() === 0) return 0;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      return busy();
    },
  };
}

/** KUBE9_HOME holds the admin token and the database: only its owner may enter it, however it was made before. */
function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Writes a file only its owner can read, replacing any older one whole (a mode given to writeFile applies only to new files). */
function writePrivateFile(path: string, text: string): void {
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, text, { mode: 0o600 });
  chmodSync(aside, 0o600);
  renameSync(aside, path);
}

/** The largest request body the API reads (1 MiB): every procedure's input fits in a fraction of it. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Answers 413 to a request that announces a body over the limit, and closes its connection instead of reading it. */
function refuseLargeBodies(req: express.Request, res: express.Response, next: express.NextFunction): void {
  const length = Number(req.headers["content-length"] ?? 0);
  if (!(length > MAX_BODY_BYTES)) return next();
  res.set("connection", "close");
  res.status(413).json({
    error: { message: `request body of ${length} bytes is over the limit of ${MAX_BODY_BYTES} bytes`, code: -32600, data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413 } },
  });
  res.on("finish", () => req.destroy());
}

/** index.html must be revalidated so a rebuilt dashboard is picked up; hashed assets may be cached. */
function noCacheIndex(res: ServerResponse, path: string): void {
  if (path.endsWith(".html")) res.setHeader("cache-control", "no-cache");
}
