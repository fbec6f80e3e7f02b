import { roundMiB, type PodUsageReport, type Resources, type UsagePoint } from "@kube9/core";
import { type FinishedBucket, UsageSeries, WINDOW_S } from "./usage-series.js";

/** The id of the cluster's own series (the sum of its nodes), as stored in usage_history. */
export const CLUSTER_ID = "00000000-0000-0000-0000-000000000000";

/** A node's latest measurement. */
export interface NodeUsageSample {
  at: number;
  usage: Resources;
  agent: Resources | null;
}

/** A pod's latest measurement: its containers' and their sum. */
export interface PodUsageSample {
  at: number;
  nodeId: string;
  usage: Resources;
  containers: Record<string, Resources>;
}

/** A finished 10 s bucket of one object, ready for usage_history. */
export interface HistoryRow extends FinishedBucket {
  objectId: string;
}

/**
 * What nodes measured, as the API keeps it (docs/architecture.md, "Usage and alerts"): the latest
 * sample per node, pod and container, and 1 s series for the last 15 minutes per node, pod and the
 * cluster, each also averaged into 10 s buckets that the usage-history controller writes to the
 * database. Memory only: an API restart starts the 1 s series afresh and the history serves the rest.
 */
export class UsageStore {
  private readonly nodes = new Map<string, NodeUsageSample>();
  private readonly pods = new Map<string, PodUsageSample>();
  private readonly series = new Map<string, UsageSeries>();

  /** Stores one heartbeat's measurements. Pods the node no longer reports keep their last sample until they go stale. */
  record(nodeId: string, at: number, node: Resources, agent: Resources | undefined, pods: PodUsageReport | undefined): void {
    this.nodes.set(nodeId, { at, usage: { ...node }, agent: agent ? { ...agent } : null });
    this.seriesOf(nodeId).add(at, node.cpuMilli, node.memoryMiB);
    if (!pods) return;
    for (const [podId, containers] of Object.entries(pods)) {
      let cpu = 0;
      let mem = 0;
      const named: Record<string, Resources> = {};
      for (const [name, [c, m]] of Object.entries(containers)) {
        named[name] = { cpuMilli: c, memoryMiB: m };
        cpu += c;
        mem += m;
      }
      const usage = { cpuMilli: Math.round(cpu), memoryMiB: roundMiB(mem) };
      this.pods.set(podId, { at, nodeId, usage, containers: named });
      this.seriesOf(podId).add(at, usage.cpuMilli, usage.memoryMiB);
    }
  }

  /** The node's latest sample if it is no older than `maxAgeMs`. */
  node(nodeId: string, now: number, maxAgeMs: number): NodeUsageSample | undefined {
    const s = this.nodes.get(nodeId);
    return s && now - s.at <= maxAgeMs ? s : undefined;
  }

  /** The pod's latest sample if it is no older than `maxAgeMs` and came from `nodeId` (its current node) when given. */
  pod(podId: string, now: number, maxAgeMs: number, nodeId?: string): PodUsageSample | undefined {
    const s = this.pods.get(podId);
    if (!s || now - s.at > maxAgeMs) return undefined;
    return nodeId === undefined || s.nodeId === nodeId ? s : undefined;
  }

  /** Adds the cluster's point for this second: the sum of the nodes measured within `maxAgeMs`. */
  tickCluster(now: number, maxAgeMs: number): Resources {
    let cpu = 0;
    let mem = 0;
    for (const s of this.nodes.values()) {
      if (now - s.at > maxAgeMs) continue;
      cpu += s.usage.cpuMilli;
      mem += s.usage.memoryMiB;
    }
    const total = { cpuMilli: cpu, memoryMiB: roundMiB(mem) };
    this.seriesOf(CLUSTER_ID).add(now, total.cpuMilli, total.memoryMiB);
    return total;
  }

  /** 1 s points of an object (node id, pod id or CLUSTER_ID) in [fromMs, toMs), averaged per step. */
  points(objectId: string, fromMs: number, toMs: number, stepS: number): UsagePoint[] {
    return this.series.get(objectId)?.points(fromMs, toMs, stepS) ?? [];
  }

  /** The earliest time (ms) from which memory holds the object's series; later than any time when it holds none. */
  coveredFrom(objectId: string, now: number): number {
    const s = this.series.get(objectId);
    if (!s || s.newestSec < 0) return now + 1;
    return Math.max(s.firstSec, s.newestSec - WINDOW_S + 1) * 1000;
  }

  /** Every finished 10 s bucket, once; series silent for the whole window are dropped (their last bucket included). */
  takeHistory(now: number): HistoryRow[] {
    const rows: HistoryRow[] = [];
    const nowSec = Math.floor(now / 1000);
    for (const [objectId, s] of this.series) {
      for (const b of s.takeFinished(now)) rows.push({ objectId, ...b });
      if (nowSec - s.newestSec > WINDOW_S) this.series.delete(objectId);
    }
    for (const [id, s] of this.pods) if (now - s.at > WINDOW_S * 1000) this.pods.delete(id);
    for (const [id, s] of this.nodes) if (now - s.at > WINDOW_S * 1000) this.nodes.delete(id);
    return rows;
  }

  /** How many series are held (for figures). */
  get seriesCount(): number {
    return this.series.size;
  }

  private seriesOf(id: string): UsageSeries {
    let s = this.series.get(id);
    if (!s) this.series.set(id, (s = new UsageSeries()));
    return s;
  }
}
