import type {
  EventType,
  HealthConfig,
  Labels,
  NodeRole,
  NodeStatus,
  PodStatus,
  PolicyName,
  Resources,
  RuntimeKind,
} from "@kube9/core";

// Plain records: the only shapes that leave this package. Times are epoch milliseconds.

export interface NodeRecord {
  id: string;
  /** Registration order (unique, increasing). */
  seq: number;
  name: string;
  role: NodeRole;
  runtime: RuntimeKind;
  status: NodeStatus;
  statusReason: string | null;
  statusChangedAt: number;
  capacity: Resources;
  allocated: Resources;
  labels: Labels;
  /** What the node itself reports hosting. */
  podIds: string[];
  components: Record<string, string>;
  /** Latest usage from the heartbeat lease, if any. */
  usage: Resources | null;
  /** From node_lease; null until the first flushed heartbeat. */
  lastHeartbeatAt: number | null;
  containerId: string | null;
  recoveryAttempts: number;
  credentialHash: string;
  createdAt: number;
}

export interface PodRecord {
  id: string;
  seq: number;
  name: string;
  status: PodStatus;
  nodeId: string | null;
  /** Joined from node; null when unbound. */
  nodeName: string | null;
  request: Resources;
  labels: Labels;
  nodeSelector: Labels;
  algorithm: PolicyName | null;
  workload: unknown | null;
  reason: string | null;
  message: string | null;
  restarts: number;
  createdAt: number;
  scheduledAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export type EventObjectKind = "Node" | "Pod" | "Cluster";

export interface EventRecord {
  id: number;
  time: number;
  type: EventType;
  reason: string;
  objectKind: EventObjectKind;
  objectId: string | null;
  objectName: string;
  message: string;
}

export interface ClusterRecord {
  id: string;
  algorithm: PolicyName;
  health: HealthConfig;
  adminTokenHash: string | null;
  createdAt: number;
}

export interface CreateNodeInput {
  name: string;
  role: NodeRole;
  runtime: RuntimeKind;
  capacity: Resources;
  labels: Labels;
  credentialHash: string;
  /** Defaults to Provisioning. */
  status?: NodeStatus;
  now: number;
}

export interface TransitionNodeOptions {
  /** Only transition when the current status is one of these. */
  from?: NodeStatus[];
  /** New status reason; omitted means cleared. */
  reason?: string | null;
  now: number;
  recoveryAttempts?: number;
}

export interface NodeReport {
  podIds?: string[];
  components?: Record<string, string>;
}

export interface LeaseInput {
  nodeId: string;
  at: number;
  usage: Resources | null;
}

export interface CreatePodInput {
  name: string;
  request: Resources;
  labels: Labels;
  nodeSelector: Labels;
  algorithm: PolicyName | null;
  workload?: unknown;
  now: number;
  /**
   * Create the pod already bound to this node when the node is Ready and has room: the reservation
   * and the insert are one statement. Otherwise the pod is created Pending.
   */
  bindTo?: { nodeId: string; message: string };
}

export interface ListPodsOptions {
  status?: PodStatus[];
  nodeId?: string;
}

export type BindResult = "bound" | "node-unavailable" | "pod-not-pending";

/** Pod statuses that end a pod's life on its node (see finishPod). */
export type FinishedPodStatus = "Succeeded" | "Failed";

export interface ListEventsOptions {
  /** Only events with a larger id, oldest first (a cursor for watchers). */
  afterId?: number;
  /** Default 100. */
  limit?: number;
  objectId?: string;
}

export type ClusterPatch = Partial<Pick<ClusterRecord, "algorithm" | "health" | "adminTokenHash">>;

/** Every read and write the control plane makes; implementations keep the consistency rules of DESIGN.md section 4. */
export interface Store {
  // cluster
  /** The single cluster row, created with defaults on first call. */
  getCluster(): Promise<ClusterRecord>;
  updateCluster(patch: ClusterPatch): Promise<ClusterRecord>;

  // nodes
  /** Throws ConflictError (field 'name') on a duplicate name. */
  createNode(input: CreateNodeInput): Promise<NodeRecord>;
  getNode(id: string): Promise<NodeRecord | null>;
  getNodeByName(name: string): Promise<NodeRecord | null>;
  /** Registration order; Removed nodes excluded unless includeRemoved. */
  listNodes(opts?: { includeRemoved?: boolean }): Promise<NodeRecord[]>;
  /** Compare-and-set status change: only when the current status is in `from` (if given). Returns the updated node or null. */
  transitionNode(id: string, to: NodeStatus, opts: TransitionNodeOptions): Promise<NodeRecord | null>;
  /** Writes what the agent reports; call it only when something changed. */
  updateNodeReport(id: string, report: NodeReport): Promise<void>;
  /** One statement for a heartbeat that confirms pods and changes the report: confirmPodsRunning + updateNodeReport. */
  confirmAndReport(nodeId: string, confirm: string[], report: NodeReport, now: number): Promise<PodRecord[]>;
  setNodeContainer(id: string, containerId: string | null): Promise<void>;
  /** Replaces the node's credential hash (a restarted agent gets a fresh credential). */
  setNodeCredential(id: string, credentialHash: string): Promise<void>;
  /** Batch upsert of heartbeat leases in one statement; leases of unknown nodes are ignored. */
  flushLeases(leases: LeaseInput[]): Promise<void>;
  /** Hard delete (rolls back a node whose runtime failed to start). ConflictError (field 'pods') while pods reference it. */
  deleteNode(id: string): Promise<void>;

  // pods
  /** New pod, status Pending. Throws ConflictError (field 'name') on a duplicate name. */
  createPod(input: CreatePodInput): Promise<PodRecord>;
  getPod(id: string): Promise<PodRecord | null>;
  getPodByName(name: string): Promise<PodRecord | null>;
  /** Creation order. */
  listPods(opts?: ListPodsOptions): Promise<PodRecord[]>;
  /** Pending pods, FIFO by creation order. */
  listPendingPods(limit?: number): Promise<PodRecord[]>;
  /** Atomically reserves capacity on a Ready node and moves the pod Pending -> Scheduled, or changes nothing. */
  bindPod(podId: string, nodeId: string, now: number, message: string): Promise<BindResult>;
  /** Requeues a failed/leaving node's Scheduled and Running pods (restarts+1), deletes its Terminating pods, frees its allocation. Returns the requeued pods. */
  evictNodePods(nodeId: string, reason: string, message: string, now: number): Promise<PodRecord[]>;
  /** Scheduled -> Running for the given pods bound to nodeId. Returns the updated pods. */
  confirmPodsRunning(nodeId: string, podIds: string[], now: number): Promise<PodRecord[]>;
  /** Scheduled/Running -> Terminating (keeps the reservation until deleted). Returns the updated pod or null. */
  markPodTerminating(id: string, now: number): Promise<PodRecord | null>;
  /** Scheduled/Running/Terminating -> Succeeded/Failed and releases the reservation. Returns the updated pod or null. */
  finishPod(id: string, status: FinishedPodStatus, reason: string | null, message: string | null, now: number): Promise<PodRecord | null>;
  /** Deletes a pod and releases its reservation atomically. Returns the deleted record or null. */
  deletePod(id: string): Promise<PodRecord | null>;
  /** Pod ids the node should host: bound to it and Scheduled or Running. */
  desiredPodIds(nodeId: string): Promise<string[]>;
  setPodReason(id: string, reason: string | null, message: string | null): Promise<void>;

  // events
  addEvent(e: Omit<EventRecord, "id">): Promise<EventRecord>;
  /** Many events in one statement, ids in the given order (the control plane batches its events). */
  addEvents(events: Array<Omit<EventRecord, "id">>): Promise<EventRecord[]>;
  /** Newest last. Without afterId: the latest `limit` events; with it: the first `limit` events after it. */
  listEvents(opts?: ListEventsOptions): Promise<EventRecord[]>;
  /** Keeps only the newest `keep` events. */
  pruneEvents(keep: number): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; when absent an embedded PGlite database is used. */
  url?: string;
  /** PGlite data folder (created if missing); absent means in-memory. */
  dataDir?: string;
  /** PostgreSQL connection pool size (default 10); PGlite always uses one connection. */
  poolSize?: number;
}

export interface Database {
  kind: "postgres" | "pglite";
  store: Store;
  close(): Promise<void>;
  /** Takes or confirms the leader lease; true while this handle is the leader. */
  tryAcquireLeadership(): Promise<boolean>;
  releaseLeadership(): Promise<void>;
}
