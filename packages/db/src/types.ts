import type {
  AlertingSettings,
  AutoscalerSettings,
  NodeGroupSpec,
  NodeGroupStatus,
  KubeletEndpoint,
  PodSpec,
  PodStatusReport,
  EventType,
  HealthConfig,
  Labels,
  NodeRole,
  NodeStatus,
  PodStatus,
  PolicyName,
  Resources,
  NodeRuntimeKind,
} from "@kube9/core";
import type { ConflictError } from "./errors.js";

// Plain records: the only shapes that leave this package. Times are epoch milliseconds.

export interface NodeRecord {
  id: string;
  /** Registration order (unique, increasing). */
  seq: number;
  name: string;
  role: NodeRole;
  runtime: NodeRuntimeKind;
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
  /** Where the API reaches the node's kubelet server (logs, exec), as its agent registered it. */
  kubelet: KubeletEndpoint | null;
  createdAt: number;
}

/** What a node last reported about one of its pods (the podId is the row's). */
export type PodStatusDetail = Omit<PodStatusReport, "podId">;

export interface PodRecord {
  id: string;
  seq: number;
  name: string;
  /** The namespace it belongs to; its name is unique there. */
  namespace: string;
  status: PodStatus;
  nodeId: string | null;
  /** Joined from node; null when unbound. */
  nodeName: string | null;
  request: Resources;
  labels: Labels;
  nodeSelector: Labels;
  algorithm: PolicyName | null;
  /** The containers to run; null for pods made before pods ran containers (or by callers that give none). */
  spec: PodSpec | null;
  /** What the pod's node last reported; null until it reports. */
  podStatus: PodStatusDetail | null;
  reason: string | null;
  message: string | null;
  restarts: number;
  createdAt: number;
  scheduledAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export type EventObjectKind = "Node" | "Pod" | "Cluster" | "Namespace" | "NetworkPolicy" | "NodeGroup";

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
  alerting: AlertingSettings;
  autoscaler: AutoscalerSettings;
  createdAt: number;
}

export interface CreateNodeInput {
  name: string;
  role: NodeRole;
  runtime: NodeRuntimeKind;
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
  /** Must exist (a foreign key); ConflictError-free: the service checks it is Active first. */
  namespace: string;
  request: Resources;
  labels: Labels;
  nodeSelector: Labels;
  algorithm: PolicyName | null;
  spec?: PodSpec;
  now: number;
  /**
   * Create the pod already bound to this node when the node is Ready and has room: the reservation
   * and the insert are one statement. Otherwise the pod is created Pending.
   */
  bindTo?: { nodeId: string; message: string };
}

export interface ListPodsOptions {
  status?: PodStatus[];
  namespace?: string;
  nodeId?: string;
  /** Only pods whose row was written after this time (ms): a cache's changed-rows resync. */
  changedSince?: number;
}

export type BindResult = "bound" | "node-unavailable" | "pod-not-pending";

export interface ListEventsOptions {
  /** Only events with a larger id, oldest first (a cursor for watchers). */
  afterId?: number;
  /** Default 100. */
  limit?: number;
  objectId?: string;
}

export type ClusterPatch = Partial<Pick<ClusterRecord, "algorithm" | "health" | "adminTokenHash" | "alerting" | "autoscaler">>;

/** The single cluster-settings row; MikroORM (ClusterEntity) serves every access to it. */
export interface ClusterRepository {
  /** The row, created with defaults on first call. */
  get(): Promise<ClusterRecord>;
  update(patch: ClusterPatch): Promise<ClusterRecord>;
}

/** Node rows (raw SQL). Every write stamps updated_at with the caller's `now`. */
export interface NodeRepository {
  /** Throws ConflictError (field 'name') on a duplicate name. */
  create(input: CreateNodeInput): Promise<NodeRecord>;
  get(id: string): Promise<NodeRecord | null>;
  getByName(name: string): Promise<NodeRecord | null>;
  /** Nodes (Removed ones too) whose row was written after `sinceMs` (updated_at: every write stamps it), in registration order. */
  listChangedSince(sinceMs: number): Promise<NodeRecord[]>;
  /** Every node that is not Removed, with its lease: small rows, what a resync reads every second instead of whole node rows. */
  /** Every existing node's lease, or only these nodes' (a node that does not exist is absent). */
  leases(ids?: readonly string[]): Promise<LeaseRecord[]>;
  /** Registration order; Removed nodes excluded unless includeRemoved. */
  /** Every existing node's id and its row's version (it changes with every write): what a full resync compares before reading rows. */
  versions(opts?: { changedSince?: number }): Promise<Array<{ id: string; version: string }>>;
  /** These nodes (those that exist), by seq. */
  getMany(ids: readonly string[]): Promise<NodeRecord[]>;
  /** Nodes by seq; `afterSeq` and `limit` read one page of them. */
  list(opts?: { includeRemoved?: boolean; afterSeq?: number; limit?: number }): Promise<NodeRecord[]>;
  /** Removed nodes whose rows still exist (a removal not finished), in registration order. */
  listRemoved(): Promise<NodeRecord[]>;
  /** Compare-and-set status change: only when the current status is in `from` (if given). Returns the updated node or null. */
  /** Inserts many nodes in one statement, with ids chosen by the caller; a name already taken is skipped (absent from the answer). */
  createMany(inputs: Array<CreateNodeInput & { id: string }>): Promise<NodeRecord[]>;
  transition(id: string, to: NodeStatus, opts: TransitionNodeOptions): Promise<NodeRecord | null>;
  /** Many compare-and-set changes to one status in one statement (each node only from its own `from`); the changed nodes. */
  transitionMany(changes: Array<{ id: string; from: NodeStatus }>, to: NodeStatus, opts: { reason: string | null; now: number }): Promise<NodeRecord[]>;
  setContainer(id: string, containerId: string | null, now: number): Promise<void>;
  /** Replaces the node's credential hash (a restarted agent gets a fresh credential). */
  setCredential(id: string, credentialHash: string, now: number): Promise<void>;
  /** Records (or clears) where the node's kubelet server listens. */
  setKubelet(id: string, kubelet: KubeletEndpoint | null, now: number): Promise<void>;
  /** Hard delete (rolls back a node whose runtime failed to start). ConflictError (field 'pods') while pods reference it. */
  delete(id: string): Promise<void>;
}

/** Pod rows (raw SQL), and the node allocation that bound pods reserve. */
export interface PodRepository {
  /** New pod, Pending unless `bindTo` reserved room for it. Throws ConflictError (field 'name') on a duplicate name. */
  create(input: CreatePodInput): Promise<PodRecord>;
  /**
   * Many new pods in one statement (one commit), in order: each bound like create's `bindTo` while its
   * node's room lasts (the batch's pods on one node take it in order), else Pending. A taken name is a
   * ConflictError in its place and changes nothing; a missing namespace throws NotFoundError for the batch.
   */
  createMany(inputs: CreatePodInput[]): Promise<Array<PodRecord | ConflictError>>;
  get(id: string): Promise<PodRecord | null>;
  getByName(namespace: string, name: string): Promise<PodRecord | null>;
  /** Creation order. */
  list(opts?: ListPodsOptions): Promise<PodRecord[]>;
  /** Pending pods, FIFO by creation order. */
  listPending(limit?: number): Promise<PodRecord[]>;
  /** Atomically reserves capacity on a Ready node and moves the pod Pending -> Scheduled, or changes nothing. */
  bind(podId: string, nodeId: string, now: number, message: string): Promise<BindResult>;
  /** Requeues a failed/leaving node's Scheduled and Running pods (restarts+1), deletes its Terminating pods, frees its allocation. Returns the requeued pods. */
  evictFromNode(nodeId: string, reason: string, message: string, now: number): Promise<PodRecord[]>;
  /**
   * One statement: the node's status change (compare-and-set on `opts.from`; `to` null keeps the status and
   * only guards) and the eviction of its pods, as evictFromNode. Both happen or neither; the node is null
   * when it was not in such a state.
   */
  transitionAndEvict(
    nodeId: string,
    to: NodeStatus | null,
    opts: TransitionNodeOptions,
    evict: { reason: string; message: string },
  ): Promise<{ node: NodeRecord | null; evicted: PodRecord[] }>;
  /** One statement for a heartbeat: Scheduled -> Running for `confirm` (the node's own pods only) and the node's report. Returns the confirmed pods. */
  confirmAndReport(nodeId: string, confirm: string[], report: NodeReport, now: number): Promise<PodRecord[]>;
  /** Deletes a pod and releases its reservation atomically. Returns the deleted record or null. */
  delete(id: string, now: number): Promise<PodRecord | null>;
  /** Scheduled/Running -> Terminating (the reservation stays until the node has stopped it and it is deleted). Returns the pod or null. */
  markTerminating(id: string, now: number): Promise<PodRecord | null>;
  /** Scheduled/Running/Terminating -> Succeeded/Failed, releasing the reservation. Returns the pod or null. */
  finish(id: string, status: "Succeeded" | "Failed", reason: string | null, message: string | null, now: number): Promise<PodRecord | null>;
  /** Stores the statuses a node reported for its own pods, in one statement. Returns the updated pods. */
  reportStatuses(nodeId: string, reports: PodStatusReport[], now: number): Promise<PodRecord[]>;
  setReason(id: string, reason: string | null, message: string | null, now: number): Promise<void>;
  /** Replaces a pod's labels (kubectl label); the pod with its new labels, or null when it is gone. */
  setLabels(id: string, labels: Labels, now: number): Promise<PodRecord | null>;
}

/** The event log (raw SQL). */
export interface EventRepository {
  /** Many events in one statement, ids in the given order (the control plane batches its events). */
  add(events: Array<Omit<EventRecord, "id">>): Promise<EventRecord[]>;
  /** Newest last. Without afterId: the latest `limit` events; with it: the first `limit` events after it. */
  list(opts?: ListEventsOptions): Promise<EventRecord[]>;
  /** Keeps only the newest `keep` events. */
  prune(keep: number): Promise<void>;
  /** The largest id stored (0 when there is none). */
  lastId(): Promise<number>;
  /**
   * Calls onCommit with the newest id whenever any process on the database has committed events
   * (PostgreSQL: LISTEN), and with null after every (re)connection, when what was missed is unknown;
   * on PGlite nothing else can write, so it never calls.
   */
  follow(onCommit: (lastId: number | null) => void): Promise<EventFollower>;
}

/** A subscription made by EventRepository.follow. */
export interface EventFollower {
  close(): Promise<void>;
}

/** A node that exists (not Removed) with its lease: its last flushed heartbeat (null before one) and the use it reported. */
export interface LeaseRecord {
  nodeId: string;
  renewedAt: number | null;
  usage: Resources | null;
}

/** Heartbeat leases (table node_lease): one row per node, upserted in batches. */
export interface LeaseRepository {
  /** Batch upsert in one statement; leases of unknown nodes are ignored and a lease never moves back in time. */
  flush(leases: LeaseInput[]): Promise<void>;
}

/** One 10 s average of an object's usage (table usage_history). */
export interface UsageRow {
  /** A node's or pod's id, or CLUSTER_USAGE_ID for the cluster as a whole. */
  objectId: string;
  /** Start of the bucket, ms since the epoch (a multiple of 10 s). */
  t: number;
  cpuMilli: number;
  memoryMiB: number;
}

/** The usage history (10 s averages, kept 24 h): batched inserts, range reads, retention. */
export interface UsageRepository {
  /** Inserts a batch in one statement; a row already there (same object and bucket) is replaced. */
  insert(rows: UsageRow[]): Promise<void>;
  /** Averages over `stepMs` buckets (a multiple of 10 s) of the rows in [fromMs, toMs), oldest first. */
  range(objectId: string, fromMs: number, toMs: number, stepMs: number): Promise<UsageRow[]>;
  /** Deletes rows older than `beforeMs`; returns how many. */
  deleteBefore(beforeMs: number): Promise<number>;
  /** The table's size on disk including its indexes, in bytes (for figures). */
  sizeBytes(): Promise<number>;
}

/** A node group as stored: its spec, its status, and when it changed. */
export interface NodeGroupRecord extends NodeGroupSpec {
  status: NodeGroupStatus;
  createdAt: number;
  updatedAt: number;
}

/** Node groups (table node_group, raw SQL). */
export interface NodeGroupRepository {
  /** Every group, by name. */
  list(): Promise<NodeGroupRecord[]>;
  get(name: string): Promise<NodeGroupRecord | null>;
  /** Throws ConflictError (field 'name') when the name is taken. */
  create(spec: NodeGroupSpec, now: number): Promise<NodeGroupRecord>;
  /** Replaces the spec (not the status); null when there is no such group. */
  update(spec: NodeGroupSpec, now: number): Promise<NodeGroupRecord | null>;
  /** Stores the autoscaler's status of the group. */
  setStatus(name: string, status: NodeGroupStatus, now: number): Promise<void>;
  /** True when it was there. */
  delete(name: string): Promise<boolean>;
}

/** A bootstrap token as stored: its public id, the hash of the whole token, and its life. */
export interface BootstrapTokenRecord {
  id: string;
  secretHash: string;
  description: string;
  expiresAt: number;
  createdAt: number;
  lastUsedAt: number | null;
  uses: number;
}

/** What creating a bootstrap token stores. */
export interface NewBootstrapToken {
  id: string;
  secretHash: string;
  description: string;
  expiresAt: number;
  now: number;
}

/** Bootstrap tokens for nodes joining from other machines (table bootstrap_token, raw SQL). */
export interface BootstrapTokenRepository {
  /** Throws ConflictError when the id is taken. */
  create(token: NewBootstrapToken): Promise<BootstrapTokenRecord>;
  /** Every token, oldest first. */
  list(): Promise<BootstrapTokenRecord[]>;
  get(id: string): Promise<BootstrapTokenRecord | null>;
  /** Counts a join made with it. */
  markUsed(id: string, now: number): Promise<void>;
  /** True when it was there. */
  delete(id: string): Promise<boolean>;
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
  cluster: ClusterRepository;
  nodes: NodeRepository;
  pods: PodRepository;
  events: EventRepository;
  leases: LeaseRepository;
  usage: UsageRepository;
  nodeGroups: NodeGroupRepository;
  namespaces: NamespaceRepository;
  networkPolicies: NetworkPolicyRepository;
  bootstrapTokens: BootstrapTokenRepository;
  close(): Promise<void>;
  /** Takes or confirms the leader lease; true while this handle is the leader. */
  tryAcquireLeadership(): Promise<boolean>;
  releaseLeadership(): Promise<void>;
  /** Names the URL this API process serves at, for the other processes' peers(). */
  advertise(url: string): Promise<void>;
  /**
   * The other live API processes on this database (PostgreSQL: each holds a presence lock on a session
   * of its own, gone with the process), as the URL each advertised ("" before it did). PGlite: none.
   */
  peers(): Promise<string[]>;
}

export type NamespacePhase = "Active" | "Terminating";

/** A namespace: its labels (kubernetes.io/metadata.name is added when read, never stored) and its phase. */
export interface NamespaceRecord {
  name: string;
  uid: string;
  labels: Labels;
  status: NamespacePhase;
  createdAt: number;
  updatedAt: number;
}

/** Namespaces (raw SQL). */
export interface NamespaceRepository {
  list(): Promise<NamespaceRecord[]>;
  get(name: string): Promise<NamespaceRecord | null>;
  /** Throws ConflictError (field 'name') when it exists. */
  create(name: string, labels: Labels, now: number): Promise<NamespaceRecord>;
  /** Replaces the labels of an Active namespace; null when there is none. */
  setLabels(name: string, labels: Labels, now: number): Promise<NamespaceRecord | null>;
  /** Active -> Terminating; returns the namespace (also when it already was), null when there is none. */
  markTerminating(name: string, now: number): Promise<NamespaceRecord | null>;
  /** Deletes a Terminating namespace that no pod references any more (its policies go with it); false otherwise. */
  deleteIfEmpty(name: string): Promise<boolean>;
}

/** A NetworkPolicy as stored: the normalized policy (core's NetworkPolicy), its uid and generation. */
export interface NetworkPolicyRecord {
  namespace: string;
  name: string;
  uid: string;
  /** core's NetworkPolicy, JSON as stored. */
  spec: unknown;
  /** 1 at creation, +1 on each change of the spec (metadata.generation). */
  generation: number;
  createdAt: number;
  updatedAt: number;
}

/** NetworkPolicies (raw SQL). */
export interface NetworkPolicyRepository {
  list(namespace?: string): Promise<NetworkPolicyRecord[]>;
  get(namespace: string, name: string): Promise<NetworkPolicyRecord | null>;
  /** Creates or replaces (generation +1 when the spec changed); `created` tells which. */
  /** null when the namespace does not exist or is Terminating. */
  upsert(namespace: string, name: string, spec: unknown, now: number): Promise<{ record: NetworkPolicyRecord; created: boolean; changed: boolean } | null>;
  delete(namespace: string, name: string): Promise<NetworkPolicyRecord | null>;
}
