import {
  formatCpuQuantity,
  formatMemoryQuantity,
  type ContainerSpec,
  type PodPhase,
  type PodSpec,
} from "@kube9/client";
import type { NamespaceDTO, NetworkPolicyDTO, NodeDTO, PodDTO } from "../types.js";

// Kube-9's DTOs as Kubernetes v1 objects, for `get -o json|yaml`: scripts written for kubectl
// (`jq .status.phase`, `.items[].metadata.name`) work unchanged. Only fields Kube-9 knows are filled in.

type Quantities = { cpu?: string; memory?: string };

function quantities(a: { cpuMilli?: number; memoryMiB?: number }): Quantities {
  return {
    ...(a.cpuMilli !== undefined ? { cpu: formatCpuQuantity(a.cpuMilli) } : {}),
    ...(a.memoryMiB !== undefined ? { memory: formatMemoryQuantity(a.memoryMiB) } : {}),
  };
}

/** Keeps only the non-empty parts of an object, as the API server omits empty fields (omitempty). */
function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const empty = (v: unknown) =>
    v === undefined || (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === "object" && Object.keys(v).length === 0);
  return Object.fromEntries(Object.entries(o).filter(([, v]) => !empty(v))) as Partial<T>;
}

/** One container spec with Kubernetes quantity strings ("500m", "256Mi"). */
export function kubeContainer(c: ContainerSpec): Record<string, unknown> {
  return compact({
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    env: c.env,
    ports: c.ports,
    resources: compact({ limits: quantities(c.limits), requests: quantities(c.requests) }),
    livenessProbe: c.livenessProbe,
    readinessProbe: c.readinessProbe,
    startupProbe: c.startupProbe,
  });
}

/** Kubernetes' QoS class: Guaranteed (every limit set and equal to its request), BestEffort (nothing set), else Burstable. */
export function qosClass(spec: PodSpec): "Guaranteed" | "Burstable" | "BestEffort" {
  const cs = spec.containers;
  const none = cs.every((c) => Object.keys(c.requests).length === 0 && Object.keys(c.limits).length === 0);
  if (none) return "BestEffort";
  const guaranteed = cs.every(
    (c) =>
      c.limits.cpuMilli !== undefined &&
      c.limits.memoryMiB !== undefined &&
      (c.requests.cpuMilli ?? c.limits.cpuMilli) === c.limits.cpuMilli &&
      (c.requests.memoryMiB ?? c.limits.memoryMiB) === c.limits.memoryMiB,
  );
  return guaranteed ? "Guaranteed" : "Burstable";
}

/** The phase Kubernetes would show: the one the node reported, else Kube-9's status read as a phase. */
export function podPhaseOf(p: PodDTO): PodPhase {
  if (p.phase) return p.phase;
  if (p.status === "Running" || p.status === "Succeeded" || p.status === "Failed") return p.status;
  // Scheduled (bound, not yet started) and Terminating before any report are Pending in Kubernetes terms.
  return "Pending";
}

/** Before any node reported, a Pending pod's reason for waiting is Kubernetes' PodScheduled=False condition. */
function unscheduledConditions(p: PodDTO): Record<string, unknown>[] {
  if (p.status !== "Pending") return [];
  return [compact({ type: "PodScheduled", status: "False", reason: "Unschedulable", message: p.message ?? undefined })];
}

/** A pod as a Kubernetes v1 Pod. */
export function toKubePod(p: PodDTO): Record<string, unknown> {
  const spec = p.spec;
  const failed = p.status === "Failed";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: compact({
      name: p.name,
      namespace: p.namespace,
      uid: p.id,
      labels: p.labels,
      creationTimestamp: p.createdAt,
    }),
    spec: compact({
      containers: spec ? spec.containers.map(kubeContainer) : [],
      restartPolicy: spec?.restartPolicy,
      terminationGracePeriodSeconds: spec?.terminationGracePeriodSeconds,
      nodeSelector: p.nodeSelector,
      nodeName: p.nodeName ?? undefined,
      schedulerName: p.algorithm ? `kube9-${p.algorithm}` : undefined,
    }),
    status: compact({
      phase: podPhaseOf(p),
      // Kube-9 keeps its placement message on every pod; Kubernetes has status.reason/message only for failures.
      reason: failed ? (p.reason ?? undefined) : undefined,
      message: failed ? (p.message ?? undefined) : undefined,
      podIP: p.podIP ?? undefined,
      podIPs: p.podIP ? [{ ip: p.podIP }] : undefined,
      startTime: p.startedAt ?? undefined,
      conditions: p.conditions.length ? p.conditions : unscheduledConditions(p),
      containerStatuses: p.containerStatuses,
      qosClass: spec ? qosClass(spec) : undefined,
    }),
  };
}

/** Kubernetes' Ready condition for a node: True when Ready or cordoned, Unknown when heartbeats stopped, else False. */
function readyCondition(n: NodeDTO): Record<string, unknown> {
  const status = n.status === "Ready" || n.status === "Cordoned" ? "True" : n.status === "Suspect" ? "Unknown" : "False";
  return compact({
    type: "Ready",
    status,
    reason: `Kube9${n.status}`,
    message: n.reason ?? undefined,
    lastHeartbeatTime: n.lastHeartbeatAt ?? undefined,
  });
}

/** A node as a Kubernetes v1 Node; its role becomes the node-role label kubectl reads. */
export function toKubeNode(n: NodeDTO): Record<string, unknown> {
  const capacity = { cpu: formatCpuQuantity(n.capacity.cpuMilli), memory: formatMemoryQuantity(n.capacity.memoryMiB) };
  const roleLabel = n.role === "master" ? { "node-role.kubernetes.io/control-plane": "" } : {};
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: compact({ name: n.name, uid: n.id, labels: { ...n.labels, ...roleLabel }, creationTimestamp: n.createdAt }),
    spec: compact({ unschedulable: n.status === "Cordoned" || n.status === "Removed" ? true : undefined }),
    status: compact({
      capacity,
      // Kube-9 reserves nothing for the system, so all of the capacity is allocatable.
      allocatable: capacity,
      conditions: [readyCondition(n)],
      nodeInfo: { containerRuntimeVersion: n.runtime },
    }),
  };
}

/** A namespace as a Kubernetes v1 Namespace (with the kubernetes.io/metadata.name label it always has). */
export function toKubeNamespace(n: NamespaceDTO): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: compact({ name: n.name, labels: n.labels, creationTimestamp: n.createdAt }),
    spec: { finalizers: ["kubernetes"] },
    status: { phase: n.status },
  };
}

/** A policy as a networking.k8s.io/v1 NetworkPolicy: the manifest as stored (defaults filled in) and its metadata. */
export function toKubeNetworkPolicy(p: NetworkPolicyDTO): Record<string, unknown> {
  const m = p.manifest as { metadata?: Record<string, unknown> };
  return { ...m, metadata: { ...m.metadata, uid: p.uid, generation: p.generation, creationTimestamp: p.createdAt } };
}

/** A v1 List of objects, which is what `kubectl get <kind> -o json` prints. */
export function kubeList(items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } };
}
