export { openDatabase } from "./open-database.js";
export { ConflictError, NotFoundError } from "./errors.js";
export { DataDirLockedError } from "./data-dir-lock.js";
export type {
  BindResult,
  ClusterPatch,
  ClusterRecord,
  CreateNodeInput,
  CreatePodInput,
  Database,
  EventObjectKind,
  EventRecord,
  FinishedPodStatus,
  LeaseInput,
  ListEventsOptions,
  ListPodsOptions,
  NodeRecord,
  NodeReport,
  OpenDatabaseOptions,
  PodRecord,
  Store,
  TransitionNodeOptions,
} from "./types.js";
