/** A unique value (e.g. a name) is already taken, or a row is still referenced. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The addressed row does not exist. */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

/** Postgres SQLSTATE codes we translate; PGlite reports the same codes. */
export const PG_UNIQUE_VIOLATION = "23505";
export const PG_FOREIGN_KEY_VIOLATION = "23503";

/** Reads the SQLSTATE and constraint name off a pg/PGlite/MikroORM error, if any. */
export function sqlState(err: unknown): { code?: string; constraint?: string } {
  let e: unknown = err;
  // MikroORM wraps driver errors in its own exceptions; the driver error is kept as a property or cause.
  for (let i = 0; i < 3 && e && typeof e === "object"; i++) {
    const o = e as { code?: unknown; constraint?: unknown; cause?: unknown; previous?: unknown };
    if (typeof o.code === "string" && /^[0-9A-Z]{5}$/.test(o.code)) {
      return { code: o.code, constraint: typeof o.constraint === "string" ? o.constraint : undefined };
    }
    e = o.previous ?? o.cause;
  }
  return {};
}

/** Turns a unique violation into ConflictError naming the column (constraints are named <table>_<column>_unique). */
export function rethrowConflict(err: unknown, what: string, value: string): never {
  const { code, constraint } = sqlState(err);
  if (code === PG_UNIQUE_VIOLATION) {
    const field = constraint?.match(/^[a-z]+_(.+)_unique$/)?.[1] ?? "name";
    throw new ConflictError(field, `${what} ${field} "${value}" is already taken`, { cause: err });
  }
  throw err;
}

/** Socket errors of a database that is down or cut off. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED", "EAI_AGAIN", "ENOTFOUND"]);
/**
 * SQLSTATEs of a server that is going away or not taking work: admin/crash shutdown, starting up,
 * too many connections, a statement cancelled by its timeout; and the whole connection_exception class (08).
 */
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "53300", "57014"]);
/** What pg, knex and MikroORM say when a connection died, could not be made or did not answer in time. */
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Timeout acquiring a connection|Connection is closed|not queryable/i;

/** True when an error (or one it wraps) says the database could not be reached or answered too late, rather than refusing the statement. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === "object"; i++) {
    const o = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; previous?: unknown };
    if (typeof o.code === "string" && (UNREACHABLE_CODES.has(o.code) || UNAVAILABLE_STATES.has(o.code) || /^08[0-9A-Z]{3}$/.test(o.code))) return true;
    if (o.name === "KnexTimeoutError" || o.name === "ConnectionException") return true;
    if (typeof o.message === "string" && UNAVAILABLE_MESSAGE.test(o.message)) return true;
    // An AggregateError (a connection tried on several addresses) carries the socket errors in `errors`.
    const nested = (e as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.some((n) => isDatabaseUnavailable(n))) return true;
    e = o.previous ?? o.cause;
  }
  return false;
}
