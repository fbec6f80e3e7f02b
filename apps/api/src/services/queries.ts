import { decodeContinue, explain, isTerminalNodeStatus, pageAfter, parseSelectorString, selectorMatches, type LabelSelector, type NodeStatus, type Page, type PodStatus, type PolicyName, type SchedNode } from "@kube9/core";
import type { Database, NodeRecord, PodRecord } from "@kube9/db";
import type { ClusterCache } from "../cache/cluster-cache.js";
import { toEventDTO, toPodDTO, type EventDTO, type NodeDTO, type NodeFitDTO, type PodDTO } from "../dto.js";
import { invalid, notFound } from "../errors.js";

export const VERSION = "0.1.0";

export interface QueriesDeps {
  db: Database;
  cache: ClusterCache;
  view: (n: NodeRecord) => NodeDTO;
  runtime: () => string;
}

/** The read models: lists, descriptions, totals and events, from the cache (events from the database). */
export class Queries {
  constructor(private readonly deps: QueriesDeps) {}

  /** Liveness and identity. */
  healthCheck(): { ok: true; version: string; clusterId: string } {
    return { ok: true, version: VERSION, clusterId: this.deps.cache.settings.id };
  }

  /** Nodes in registration order, optionally filtered by status. */
  listNodes(status?: NodeStatus[], selector?: string): NodeDTO[] {
    return this.matchingNodes(status, selector).map(this.deps.view);
  }

  /**
   * One page of nodes in registration order, filtered by status and a kubectl label selector; the
   * continue token of the previous page names where this one starts (Kubernetes' limit/continue).
   */
  pageNodes(opts: { limit: number; continue?: string; status?: NodeStatus[]; selector?: string }): Page<NodeDTO> {
    let after: number | null = null;
    if (opts.continue !== undefined) {
      const d = decodeContinue(opts.continue);
      if (!d.ok) throw invalid(d.error);
      after = d.key;
    }
    const nodes = this.matchingNodes(opts.status, opts.selector).sort((a, b) => a.seq - b.seq);
    const page = pageAfter(nodes, (n) => n.seq, after, opts.limit);
    return { ...page, items: page.items.map(this.deps.view) };
  }

  private matchingNodes(status: NodeStatus[] | undefined, selectorText: string | undefined): NodeRecord[] {
    let selector: LabelSelector | undefined;
    if (selectorText !== undefined) {
      const parsed = parseSelectorString(selectorText);
      if (!parsed.ok) throw invalid(`selector: ${parsed.error}`);
      selector = parsed.selector;
    }
    return this.liveNodes().filter((n) => (!status || status.includes(n.status)) && (!selector || selectorMatches(selector, n.labels)));
  }

  /** One node with its pods and recent events. */
  async describeNode(name: string): Promise<{ node: NodeDTO; pods: PodDTO[]; events: EventDTO[] }> {
    const node = await this.node(name);
    const events = await this.deps.db.events.list({ objectId: node.id, limit: 20 });
    return { node: this.deps.view(node), pods: this.deps.cache.podsOn(node.id).map(toPodDTO), events: events.map(toEventDTO) };
  }

  /** Pods in creation order, optionally filtered by status and node. */
  async listPods(filter: { status?: PodStatus[]; nodeName?: string; namespace?: string }): Promise<PodDTO[]> {
    const nodeId = filter.nodeName === undefined ? undefined : (await this.node(filter.nodeName)).id;
    const pods = nodeId === undefined ? this.deps.cache.pods() : this.deps.cache.podsOn(nodeId);
    return pods
      .filter((p) => (!filter.status || filter.status.includes(p.status)) && (filter.namespace === undefined || p.namespace === filter.namespace))
      .map(toPodDTO);
  }

  /** One page of pods in creation order, filtered as listPods; the continue token of the previous page names where it starts. */
  async pagePods(opts: { limit: number; continue?: string; status?: PodStatus[]; nodeName?: string; namespace?: string }): Promise<Page<PodDTO>> {
    let after: number | null = null;
    if (opts.continue !== undefined) {
      const d = decodeContinue(opts.continue);
      if (!d.ok) throw invalid(d.error);
      after = d.key;
    }
    const nodeId = opts.nodeName === undefined ? undefined : (await this.node(opts.nodeName)).id;
    const pods = (nodeId === undefined ? this.deps.cache.pods() : this.deps.cache.podsOn(nodeId))
      .filter((p) => (!opts.status || opts.status.includes(p.status)) && (opts.namespace === undefined || p.namespace === opts.namespace))
      .sort((a, b) => a.seq - b.seq);
    const page = pageAfter(pods, (p) => p.seq, after, opts.limit);
    return { ...page, items: page.items.map(toPodDTO) };
  }

  /** One pod with the per-node explanation of its placement. */
  async describePod(name: string, namespace = "default"): Promise<{ pod: PodDTO; policy: PolicyName; fits: NodeFitDTO[]; events: EventDTO[] }> {
    const { cache, db } = this.deps;
    const pod = await cache.findPod(namespace, name);
    if (!pod) throw notFound("pod", name, namespace);
    const policy = pod.algorithm ?? cache.settings.algorithm;
    const nodes = this.liveNodes().map((n) => withoutOwnReservation(n, pod));
    const fits = explain(nodes, { request: pod.request, nodeSelector: pod.nodeSelector }, policy).map((f) => ({
      nodeId: f.nodeId,
      nodeName: f.nodeName,
      feasible: f.feasible,
      chosen: pod.nodeId === f.nodeId,
      reasons: f.reasons,
      freeCpuAfter: f.freeCpuAfter ?? null,
      freeMemoryAfter: f.freeMemoryAfter ?? null,
    }));
    const events = await db.events.list({ objectId: pod.id, limit: 20 });
    return { pod: toPodDTO(pod), policy, fits, events: events.map(toEventDTO) };
  }

  /** Totals for `cluster status`. */
  clusterStatus() {
    const { cache, db } = this.deps;
    const nodes = this.liveNodes();
    const pods = cache.pods();
    const nodesByStatus: Record<string, number> = {};
    const podsByStatus: Record<string, number> = {};
    const capacity = { cpuMilli: 0, memoryMiB: 0 };
    const allocated = { cpuMilli: 0, memoryMiB: 0 };
    for (const n of nodes) {
      nodesByStatus[n.status] = (nodesByStatus[n.status] ?? 0) + 1;
      if (isTerminalNodeStatus(n.status)) continue;
      capacity.cpuMilli += n.capacity.cpuMilli;
      capacity.memoryMiB += n.capacity.memoryMiB;
      allocated.cpuMilli += n.allocated.cpuMilli;
      allocated.memoryMiB += n.allocated.memoryMiB;
    }
    for (const p of pods) podsByStatus[p.status] = (podsByStatus[p.status] ?? 0) + 1;
    return {
      clusterId: cache.settings.id,
      algorithm: cache.settings.algorithm,
      runtime: this.deps.runtime(),
      database: db.kind,
      health: { ...cache.settings.health },
      nodes: { total: nodes.length, byStatus: nodesByStatus },
      pods: { total: pods.length, byStatus: podsByStatus },
      capacity,
      allocated,
    };
  }

  /** Events oldest first, after a given id, optionally about one named node or pod. */
  async listEvents(opts: { afterId?: number; limit?: number; objectName?: string; namespace?: string }): Promise<EventDTO[]> {
    const { cache, db } = this.deps;
    let objectId: string | undefined;
    if (opts.objectName !== undefined) {
      const found = (await cache.findNode(opts.objectName)) ?? (await cache.findPod(opts.namespace ?? "default", opts.objectName));
      // A watcher may start before the object exists: nothing yet, not an error.
      if (!found) return [];
      objectId = found.id;
    }
    const events = await db.events.list({ afterId: opts.afterId, limit: opts.limit ?? 100, objectId });
    return events.map(toEventDTO);
  }

  /** Nodes that exist for users (a Removed node is on its way out). */
  private liveNodes(): NodeRecord[] {
    return this.deps.cache.nodes().filter((n) => n.status !== "Removed");
  }

  private async node(name: string): Promise<NodeRecord> {
    const node = await this.deps.cache.findNode(name);
    if (!node || node.status === "Removed") throw notFound("node", name);
    return node;
  }
}

/** The scheduler's view of a node, without the pod's own reservation, or the pod would not "fit" where it runs. */
function withoutOwnReservation(n: NodeRecord, pod: PodRecord): SchedNode {
  const own = n.id === pod.nodeId && pod.status !== "Pending";
  const allocated = own
    ? {
        cpuMilli: Math.max(0, n.allocated.cpuMilli - pod.request.cpuMilli),
        memoryMiB: Math.max(0, n.allocated.memoryMiB - pod.request.memoryMiB),
      }
    : n.allocated;
  return { id: n.id, name: n.name, order: n.seq, status: n.status, capacity: n.capacity, allocated, labels: n.labels };
}
