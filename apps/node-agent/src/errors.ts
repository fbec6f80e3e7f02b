import { ApiError } from "./api-client.js";

/** A call the agent gave up on after its time limit. */
export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number, cause: unknown) {
    super(`timed out after ${timeoutMs} ms`, { cause });
    this.name = "TimeoutError";
  }
}

/** A short, stack-free description of a failed call: the tRPC code, or the network cause. */
export function describeError(err: unknown): string {
  const code = errorCode(err);
  if (code !== undefined) return `${code}: ${err instanceof Error ? err.message : String(err)}`;
  // fetch hides the useful part ("ECONNREFUSED", "bad port") a few causes deep under "fetch failed".
  let cur: unknown = err;
  let deepest = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    if (cur instanceof RequestTimeoutError) return cur.message;
    if (cur.name === "TimeoutError") return "timed out";
    const sysCode = (cur as { code?: unknown }).code;
    if (typeof sysCode === "string") return sysCode;
    if (cur.message) deepest = cur.message;
    cur = cur.cause;
  }
  return deepest;
}

/**
 * The tRPC code of an error answer (e.g. "NOT_FOUND"), or undefined for network errors. Knows the
 * agent's own ApiError and, by shape, the general client's TRPCClientError, without loading that client.
 */
export function errorCode(err: unknown): string | undefined {
  if (err instanceof ApiError) return err.code;
  if (err instanceof Error && err.name === "TRPCClientError") {
    const code = (err as { data?: { code?: unknown } }).data?.code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}
