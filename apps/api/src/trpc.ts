import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { ZodError } from "zod";
import type { Caller } from "./auth.js";
import type { ControlPlane } from "./control-plane.js";
import { DomainError, ERROR_CODE_OF, type DomainErrorKind } from "./errors.js";

export type { Caller } from "./auth.js";

export interface Context {
  cp: ControlPlane;
  caller: Caller;
}

/** Builds the request context from the bearer token. */
export async function createContext(cp: ControlPlane, authorization: string | undefined): Promise<Context> {
  const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return { cp, caller: await cp.auth.identify(token) };
}

/** The one place where domain errors become API errors. */
const CODE_OF: Record<DomainErrorKind, TRPC_ERROR_CODE_KEY> = ERROR_CODE_OF;

/** The code and message a caller gets for an error a procedure threw (one item of a batch answers the same). */
export function errorAnswer(err: unknown): { code: TRPC_ERROR_CODE_KEY; message: string } {
  if (err instanceof DomainError) return { code: CODE_OF[err.kind], message: err.message };
  return { code: "INTERNAL_SERVER_ERROR", message: INTERNAL_MESSAGE };
}

const INTERNAL_MESSAGE = "internal error in the Kube-9 API (details are in its log)";

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** One line per bad field: which field, what is allowed, what was given. */
export function describeZodError(error: ZodError, input: unknown): { message: string; issues: Array<{ field: string; message: string }> } {
  const seen = new Set<string>();
  const issues: Array<{ field: string; message: string }> = [];
  for (const i of error.issues) {
    // items[3].cpu, as a reader would write the path into the request.
    const field = i.path.map((k, n) => (typeof k === "number" ? `[${k}]` : n === 0 ? String(k) : `.${String(k)}`)).join("") || "input";
    if (seen.has(field)) continue;
    seen.add(field);
    const got = valueAt(input, i.path);
    const shown = got === undefined ? "" : ` (got ${JSON.stringify(got)})`;
    issues.push({ field, message: `${field}: ${i.message}${shown}` });
  }
  return { message: issues.map((i) => i.message).join("; "), issues };
}

const t = initTRPC.context<Context>().create({
  // Stacks never reach users; the API log has them.
  isDev: false,
  // Watches: a ping every 10 s keeps proxies from closing idle streams; clients reconnect after 30 s of silence.
  sse: { ping: { enabled: true, intervalMs: 10_000 }, client: { reconnectAfterInactivityMs: 30_000 } },
  errorFormatter({ shape, error, input }) {
    if (error.cause instanceof ZodError) {
      const { issues } = describeZodError(error.cause, input);
      return { ...shape, data: { ...shape.data, field: issues[0]?.field ?? null, issues } };
    }
    if (error.code === "INTERNAL_SERVER_ERROR") {
      return { ...shape, message: INTERNAL_MESSAGE };
    }
    return shape;
  },
});

// Validation and domain errors get their code and readable message here, so in-process callers see them as HTTP clients do.
const base = t.procedure.use(async ({ ctx, next, getRawInput }) => {
  // The HTTP server listens before the control plane has loaded its state (agents need the URL).
  if (!ctx.cp.ready) {
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the Kube-9 API is starting; try again in a moment" });
  }
  const result = await next();
  if (!result.ok && result.error.cause instanceof ZodError) {
    const raw = await getRawInput().catch(() => undefined);
    const { message } = describeZodError(result.error.cause, raw);
    return { ...result, error: new TRPCError({ code: "BAD_REQUEST", message, cause: result.error.cause }) };
  }
  const cause = result.ok ? undefined : result.error.cause;
  if (!result.ok && cause instanceof DomainError) {
    return { ...result, error: new TRPCError({ ...errorAnswer(cause), cause }) };
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Open to anyone (the health check). */
export const publicProcedure = base;

/** People and the CLI: the admin token. */
export const adminProcedure = base.use(({ ctx, next }) => {
  if (ctx.caller.kind === "admin") return next({ ctx });
  if (ctx.caller.kind === "node") {
    throw new TRPCError({ code: "FORBIDDEN", message: "a node credential cannot call admin procedures" });
  }
  if (ctx.caller.kind === "bootstrap") {
    throw new TRPCError({ code: "FORBIDDEN", message: "a bootstrap token can only join a node (kube9 agent join)" });
  }
  throw new TRPCError({
    code: "UNAUTHORIZED",
    message: ctx.caller.why === "missing" ? "missing token: pass the admin token as a Bearer token" : "invalid token",
  });
});

/**
 * Node agents: the node's own credential, valid only for that node. The caller is checked before the
 * input is read, so nobody without a credential makes the API parse a body; the node id handlers use
 * is the authenticated one (an id in the input must match it).
 */
export const agentProcedure = base.use(async ({ ctx, next, getRawInput }) => {
  if (ctx.caller.kind === "admin") {
    throw new TRPCError({ code: "FORBIDDEN", message: "agent procedures need a node credential, not the admin token" });
  }
  if (ctx.caller.kind !== "node") {
    throw new TRPCError({ code: "UNAUTHORIZED", message: `${ctx.caller.kind === "anonymous" ? ctx.caller.why : "not a"} node credential` });
  }
  const raw = (await getRawInput()) as { nodeId?: unknown } | undefined;
  if (raw?.nodeId !== undefined && raw.nodeId !== ctx.caller.nodeId) {
    throw new TRPCError({ code: "FORBIDDEN", message: "this node credential belongs to another node" });
  }
  return next({ ctx: { ...ctx, nodeId: ctx.caller.nodeId } });
});

/**
 * Fleets of agents (one process speaking for many nodes): the caller must hold some node's credential
 * before its body is read, and each node's part of the input carries that node's own credential,
 * which the handler verifies; the caller's credential grants nothing for the other nodes.
 */
export const fleetProcedure = base.use(({ ctx, next }) => {
  if (ctx.caller.kind === "admin") {
    throw new TRPCError({ code: "FORBIDDEN", message: "agent procedures need a node credential, not the admin token" });
  }
  if (ctx.caller.kind !== "node") {
    throw new TRPCError({ code: "UNAUTHORIZED", message: `${ctx.caller.kind === "anonymous" ? ctx.caller.why : "not a"} node credential` });
  }
  return next({ ctx });
});
