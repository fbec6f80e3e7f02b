import { alertMetric, type ActiveAlert, type MetricSample } from "@kube9/core";
import type { NodeRecord, PodRecord } from "@kube9/db";
import type { UsageStore } from "./usage-store.js";

const MiB = 1024 * 1024;
const RESTART_WINDOW_MS = 5 * 60 * 1000;
const LIVE_POD = new Set(["Scheduled", "Running", "Terminating"]);

/** What the sample builder reads: the cluster's objects now and the measured use. */
export interface SampleSource {
  nodes(): NodeRecord[];
  pods(): PodRecord[];
  usage: UsageStore;
  now: number;
  staleAfterMs: number;
}

/**
 * Containers' restart counts over time, so `kube9_container_restarts_5m` is the increase within the
 * last five minutes (as PromQL's increase() over a 5m range): the baseline is the newest count seen at
 * or before the window's start, or the first count seen.
 */
export class RestartTracker {
  private readonly seen = new Map<string, Array<[number, number]>>();

  /** Notes the count now and returns its increase over the last five minutes. */
  observe(key: string, count: number, now: number): number {
    let h = this.seen.get(key);
    if (!h) this.seen.set(key, (h = []));
    if (h.length === 0 || h[h.length - 1]![1] !== count) h.push([now, count]);
    // Keep one entry at or before the window's start as the baseline.
    while (h.length > 1 && h[1]![0] <= now - RESTART_WINDOW_MS) h.shift();
    return Math.max(0, count - h[0]![1]);
  }

  /** Forgets containers not observed in this round. */
  retain(keys: Set<string>): void {
    for (const k of this.seen.keys()) if (!keys.has(k)) this.seen.delete(k);
  }
}

/** The instant vector of every kube9 metric now: what alert rules evaluate and /metrics exports (docs/architecture.md, "Usage and alerts"). */
export function buildMetricSamples(src: SampleSource, restarts: RestartTracker): MetricSample[] {
  const out: MetricSample[] = [];
  const push = (metric: string, labels: Record<string, string>, value: number) => {
    if (Number.isFinite(value)) out.push({ metric, labels, value });
  };
  for (const n of src.nodes()) {
    if (n.status === "Removed") continue;
    const node = { node: n.name };
    const s = src.usage.node(n.id, src.now, src.staleAfterMs);
    if (s) {
      push("kube9_node_cpu_usage_millicores", node, s.usage.cpuMilli);
      push("kube9_node_memory_usage_bytes", node, Math.round(s.usage.memoryMiB * MiB));
      if (n.capacity.cpuMilli > 0) push("kube9_node_cpu_usage_ratio", node, s.usage.cpuMilli / n.capacity.cpuMilli);
      if (n.capacity.memoryMiB > 0) push("kube9_node_memory_usage_ratio", node, s.usage.memoryMiB / n.capacity.memoryMiB);
    }
    if (n.capacity.cpuMilli > 0) push("kube9_node_cpu_allocation_ratio", node, n.allocated.cpuMilli / n.capacity.cpuMilli);
    if (n.capacity.memoryMiB > 0) push("kube9_node_memory_allocation_ratio", node, n.allocated.memoryMiB / n.capacity.memoryMiB);
  }
  const keys = new Set<string>();
  for (const p of src.pods()) {
    if (p.status === "Pending") {
      push("kube9_pod_pending_seconds", { namespace: p.namespace, pod: p.name }, Math.max(0, (src.now - p.createdAt) / 1000));
      continue;
    }
    if (!LIVE_POD.has(p.status) || !p.nodeId) continue;
    const podLabels = { namespace: p.namespace, pod: p.name, node: p.nodeName ?? "" };
    const s = src.usage.pod(p.id, src.now, src.staleAfterMs, p.nodeId);
    if (s) {
      push("kube9_pod_cpu_usage_millicores", podLabels, s.usage.cpuMilli);
      push("kube9_pod_memory_usage_bytes", podLabels, Math.round(s.usage.memoryMiB * MiB));
    }
    for (const c of p.spec?.containers ?? []) {
      const labels = { ...podLabels, container: c.name };
      const u = s?.containers[c.name];
      if (u) {
        push("kube9_container_cpu_usage_millicores", labels, u.cpuMilli);
        push("kube9_container_memory_usage_bytes", labels, Math.round(u.memoryMiB * MiB));
        if (c.limits.memoryMiB) push("kube9_container_memory_limit_ratio", labels, u.memoryMiB / c.limits.memoryMiB);
        if (c.requests.cpuMilli) push("kube9_container_cpu_request_ratio", labels, u.cpuMilli / c.requests.cpuMilli);
      }
      const status = p.podStatus?.containerStatuses.find((cs) => cs.name === c.name);
      if (status) {
        const key = `${p.id}/${c.name}`;
        keys.add(key);
        push("kube9_container_restarts_5m", labels, restarts.observe(key, status.restartCount, src.now));
      }
    }
  }
  restarts.retain(keys);
  return out;
}

/** Prometheus text exposition of samples, grouped by metric with HELP and TYPE lines. */
export function renderSamples(samples: MetricSample[], help: (metric: string) => string): string {
  const byMetric = new Map<string, MetricSample[]>();
  for (const s of samples) {
    let list = byMetric.get(s.metric);
    if (!list) byMetric.set(s.metric, (list = []));
    list.push(s);
  }
  const lines: string[] = [];
  for (const [metric, list] of byMetric) {
    lines.push(`# HELP ${metric} ${help(metric)}`, `# TYPE ${metric} gauge`);
    for (const s of list) lines.push(`${metric}${labelText(s.labels)} ${s.value}`);
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** The HELP text of a kube9 metric (the catalog rules use). */
export function metricHelp(metric: string): string {
  return alertMetric(metric)?.help ?? metric;
}

/** `kube9_alerts{alertname, alertstate, ...labels} 1` per pending or firing alert, as Prometheus' ALERTS series. */
export function renderAlerts(alerts: ActiveAlert[]): string {
  const lines = ["# HELP kube9_alerts Alerts pending or firing now (as Prometheus' ALERTS series).", "# TYPE kube9_alerts gauge"];
  for (const a of alerts) lines.push(`kube9_alerts${labelText({ ...a.labels, alertname: a.rule, alertstate: a.state })} 1`);
  return `${lines.join("\n")}\n`;
}
