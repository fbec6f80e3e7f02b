import { NODE_STATUSES, POD_STATUSES } from "@kube9/client";
import type { ClusterStatus } from "../types.js";
import { formatCores, formatCounts, formatPercent } from "./format.js";
import { renderFields } from "./table.js";

/** The `cluster status` summary. */
export function renderClusterStatus(s: ClusterStatus): string {
  const h = s.health;
  const fields: [string, string][] = [
    ["Cluster", s.clusterId],
    ["Algorithm", s.algorithm],
    ["Runtime", s.runtime],
    ["Database", s.database],
    ["Nodes", `${s.nodes.total} (${formatCounts(s.nodes.byStatus, NODE_STATUSES)})`],
    ["Pods", `${s.pods.total} (${formatCounts(s.pods.byStatus, POD_STATUSES)})`],
    [
      "CPU",
      `${formatCores(s.allocated.cpuMilli)} / ${formatCores(s.capacity.cpuMilli)} cores allocated ` +
        `(${formatPercent(s.allocated.cpuMilli, s.capacity.cpuMilli)})`,
    ],
    [
      "Memory",
      `${s.allocated.memoryMiB} / ${s.capacity.memoryMiB} MiB allocated ` +
        `(${formatPercent(s.allocated.memoryMiB, s.capacity.memoryMiB)})`,
    ],
    [
      "Health",
      `heartbeat every ${h.heartbeatIntervalMs} ms, Suspect after ${h.suspectAfterMs} ms, ` +
        `Failed after ${h.failedAfterMs} ms, up to ${h.maxRecoveryAttempts} recovery attempts`,
    ],
  ];
  return renderFields(fields);
}
