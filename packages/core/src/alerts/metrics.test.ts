import { describe, expect, it } from "vitest";
import { ALERT_METRICS, alertMetric } from "./metrics.js";

describe("ALERT_METRICS", () => {
  const NODE = ["node"];
  const POD = ["namespace", "pod", "node"];
  const CONTAINER = ["namespace", "pod", "container", "node"];
  const cases: { name: string; labels: string[] }[] = [
    // node-wide readings carry only the node
    { name: "kube9_node_cpu_usage_millicores", labels: NODE },
    { name: "kube9_node_memory_usage_bytes", labels: NODE },
    { name: "kube9_node_cpu_usage_ratio", labels: NODE },
    { name: "kube9_node_memory_usage_ratio", labels: NODE },
    { name: "kube9_node_cpu_allocation_ratio", labels: NODE },
    { name: "kube9_node_memory_allocation_ratio", labels: NODE },
    // a pod is named by namespace and pod, and runs on a node
    { name: "kube9_pod_cpu_usage_millicores", labels: POD },
    { name: "kube9_pod_memory_usage_bytes", labels: POD },
    // a container adds its name to its pod's labels
    { name: "kube9_container_cpu_usage_millicores", labels: CONTAINER },
    { name: "kube9_container_memory_usage_bytes", labels: CONTAINER },
    { name: "kube9_container_memory_limit_ratio", labels: CONTAINER },
    { name: "kube9_container_cpu_request_ratio", labels: CONTAINER },
    { name: "kube9_container_restarts_5m", labels: CONTAINER },
    // a Pending pod has no node yet
    { name: "kube9_pod_pending_seconds", labels: ["namespace", "pod"] },
  ];
  it.each(cases)("$name has labels $labels", ({ name, labels }) => {
    expect(alertMetric(name)?.labels).toEqual(labels);
  });

  it("holds exactly those metrics, each once", () => {
    // 14 metrics in the brief, no duplicates
    expect(ALERT_METRICS.map((m) => m.name)).toEqual(cases.map((c) => c.name));
  });

  it.each(ALERT_METRICS.map((m) => ({ name: m.name, help: m.help })))("$name has one-line HELP text", ({ help }) => {
    // a HELP line ends at the newline, so the text must not contain one
    expect(help).not.toMatch(/\n/);
    expect(help.length).toBeGreaterThan(10);
  });

  it("knows nothing else", () => {
    expect(alertMetric("up")).toBeUndefined();
    // a prototype key is not a metric
    expect(alertMetric("constructor")).toBeUndefined();
  });
});
