import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { ControlPlane } from "./control-plane.js";

/** Who is calling: a person with the admin token, a node agent with its own credential, or nobody. */
export type Caller =
  | { kind: "admin" }
  | { kind: "node"; nodeId: string }
  | { kind: "anonymous"; why: "missing" | "invalid" };

export interface Context {
  cp: ControlPlane;
  caller: Caller;
}

/** Builds the request context from the bearer token. */
export async function createContext(cp: ControlPlane, authorization: string | undefined): Promise<Context> {
  const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return { cp, caller: await cp.identify(token) };
}

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
    const field = i.path.map(String).join(".") || "input";
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
      return { ...shape, message: "internal error in the Kube-9 API (details are in its log)" };
    }
    return shape;
  },
});

// Validation errors get their readable message here, so in-process callers see it as HTTP clients do.
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
  throw new TRPCError({
    code: "UNAUTHORIZED",
    message: ctx.caller.why === "missing" ? "missing token: pass the admin token as a Bearer token" : "invalid token",
  });
});

/** Node agents: the node's own credential, valid only for that node's id. */
export const agentProcedure = base.use(async ({ ctx, next, getRawInput }) => {
  const raw = (await getRawInput()) as { nodeId?: unknown } | undefined;
  const nodeId = typeof raw?.nodeId === "string" ? raw.nodeId : undefined;
  if (ctx.caller.kind === "node") {
    if (nodeId !== undefined && nodeId !== ctx.caller.nodeId) {
      throw new TRPCError({ code: "FORBIDDEN", message: "this node credential belongs to another node" });
    }
    return next({ ctx: { ...ctx, nodeId: ctx.caller.nodeId } });
  }
  if (ctx.caller.kind === "admin") {
    throw new TRPCError({ code: "FORBIDDEN", message: "agent procedures need a node credential, not the admin token" });
  }
  throw new TRPCError({ code: "UNAUTHORIZED", message: `${ctx.caller.why} node credential` });
});
