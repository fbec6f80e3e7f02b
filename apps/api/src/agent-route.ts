import type { IncomingMessage, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { getErrorShape } from "@trpc/server/unstable-core-do-not-import";
import type { ControlPlane } from "./control-plane.js";
import type { Logger } from "./logger.js";
import { appRouter } from "./router/_app.js";
import { createCallerFactory, createContext, errorAnswer, type Context } from "./trpc.js";

// The agent procedures on plain node:http, ahead of Express and tRPC's HTTP adapter. Every node calls
// them each second, and the adapter's request pipeline (Express routing, the fetch-style Request it
// builds, its response resolution) cost an agent's heartbeat more API CPU than the heartbeat itself.
// The wire format is tRPC's (POST /trpc/agent.<name>, the input as the JSON body, {result:{data}} or
// {error:<shape>} back), the procedures run through the same router (middlewares, zod schemas, error
// formatter), and the caller's credential is checked before a byte of the body is read. See
// docs/architecture.md, "Requests and authentication".

/** The procedures served here: agent mutations an agent or a fleet calls one at a time. */
const ROUTED = new Set(["register", "registerBatch", "heartbeat", "heartbeatBatch", "leave"]);

const callerOf = createCallerFactory(appRouter);
type AgentCaller = ReturnType<typeof callerOf>["agent"];

/** A request handler for agent calls; answers false (untouched) for every other request. */
export function createAgentRoute(opts: { cp: ControlPlane; maxBodyBytes: number; log: Logger }): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== "POST" || !req.url?.startsWith("/trpc/agent.")) return false;
    // tRPC's batch form (?batch=1) and anything else with a query goes the general way.
    const name = req.url.slice("/trpc/agent.".length);
    if (!ROUTED.has(name)) return false;
    void serve(req, res, `agent.${name}`, name as keyof AgentCaller, opts);
    return true;
  };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  name: keyof AgentCaller,
  opts: { cp: ControlPlane; maxBodyBytes: number; log: Logger },
): Promise<void> {
  let ctx: Context | undefined;
  let input: unknown;
  try {
    ctx = await createContext(opts.cp, req.headers.authorization);
    if (ctx.caller.kind !== "node") {
      // Refused before the body is read: nobody without a node credential makes the API buffer or parse anything.
      throw new TRPCError(
        ctx.caller.kind === "admin"
          ? { code: "FORBIDDEN", message: "agent procedures need a node credential, not the admin token" }
          : ctx.caller.kind === "bootstrap"
            ? { code: "FORBIDDEN", message: "a bootstrap token can only join a node (kube9 agent join)" }
            : { code: "UNAUTHORIZED", message: `${ctx.caller.why} node credential` },
      );
    }
    input = await readJson(req, opts.maxBodyBytes);
    const procedure = callerOf(ctx).agent[name] as ((input: unknown) => Promise<unknown>) | undefined;
    if (!procedure) throw new TRPCError({ code: "NOT_FOUND", message: `no procedure ${path}` });
    const data = await procedure(input);
    send(res, 200, JSON.stringify({ result: { data } }));
  } catch (cause) {
    // Outside the procedure (checking the caller), a database outage is still a 503, not an internal error.
    const error = cause instanceof TRPCError ? cause : new TRPCError({ ...errorAnswer(cause), cause });
    if (error.code === "INTERNAL_SERVER_ERROR") {
      opts.log.error(`procedure ${path} failed`, { err: String(error.cause ?? error), stack: error.cause?.stack });
    }
    const shape = getErrorShape({ config: appRouter._def._config, error, type: "mutation", path, input, ctx });
    // A body that was not read (refused caller, too large) leaves the connection unusable: close it.
    if (!req.complete) res.setHeader("connection", "close");
    send(res, getHTTPStatusCodeFromError(error), JSON.stringify({ error: shape }));
    if (!req.complete) res.once("finish", () => req.destroy());
  }
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** The request's JSON body, refused with 413 beyond `limit` bytes (announced or counted) and 400 when it is not JSON. */
function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = (size: number) =>
    new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: `request body of ${size} bytes is over the limit of ${limit} bytes` });
  const announced = Number(req.headers["content-length"] ?? 0);
  if (announced > limit) return Promise.reject(tooLarge(announced));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.pause();
        reject(tooLarge(size));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("error", reject);
    req.once("end", () => {
      const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
      if (text === "") return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new TRPCError({ code: "PARSE_ERROR", message: "the request body is not valid JSON" }));
      }
    });
  });
}
