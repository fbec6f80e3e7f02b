/** Node lifecycle states (README, "Health"). */
export const NODE_STATUSES = [
  "Provisioning",
  "Ready",
  "Suspect",
  "Failed",
  "Recovering",
  "PermanentlyFailed",
  "Cordoned",
  "Removed",
] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** Pod lifecycle states (see docs/architecture.md, "Write paths and their invariants"). */
export const POD_STATUSES = ["Pending", "Scheduled", "Running", "Succeeded", "Failed", "Terminating"] as const;
export type PodStatus = (typeof POD_STATUSES)[number];

export const NODE_ROLES = ["worker", "master"] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

export const RUNTIME_KINDS = ["docker", "process", "hollow"] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

/**
 * What a node record says runs its agent: a runtime of the API, or `external` — an agent the API
 * neither starts nor stops (`kube9 hollow` fleets), which registered the node with the admin token.
 */
export const NODE_RUNTIME_KINDS = [...RUNTIME_KINDS, "external"] as const;
export type NodeRuntimeKind = (typeof NODE_RUNTIME_KINDS)[number];

export const POLICY_NAMES = ["first-fit", "best-fit", "worst-fit"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export const EVENT_TYPES = ["Normal", "Warning"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** CPU in integer millicores, memory in MiB. */
export interface Resources {
  cpuMilli: number;
  memoryMiB: number;
}

export type Labels = Record<string, string>;

/** What the scheduler needs to know about a node: an immutable view. */
export interface SchedNode {
  id: string;
  name: string;
  /** Registration order; lower registered earlier. Used by first-fit and as the last tie-break. */
  order: number;
  status: NodeStatus;
  capacity: Resources;
  allocated: Resources;
  labels: Labels;
}

/** What the scheduler needs to know about a pod. */
export interface SchedPod {
  request: Resources;
  nodeSelector: Labels;
}

/** Component health reported by an agent with each heartbeat. */
export type ComponentStatus = "Healthy" | "Unhealthy";

/** Components every node runs, and the extra ones a master runs. */
export const WORKER_COMPONENTS = ["kubelet", "container-runtime", "kube-proxy"] as const;
export const MASTER_COMPONENTS = ["api-server", "scheduler", "controller-manager", "etcd"] as const;

/** Components a node of the given role reports. */
export function componentsForRole(role: NodeRole): string[] {
  return role === "master" ? [...WORKER_COMPONENTS, ...MASTER_COMPONENTS] : [...WORKER_COMPONENTS];
}
