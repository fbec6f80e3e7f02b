import type { ResourceAmounts, Resources, UsagePoint, UsageTarget } from "@kube9/core";
import type { Database, NodeRecord, PodRecord } from "@kube9/db";
import type { ClusterCache } from "../cache/cluster-cache.js";
import { DomainError, notFound } from "../errors.js";
import { BUCKET_S, WINDOW_S } from "../usage/usage-series.js";
import { CLUSTER_ID, type UsageStore } from "../usage/usage-store.js";

/** A node's latest use against its capacity and allocation (what `kube9 top nodes` shows; metrics.k8s.io's NodeMetrics plus more). */
export interface NodeUsageDTO {
  name: string;
  status: string;
  /** When it was measured (ms), null without a fresh sample. */
  timestamp: number | null;
  windowSeconds: number;
  usage: Resources | null;
  /** The agent's own part of `usage`. */
  agent: Resources | null;
  capacity: Resources;
  allocated: Resources;
  podCount: number;
}

/** One container's latest use against what it asked for. */
export interface ContainerUsageDTO {
  name: string;
  usage: Resources | null;
  requests: ResourceAmounts;
  limits: ResourceAmounts;
}

/** A pod's latest use (metrics.k8s.io's PodMetrics plus requests and limits, so over- and under-requested pods show). */
export interface PodUsageDTO {
  name: string;
  namespace: string;
  node: string | null;
  status: string;
  timestamp: number | null;
  windowSeconds: number;
  usage: Resources | null;
  requests: Resources;
  /** The sum of the containers' limits, per resource, when every container has one. */
  limits: ResourceAmounts;
  containers: ContainerUsageDTO[];
}

/** A usage series over a time range, with the lines a chart draws it against. */
export interface UsageRangeDTO {
  target: UsageTarget;
  from: number;
  to: number;
  stepSeconds: number;
  points: UsagePoint[];
  /** Pods: the sum of requests and of limits; nodes and the cluster: capacity and allocation now. */
  requests?: Resources;
  limits?: ResourceAmounts;
  capacity?: Resources;
  allocated?: Resources;
}

export interface UsageQueriesDeps {
  db: Database;
  cache: ClusterCache;
  usage: UsageStore;
  now: () => number;
  /** A sample older than this is not "latest" any more (a few heartbeat intervals). */
  staleAfterMs: () => number;
}

const LIVE_POD = new Set(["Scheduled", "Running", "Terminating"]);
/** At most this many points in a range answer. */
const MAX_POINTS = 11_000;

/** Read models of measured use: the latest per node and pod, and series over a range (memory for 15 minutes, then the database). */
export class UsageQueries {
  constructor(private readonly deps: UsageQueriesDeps) {}

  /** Every node that is not removed, with its latest use. */
  nodes(): NodeUsageDTO[] {
    const now = this.deps.now();
    return this.deps.cache
      .nodes()
      .filter((n) => n.status !== "Removed")
      .map((n) => this.nodeUsage(n, now));
  }

  /** Pods bound to a node (Scheduled, Running, Terminating), with their containers' latest use. */
  pods(): PodUsageDTO[] {
    const now = this.deps.now();
    return this.deps.cache
      .pods()
      .filter((p) => LIVE_POD.has(p.status) && p.nodeId)
      .map((p) => this.podUsage(p, now));
  }

  /** A series for a node, a pod or the cluster over [from, to) (default the last 15 minutes), averaged per step. */
  async range(target: UsageTarget, opts: { from?: number; to?: number; stepSeconds?: number }): Promise<UsageRangeDTO> {
    const now = this.deps.now();
    const to = opts.to ?? now;
    const from = opts.from ?? to - WINDOW_S * 1000;
    if (from >= to) throw new DomainError("invalid", "from: must be before to");
    const span = (to - from) / 1000;
    const step = opts.stepSeconds ?? autoStep(span);
    if (span / step > MAX_POINTS) throw new DomainError("invalid", `stepSeconds: ${step} s gives more than ${MAX_POINTS} points over ${Math.round(span)} s; use a step of at least ${Math.ceil(span / MAX_POINTS)} s`);
    const { id, extra } = await this.resolve(target);
    // The newest part from memory (1 s), anything older from the 10 s history.
    const memFrom = Math.max(from, this.deps.usage.coveredFrom(id, now));
    const older = from < memFrom ? await this.deps.db.usage.range(id, from, Math.min(to, memFrom), Math.max(step, BUCKET_S) * 1000) : [];
    const recent = memFrom < to ? this.deps.usage.points(id, memFrom, to, step) : [];
    const points = [...older.map((r) => ({ t: r.t, cpuMilli: r.cpuMilli, memoryMiB: r.memoryMiB })), ...recent].map((p) => ({
      t: p.t,
      cpuMilli: Math.round(p.cpuMilli * 10) / 10,
      memoryMiB: Math.round(p.memoryMiB * 10) / 10,
    }));
    return { target, from, to, stepSeconds: step, points, ...extra };
  }

  private async resolve(target: UsageTarget): Promise<{ id: string; extra: Partial<UsageRangeDTO> }> {
    if (target.kind === "cluster") {
      const live = this.deps.cache.nodes().filter((n) => n.status !== "Removed");
      return { id: CLUSTER_ID, extra: { capacity: sum(live.map((n) => n.capacity)), allocated: sum(live.map((n) => n.allocated)) } };
    }
    if (target.kind === "node") {
      const n = await this.deps.cache.findNode(target.name);
      if (!n) throw notFound("node", target.name);
      return { id: n.id, extra: { capacity: { ...n.capacity }, allocated: { ...n.allocated } } };
    }
    const p = await this.deps.cache.findPod(target.namespace ?? "default", target.name);
    if (!p) throw notFound("pod", target.name, target.namespace);
    return { id: p.id, extra: { requests: { ...p.request }, limits: podLimits(p) } };
  }

  private nodeUsage(n: NodeRecord, now: number): NodeUsageDTO {
    const s = this.deps.usage.node(n.id, now, this.deps.staleAfterMs());
    return {
      name: n.name,
      status: n.status,
      timestamp: s?.at ?? null,
      windowSeconds: 1,
      usage: s ? { ...s.usage } : null,
      agent: s?.agent ? { ...s.agent } : null,
      capacity: { ...n.capacity },
      allocated: { ...n.allocated },
      podCount: this.deps.cache.podsOn(n.id).filter((p) => LIVE_POD.has(p.status)).length,
    };
  }

  private podUsage(p: PodRecord, now: number): PodUsageDTO {
    const s = this.deps.usage.pod(p.id, now, this.deps.staleAfterMs(), p.nodeId ?? undefined);
    const containers = (p.spec?.containers ?? []).map((c) => ({
      name: c.name,
      usage: s?.containers[c.name] ? { ...s.containers[c.name]! } : null,
      requests: { ...c.requests },
      limits: { ...c.limits },
    }));
    return {
      name: p.name,
      namespace: p.namespace,
      node: p.nodeName,
      status: p.status,
      timestamp: s?.at ?? null,
      windowSeconds: 1,
      usage: s ? { ...s.usage } : null,
      requests: { ...p.request },
      limits: podLimits(p),
      containers,
    };
  }
}

/** The sum of the containers' limits per resource, present only when every container sets it. */
export function podLimits(p: PodRecord): ResourceAmounts {
  const cs = p.spec?.containers ?? [];
  if (cs.length === 0) return {};
  const out: ResourceAmounts = {};
  if (cs.every((c) => c.limits.cpuMilli !== undefined)) out.cpuMilli = cs.reduce((s, c) => s + c.limits.cpuMilli!, 0);
  if (cs.every((c) => c.limits.memoryMiB !== undefined)) out.memoryMiB = cs.reduce((s, c) => s + c.limits.memoryMiB!, 0);
  return out;
}

function sum(rs: Resources[]): Resources {
  return rs.reduce((a, r) => ({ cpuMilli: a.cpuMilli + r.cpuMilli, memoryMiB: a.memoryMiB + r.memoryMiB }), { cpuMilli: 0, memoryMiB: 0 });
}

/** About 300 points a chart: 1 s up to 5 minutes, then whole 10 s multiples. */
function autoStep(spanSeconds: number): number {
  const raw = spanSeconds / 300;
  return raw <= 1 ? 1 : raw <= BUCKET_S ? Math.ceil(raw) : Math.ceil(raw / BUCKET_S) * BUCKET_S;
}
