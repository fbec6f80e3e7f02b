import type {
  ContainerStatus,
  LimitEnforcement,
  PodCondition,
  PodPhase,
  PodSpec,
  EventType,
  Labels,
  NodeRole,
  NodeStatus,
  PodStatus,
  PolicyName,
  Resources,
  NodeRuntimeKind,
} from "@kube9/core";

/** A node as the API shows it (the field names of docs/architecture.md and the README). Times are ISO strings. */
export interface NodeDTO {
  id: string;
  name: string;
  role: NodeRole;
  status: NodeStatus;
  reason: string | null;
  capacity: Resources;
  allocated: Resources;
  podIds: string[];
  lastHeartbeatAt: string | null;
  labels: Labels;
  runtime: NodeRuntimeKind;
  containerId: string | null;
  recoveryAttempts: number;
  usage: Resources | null;
  components: Record<string, string>;
  createdAt: string;
}

/** A pod as the API shows it. */
export interface PodDTO {
  id: string;
  name: string;
  /** The namespace it belongs to ("default" unless given). */
  namespace: string;
  status: PodStatus;
  nodeId: string | null;
  nodeName: string | null;
  request: Resources;
  algorithm: PolicyName | null;
  labels: Labels;
  nodeSelector: Labels;
  reason: string | null;
  message: string | null;
  restarts: number;
  createdAt: string;
  scheduledAt: string | null;
  startedAt: string | null;
  /** The containers it runs (null: a pod with no containers, a placeholder that only holds its request). */
  spec: PodSpec | null;
  /** Kubernetes' pod phase as its node reported it (null until it reports). */
  phase: PodPhase | null;
  podIP: string | null;
  containerStatuses: ContainerStatus[];
  conditions: PodCondition[];
  /** How each container's limits are enforced on its node. */
  enforcement: Record<string, LimitEnforcement>;
}

/** A cluster event. */
export interface EventDTO {
  id: number;
  time: string;
  type: EventType;
  reason: string;
  objectKind: "Node" | "Pod" | "Cluster" | "Namespace" | "NetworkPolicy" | "NodeGroup";
  objectId: string | null;
  objectName: string;
  message: string;
}

/** Why a pod can or cannot go on one node. */
export interface NodeFitDTO {
  nodeId: string;
  nodeName: string;
  feasible: boolean;
  chosen: boolean;
  reasons: string[];
  freeCpuAfter: number | null;
  freeMemoryAfter: number | null;
}

import type { EventRecord, NodeRecord, PodRecord } from "@kube9/db";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Maps a stored node to its DTO; lastBeat is the freshest heartbeat this process has seen. */
export function toNodeDTO(n: NodeRecord, lastBeat?: number): NodeDTO {
  const hb = Math.max(n.lastHeartbeatAt ?? 0, lastBeat ?? 0);
  return {
    id: n.id,
    name: n.name,
    role: n.role,
    status: n.status,
    reason: n.statusReason,
    capacity: { ...n.capacity },
    allocated: { ...n.allocated },
    podIds: [...n.podIds],
    lastHeartbeatAt: hb > 0 ? new Date(hb).toISOString() : null,
    labels: { ...n.labels },
    runtime: n.runtime,
    containerId: n.containerId,
    recoveryAttempts: n.recoveryAttempts,
    usage: n.usage,
    components: { ...n.components },
    createdAt: new Date(n.createdAt).toISOString(),
  };
}

/** Maps a stored pod to its DTO. */
export function toPodDTO(p: PodRecord): PodDTO {
  return {
    id: p.id,
    name: p.name,
    namespace: p.namespace,
    status: p.status,
    nodeId: p.nodeId,
    nodeName: p.nodeName,
    request: { ...p.request },
    algorithm: p.algorithm,
    labels: { ...p.labels },
    nodeSelector: { ...p.nodeSelector },
    reason: p.reason,
    message: p.message,
    restarts: p.restarts,
    createdAt: new Date(p.createdAt).toISOString(),
    scheduledAt: iso(p.scheduledAt),
    startedAt: iso(p.startedAt),
    spec: p.spec,
    phase: p.podStatus?.phase ?? null,
    podIP: p.podStatus?.podIP ?? null,
    containerStatuses: p.podStatus?.containerStatuses ?? [],
    conditions: p.podStatus?.conditions ?? [],
    enforcement: p.podStatus?.enforcement ?? {},
  };
}

/** Maps a stored event to its DTO. */
export function toEventDTO(e: EventRecord): EventDTO {
  return { ...e, time: new Date(e.time).toISOString() };
}
