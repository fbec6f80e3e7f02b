import { replayTrace, type Kube9Client, type PolicyName, type ReplayMode, type TraceNode, type TracePod } from "@kube9/client";
import { CliError } from "../errors.js";

// `kube9 simulate --through-api`: the same trace replayed through a running Kube-9 API (hollow nodes, its
// database, its scheduler) instead of the pure core, and compared pod by pod with the core replay. A place
// where the two differ is a bug in one of them: the API must place exactly as the core it is built on.

/** The label that fences a replay's nodes off from the rest of the cluster (its pods select it). */
export const REPLAY_LABEL = "kube9.io/replay";

/** One policy replayed through the API, against the core replay of the same pods. */
export interface ApiReplayResult {
  policy: PolicyName;
  placed: number;
  unschedulable: number;
  /** Pods placed on the same node as the core replay placed them (or unschedulable in both). */
  agree: number;
  /** The first pods where the API and the core differ: pod, API's node (or null), core's node (or null). */
  differences: Array<{ pod: string; api: string | null; core: string | null }>;
  runTimeMs: number;
}

/** What a replay through the API needs. */
export interface ApiReplayOptions {
  policies: PolicyName[];
  mode: ReplayMode;
  /** A short tag that names this run's nodes and pods (`<tag>-<trace name>`). */
  tag: string;
  onProgress?: (line: string) => void;
}

/** Trace names become object names: lowercase, DNS-label characters, bounded. */
function objectName(tag: string, traceName: string): string {
  const clean = traceName.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "");
  return `${tag}-${clean}`.slice(0, 63).replace(/-+$/, "");
}

/** Arrival order, as the core replay takes it: creation time, then name by code units. */
function arrivals(pods: readonly TracePod[]): TracePod[] {
  return [...pods].sort((a, b) => a.creationTime - b.creationTime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Adds the trace's nodes as hollow nodes (one at a time, so registration order is file order, which first-fit
 * walks), replays the pods once per policy (each launch waits for its placement; a pod placed nowhere is deleted,
 * as the core drops it; timed mode deletes pods at their deletion time), compares with the core replay, and
 * removes everything it made.
 */
export async function replayThroughApi(client: Kube9Client, nodes: readonly TraceNode[], pods: readonly TracePod[], opts: ApiReplayOptions): Promise<ApiReplayResult[]> {
  const { tag, mode } = opts;
  const nodeName = new Map(nodes.map((n) => [objectName(tag, n.name), n.name]));
  if (nodeName.size !== nodes.length) throw new CliError("two trace nodes map to the same Kube-9 node name; rename them in the CSV");
  const selector = { [REPLAY_LABEL]: tag };
  const made: string[] = [];
  const results: ApiReplayResult[] = [];
  try {
    for (const n of nodes) {
      const name = objectName(tag, n.name);
      await client.nodes.add.mutate({ name, cpu: n.cpuMilli / 1000, memoryMiB: n.memoryMiB, runtime: "hollow", labels: selector });
      made.push(name);
    }
    opts.onProgress?.(`added ${made.length} hollow nodes`);
    const ordered = arrivals(pods);
    for (const policy of opts.policies) {
      const core = replayTrace(nodes, pods, { policy, mode });
      const started = performance.now();
      const placements = new Map<string, string | null>();
      const running: Array<{ name: string; deletionTime: number }> = [];
      for (const pod of ordered) {
        if (mode === "timed") {
          running.sort((a, b) => a.deletionTime - b.deletionTime);
          while (running.length > 0 && running[0]!.deletionTime <= pod.creationTime) {
            await client.pods.delete.mutate({ name: running.shift()!.name, gracePeriodSeconds: 0 });
          }
        }
        const name = objectName(tag, pod.name);
        const res = await client.pods.launch.mutate({
          name,
          cpu: Math.max(pod.cpuMilli, 1) / 1000,
          memoryMiB: pod.memoryMiB,
          algorithm: policy,
          nodeSelector: selector,
        });
        const node = res.pod.nodeName ? (nodeName.get(res.pod.nodeName) ?? res.pod.nodeName) : null;
        placements.set(pod.name, node);
        if (node === null) await client.pods.delete.mutate({ name, gracePeriodSeconds: 0 });
        else running.push({ name, deletionTime: pod.deletionTime });
      }
      const runTimeMs = Math.round(performance.now() - started);
      const differences: ApiReplayResult["differences"] = [];
      let agree = 0;
      for (const pod of ordered) {
        const api = placements.get(pod.name) ?? null;
        const want = core.placements.get(pod.name) ?? null;
        if (api === want) agree++;
        else if (differences.length < 10) differences.push({ pod: pod.name, api, core: want });
      }
      const placed = [...placements.values()].filter((n) => n !== null).length;
      results.push({ policy, placed, unschedulable: ordered.length - placed, agree, differences, runTimeMs });
      opts.onProgress?.(`${policy}: ${agree} of ${ordered.length} pods placed as the core replay placed them (${runTimeMs} ms)`);
      for (const r of running) await client.pods.delete.mutate({ name: r.name, gracePeriodSeconds: 0 });
    }
  } finally {
    for (const name of made) await client.nodes.remove.mutate({ name }).catch(() => undefined);
  }
  return results;
}
