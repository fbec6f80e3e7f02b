import type { Labels, NodeStatus, PolicyName, Resources, SchedNode, SchedPod } from "../types.js";
import { freeCpu, freeMemory, matchesSelector } from "./filter.js";
import { compareRegistration, type CapacityView } from "./policies/policy.js";
import { policyFor } from "./policies/index.js";
import { FreeList } from "./free-list.js";

interface Entry {
  node: SchedNode;
  /** Cached free capacity: the sort keys, so they must change only while the entry is out of the lists. */
  freeCpu: number;
  freeMem: number;
  /** Position in registration order; valid only while the segment tree is not stale. */
  slot: number;
}

function registrationTieBreak(a: Entry, b: Entry): number {
  return compareRegistration(a.node, b.node);
}

function copyNode(node: SchedNode): SchedNode {
  // The index keeps its own copy so a caller mutating its object cannot desynchronise the indexes.
  return {
    id: node.id,
    name: node.name,
    order: node.order,
    status: node.status,
    capacity: { cpuMilli: node.capacity.cpuMilli, memoryMiB: node.capacity.memoryMiB },
    allocated: { cpuMilli: node.allocated.cpuMilli, memoryMiB: node.allocated.memoryMiB },
    labels: { ...node.labels },
  };
}

/** Label keys and values never hold NUL, so "key\0value" names one pair unambiguously. */
function labelKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

function hasKeys(labels: Labels): boolean {
  for (const key in labels) if (Object.hasOwn(labels, key)) return true;
  return false;
}

/** A selector's rarest label is "few" when at most 1 node in this many carries it. */
const FEW_SELECTED_SHARE = 8;
const NONE: readonly Entry[] = [];

function compareAscending(a: Entry, b: Entry): number {
  return a.freeCpu - b.freeCpu || a.freeMem - b.freeMem || compareRegistration(a.node, b.node);
}

function compareCpuDescending(a: Entry, b: Entry): number {
  return b.freeCpu - a.freeCpu || a.freeMem - b.freeMem || compareRegistration(a.node, b.node);
}

/** The first node in `order` among the entries that passes every filter for the pod. */
function bestOf(entries: Iterable<Entry>, pod: SchedPod, order: (a: Entry, b: Entry) => number): SchedNode | undefined {
  const { cpuMilli, memoryMiB } = pod.request;
  let best: Entry | undefined;
  for (const e of entries) {
    if (e.node.status !== "Ready" || e.freeCpu < cpuMilli || e.freeMem < memoryMiB) continue;
    if (!matchesSelector(e.node.labels, pod.nodeSelector)) continue;
    if (!best || order(e, best) < 0) best = e;
  }
  return best?.node;
}

/** Registration slots per segment-tree leaf, scanned linearly (a power of two). */
const BUCKET_BITS = 4;
const BUCKET = 1 << BUCKET_BITS;

/**
 * A node is "CPU-rich" when it has at least 1 millicore free per RICH_RATIO MiB free: about
 * the shape of typical nodes (4 GiB per core). Only the search's pruning depends on it.
 */
const RICH_RATIO = 4;

const always = (): boolean => true;

/** How many nodes fail each filter for a pod; a node that fails several filters is counted under each. */
export interface RejectionCounts {
  /** Nodes of any status. */
  total: number;
  /** Nodes that are not Ready, by status. */
  byStatus: Map<NodeStatus, number>;
  /** Nodes with less free CPU than requested. */
  cpu: number;
  /** Nodes with less free memory than requested. */
  memory: number;
  /** Nodes whose labels miss the pod's nodeSelector. */
  selector: number;
}

/** Tuning knobs; the defaults suit clusters from a handful to tens of thousands of nodes. */
export interface ClusterIndexOptions {
  /** Nodes per block of the free-capacity list (default 64); tests use tiny blocks to exercise splits. */
  blockLoad?: number;
}

/**
 * The scheduler's view of the cluster, indexed by free capacity so a decision is a few
 * binary searches and short walks instead of a filter-and-sort of every node (nodes that
 * fail a nodeSelector are still skipped one by one). Only Ready nodes are searchable:
 * - a sorted block list by (freeCpu, freeMem, registration): best-fit walks it upwards,
 *   worst-fit walks its equal-CPU groups from the top down, counting uses its memory columns;
 * - a segment tree over registration order holding max free CPU and memory per range (per
 *   node kind), for first-fit's "leftmost node with room".
 * An update (assume, forget, upsert) is O(log n + block size).
 * Nodes it returns are snapshots: assume()/forget()/upsert() replace them, never mutate them.
 */
export class ClusterIndex implements CapacityView {
  private readonly entries = new Map<string, Entry>();
  /** Every node in registration order (always kept sorted). */
  private readonly slots: Entry[] = [];
  /** Ready nodes by (freeCpu, freeMem, registration): serves best-fit, worst-fit and counting. */
  private readonly free: FreeList<Entry>;
  /** Nodes that are not Ready: few in a healthy cluster, so counting their rejections walks them. */
  private readonly notReady = new Set<Entry>();
  /** Nodes by label ("key\0value"): counting a selector's matches walks only the nodes with its rarest label. */
  private readonly byLabel = new Map<string, Set<Entry>>();
  /** Free CPU / memory per registration slot (-Infinity = not Ready or empty). */
  private slotCpu = new Float64Array(BUCKET);
  private slotMem = new Float64Array(BUCKET);
  /**
   * Segment tree over buckets of BUCKET slots: max free CPU / memory in each range, kept
   * separately for CPU-rich and memory-rich nodes (A and B). One pair of maxima for all nodes
   * lets a range pass on one node's CPU plus another's memory, which made the first-fit search
   * backtrack through most of a full cluster; such pairs are almost always one node of each kind.
   */
  private maxCpuA = new Float64Array(2);
  private maxMemA = new Float64Array(2);
  private maxCpuB = new Float64Array(2);
  private maxMemB = new Float64Array(2);
  /** Number of tree leaves (buckets); slot capacity is leaves * BUCKET. */
  private leaves = 1;
  /** Set when slots shifted; the tree is rebuilt at the next first-fit search. */
  private treeStale = true;

  /** Builds an index over the given nodes (a later node with the same id replaces an earlier one). */
  constructor(nodes: Iterable<SchedNode> = [], options: ClusterIndexOptions = {}) {
    this.free = new FreeList<Entry>(registrationTieBreak, options.blockLoad);
    for (const node of nodes) this.upsert(node);
  }

  /** Number of nodes of any status. */
  get size(): number {
    return this.entries.size;
  }

  /** The node's current snapshot, or undefined if unknown. */
  get(nodeId: string): SchedNode | undefined {
    return this.entries.get(nodeId)?.node;
  }

  /** Every node, in registration order. */
  nodes(): SchedNode[] {
    return this.slots.map((e) => e.node);
  }

  /** Adds the node or replaces it (status, capacity, allocation, labels and order may all change). */
  upsert(node: SchedNode): void {
    const copy = copyNode(node);
    const existing = this.entries.get(copy.id);
    if (!existing) {
      const entry: Entry = { node: copy, freeCpu: freeCpu(copy), freeMem: freeMemory(copy), slot: -1 };
      this.entries.set(copy.id, entry);
      this.indexLabels(entry, 1);
      this.insertSlot(entry);
      this.place(entry);
      return;
    }
    this.unplace(existing);
    this.indexLabels(existing, -1);
    if (compareRegistration(existing.node, copy) !== 0) {
      this.removeSlot(existing);
      existing.node = copy;
      this.insertSlot(existing);
    } else {
      existing.node = copy;
    }
    this.indexLabels(existing, 1);
    this.place(existing);
  }

  /** Forgets the node entirely; unknown ids are ignored. */
  remove(nodeId: string): void {
    const entry = this.entries.get(nodeId);
    if (!entry) return;
    this.entries.delete(nodeId);
    this.indexLabels(entry, -1);
    this.unplace(entry);
    this.removeSlot(entry);
  }

  /** The node the policy would choose for the pod, or undefined if none fits; changes nothing. */
  pick(pod: SchedPod, policy: PolicyName): SchedNode | undefined {
    return policyFor(policy).pick(this, pod);
  }

  /** How many nodes pass every filter for the pod (a binary search per block; a nodeSelector makes it walk the nodes with room). */
  countFeasible(pod: SchedPod): number {
    const { cpuMilli, memoryMiB } = pod.request;
    const selector = pod.nodeSelector;
    return this.free.countFit(cpuMilli, memoryMiB, hasKeys(selector) ? (e) => matchesSelector(e.node.labels, selector) : null);
  }

  /**
   * The "0/N nodes are available" counts for the pod without a reason per node: Ready nodes short of
   * CPU or memory are ranks in the free list, so only not-Ready nodes (and, with a nodeSelector, every
   * node's labels) are walked.
   */
  rejectionCounts(pod: SchedPod): RejectionCounts {
    const { cpuMilli, memoryMiB } = pod.request;
    const byStatus = new Map<NodeStatus, number>();
    let cpu = this.free.countCpuBelow(cpuMilli);
    let memory = this.free.countMemBelow(memoryMiB);
    for (const e of this.notReady) {
      byStatus.set(e.node.status, (byStatus.get(e.node.status) ?? 0) + 1);
      if (e.freeCpu < cpuMilli) cpu++;
      if (e.freeMem < memoryMiB) memory++;
    }
    const selector = this.entries.size - this.countSelectorMatches(pod.nodeSelector);
    return { total: this.entries.size, byStatus, cpu, memory, selector };
  }

  /** How many nodes (of any status) carry every label of the selector. */
  countSelectorMatches(selector: Labels): number {
    let rarest: Set<Entry> | undefined;
    for (const key in selector) {
      if (!Object.hasOwn(selector, key)) continue;
      const set = this.byLabel.get(labelKey(key, selector[key]!));
      if (!set) return 0;
      if (!rarest || set.size < rarest.size) rarest = set;
    }
    if (!rarest) return this.entries.size;
    let n = 0;
    for (const e of rarest) if (matchesSelector(e.node.labels, selector)) n++;
    return n;
  }

  /** Reserves the request on the node (allocated += request); false if the node is unknown. */
  assume(nodeId: string, request: Resources): boolean {
    return this.adjust(nodeId, request.cpuMilli, request.memoryMiB);
  }

  /** Releases a reservation (allocated -= request, never below 0); false if the node is unknown. */
  forget(nodeId: string, request: Resources): boolean {
    return this.adjust(nodeId, -request.cpuMilli, -request.memoryMiB);
  }

  /** First fitting Ready node in (freeCpu, freeMem, registration) ascending order. */
  firstByFreeAscending(pod: SchedPod): SchedNode | undefined {
    const few = this.fewSelected(pod.nodeSelector);
    if (few) return bestOf(few, pod, compareAscending);
    const { cpuMilli, memoryMiB } = pod.request;
    return this.free.findAscending(cpuMilli, memoryMiB, this.selectorFilter(pod.nodeSelector))?.node;
  }

  /** First fitting Ready node in freeCpu-descending, freeMem-ascending, registration order. */
  firstByFreeCpuDescending(pod: SchedPod): SchedNode | undefined {
    const few = this.fewSelected(pod.nodeSelector);
    if (few) return bestOf(few, pod, compareCpuDescending);
    const { cpuMilli, memoryMiB } = pod.request;
    return this.free.findCpuDescending(cpuMilli, memoryMiB, this.selectorFilter(pod.nodeSelector))?.node;
  }

  /** First fitting Ready node in registration order. */
  firstByRegistration(pod: SchedPod): SchedNode | undefined {
    const few = this.fewSelected(pod.nodeSelector);
    if (few) return bestOf(few, pod, registrationTieBreak);
    const { cpuMilli, memoryMiB } = pod.request;
    if (this.treeStale) this.rebuildTree();
    const match = hasKeys(pod.nodeSelector);
    // The tree only knows capacity, so a selector miss resumes the search after that slot.
    for (let slot = this.nextFit(0, cpuMilli, memoryMiB); slot >= 0; slot = this.nextFit(slot + 1, cpuMilli, memoryMiB)) {
      const node = this.slots[slot]!.node;
      if (!match || matchesSelector(node.labels, pod.nodeSelector)) return node;
    }
    return undefined;
  }

  /**
   * The nodes carrying the selector's rarest label when they are few (a selector no node matches has
   * none): then looking at each beats walking the capacity order past every node that lacks the label.
   */
  private fewSelected(selector: Labels): Iterable<Entry> | undefined {
    let rarest: Set<Entry> | undefined;
    for (const key in selector) {
      if (!Object.hasOwn(selector, key)) continue;
      const set = this.byLabel.get(labelKey(key, selector[key]!));
      if (!set) return NONE;
      if (!rarest || set.size < rarest.size) rarest = set;
    }
    return rarest && rarest.size * FEW_SELECTED_SHARE <= this.entries.size ? rarest : undefined;
  }

  private indexLabels(entry: Entry, sign: 1 | -1): void {
    const labels = entry.node.labels;
    for (const key in labels) {
      if (!Object.hasOwn(labels, key)) continue;
      const k = labelKey(key, labels[key]!);
      let set = this.byLabel.get(k);
      if (sign > 0) {
        if (!set) this.byLabel.set(k, (set = new Set()));
        set.add(entry);
      } else if (set) {
        set.delete(entry);
        if (set.size === 0) this.byLabel.delete(k);
      }
    }
  }

  private selectorFilter(selector: Labels): (e: Entry) => boolean {
    return hasKeys(selector) ? (e) => matchesSelector(e.node.labels, selector) : always;
  }

  private adjust(nodeId: string, cpu: number, mem: number): boolean {
    const entry = this.entries.get(nodeId);
    if (!entry) return false;
    const old = entry.node;
    this.unplace(entry);
    // A literal, not {...old}: object spread is ~30x slower on this hot path in V8.
    entry.node = {
      id: old.id,
      name: old.name,
      order: old.order,
      status: old.status,
      capacity: old.capacity,
      allocated: {
        cpuMilli: Math.max(0, old.allocated.cpuMilli + cpu),
        memoryMiB: Math.max(0, old.allocated.memoryMiB + mem),
      },
      labels: old.labels,
    };
    this.place(entry);
    return true;
  }

  /** Takes the entry out of the free list while its keys are about to change. */
  private unplace(entry: Entry): void {
    if (entry.node.status === "Ready") this.free.remove(entry);
    else this.notReady.delete(entry);
  }

  /** Recomputes the entry's keys and puts it back into every Ready structure. */
  private place(entry: Entry): void {
    entry.freeCpu = freeCpu(entry.node);
    entry.freeMem = freeMemory(entry.node);
    const ready = entry.node.status === "Ready";
    if (ready) this.free.insert(entry);
    else this.notReady.add(entry);
    if (!this.treeStale) this.setLeaf(entry.slot, ready ? entry.freeCpu : -Infinity, ready ? entry.freeMem : -Infinity);
  }

  private slotIndex(node: SchedNode): number {
    let lo = 0;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareRegistration(this.slots[mid]!.node, node) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertSlot(entry: Entry): void {
    const i = this.slotIndex(entry.node);
    this.slots.splice(i, 0, entry);
    entry.slot = i;
    // Appending (the usual registration) keeps every other slot in place, so the tree stays valid if it has room.
    if (i !== this.slots.length - 1 || this.slots.length > this.leaves * BUCKET) this.treeStale = true;
  }

  private removeSlot(entry: Entry): void {
    const i = this.slotIndex(entry.node);
    if (this.slots[i] === entry) this.slots.splice(i, 1);
    this.treeStale = true;
  }

  private rebuildTree(): void {
    const n = this.slots.length;
    let leaves = 1;
    while (leaves * BUCKET < n) leaves *= 2;
    // Spare room so a run of registrations does not rebuild the tree every time.
    if (leaves * BUCKET === n) leaves *= 2;
    this.leaves = leaves;
    this.slotCpu = new Float64Array(leaves * BUCKET).fill(-Infinity);
    this.slotMem = new Float64Array(leaves * BUCKET).fill(-Infinity);
    this.maxCpuA = new Float64Array(2 * leaves).fill(-Infinity);
    this.maxMemA = new Float64Array(2 * leaves).fill(-Infinity);
    this.maxCpuB = new Float64Array(2 * leaves).fill(-Infinity);
    this.maxMemB = new Float64Array(2 * leaves).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const e = this.slots[i]!;
      e.slot = i;
      if (e.node.status === "Ready") {
        this.slotCpu[i] = e.freeCpu;
        this.slotMem[i] = e.freeMem;
      }
    }
    for (let b = 0; b < leaves; b++) this.refreshBucket(b);
    for (let k = leaves - 1; k >= 1; k--) this.pull(k);
    this.treeStale = false;
  }

  private setLeaf(slot: number, cpu: number, mem: number): void {
    this.slotCpu[slot] = cpu;
    this.slotMem[slot] = mem;
    const bucket = slot >>> BUCKET_BITS;
    this.refreshBucket(bucket);
    for (let k = (this.leaves + bucket) >>> 1; k >= 1; k >>>= 1) this.pull(k);
  }

  /** Recomputes an internal tree node from its children. */
  private pull(k: number): void {
    const l = 2 * k;
    const r = l + 1;
    this.maxCpuA[k] = Math.max(this.maxCpuA[l]!, this.maxCpuA[r]!);
    this.maxMemA[k] = Math.max(this.maxMemA[l]!, this.maxMemA[r]!);
    this.maxCpuB[k] = Math.max(this.maxCpuB[l]!, this.maxCpuB[r]!);
    this.maxMemB[k] = Math.max(this.maxMemB[l]!, this.maxMemB[r]!);
  }

  /** Recomputes a bucket's tree leaf from its slots. */
  private refreshBucket(bucket: number): void {
    let cpuA = -Infinity;
    let memA = -Infinity;
    let cpuB = -Infinity;
    let memB = -Infinity;
    for (let i = bucket * BUCKET, end = i + BUCKET; i < end; i++) {
      const cpu = this.slotCpu[i]!;
      const mem = this.slotMem[i]!;
      if (cpu * RICH_RATIO >= mem) {
        if (cpu > cpuA) cpuA = cpu;
        if (mem > memA) memA = mem;
      } else {
        if (cpu > cpuB) cpuB = cpu;
        if (mem > memB) memB = mem;
      }
    }
    const k = this.leaves + bucket;
    this.maxCpuA[k] = cpuA;
    this.maxMemA[k] = memA;
    this.maxCpuB[k] = cpuB;
    this.maxMemB[k] = memB;
  }

  /** Leftmost slot >= from whose Ready node has cpu and mem free; -1 if none. */
  private nextFit(from: number, cpu: number, mem: number): number {
    if (from >= this.slots.length) return -1;
    return this.descend(1, 0, this.leaves - 1, from, cpu, mem);
  }

  private descend(k: number, lo: number, hi: number, from: number, cpu: number, mem: number): number {
    // lo..hi are buckets. A fitting node is in class A or B, and that class's maxima cover it,
    // so a range where neither class passes holds no fit. The converse does not hold (the two
    // maxima of one class may still come from different nodes), hence the backtracking.
    if (hi < from >>> BUCKET_BITS) return -1;
    if (
      (this.maxCpuA[k]! < cpu || this.maxMemA[k]! < mem) &&
      (this.maxCpuB[k]! < cpu || this.maxMemB[k]! < mem)
    ) {
      return -1;
    }
    if (lo === hi) {
      // Buckets are scanned linearly: most backtracking happens near the leaves.
      for (let i = Math.max(from, lo * BUCKET), end = lo * BUCKET + BUCKET; i < end; i++) {
        if (this.slotCpu[i]! >= cpu && this.slotMem[i]! >= mem) return i;
      }
      return -1;
    }
    const mid = (lo + hi) >>> 1;
    const left = this.descend(2 * k, lo, mid, from, cpu, mem);
    return left >= 0 ? left : this.descend(2 * k + 1, mid + 1, hi, from, cpu, mem);
  }
}
