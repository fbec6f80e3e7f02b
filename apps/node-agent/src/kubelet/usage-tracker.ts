import { roundMiB, type PodUsageReport, type Resources } from "@kube9/core";
import { readProcTable, type ProcEntry } from "../containers/proc.js";
import type { ContainerUsageReading } from "./pod-worker.js";

// Turns the containers' cumulative counters into use over an interval: CPU as millicores averaged
// since the previous sample, memory as it is now. One pass computes every pod and the total, so
// the two always agree.

/** What the containers used over one interval: each pod's containers, and their sum. */
export interface ContainersUsage {
  /** The sum of every running container (all of them, even past the report's pod cap). */
  total: Resources;
  /** Per pod id, per container name: [cpuMilli, memoryMiB]; pods without a running container are left out. */
  pods: PodUsageReport;
}

/** What the tracker needs of a pod. */
export interface UsageSource {
  readonly id: string;
  usage(procTable?: () => readonly ProcEntry[]): ContainerUsageReading[];
}

/** The heartbeat schema takes at most this many pods' usage; the node total still counts them all. */
export const MAX_REPORTED_PODS = 1000;

const MIB = 1024 * 1024;

interface CpuPoint {
  startedAt: number;
  nanos: number;
  /** performance.now() of the reading. */
  at: number;
}

/** Remembers each container's last CPU reading, so each sample covers the time since the previous one. */
export class UsageTracker {
  private seen = new Map<string, CpuPoint>();

  /** Use of the running containers since the previous call (a container's first interval starts at its start). */
  sample(pods: Iterable<UsageSource>, now = performance.now(), wallNow = Date.now()): ContainersUsage {
    const seen = new Map<string, CpuPoint>();
    const report: PodUsageReport = {};
    let cpuMilli = 0;
    let memoryMiB = 0;
    let reported = 0;
    // /proc is scanned at most once per sample, and only when some container has no cgroup to read.
    let table: ProcEntry[] | undefined;
    const procTable = () => (table ??= readProcTable("/proc", true));
    for (const pod of pods) {
      const readings = pod.usage(procTable);
      if (readings.length === 0) continue;
      const containers: Record<string, [number, number]> = {};
      for (const r of readings) {
        const cpu = Math.round(this.cpuMilli(r, now, wallNow, seen));
        const mem = roundMiB((r.usage.memoryBytes ?? 0) / MIB);
        containers[r.name] = [cpu, mem];
        cpuMilli += cpu;
        memoryMiB += mem;
      }
      if (reported++ < MAX_REPORTED_PODS) report[pod.id] = containers;
    }
    this.seen = seen;
    // The total is the sum of the rounded figures, so it matches the per-pod report exactly.
    return { total: { cpuMilli, memoryMiB: roundMiB(memoryMiB) }, pods: report };
  }

  private cpuMilli(r: ContainerUsageReading, now: number, wallNow: number, seen: Map<string, CpuPoint>): number {
    const nanos = r.usage.cpuNanos;
    if (nanos === undefined) return 0;
    const before = this.seen.get(r.id);
    // A new run (first sight or a restart, whose cgroup or process tree starts again from zero) is
    // measured from its start: its counter was zero then, so even its first interval means something.
    const from: CpuPoint =
      before && before.startedAt === r.startedAt ? before : { startedAt: r.startedAt, nanos: 0, at: now - Math.max(0, wallNow - r.startedAt) };
    seen.set(r.id, { startedAt: r.startedAt, nanos, at: now });
    if (now <= from.at) return 0;
    // CPU nanoseconds per wall microsecond equal millicores.
    return Math.max(0, (nanos - from.nanos) / ((now - from.at) * 1000));
  }
}
