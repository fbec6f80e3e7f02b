import type { PolicyName, SchedNode, SchedPod } from "../types.js";
import { ClusterIndex } from "../scheduler/cluster-index.js";
import type { TraceNode, TracePod } from "./trace-csv.js";

/** fill: pods never leave; timed: each pod leaves at its deletion time. */
export type ReplayMode = "fill" | "timed";

/** How to replay a trace. */
export interface ReplayOptions {
  policy: PolicyName;
  mode: ReplayMode;
  /** Keep only the first N nodes of the file (all when omitted). */
  nodeLimit?: number;
}

/** The outcome of one replay; fractions are of the total CPU capacity of the nodes used. */
export interface ReplayResult {
  policy: PolicyName;
  mode: ReplayMode;
  nodes: number;
  pods: number;
  placed: number;
  unschedulable: number;
  /** The first pod that fitted nowhere, or null. */
  firstFailedPod: string | null;
  /** CPU allocated when the first pod failed (before it was dropped), or null if none failed. */
  cpuAtFirstFailure: number | null;
  /** CPU allocated after the last arrival (departures later than it are not applied, or timed mode would always end at 0). */
  cpuAtEnd: number;
  /** Highest CPU allocation reached at any moment. */
  cpuPeak: number;
  /** Pod name -> node name for every placed pod, in arrival order. */
  placements: ReadonlyMap<string, string>;
}

interface Running {
  deletionTime: number;
  nodeId: string;
  request: SchedPod["request"];
}

/** A binary min-heap on deletion time: the pods running right now, soonest to leave on top. */
class Departures {
  private readonly items: Running[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Running | undefined {
    return this.items[0];
  }

  push(item: Running): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.deletionTime <= item.deletionTime) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = item;
  }

  pop(): Running | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const child = r < a.length && a[r]!.deletionTime < a[l]!.deletionTime ? r : l;
      if (a[child]!.deletionTime >= last.deletionTime) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
    return top;
  }
}

/** Arrival order: creation time, then name by code units so the order never depends on locale. */
function byArrival(a: TracePod, b: TracePod): number {
  if (a.creationTime !== b.creationTime) return a.creationTime - b.creationTime;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function toSchedNodes(nodes: readonly TraceNode[]): SchedNode[] {
  return nodes.map((n, i) => ({
    id: n.name,
    name: n.name,
    // File order is registration order, which is what first-fit walks.
    order: i,
    status: "Ready",
    capacity: { cpuMilli: n.cpuMilli, memoryMiB: n.memoryMiB },
    allocated: { cpuMilli: 0, memoryMiB: 0 },
    labels: {},
  }));
}

/**
 * Replays a trace on a virtual clock through the scheduler's own ClusterIndex and policies:
 * each arrival is picked and assumed, each departure forgotten. A pod that fits nowhere is
 * dropped (no retry). Pure and deterministic: the caller times it.
 */
export function replayTrace(nodes: readonly TraceNode[], pods: readonly TracePod[], opts: ReplayOptions): ReplayResult {
  const { policy, mode, nodeLimit } = opts;
  if (nodeLimit !== undefined && !(Number.isSafeInteger(nodeLimit) && nodeLimit >= 0)) {
    throw new RangeError(`nodeLimit must be a whole number >= 0 (got ${nodeLimit})`);
  }
  const used = nodeLimit === undefined ? nodes : nodes.slice(0, nodeLimit);
  const index = new ClusterIndex(toSchedNodes(used));
  const totalCpu = used.reduce((sum, n) => sum + n.cpuMilli, 0);
  // An empty cluster has nothing allocated: report 0 rather than NaN.
  const fraction = (milli: number): number => (totalCpu > 0 ? milli / totalCpu : 0);

  const arrivals = [...pods].sort(byArrival);
  const departures = new Departures();
  const placements = new Map<string, string>();
  let allocated = 0;
  let peak = 0;
  let unschedulable = 0;
  let firstFailedPod: string | null = null;
  let cpuAtFirstFailure: number | null = null;

  for (const pod of arrivals) {
    if (mode === "timed") {
      // A pod leaving at the very second another arrives makes room for it.
      while (departures.size > 0 && departures.peek()!.deletionTime <= pod.creationTime) {
        const gone = departures.pop()!;
        index.forget(gone.nodeId, gone.request);
        allocated -= gone.request.cpuMilli;
      }
    }
    const request = { cpuMilli: pod.cpuMilli, memoryMiB: pod.memoryMiB };
    const node = index.pick({ request, nodeSelector: {} }, policy);
    if (!node) {
      unschedulable++;
      if (firstFailedPod === null) {
        firstFailedPod = pod.name;
        cpuAtFirstFailure = fraction(allocated);
      }
      continue;
    }
    index.assume(node.id, request);
    placements.set(pod.name, node.name);
    allocated += pod.cpuMilli;
    if (allocated > peak) peak = allocated;
    if (mode === "timed") departures.push({ deletionTime: pod.deletionTime, nodeId: node.id, request });
  }

  return {
    policy,
    mode,
    nodes: used.length,
    pods: pods.length,
    placed: placements.size,
    unschedulable,
    firstFailedPod,
    cpuAtFirstFailure,
    cpuAtEnd: fraction(allocated),
    cpuPeak: fraction(peak),
    placements,
  };
}
