import type { Resources } from "../types.js";

// Resource use as nodes measure it and the API keeps it (docs/architecture.md, "Usage and alerts").
// CPU is millicores averaged over the last interval; memory is MiB (working set or RSS), one decimal.

/** Per pod id, per container name: `[cpuMilli, memoryMiB]` measured over the last interval (compact: it rides every heartbeat). */
export type PodUsageReport = Record<string, Record<string, [number, number]>>;

/** What a heartbeat says about use: the node's total (containers + agent), the agent's own part, and each pod's containers. */
export interface UsageReport {
  node: Resources;
  agent?: Resources;
  pods?: PodUsageReport;
}

/** One point of a usage series: the start of its interval (ms since the epoch) and the average use over it. */
export interface UsagePoint {
  t: number;
  cpuMilli: number;
  memoryMiB: number;
}

/** What a usage series is about: one node, one pod, or the whole cluster (the sum of its nodes). */
export type UsageTarget = { kind: "node"; name: string } | { kind: "pod"; name: string; namespace?: string } | { kind: "cluster" };

/** Rounds a measured MiB figure to one decimal, as reported (a busybox `sleep` is 0.3 MiB, not 0). */
export function roundMiB(mib: number): number {
  return Math.round(mib * 10) / 10;
}
