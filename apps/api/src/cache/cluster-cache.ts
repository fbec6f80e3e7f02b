import { EventEmitter } from "node:events";
import { ClusterIndex, type Resources, type SchedNode } from "@kube9/core";
import type { ClusterRecord, Database, NodeRecord, PodRecord } from "@kube9/db";
import { nodeKey, podKey, sameResources, settingsKey } from "./change-keys.js";

/** What the cache tells its listeners: an object was added or changed, or a pod is gone. */
export interface CacheEvents {
  node: [NodeRecord];
  pod: [PodRecord];
  podDeleted: [PodRecord];
  settings: [ClusterRecord];
}

const SETTINGS_KEY = "cluster";

/**
 * The one in-memory copy of the cluster (an informer, in Kubernetes terms): the cluster settings,
 * every node and pod, and the scheduler's capacity index over the nodes. Loaded from the database,
 * updated by this process's own writes as they commit, and refreshed from the database (resync) so
 * that changes made by other API processes arrive. Every controller, service and query reads from
 * here; see docs/architecture.md, "The cache".
 */
export class ClusterCache {
  readonly changes = new EventEmitter<CacheEvents>();
  private settingsRecord: ClusterRecord | null = null;
  private readonly nodesById = new Map<string, NodeRecord>();
  private readonly nodeIdByName = new Map<string, string>();
  private ordered: NodeRecord[] | null = null;
  private readonly podsById = new Map<string, PodRecord>();
  private readonly podIdByName = new Map<string, string>();
  private readonly podsByNode = new Map<string, Set<string>>();
  private readonly pendingIds = new Set<string>();
  private index = new ClusterIndex();
  /** Reservations the scheduler made in the index but has not committed yet, per node. */
  private readonly assumed = new Map<string, Resources>();
  /** A counter of local writes: a resync skips objects written after it began reading. */
  private writeSeq = 0;
  private readonly writtenAt = new Map<string, number>();

  constructor(private readonly db: Database) {
    this.changes.setMaxListeners(0);
  }

  /** True once load() has run. */
  get loaded(): boolean {
    return this.settingsRecord !== null;
  }

  /** Reads everything from the database, replacing what is cached. */
  async load(): Promise<void> {
    const [settings, nodes, pods] = await Promise.all([this.db.cluster.get(), this.db.nodes.list(), this.db.pods.list()]);
    this.settingsRecord = settings;
    this.nodesById.clear();
    this.nodeIdByName.clear();
    this.ordered = null;
    this.podsById.clear();
    this.podIdByName.clear();
    this.podsByNode.clear();
    this.pendingIds.clear();
    this.assumed.clear();
    for (const n of nodes) this.storeNode(n);
    this.index = new ClusterIndex(nodes.map((n) => this.sched(n)));
    for (const p of pods) this.storePod(p);
  }

  // ---------------------------------------------------------------- reads

  /** The cluster settings (algorithm, health timings). */
  get settings(): ClusterRecord {
    if (!this.settingsRecord) throw new Error("the cluster cache is not loaded");
    return this.settingsRecord;
  }

  /** The scheduler's capacity index; change it only through this cache. */
  get schedulerIndex(): ClusterIndex {
    return this.index;
  }

  node(id: string): NodeRecord | undefined {
    return this.nodesById.get(id);
  }

  nodeByName(name: string): NodeRecord | undefined {
    const id = this.nodeIdByName.get(name);
    return id === undefined ? undefined : this.nodesById.get(id);
  }

  /** Nodes in registration order (Removed ones included until their row is deleted). */
  nodes(): NodeRecord[] {
    this.ordered ??= [...this.nodesById.values()].sort((a, b) => a.seq - b.seq);
    return this.ordered;
  }

  pod(id: string): PodRecord | undefined {
    return this.podsById.get(id);
  }

  podByName(name: string): PodRecord | undefined {
    const id = this.podIdByName.get(name);
    return id === undefined ? undefined : this.podsById.get(id);
  }

  /** Pods in creation order. */
  pods(): PodRecord[] {
    return [...this.podsById.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Pods bound to a node, in creation order. */
  podsOn(nodeId: string): PodRecord[] {
    const ids = this.podsByNode.get(nodeId);
    if (!ids) return [];
    const out: PodRecord[] = [];
    for (const id of ids) {
      const p = this.podsById.get(id);
      if (p) out.push(p);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Pending pods, oldest first: the scheduler's queue. */
  pendingPods(): PodRecord[] {
    const out: PodRecord[] = [];
    for (const id of this.pendingIds) {
      const p = this.podsById.get(id);
      if (p) out.push(p);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** A node by name, asking the database when this process has not seen it yet (another API process made it). */
  async findNode(name: string): Promise<NodeRecord | undefined> {
    const cached = this.nodeByName(name);
    if (cached) return cached;
    const row = await this.db.nodes.getByName(name);
    if (row) this.putNode(row, true);
    return row ?? undefined;
  }

  /** A pod by name, asking the database when this process has not seen it yet. */
  async findPod(name: string): Promise<PodRecord | undefined> {
    const cached = this.podByName(name);
    if (cached) return cached;
    const row = await this.db.pods.getByName(name);
    if (row) this.putPod(row, true);
    return row ?? undefined;
  }

  // ---------------------------------------------------------------- local writes (after they commit)

  /** Records new cluster settings. */
  setSettings(settings: ClusterRecord): void {
    this.touch(SETTINGS_KEY);
    this.settingsRecord = settings;
    this.changes.emit("settings", settings);
  }

  /** Records the committed state of a node and (unless quiet: nothing a watcher sees changed) tells listeners. */
  putNode(node: NodeRecord, quiet = false): void {
    this.touch(node.id);
    this.storeNode(node);
    this.index.upsert(this.sched(node));
    if (!quiet) this.changes.emit("node", node);
  }

  /** Forgets a node whose row is gone (it was Removed; listeners were told then). */
  dropNode(id: string): void {
    this.touch(id);
    const node = this.nodesById.get(id);
    if (!node) return;
    this.nodesById.delete(id);
    if (this.nodeIdByName.get(node.name) === id) this.nodeIdByName.delete(node.name);
    this.ordered = null;
    this.index.remove(id);
    this.assumed.delete(id);
  }

  /** Records the committed state of a pod and (unless quiet) tells listeners. */
  putPod(pod: PodRecord, quiet = false): void {
    this.touch(pod.id);
    this.storePod(pod);
    if (!quiet) this.changes.emit("pod", pod);
  }

  /** Forgets a deleted pod and tells listeners. */
  dropPod(id: string): void {
    this.touch(id);
    const pod = this.unstorePod(id);
    if (pod) this.changes.emit("podDeleted", pod);
  }

  /** Changes a cached node's allocation by a committed reservation (+1) or release (-1). */
  addAllocation(nodeId: string, request: Resources, sign: 1 | -1): void {
    const node = this.nodesById.get(nodeId);
    if (!node) return;
    this.putNode({
      ...node,
      allocated: {
        cpuMilli: Math.max(0, node.allocated.cpuMilli + sign * request.cpuMilli),
        memoryMiB: Math.max(0, node.allocated.memoryMiB + sign * request.memoryMiB),
      },
    });
  }

  /** The scheduler reserves in the index before its database write, so parallel picks see the room taken. */
  assume(nodeId: string, request: Resources): void {
    this.touch(nodeId);
    const a = this.assumed.get(nodeId) ?? { cpuMilli: 0, memoryMiB: 0 };
    this.assumed.set(nodeId, { cpuMilli: a.cpuMilli + request.cpuMilli, memoryMiB: a.memoryMiB + request.memoryMiB });
    this.index.assume(nodeId, request);
  }

  /** Ends an assumption: the write committed (and addAllocation followed) or failed. */
  settle(nodeId: string, request: Resources): void {
    this.touch(nodeId);
    const a = this.assumed.get(nodeId);
    if (a) {
      const left = { cpuMilli: a.cpuMilli - request.cpuMilli, memoryMiB: a.memoryMiB - request.memoryMiB };
      if (left.cpuMilli <= 0 && left.memoryMiB <= 0) this.assumed.delete(nodeId);
      else this.assumed.set(nodeId, left);
    }
    const node = this.nodesById.get(nodeId);
    if (node) this.index.upsert(this.sched(node));
  }

  // ---------------------------------------------------------------- refresh from the database

  /** Re-reads one node (and, if it is gone, forgets it). */
  async reloadNode(id: string): Promise<NodeRecord | undefined> {
    const row = await this.db.nodes.get(id);
    if (row) this.putNode(row);
    else this.dropNode(id);
    return row ?? undefined;
  }

  /**
   * Resync of settings and nodes: picks up what other API processes changed. A node whose allocation
   * changed behind our back had pods bound or freed elsewhere, so its pods are re-read too. Listeners
   * hear only of real changes (heartbeat times and usage move on every beat and are not news).
   */
  async resyncNodes(): Promise<void> {
    const mark = this.writeSeq;
    const [settings, rows] = await Promise.all([this.db.cluster.get(), this.db.nodes.list()]);
    if (!this.writtenSince(SETTINGS_KEY, mark) && settingsKey(settings) !== settingsKey(this.settingsRecord)) {
      this.settingsRecord = settings;
      this.changes.emit("settings", settings);
    }
    const seen = new Set<string>();
    const moved: string[] = [];
    for (const row of rows) {
      seen.add(row.id);
      if (this.writtenSince(row.id, mark)) continue;
      const known = this.nodesById.get(row.id);
      if (known && nodeKey(known) === nodeKey(row)) {
        // Only the heartbeat time or usage moved: keep the record fresh, nothing to index or announce.
        this.nodesById.set(row.id, row);
        this.ordered = null;
        continue;
      }
      if (known && !sameResources(known.allocated, row.allocated)) moved.push(row.id);
      this.storeNode(row);
      this.index.upsert(this.sched(row));
      this.changes.emit("node", row);
    }
    for (const id of [...this.nodesById.keys()]) {
      if (!seen.has(id) && !this.writtenSince(id, mark)) this.dropNode(id);
    }
    for (const id of moved) await this.resyncPodsOf(id);
  }

  /** Resync of every pod: adds, changes and removes what differs from the database. */
  async resyncPods(): Promise<void> {
    const mark = this.writeSeq;
    const rows = await this.db.pods.list();
    this.applyPods(rows, [...this.podsById.keys()], mark);
  }

  private async resyncPodsOf(nodeId: string): Promise<void> {
    const mark = this.writeSeq;
    const before = [...(this.podsByNode.get(nodeId) ?? [])];
    const rows = await this.db.pods.list({ nodeId });
    const here = new Set(rows.map((r) => r.id));
    // Pods that left this node moved or were deleted elsewhere: ask about each.
    const left = await Promise.all(before.filter((id) => !here.has(id)).map((id) => this.db.pods.get(id)));
    this.applyPods([...rows, ...left.filter((p): p is PodRecord => p !== null)], before, mark);
  }

  private applyPods(rows: PodRecord[], candidatesForRemoval: string[], mark: number): void {
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.id);
      if (this.writtenSince(row.id, mark)) continue;
      const known = this.podsById.get(row.id);
      if (known && podKey(known) === podKey(row)) continue;
      this.storePod(row);
      this.changes.emit("pod", row);
    }
    for (const id of candidatesForRemoval) {
      if (seen.has(id) || this.writtenSince(id, mark)) continue;
      const pod = this.unstorePod(id);
      if (pod) this.changes.emit("podDeleted", pod);
    }
  }

  // ---------------------------------------------------------------- internals

  private touch(id: string): void {
    this.writtenAt.set(id, ++this.writeSeq);
  }

  private writtenSince(id: string, mark: number): boolean {
    return (this.writtenAt.get(id) ?? 0) > mark;
  }

  private storeNode(node: NodeRecord): void {
    const old = this.nodesById.get(node.id);
    if (old && old.name !== node.name && this.nodeIdByName.get(old.name) === node.id) this.nodeIdByName.delete(old.name);
    this.nodesById.set(node.id, node);
    this.nodeIdByName.set(node.name, node.id);
    this.ordered = null;
  }

  private storePod(pod: PodRecord): void {
    this.unstorePod(pod.id);
    this.podsById.set(pod.id, pod);
    this.podIdByName.set(pod.name, pod.id);
    if (pod.nodeId) {
      let set = this.podsByNode.get(pod.nodeId);
      if (!set) this.podsByNode.set(pod.nodeId, (set = new Set()));
      set.add(pod.id);
    }
    if (pod.status === "Pending") this.pendingIds.add(pod.id);
  }

  private unstorePod(id: string): PodRecord | undefined {
    const old = this.podsById.get(id);
    if (!old) return undefined;
    this.podsById.delete(id);
    if (this.podIdByName.get(old.name) === id) this.podIdByName.delete(old.name);
    if (old.nodeId) {
      const set = this.podsByNode.get(old.nodeId);
      set?.delete(id);
      if (set && set.size === 0) this.podsByNode.delete(old.nodeId);
    }
    this.pendingIds.delete(id);
    return old;
  }

  /** The scheduler's view of a node: its committed allocation plus reservations still in flight. */
  private sched(n: NodeRecord): SchedNode {
    const a = this.assumed.get(n.id);
    const allocated = a
      ? { cpuMilli: n.allocated.cpuMilli + a.cpuMilli, memoryMiB: n.allocated.memoryMiB + a.memoryMiB }
      : n.allocated;
    return { id: n.id, name: n.name, order: n.seq, status: n.status, capacity: n.capacity, allocated, labels: n.labels };
  }
}
