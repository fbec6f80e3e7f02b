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
