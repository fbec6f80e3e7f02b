import type { ContainerStatus, PodCondition, PodPhase, PodSpec } from "./types.js";

// What the API and a node agent (a small kubelet) say to each other about pods, on top of the
// heartbeat: the API sends each pod's spec once, when the pod is new to the node; the agent reports
// each pod's status when it changed. Level-triggered as before: the answer's desiredPodIds is the
// whole truth, the rest only saves sending specs and statuses again.

/** A pod the node must run, sent when the node does not report it yet. */
export interface PodAssignment {
  id: string;
  name: string;
  namespace: string;
  spec: PodSpec;
}

/** A pod being deleted: stop its containers (SIGTERM, then SIGKILL after the grace period), then stop reporting it. */
export interface PodTermination {
  id: string;
  gracePeriodSeconds: number;
}

/** How a container's limits are enforced on its node (shown by `describe`). */
export interface LimitEnforcement {
  memory: "cgroup-v1" | "cgroup-v2" | "agent" | "none";
  cpu: "cgroup-v1" | "cgroup-v2" | "none";
}

/** A pod's status as its node sees it (Kubernetes field names), reported when it changed. */
export interface PodStatusReport {
  podId: string;
  phase: PodPhase;
  containerStatuses: ContainerStatus[];
  conditions: PodCondition[];
  podIP?: string;
  reason?: string;
  message?: string;
  /** Per container name. */
  enforcement?: Record<string, LimitEnforcement>;
}

/** The kubelet's settings from the cluster (sent at registration and with every heartbeat answer). */
export interface KubeletSettings {
  backoffInitialMs: number;
  backoffMaxMs: number;
  backoffResetMs: number;
}

/** Something a kubelet saw happen to a pod (Kubernetes event reasons: Unhealthy, Killing, BackOff, Failed, Started). */
export interface PodEventReport {
  podId: string;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** Where the API reaches a node's kubelet server (logs, exec), and the bearer token it must present. */
export interface KubeletEndpoint {
  url: string;
  token: string;
}
