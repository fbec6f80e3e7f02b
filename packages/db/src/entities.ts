import { defineEntity } from "@mikro-orm/core";
import type { AlertingSettings, AutoscalerSettings, HealthConfig, Labels, Resources } from "@kube9/core";

// MikroORM metadata for the tables the migrations create (a test asserts MikroORM sees no
// schema difference). Node, pod, event and lease rows are read and written with hand-written SQL
// (repositories/) for single round trips; the cluster row goes through ClusterEntity. Entities never
// leave this package.

const NODE_ALLOCATION_VALID =
  '"cpu_allocated" >= 0 and "cpu_allocated" <= "cpu_capacity" and "memory_allocated" >= 0 and "memory_allocated" <= "memory_capacity"';

export const ClusterEntity = defineEntity({
  name: "Cluster",
  tableName: "cluster",
  properties: (p) => ({
    id: p.uuid().primary(),
    algorithm: p.text(),
    health: p.json<HealthConfig>(),
    adminTokenHash: p.text().nullable(),
    alerting: p.json<AlertingSettings>().nullable(),
    autoscaler: p.json<AutoscalerSettings>().nullable(),
    createdAt: p.datetime().columnType("timestamptz"),
  }),
  uniques: [{ name: "cluster_singleton", expression: 'create unique index "cluster_singleton" on "cluster" ((true))' }],
});

// What node and pod rows share: UUID key, registration order, name and lifecycle status. Node names are
// unique in the cluster, pod names within their namespace.
function objectColumns(p: typeof defineEntity.properties, table: "node" | "pod") {
  return {
    id: p.uuid().primary(),
    // Identity column: the database assigns it, the ORM never writes it.
    seq: p.bigint("number").generated("identity").autoincrement().unique(`${table}_seq_unique`),
    name: table === "node" ? p.text().unique("node_name_unique") : p.text(),
    status: p.text(),
  };
}

export const NodeEntity = defineEntity({
  name: "Node",
  tableName: "node",
  properties: (p) => ({
    ...objectColumns(p, "node"),
    role: p.text(),
    runtime: p.text(),
    statusReason: p.text().nullable(),
    statusChangedAt: p.datetime().columnType("timestamptz"),
    cpuCapacity: p.integer(),
    memoryCapacity: p.integer(),
    cpuAllocated: p.integer().default(0),
    memoryAllocated: p.integer().default(0),
    labels: p.json<Labels>(),
    podIds: p.json<string[]>(),
    components: p.json<Record<string, string>>(),
    usage: p.json<Resources>().nullable(),
    containerId: p.text().nullable(),
    recoveryAttempts: p.integer().default(0),
    credentialHash: p.text(),
    kubelet: p.json<unknown>().nullable(),
    createdAt: p.datetime().columnType("timestamptz"),
    updatedAt: p.datetime().columnType("timestamptz"),
  }),
  checks: [{ name: "node_allocation_valid", expression: NODE_ALLOCATION_VALID }],
});

export const NodeLeaseEntity = defineEntity({
  name: "NodeLease",
  tableName: "node_lease",
  properties: (p) => ({
    node: () =>
      p.oneToOne(NodeEntity).primary().fieldName("node_id").deleteRule("cascade").updateRule("no action"),
    renewedAt: p.datetime().columnType("timestamptz"),
    usage: p.json<Resources>().nullable(),
  }),
});

export const NamespaceEntity = defineEntity({
  name: "Namespace",
  tableName: "namespace",
  properties: (p) => ({
    name: p.text().primary(),
    uid: p.uuid(),
    labels: p.json<Labels>(),
    status: p.enum(["Active", "Terminating"]).default("Active"),
    createdAt: p.datetime().columnType("timestamptz"),
    updatedAt: p.datetime().columnType("timestamptz"),
  }),
});

export const PodEntity = defineEntity({
  name: "Pod",
  tableName: "pod",
  properties: (p) => ({
    ...objectColumns(p, "pod"),
    namespace: () => p.manyToOne(NamespaceEntity).fieldName("namespace").deleteRule("no action").updateRule("no action"),
    // No cascade: a node with bound pods cannot disappear (pods are never lost).
    node: () =>
      p
        .manyToOne(NodeEntity)
        .nullable()
        .fieldName("node_id")
        .index("pod_node_id_index")
        .deleteRule("no action")
        .updateRule("no action"),
    cpuRequest: p.integer(),
    memoryRequest: p.integer(),
    labels: p.json<Labels>(),
    nodeSelector: p.json<Labels>(),
    algorithm: p.text().nullable(),
    spec: p.json<unknown>().nullable(),
    podStatus: p.json<unknown>().nullable(),
    reason: p.text().nullable(),
    message: p.text().nullable(),
    restarts: p.integer().default(0),
    createdAt: p.datetime().columnType("timestamptz"),
    scheduledAt: p.datetime().columnType("timestamptz").nullable(),
    startedAt: p.datetime().columnType("timestamptz").nullable(),
    finishedAt: p.datetime().columnType("timestamptz").nullable(),
    updatedAt: p.datetime().columnType("timestamptz"),
  }),
  uniques: [{ name: "pod_namespace_name_unique", properties: ["namespace", "name"] }],
  indexes: [{ name: "pod_status_seq_index", properties: ["status", "seq"] }],
  checks: [{ name: "pod_request_valid", expression: '"cpu_request" >= 0 and "memory_request" >= 0' }],
});

export const EventEntity = defineEntity({
  name: "Event",
  tableName: "event",
  properties: (p) => ({
    id: p.bigint("number").primary().generated("identity"),
    time: p.datetime().columnType("timestamptz"),
    type: p.text(),
    reason: p.text(),
    // A text column with a CHECK of the allowed values (MikroORM's non-native enum).
    objectKind: p.enum(["Node", "Pod", "Cluster", "Namespace", "NetworkPolicy", "NodeGroup"]),
    objectId: p.text().nullable().index("event_object_id_index"),
    objectName: p.text(),
    message: p.text(),
  }),
});

// No foreign keys: history outlives the pods and nodes it describes (until retention drops it).
export const UsageHistoryEntity = defineEntity({
  name: "UsageHistory",
  tableName: "usage_history",
  properties: (p) => ({
    objectId: p.uuid().primary(),
    t: p.integer().primary(),
    cpuMilli: p.float().columnType("real"),
    memoryMib: p.float().columnType("real"),
  }),
  indexes: [{ name: "usage_history_t_brin", expression: 'create index "usage_history_t_brin" on "usage_history" using brin ("t")' }],
});

export const NodeGroupEntity = defineEntity({
  name: "NodeGroup",
  tableName: "node_group",
  properties: (p) => ({
    name: p.text().primary(),
    minSize: p.integer(),
    maxSize: p.integer(),
    priority: p.integer().default(0),
    template: p.json<unknown>(),
    settings: p.json<unknown>(),
    status: p.json<unknown>().nullable(),
    createdAt: p.datetime().columnType("timestamptz"),
    updatedAt: p.datetime().columnType("timestamptz"),
  }),
  checks: [{ name: "node_group_size_valid", expression: '"min_size" >= 0 and "min_size" <= "max_size"' }],
});

export const NetworkPolicyEntity = defineEntity({
  name: "NetworkPolicy",
  tableName: "network_policy",
  properties: (p) => ({
    namespace: () => p.manyToOne(NamespaceEntity).primary().fieldName("namespace").deleteRule("cascade").updateRule("no action"),
    name: p.text().primary(),
    uid: p.uuid(),
    spec: p.json<unknown>(),
    generation: p.integer().default(1),
    createdAt: p.datetime().columnType("timestamptz"),
    updatedAt: p.datetime().columnType("timestamptz"),
  }),
});

export const BootstrapTokenEntity = defineEntity({
  name: "BootstrapToken",
  tableName: "bootstrap_token",
  properties: (p) => ({
    id: p.text().primary(),
    secretHash: p.text(),
    description: p.text().default(""),
    expiresAt: p.datetime().columnType("timestamptz"),
    createdAt: p.datetime().columnType("timestamptz"),
    lastUsedAt: p.datetime().columnType("timestamptz").nullable(),
    uses: p.integer().default(0),
  }),
});

/** All entity schemas, for MikroORM.init. */
export const ENTITIES = [
  ClusterEntity, NodeEntity, NodeLeaseEntity, NamespaceEntity, PodEntity, EventEntity, UsageHistoryEntity, NodeGroupEntity,
  NetworkPolicyEntity, BootstrapTokenEntity,
];
