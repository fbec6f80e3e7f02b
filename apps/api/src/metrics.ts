import { NODE_STATUSES, POD_STATUSES } from "@kube9/core";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What the control plane reports as it works (all optional to call; a no-op when metrics are off). */
export interface ControlPlaneMetrics {
  /** One scheduling attempt for one pod: placed, fits nowhere, or failed with an error. */
  schedulingAttempt(result: "scheduled" | "unschedulable" | "error", seconds: number): void;
  /** One heartbeat received from an agent. */
  heartbeat(): void;
  /** A node was marked Failed, this long after its last heartbeat (null: it never sent one). */
  nodeFailed(secondsSinceLastHeartbeat: number | null): void;
  /** Pods sent back to the queue to be placed again (their node failed or was removed). */
  podsRescheduled(count: number): void;
}

/** The numbers the gauges read at scrape time (the shape of ControlPlane.clusterStatus()). */
export interface ClusterTotals {
  nodes: { byStatus: Record<string, number> };
  pods: { byStatus: Record<string, number> };
  capacity: { cpuMilli: number; memoryMiB: number };
  allocated: { cpuMilli: number; memoryMiB: number };
}

/** Prometheus metrics of one API process (its own registry, so tests can run several side by side). */
export class Metrics implements ControlPlaneMetrics {
  readonly registry = new Registry();
  private readonly attempts: Counter<"result">;
  private readonly latency: Histogram;
  private readonly beats: Counter;
  private readonly failDelay: Histogram;
  private readonly reschedules: Counter;
  private readonly nodes: Gauge<"status">;
  private readonly pods: Gauge<"status">;
  private readonly cpu: Gauge<"kind">;
  private readonly memory: Gauge<"kind">;

  constructor(private readonly totals?: () => Promise<ClusterTotals>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "kube9_process_" });
    this.attempts = new Counter({
      name: "kube9_scheduling_attempts_total",
      help: "Scheduling attempts for one pod, by result (scheduled, unschedulable, error).",
      labelNames: ["result"],
      registers,
    });
    for (const r of ["scheduled", "unschedulable", "error"]) this.attempts.inc({ result: r }, 0);
    this.latency = new Histogram({
      name: "kube9_scheduling_duration_seconds",
      help: "Time to choose and bind a node for one pod (one attempt).",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.beats = new Counter({ name: "kube9_heartbeats_received_total", help: "Heartbeats received from node agents.", registers });
    this.failDelay = new Histogram({
      name: "kube9_node_failure_detection_seconds",
      help: "Time from a node's last heartbeat to the moment it was marked Failed.",
      buckets: [0.5, 1, 2, 3, 4, 5, 6, 7.5, 10, 15, 30, 60, 120],
      registers,
    });
    this.reschedules = new Counter({
      name: "kube9_pod_reschedules_total",
      help: "Pods sent back to the scheduling queue because their node failed or was removed.",
      registers,
    });
    this.nodes = new Gauge({ name: "kube9_nodes", help: "Nodes by status.", labelNames: ["status"], registers });
    this.pods = new Gauge({ name: "kube9_pods", help: "Pods by status.", labelNames: ["status"], registers });
    this.cpu = new Gauge({
      name: "kube9_cpu_millicores",
      help: "CPU of the live nodes in millicores: capacity and allocated (requests of bound pods).",
      labelNames: ["kind"],
      registers,
    });
    this.memory = new Gauge({
      name: "kube9_memory_mebibytes",
      help: "Memory of the live nodes in MiB: capacity and allocated.",
      labelNames: ["kind"],
      registers,
    });
  }

  schedulingAttempt(result: "scheduled" | "unschedulable" | "error", seconds: number): void {
    this.attempts.inc({ result });
    this.latency.observe(seconds);
  }

  heartbeat(): void {
    this.beats.inc();
  }

  nodeFailed(secondsSinceLastHeartbeat: number | null): void {
    if (secondsSinceLastHeartbeat !== null) this.failDelay.observe(Math.max(0, secondsSinceLastHeartbeat));
  }

  podsRescheduled(count: number): void {
    if (count > 0) this.reschedules.inc(count);
  }

  /** The text exposition (reads the cluster totals first, once per scrape). */
  async render(): Promise<string> {
    if (this.totals) {
      const t = await this.totals();
      for (const s of NODE_STATUSES) this.nodes.set({ status: s }, t.nodes.byStatus[s] ?? 0);
      for (const s of POD_STATUSES) this.pods.set({ status: s }, t.pods.byStatus[s] ?? 0);
      this.cpu.set({ kind: "capacity" }, t.capacity.cpuMilli);
      this.cpu.set({ kind: "allocated" }, t.allocated.cpuMilli);
      this.memory.set({ kind: "capacity" }, t.capacity.memoryMiB);
      this.memory.set({ kind: "allocated" }, t.allocated.memoryMiB);
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
