import type { Connection } from "./config.js";

/** Exit codes: 1 for anything the user or the cluster refused, 2 for command-line syntax, 130 for Ctrl-C. */
export const EXIT = Object.freeze({ ok: 0, error: 1, usage: 2, interrupted: 130 });

/** An error whose message is already fit to print after "error: ". */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.error) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/**
 * A failure whose lines are already on stderr (apply's per-document errors, a command's own exit code
 * passed through by exec): only the exit code is left to give.
 */
export class ReportedError extends CliError {
  constructor(exitCode: number = EXIT.error) {
    super("", exitCode);
    this.name = "ReportedError";
  }
}

/** The parts of a TRPCClientError we read; duck-typed so two copies of @trpc/client still match. */
interface TrpcLikeError extends Error {
  data?: { code?: string; httpStatus?: number; field?: string; zodError?: unknown } | null;
}

// Node's fetch wraps socket errors: TRPCClientError -> TypeError("fetch failed") -> Error{code}.
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

function isTrpcError(err: unknown): err is TrpcLikeError {
  return err instanceof Error && err.name === "TRPCClientError";
}

/** True when the error (or any cause) means the API could not be reached at all. */
export function isNetworkError(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 6; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    if (cur instanceof Error && cur.name === "AbortError") return true;
    if (cur instanceof TypeError && cur.message === "fetch failed") return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** Collapses a multi-line server message into one line so each error stays a single stderr line. */
export function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean)
    .join("; ");
}

/** Field issues from the error data: the API's `issues` list, or a flattened zod error. */
function fieldIssues(data: TrpcLikeError["data"]): string[] {
  const out: string[] = [];
  const issues = (data as { issues?: unknown } | null | undefined)?.issues;
  if (Array.isArray(issues)) {
    for (const i of issues) {
      const { field, message } = (i ?? {}) as { field?: unknown; message?: unknown };
      if (typeof message === "string") out.push(message);
      else if (typeof field === "string") out.push(`${field}: invalid`);
    }
    if (out.length) return out;
  }
  const z = data?.zodError as { formErrors?: unknown; fieldErrors?: Record<string, unknown> } | null | undefined;
  if (!z || typeof z !== "object") return out;
  if (Array.isArray(z.formErrors)) out.push(...z.formErrors.map(String));
  if (z.fieldErrors && typeof z.fieldErrors === "object") {
    for (const [field, msgs] of Object.entries(z.fieldErrors)) {
      if (Array.isArray(msgs) && msgs.length > 0) out.push(`${field}: ${msgs.map(String).join(", ")}`);
    }
  }
  return out;
}

function describeToken(conn: Connection): string {
  switch (conn.tokenSource) {
    case "flag":
      return "the token given with --token";
    case "env":
      return "the token in $KUBE9_TOKEN";
    case "config":
      return `the token in ${conn.configPath}`;
    default:
      return "no token";
  }
}

function unauthorized(conn: Connection, serverMessage: string): string {
  if (!conn.token) {
    const why = conn.tokenIgnoredReason ? ` (${conn.tokenIgnoredReason})` : "";
    return (
      `the API at ${conn.url} needs a token and none was given${why}: ` +
      `pass --token, set KUBE9_TOKEN, or use the ${conn.configPath} that "kube9 up" writes`
    );
  }
  return (
    `the API at ${conn.url} rejected ${describeToken(conn)}` +
    (serverMessage ? ` (${serverMessage})` : "") +
    `: check it against ${conn.configPath} on the machine running "kube9 up"`
  );
}

/** Turns anything thrown by a command into one printable line and an exit code. */
export function toCliError(err: unknown, conn?: Connection): CliError {
  if (err instanceof CliError) return err;
  if (conn && isNetworkError(err)) {
    return new CliError(`cannot reach the Kube-9 API at ${conn.url} (is "kube9 up" running?)`);
  }
  if (isTrpcError(err)) {
    const code = err.data?.code;
    const message = oneLine(err.message);
    switch (code) {
      case "UNAUTHORIZED":
        return new CliError(conn ? unauthorized(conn, message) : `unauthorized: ${message}`);
      case "FORBIDDEN":
        return new CliError(
          `forbidden: ${message}` + (conn ? ` (${describeToken(conn)} is not allowed to do this)` : ""),
        );
      case "BAD_REQUEST": {
        // Prefer the server's own sentence; fall back to zod's field list when the message is raw JSON.
        const issues = fieldIssues(err.data);
        if (issues.length > 0 && (message.startsWith("[") || message.startsWith("{") || !message)) {
          return new CliError(issues.join("; "));
        }
        return new CliError(message || issues.join("; ") || "the API rejected the request");
      }
      case "NOT_FOUND":
      case "CONFLICT":
      case "PRECONDITION_FAILED":
        return new CliError(message);
      case "INTERNAL_SERVER_ERROR":
        return new CliError(`the API failed: ${message}`);
      case undefined:
        // No tRPC code means the reply was not a tRPC answer (a proxy, another server, a crash).
        return new CliError(
          conn ? `unexpected answer from ${conn.url} (is it a Kube-9 API?): ${message}` : message,
        );
      default:
        return new CliError(`${code.toLowerCase().replace(/_/g, " ")}: ${message}`);
    }
  }
  if (err instanceof Error) return new CliError(oneLine(err.message) || err.name);
  return new CliError(oneLine(String(err)));
}

/** Error code of a tRPC failure (e.g. "NOT_FOUND"), or undefined. */
export function trpcCode(err: unknown): string | undefined {
  return isTrpcError(err) ? (err.data?.code ?? undefined) : undefined;
}
