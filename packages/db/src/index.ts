export { openDatabase } from "./open-database.js";
export { ConflictError, NotFoundError, isDatabaseUnavailable } from "./errors.js";
export { DataDirLockedError } from "./data-dir-lock.js";
export { DataDirDamagedError } from "./pglite-driver.js";
export type * from "./types.js";
export { CLUSTER_USAGE_ID } from "./repositories/usage-repository.js";
