import { isDatabaseUnavailable } from "@kube9/db";

/**
 * Domain errors: what went wrong in the control plane's own terms. The router layer maps each kind
 * to a tRPC code in one place (ERROR_CODE_OF, used by trpc.ts); nothing below the routers knows tRPC or HTTP.
 */
export type DomainErrorKind = "not-found" | "conflict" | "precondition" | "invalid" | "unavailable" | "rate-limited";

/** The API's error code for each kind: what trpc.ts answers, and what a batched heartbeat's refused beat carries. */
export const ERROR_CODE_OF = {
  "not-found": "NOT_FOUND",
  conflict: "CONFLICT",
  precondition: "PRECONDITION_FAILED",
  invalid: "BAD_REQUEST",
  unavailable: "SERVICE_UNAVAILABLE",
  "rate-limited": "TOO_MANY_REQUESTS",
} as const satisfies Record<DomainErrorKind, string>;

/** An error the user caused or can fix, with a message meant for them. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DomainError";
  }
}

/** A named object that does not exist. */
export function notFound(kind: "node" | "pod", name: string, namespace?: string): DomainError {
  const where = namespace !== undefined && namespace !== "default" ? ` in namespace "${namespace}"` : "";
  return new DomainError("not-found", `${kind} "${name}" not found${where}`);
}

/** A name that is taken. */
export function conflict(kind: "node" | "pod", name: string, namespace?: string): DomainError {
  const where = namespace !== undefined && namespace !== "default" ? ` in namespace "${namespace}"` : "";
  return new DomainError("conflict", `${kind} name "${name}" already exists${where}; choose another --name`);
}

/** A valid request for an object in the wrong state. */
export function precondition(message: string): DomainError {
  return new DomainError("precondition", message);
}

/** A request whose values break a rule that input validation cannot see (e.g. settings judged as a whole). */
export function invalid(message: string): DomainError {
  return new DomainError("invalid", message);
}

/** What callers are told while the database does not answer: the API keeps retrying its connections. */
export const DATABASE_UNAVAILABLE = "database unavailable, retrying";

/** The domain error a failure means to callers: itself, "unavailable" when the database could not be reached, else null (an internal error). */
export function asDomainError(err: unknown): DomainError | null {
  if (err instanceof DomainError) return err;
  if (isDatabaseUnavailable(err)) return new DomainError("unavailable", DATABASE_UNAVAILABLE, { cause: err });
  return null;
}

/** A caller asking more often than it may; it can try again later, unchanged. */
export function rateLimited(message: string): DomainError {
  return new DomainError("rate-limited", message);
}
