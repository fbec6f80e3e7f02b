import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { ZodError, ZodRealError } from "zod";
import type { Caller } from "./auth.js";
import type { ControlPlane } from "./control-plane.js";
import { asDomainError, ERROR_CODE_OF, type DomainErrorKind } from "./errors.js";
import { inputShapeProblem } from "./router/schemas.js";

export type { Caller } from "./auth.js";

export interface Context {
  cp: ControlPlane;
  caller: Caller;
}

/** Builds the request context from the bearer token. */
export async function createContext(cp: ControlPlane, authorization: string | undefined): Promise<Context> {
  // Before the cache is loaded no caller can be told apart (the admin token's hash is in it): 503, not a 500.
  if (!cp.ready) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: STARTING_MESSAGE });
  const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return { cp, caller: await cp.auth.identify(token) };
}

const STARTING_MESSAGE = "the Kube-9 API is starting; try again in a moment";

/** The one place where domain errors become API errors. */
const CODE_OF: Record<DomainErrorKind, TRPC_ERROR_CODE_KEY> = ERROR_CODE_OF;

/** The code and message a caller gets for an error a procedure threw (one item of a batch answers the same). */
export function errorAnswer(err: unknown): { code: TRPC_ERROR_CODE_KEY; message: string } {
  const domain = asDomainError(err);
  if (domain) return { code: CODE_OF[domain.kind], message: bounded(domain.message, MAX_MESSAGE) };
  return { code: "INTERNAL_SERVER_ERROR", message: INTERNAL_MESSAGE };
}

const INTERNAL_MESSAGE = "internal error in the Kube-9 API (details are in its log)";

/** Longest error message the API sends: enough for every field's line, never a copy of a large input. */
const MAX_MESSAGE = 4000;
/** Longest quotation of a given value (or field name) in an error. */
const MAX_QUOTE = 100;
/** Fields named one by one in an error; the rest are counted. */
const MAX_ISSUES = 10;

/** `text` cut to `max` characters, with an ellipsis when it was longer. */
function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A short JSON-like rendering of a value for an error: at most MAX_QUOTE characters and 3 levels, whatever its size. */
function quote(v: unknown): string {
  if (typeof v === "string") return v.length > MAX_QUOTE ? `${JSON.stringify(`${v.slice(0, MAX_QUOTE)}…`)} (${v.length} characters)` : JSON.stringify(v);
  return bounded(sketch(v, MAX_QUOTE, 0), MAX_QUOTE);
}

/** Renders `v` in about `room` characters: stops early on wide values, elides deep ones (never recurses far). */
function sketch(v: unknown, room: number, depth: number): string {
  if (typeof v === "string") return JSON.stringify(v.length > room ? v.slice(0, room) : v);
  if (v === null || typeof v !== "object") return String(JSON.stringify(v) ?? v);
  const open = Array.isArray(v) ? "[" : "{";
  const close = Array.isArray(v) ? "]" : "}";
  if (depth >= 3) return `${open}…${close}`;
  const parts: string[] = [];
  let used = 2;
  const add = (part: () => string): boolean => {
    if (used > room) {
      parts.push("…");
      return false;
    }
    const p = part();
    parts.push(p);
    used += p.length + 1;
    return true;
  };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && add(() => sketch(v[i], room - used, depth + 1)); i++);
  } else {
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (!add(() => `${JSON.stringify(bounded(k, room))}:${sketch((v as Record<string, unknown>)[k], room - used, depth + 1)}`)) break;
    }
  }
  return `${open}${parts.join(",")}${close}`;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** items[3].cpu, as a reader would write the path into the request (keys quoted at most MAX_QUOTE long). */
function fieldOf(path: PropertyKey[]): string {
  return path.map((k, n) => (typeof k === "number" ? `[${k}]` : `${n === 0 ? "" : "."}${bounded(String(k), MAX_QUOTE)}`)).join("");
}

/**
 * One line per bad field: which field, what is allowed, what was given. Bounded whatever the input: values are
 * quoted short, unknown keys are named (not their values), and past MAX_ISSUES fields the rest are counted.
 */
export function describeZodError(error: ZodError, input: unknown): { message: string; issues: Array<{ field: string; message: string }> } {
  const seen = new Set<string>();
  const issues: Array<{ field: string; message: string }> = [];
  let more = 0;
  const add = (field: string, message: string): void => {
    if (seen.has(field)) return;
    seen.add(field);
    if (issues.length >= MAX_ISSUES) more++;
    else issues.push({ field, message: `${field}: ${message}` });
  };
  for (const i of error.issues) {
    if (i.code === "unrecognized_keys") {
      for (const k of i.keys) add(fieldOf([...i.path, k]), i.message);
      continue;
    }
    if (i.code === "invalid_key") {
      // A record's key: the key is the field, so say what is wrong with it rather than zod's "Invalid key in record".
      add(fieldOf(i.path), `field names: ${i.issues.map((k) => k.message).join(", ")}`);
      continue;
    }
    const got = valueAt(input, i.path);
    add(fieldOf(i.path) || "input", `${i.message}${got === undefined ? "" : ` (got ${quote(got)})`}`);
  }
  const text = issues.map((i) => i.message).join("; ") + (more > 0 ? `; and ${more} more` : "");
  return { message: bounded(text, MAX_MESSAGE), issues };
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
    // Whatever threw it (tRPC's own parse errors included), no message carries a large input back.
    return { ...shape, message: bounded(shape.message, MAX_MESSAGE) };
  },
});

// Validation and domain errors get their code and readable message here, so in-process callers see them as HTTP clients do.
const base = t.procedure.use(async ({ ctx, next, getRawInput }) => {
  // The HTTP server listens before the control plane has loaded its state (agents need the URL).
  if (!ctx.cp.ready) {
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: STARTING_MESSAGE });
  }
  const result = await next();
  if (!result.ok && result.error.cause instanceof ZodError) {
    const raw = await getRawInput().catch(() => undefined);
    const { message } = describeZodError(result.error.cause, raw);
    return { ...result, error: new TRPCError({ code: "BAD_REQUEST", message, cause: result.error.cause }) };
  }
  const cause = result.ok ? undefined : result.error.cause;
  if (!result.ok && asDomainError(cause)) {
    return { ...result, error: new TRPCError({ ...errorAnswer(cause), cause }) };
  }
  return result;
});

/** Refuses input no procedure takes (nested too deep, strings PostgreSQL cannot store) before any schema or handler reads it. */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  const problem = inputShapeProblem(await getRawInput());
  if (problem) {
    // A ZodError, so it is worded and fielded like every other bad input.
    throw new TRPCError({ code: "BAD_REQUEST", message: problem.message, cause: new ZodRealError([{ code: "custom", path: problem.path, message: problem.message, input: undefined }]) });
  }
  return next();
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
}).use(storableInput);

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
}).use(storableInput);

/**
 * A bootstrap token's holder: checked before the input is read, as agent procedures are. An
 * expired token is told so (with what to do), not just "invalid".
 */
export const bootstrapProcedure = base.use(({ ctx, next }) => {
  const caller = ctx.caller;
  if (caller.kind !== "bootstrap") {
    const message =
      caller.kind === "anonymous" && caller.why === "missing"
        ? "missing token: pass a bootstrap token (kube9 token create) as a Bearer token"
        : caller.kind === "anonymous"
          ? "invalid bootstrap token (it may have been deleted; kube9 token create makes a new one)"
          : "joining a node needs a bootstrap token (kube9 token create), not this credential";
    throw new TRPCError({ code: caller.kind === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN", message });
  }
  if (ctx.cp.bootstrapTokens.hasExpired(caller.expiresAt)) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: `bootstrap token ${caller.tokenId} expired at ${new Date(caller.expiresAt).toISOString()}; create a new one with kube9 token create --ttl 24h`,
    });
  }
  return next({ ctx: { ...ctx, tokenId: caller.tokenId } });
}).use(storableInput);

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
}).use(storableInput);
