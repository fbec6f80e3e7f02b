import type { Resources } from "@kube9/client";
import { roundMiB, type PodUsageReport } from "@kube9/core";
import type { ContainersUsage } from "./kubelet/usage-tracker.js";

/** Returns the resources used since the previous call. */
export type UsageSampler = () => Resources;

/**
 * Samples this process's own use: CPU as millicores averaged since the previous sample
 * (the first sample covers the time since creation), memory as resident set size in MiB.
 */
export function createProcessUsageSampler(): UsageSampler {
  let lastCpu = process.cpuUsage();
  let lastAt = process.hrtime.bigint();
  return () => {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const usedMicros = cpu.user - lastCpu.user + (cpu.system - lastCpu.system);
    lastCpu = cpu;
    const elapsedMs = Number(now - lastAt) / 1e6;
    lastAt = now;
    // CPU microseconds per wall millisecond equals millicores.
    const cpuMilli = elapsedMs > 0 ? Math.max(0, Math.round(usedMicros / elapsedMs)) : 0;
    const memoryMiB = roundMiB(process.memoryUsage.rss() / (1024 * 1024));
    return { cpuMilli, memoryMiB };
  };
}

/** The sum of two usages (the agent's own and its containers'). */
export function addResources(a: Resources, b: Resources): Resources {
  return { cpuMilli: a.cpuMilli + b.cpuMilli, memoryMiB: roundMiB(a.memoryMiB + b.memoryMiB) };
}

/** The usage fields of a heartbeat: the node's total (containers + agent), the agent's part, each pod's containers. */
export interface HeartbeatUsage {
  usage: Resources;
  agentUsage?: Resources;
  podUsage?: PodUsageReport;
}

/**
 * Samples are at least this far apart even when beats come faster (a change is confirmed at once):
 * /proc counts CPU in 10 ms ticks, which over 100 ms would be ±100m of noise.
 */
export const MIN_SAMPLE_INTERVAL_MS = 500;

/**
 * Samples the node for each heartbeat: the containers (one kubelet pass) and the agent over the same
 * interval. A beat sooner than `minIntervalMs` after the last sample repeats it, without the pods
 * the node no longer reports.
 */
export function createHeartbeatUsage(
  containers: () => ContainersUsage,
  own: UsageSampler = createProcessUsageSampler(),
  minIntervalMs = MIN_SAMPLE_INTERVAL_MS,
): (podIds: readonly string[]) => HeartbeatUsage {
  let last: { at: number; value: HeartbeatUsage } | undefined;
  return (podIds) => {
    const now = performance.now();
    if (last && now - last.at < minIntervalMs) return withoutGonePods(last.value, podIds);
    const agentUsage = own();
    const measured = containers();
    const value: HeartbeatUsage = {
      usage: addResources(agentUsage, measured.total),
      agentUsage,
      ...(Object.keys(measured.pods).length > 0 ? { podUsage: measured.pods } : {}),
    };
    last = { at: now, value };
    return value;
  };
}

/** A repeated sample must not speak for a pod that stopped since (its share stays in the total until the next sample). */
function withoutGonePods(value: HeartbeatUsage, podIds: readonly string[]): HeartbeatUsage {
  if (!value.podUsage) return value;
  const live = new Set(podIds);
  const ids = Object.keys(value.podUsage);
  if (ids.every((id) => live.has(id))) return value;
  const podUsage: PodUsageReport = {};
  for (const id of ids) if (live.has(id)) podUsage[id] = value.podUsage[id]!;
  const { usage, agentUsage } = value;
  return { usage, ...(agentUsage ? { agentUsage } : {}), ...(Object.keys(podUsage).length > 0 ? { podUsage } : {}) };
}
