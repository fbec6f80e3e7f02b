// The metrics alert rules may name. One catalog serves the rule parser (unknown metric or label is an error
// that lists what exists) and the API's /metrics page (HELP and TYPE lines), so the two cannot drift apart.

/** One metric kube9 exposes: its name, the labels every sample carries, and its Prometheus HELP text. */
export interface MetricInfo {
  name: string;
  labels: readonly string[];
  help: string;
  // Every kube9 metric is a point-in-time reading (even restarts: a 5-minute window, not a running total).
  type: "gauge";
}

const NODE = ["node"] as const;
const POD = ["namespace", "pod", "node"] as const;
const CONTAINER = ["namespace", "pod", "container", "node"] as const;

function gauge(name: string, labels: readonly string[], help: string): MetricInfo {
  return { name, labels, help, type: "gauge" };
}

/** Every metric rules may use, in /metrics order. */
export const ALERT_METRICS: readonly MetricInfo[] = [
  gauge("kube9_node_cpu_usage_millicores", NODE, "CPU the node uses (containers and agent), in millicores."),
  gauge("kube9_node_memory_usage_bytes", NODE, "Memory the node uses (containers and agent), in bytes."),
  gauge("kube9_node_cpu_usage_ratio", NODE, "CPU the node uses divided by its CPU capacity."),
  gauge("kube9_node_memory_usage_ratio", NODE, "Memory the node uses divided by its memory capacity."),
  gauge("kube9_node_cpu_allocation_ratio", NODE, "CPU requests of the pods bound to the node divided by its CPU capacity."),
  gauge("kube9_node_memory_allocation_ratio", NODE, "Memory requests of the pods bound to the node divided by its memory capacity."),
  gauge("kube9_pod_cpu_usage_millicores", POD, "CPU the pod's containers use, in millicores."),
  gauge("kube9_pod_memory_usage_bytes", POD, "Memory the pod's containers use, in bytes."),
  gauge("kube9_container_cpu_usage_millicores", CONTAINER, "CPU the container uses, in millicores."),
  gauge("kube9_container_memory_usage_bytes", CONTAINER, "Memory the container uses, in bytes."),
  gauge("kube9_container_memory_limit_ratio", CONTAINER, "Memory the container uses divided by its memory limit (only containers with a memory limit)."),
  gauge("kube9_container_cpu_request_ratio", CONTAINER, "CPU the container uses divided by its CPU request (only containers with a CPU request)."),
  gauge("kube9_container_restarts_5m", CONTAINER, "Times the container restarted within the last 5 minutes."),
  gauge("kube9_pod_pending_seconds", ["namespace", "pod"], "Seconds a Pending pod has waited to be scheduled and started."),
];

const BY_NAME = new Map(ALERT_METRICS.map((m) => [m.name, m]));

/** The catalog entry for a metric name, or undefined if kube9 has no such metric. */
export function alertMetric(name: string): MetricInfo | undefined {
  return BY_NAME.get(name);
}
