import { EventEmitter } from "node:events";
import { ClusterIndex, type Resources, type SchedNode } from "@kube9/core";
import type { ClusterRecord, Database, NamespaceRecord, NetworkPolicyRecord, NodeRecord, PodRecord } from "@kube9/db";
import { nodeKey, podKey, podNetpolKey, sameResources, settingsKey } from "./change-keys.js";
import { NamedTable } from "./named-table.js";

/** What the cache tells its listeners: an object was added or changed, or a pod is gone. */
export interface CacheEvents {
  node: [NodeRecord];
  pod: [PodRecord];
  podDeleted: [PodRecord];
  settings: [ClusterRecord];
  namespace: [NamespaceRecord];
  namespaceDeleted: [NamespaceRecord];
  policy: [NetworkPolicyRecord];
  policyDeleted: [NetworkPolicyRecord];
  /** Something NetworkPolicies depend on changed (a policy, a namespace's labels, a pod's labels, IP or place). */
  netpol: [number];
}

/** A pod's unique name in the cache: "namespace/name". */
export function podRef(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

const SETTINGS_KEY = "cluster";
/** How far back a changed-rows resync looks before its last read: rows are stamped with their writer's clock when
 * the statement starts, and a transaction still open at the last read commits later with an older stamp. */
/** Node rows per query of a full read. */
const FULL_READ_PAGE = 1000;
const RESYNC_MARGIN_MS = 5000;

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
  private readonly nodeTable = new NamedTable<NodeRecord>();
  private readonly podTable = new NamedTable<PodRecord>((p) => podRef(p.namespace, p.name));
  private readonly namespaceMap = new Map<string, NamespaceRecord>();
  private readonly policyMap = new Map<string, NetworkPolicyRecord>();
  /** Bumped whenever something a pod's firewall depends on changed; compiled firewalls are valid for one generation. */
  private netpolGen = 0;
  private readonly podsByNode = new Map<string, Set<string>>();
  private readonly pendingIds = new Set<string>();
  private index = new ClusterIndex();
  /** Reservations the scheduler made in the index but has not committed yet, per node. */
  private readonly assumed = new Map<string, Resources>();
  /** When the last node resync began reading (0: never; the first one reads everything). */
  private nodesReadAt = 0;
  /** Each node row's write time as the last full read saw it (empty before the first). */
  private nodeVersions = new Map<string, string>();
  /** When the last pod resync began reading (0: never; the first one reads everything). */
  private podsReadAt = 0;
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
    const [settings, nodes, pods, namespaces, policies] = await Promise.all([
      this.db.cluster.get(), this.db.nodes.list(), this.db.pods.list(), this.db.namespaces.list(), this.db.networkPolicies.list(),
    ]);
    this.settingsRecord = settings;
    this.namespaceMap.clear();
    for (const n of namespaces) this.namespaceMap.set(n.name, n);
    this.policyMap.clear();
    for (const p of policies) this.policyMap.set(podRef(p.namespace, p.name), p);
    this.netpolGen++;
    this.nodeTable.clear();
    this.podTable.clear();
    this.podsByNode.clear();
    this.pendingIds.clear();
    this.assumed.clear();
    for (const n of nodes) this.nodeTable.set(n);
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

  /** Nodes in registration order (Removed ones included until their row is deleted). */
  nodes(): NodeRecord[] {
    return this.nodeTable.all();
  }

  /** How many nodes the cache holds. */
  nodeCount(): number {
    return this.nodeTable.size;
  }

  node(id: string): NodeRecord | undefined {
    return this.nodeTable.get(id);
  }

  pod(id: string): PodRecord | undefined {
    return this.podTable.get(id);
  }

  /** Pods bound to a node, in creation order. */
  podsOn(nodeId: string): PodRecord[] {
    return this.podTable.pick(this.podsByNode.get(nodeId) ?? []);
  }

  /** Pods in creation order. */
  pods(): PodRecord[] {
    return this.podTable.all();
  }

  /** Pending pods, oldest first: the scheduler's queue. */
  pendingPods(): PodRecord[] {
    return this.podTable.pick(this.pendingIds);
  }

  /** A node by name, asking the database when this process has not seen it yet (another API process made it). */
  findNode(name: string): Promise<NodeRecord | undefined> {
    return this.find(this.nodeTable, name, () => this.db.nodes.getByName(name), (row) => this.putNode(row, true));
  }

  /** A pod by namespace and name, asking the database when this process has not seen it yet. */
  findPod(namespace: string, name: string): Promise<PodRecord | undefined> {
    return this.find(this.podTable, podRef(namespace, name), () => this.db.pods.getByName(namespace, name), (row) => this.putPod(row, true));
  }

  /** Namespaces by name. */
  namespaces(): NamespaceRecord[] {
    return [...this.namespaceMap.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  namespace(name: string): NamespaceRecord | undefined {
    return this.namespaceMap.get(name);
  }

  /** A namespace by name, asking the database when this process has not seen it yet (another API process made it). */
  async findNamespace(name: string): Promise<NamespaceRecord | undefined> {
    const cached = this.namespaceMap.get(name);
    if (cached) return cached;
    const row = await this.db.namespaces.get(name);
    if (row) this.putNamespace(row);
    return row ?? undefined;
  }

  /** NetworkPolicies by namespace and name (of one namespace when given). */
  policies(namespace?: string): NetworkPolicyRecord[] {
    const all = [...this.policyMap.values()].filter((p) => namespace === undefined || p.namespace === namespace);
    return all.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  policy(namespace: string, name: string): NetworkPolicyRecord | undefined {
    return this.policyMap.get(podRef(namespace, name));
  }

  /** The generation of everything NetworkPolicies depend on (see `netpol` events). */
  get netpolGeneration(): number {
    return this.netpolGen;
  }

  /** Records a committed namespace. */
  putNamespace(ns: NamespaceRecord): void {
    this.touch(`ns:${ns.name}`);
    const old = this.namespaceMap.get(ns.name);
    this.namespaceMap.set(ns.name, ns);
    this.changes.emit("namespace", ns);
    if (!old || recordJson(old.labels) !== recordJson(ns.labels)) this.bumpNetpol();
  }

  /** Forgets a deleted namespace (its policies went with it). */
  dropNamespace(name: string): void {
    this.touch(`ns:${name}`);
    const old = this.namespaceMap.get(name);
    if (!old) return;
    this.namespaceMap.delete(name);
    for (const p of this.policies(name)) this.dropPolicy(p.namespace, p.name);
    this.changes.emit("namespaceDeleted", old);
    this.bumpNetpol();
  }

  /** Records a committed NetworkPolicy. */
  putPolicy(policy: NetworkPolicyRecord): void {
    this.touch(`np:${podRef(policy.namespace, policy.name)}`);
    this.policyMap.set(podRef(policy.namespace, policy.name), policy);
    this.changes.emit("policy", policy);
    this.bumpNetpol();
  }

  /** Forgets a deleted NetworkPolicy. */
  dropPolicy(namespace: string, name: string): void {
    this.touch(`np:${podRef(namespace, name)}`);
    const old = this.policyMap.get(podRef(namespace, name));
    if (!old) return;
    this.policyMap.delete(podRef(namespace, name));
    this.changes.emit("policyDeleted", old);
    this.bumpNetpol();
  }

  private bumpNetpol(): void {
    this.netpolGen++;
    this.changes.emit("netpol", this.netpolGen);
  }

  private async find<T extends { id: string; name: string; seq: number }>(
    table: NamedTable<T>,
    name: string,
    read: () => Promise<T | null>,
    keep: (row: T) => void,
  ): Promise<T | undefined> {
    const cached = table.byName(name);
    if (cached) return cached;
    const row = await read();
    if (row) keep(row);
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
    this.nodeTable.set(node);
    this.index.upsert(this.sched(node));
    if (!quiet) this.changes.emit("node", node);
  }

  /** Forgets a node whose row is gone (it was Removed; listeners were told then). */
  dropNode(id: string): void {
    this.touch(id);
    if (!this.nodeTable.delete(id)) return;
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
    const pod = this.unstorePod(id, true);
    if (pod) this.changes.emit("podDeleted", pod);
  }

  /** Changes a cached node's allocation by a committed reservation (+1) or release (-1). */
  addAllocation(nodeId: string, request: Resources, sign: 1 | -1): void {
    const node = this.nodeTable.get(nodeId);
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
    const node = this.nodeTable.get(nodeId);
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
   *
   * `full` re-reads every node row (and forgets nodes whose row is gone); otherwise only the rows written
   * since the last read (with a margin for writes whose transaction was still open then) and the leases
   * of `leaseIds` (every node when absent), which is all that moves on a quiet cluster: at 10,000 nodes
   * that is the difference between parsing 10,000 rows with their JSON every second and a few small
   * ones. Callers pass the nodes whose beats this process has not been hearing, the only ones whose
   * lease another process may have renewed.
   */
  async resyncNodes(full = true, leaseIds?: readonly string[]): Promise<void> {
    const mark = this.writeSeq;
    const startedAt = Date.now();
    const since = this.nodesReadAt - RESYNC_MARGIN_MS;
    const complete = full || this.nodesReadAt === 0;
    // A full read goes page by page: 10,000 rows parsed and compared at once held the event loop (and
    // every heartbeat waiting on it) for hundreds of ms; a page at a time, requests run in between.
    // Once the cache holds the nodes, a full read first compares every row's version with the last full
    // read's and reads only the rows that differ: at 10,000 nodes, ids and versions instead of every row.
    const compare = complete && this.nodeVersions.size > 0;
    const [settings, rows, leases, namespaces, policies, versions] = await Promise.all([
      this.db.cluster.get(),
      complete && !compare ? this.db.nodes.list({ limit: FULL_READ_PAGE }) : Promise.resolve([]),
      complete && !compare ? Promise.resolve(undefined) : this.db.nodes.leases(leaseIds),
      this.db.namespaces.list(),
      this.db.networkPolicies.list(),
      complete ? this.db.nodes.versions() : this.db.nodes.versions({ changedSince: since }),
    ]);
    this.nodesReadAt = startedAt;
    if (!this.writtenSince(SETTINGS_KEY, mark) && settingsKey(settings) !== settingsKey(this.settingsRecord)) {
      this.settingsRecord = settings;
      this.changes.emit("settings", settings);
    }
    this.resyncNetpolObjects(namespaces, policies, mark);
    const seen = new Set<string>();
    const moved: string[] = [];
    if (compare || !complete) {
      // Rows written since the last read (a changed-rows pass looks 5 s back, and this process's own
      // writes are among them): only those whose version this cache has not read yet.
      const stale = versions.filter((v) => this.nodeVersions.get(v.id) !== v.version).map((v) => v.id);
      for (let i = 0; i < stale.length; i += FULL_READ_PAGE) {
        // As changed rows: one removed meanwhile is dropped.
        this.applyNodeRows(await this.db.nodes.getMany(stale.slice(i, i + FULL_READ_PAGE)), false, mark, seen, moved);
      }
      if (!complete) for (const v of versions) this.nodeVersions.set(v.id, v.version);
    } else {
      for (let page = rows; ; ) {
        this.applyNodeRows(page, complete, mark, seen, moved);
        if (!complete || page.length < FULL_READ_PAGE) break;
        page = await this.db.nodes.list({ afterSeq: page[page.length - 1]!.seq, limit: FULL_READ_PAGE });
      }
    }
    if (complete) this.nodeVersions = new Map(versions.map((v) => [v.id, v.version]));
    // Every node that still exists is in the full list (or its versions), or in the lease read of a changed-rows pass (of the nodes it asked about).
    const existing = compare ? new Set(versions.map((v) => v.id)) : complete ? seen : new Set((leases ?? []).map((l) => l.nodeId));
    for (const id of complete || leaseIds === undefined ? this.nodeTable.ids() : leaseIds) {
      if (!existing.has(id) && !seen.has(id) && !this.writtenSince(id, mark)) this.dropNode(id);
    }
    for (const lease of leases ?? []) {
      const known = this.nodeTable.get(lease.nodeId);
      if (!known || seen.has(lease.nodeId) || lease.renewedAt === null || (known.lastHeartbeatAt ?? 0) >= lease.renewedAt) continue;
      this.nodeTable.set({ ...known, lastHeartbeatAt: lease.renewedAt, ...(lease.usage ? { usage: lease.usage } : {}) });
    }
    for (const id of moved) await this.resyncPodsOf(id);
  }

  /** One read's node rows into the cache: changed ones indexed and announced, the rest only kept fresh. */
  private applyNodeRows(rows: NodeRecord[], complete: boolean, mark: number, seen: Set<string>, moved: string[]): void {
    for (const row of rows) {
      seen.add(row.id);
      if (this.writtenSince(row.id, mark)) continue;
      // A full list leaves Removed nodes out; a changed-rows read returns them, and they go the same way.
      if (row.status === "Removed" && !complete) {
        this.dropNode(row.id);
        continue;
      }
      const known = this.nodeTable.get(row.id);
      if (known && nodeKey(known) === nodeKey(row)) {
        // Only the heartbeat time or usage moved: keep the record fresh, nothing to index or announce.
        this.nodeTable.set(row);
        continue;
      }
      if (known && !sameResources(known.allocated, row.allocated)) moved.push(row.id);
      this.nodeTable.set(row);
      this.index.upsert(this.sched(row));
      this.changes.emit("node", row);
    }
  }

  /** Namespaces and policies other API processes changed (a local write after `mark` wins over the read). */
  private resyncNetpolObjects(namespaces: NamespaceRecord[], policies: NetworkPolicyRecord[], mark: number): void {
    const nsSeen = new Set<string>();
    for (const n of namespaces) {
      nsSeen.add(n.name);
      const known = this.namespaceMap.get(n.name);
      if (this.writtenSince(`ns:${n.name}`, mark) || (known && known.updatedAt === n.updatedAt && known.status === n.status)) continue;
      this.putNamespace(n);
    }
    for (const name of [...this.namespaceMap.keys()]) {
      if (!nsSeen.has(name) && !this.writtenSince(`ns:${name}`, mark)) this.dropNamespace(name);
    }
    const npSeen = new Set<string>();
    for (const p of policies) {
      const key = podRef(p.namespace, p.name);
      npSeen.add(key);
      const known = this.policyMap.get(key);
      if (this.writtenSince(`np:${key}`, mark) || (known && known.generation === p.generation && known.uid === p.uid)) continue;
      this.putPolicy(p);
    }
    for (const [key, p] of [...this.policyMap]) {
      if (!npSeen.has(key) && !this.writtenSince(`np:${key}`, mark)) this.dropPolicy(p.namespace, p.name);
    }
  }

  /**
   * Resync of pods: `full` reads every pod and adds, changes and removes what differs from the database;
   * otherwise only the rows written since the last read (with the same margin as nodes), which brings
   * other processes' new and changed pods (a Pending pod touches no node row) but no deletions: those
   * arrive with the node whose allocation they freed, or with the next full read.
   */
  async resyncPods(full = true): Promise<void> {
    const mark = this.writeSeq;
    const startedAt = Date.now();
    const complete = full || this.podsReadAt === 0;
    const rows = await this.db.pods.list(complete ? {} : { changedSince: this.podsReadAt - RESYNC_MARGIN_MS });
    this.podsReadAt = startedAt;
    this.applyPods(rows, complete ? this.podTable.ids() : [], mark);
  }

  /**
   * Re-reads one node and its pods now, instead of waiting for the next resync: for answers that must not
   * come from a stale copy (a node beating again after a silence, which another API process may have
   * failed and whose pods it may have moved meanwhile).
   */
  async refreshNode(id: string): Promise<NodeRecord | undefined> {
    const node = await this.reloadNode(id);
    await this.resyncPodsOf(id);
    return node;
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
      const known = this.podTable.get(row.id);
      if (known && podKey(known) === podKey(row)) continue;
      this.storePod(row);
      this.changes.emit("pod", row);
    }
    for (const id of candidatesForRemoval) {
      if (seen.has(id) || this.writtenSince(id, mark)) continue;
      const pod = this.unstorePod(id, true);
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

  private storePod(pod: PodRecord): void {
    const before = this.unstorePod(pod.id);
    if (this.policyMap.size > 0 && podNetpolKey(before) !== podNetpolKey(pod)) this.bumpNetpol();
    this.podTable.set(pod);
    if (pod.nodeId) {
      let set = this.podsByNode.get(pod.nodeId);
      if (!set) this.podsByNode.set(pod.nodeId, (set = new Set()));
      set.add(pod.id);
    }
    if (pod.status === "Pending") this.pendingIds.add(pod.id);
  }

  private unstorePod(id: string, deleting = false): PodRecord | undefined {
    const old = this.podTable.delete(id);
    if (!old) return undefined;
    if (deleting && this.policyMap.size > 0) this.bumpNetpol();
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

function recordJson(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}
