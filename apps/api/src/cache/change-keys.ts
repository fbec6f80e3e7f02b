import type { Resources } from "@kube9/core";
import type { ClusterRecord, NodeRecord, PodRecord } from "@kube9/db";

// What a resync compares to tell a real change from a re-read of the same state.

/** Whether two amounts are equal. */
export function sameResources(a: Resources, b: Resources): boolean {
  return a.cpuMilli === b.cpuMilli && a.memoryMiB === b.memoryMiB;
}

/** The fields of a node whose change is news (not the heartbeat time or usage). */
export function nodeKey(n: NodeRecord): string {
  return JSON.stringify([
    n.name,
    n.status,
    n.statusReason,
    n.capacity,
    n.allocated,
    recordKey(n.labels),
    n.podIds,
    recordKey(n.components),
    n.containerId,
    n.recoveryAttempts,
    n.credentialHash,
  ]);
}

/** A key-order-independent form of a flat record: jsonb does not keep key order, so a re-read object may list its keys differently. */
export function recordKey(record: Record<string, string>): string {
  return Object.keys(record)
    .sort()
    .map((k) => `${k}=${record[k]}`)
    .join(",");
}

/** The fields of a pod whose change is news. */
export function podKey(p: PodRecord): string {
  return JSON.stringify([p.status, p.nodeId, p.nodeName, p.reason, p.message, p.restarts, p.startedAt, p.finishedAt, p.podStatus?.podIP]);
}

/** The cluster settings users can change. */
export function settingsKey(s: ClusterRecord | null): string {
  return s ? JSON.stringify([s.algorithm, s.health, s.adminTokenHash]) : "";
}

/** What NetworkPolicies see of a pod: a change here changes some pod's firewall. */
export function podNetpolKey(p: PodRecord | undefined): string {
  if (!p) return "";
  const ports = p.spec?.containers.flatMap((c) => c.ports ?? []) ?? [];
  return JSON.stringify([p.namespace, p.name, recordKey(p.labels), p.nodeId, p.status, p.podStatus?.podIP, ports]);
}
