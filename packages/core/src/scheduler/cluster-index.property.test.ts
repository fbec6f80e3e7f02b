import { describe, expect, it } from "vitest";
import { POLICY_NAMES, type Labels, type NodeStatus, type PolicyName, type SchedNode, type SchedPod } from "../types.js";
import { ClusterIndex } from "./cluster-index.js";
import { explain } from "./explain.js";
import { fitsNode } from "./filter.js";
import { explainRejections, summarizeNoFit, summarizeRejections } from "./schedule.js";

/** mulberry32: a tiny seeded PRNG so every run checks the same clusters. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES: NodeStatus[] = ["Ready", "Ready", "Ready", "Ready", "Suspect", "Cordoned", "Failed"];
// rack=r1 is rare (1 node in 20): the index then looks only at the nodes carrying it.
const SELECTORS: Labels[] = [{}, {}, {}, { disk: "ssd" }, { zone: "a" }, { disk: "hdd", zone: "b" }, { rack: "r1" }, { rack: "r1", disk: "ssd" }];

function gen(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const of = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  // Small value grids make cpu and memory ties common, which is where policies differ.
  const node = (id: string, order: number): SchedNode => {
    const cpu = of([1000, 2000, 4000]);
    const mem = of([1024, 2048, 4096]);
    const labels: Labels = {};
    if (rand() < 0.6) labels.disk = of(["ssd", "hdd"]);
    if (rand() < 0.6) labels.zone = of(["a", "b"]);
    if (rand() < 0.05) labels.rack = "r1";
    return {
      id,
      name: `node-${id}`,
      order,
      status: of(STATUSES),
      capacity: { cpuMilli: cpu, memoryMiB: mem },
      allocated: { cpuMilli: int(cpu / 250 + 1) * 250, memoryMiB: int(mem / 256 + 1) * 256 },
      labels,
    };
  };
  const pod = (): SchedPod => ({
    request: { cpuMilli: int(17) * 250, memoryMiB: int(17) * 256 },
    nodeSelector: of(SELECTORS),
  });
  return { int, of, node, pod };
}

/** The obvious implementation: filter every node, sort the survivors by the policy's keys. */
function reference(nodes: readonly SchedNode[], pod: SchedPod, policy: PolicyName): string | undefined {
  const feasible = nodes
    .filter(
      (x) =>
        x.status === "Ready" &&
        x.capacity.cpuMilli - x.allocated.cpuMilli >= pod.request.cpuMilli &&
        x.capacity.memoryMiB - x.allocated.memoryMiB >= pod.request.memoryMiB &&
        Object.entries(pod.nodeSelector).every(([k, v]) => x.labels[k] === v),
    )
    .map((x) => ({
      x,
      cpu: x.capacity.cpuMilli - x.allocated.cpuMilli - pod.request.cpuMilli,
      mem: x.capacity.memoryMiB - x.allocated.memoryMiB - pod.request.memoryMiB,
    }));
  const reg = (a: SchedNode, b: SchedNode) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const sorters: Record<PolicyName, (a: (typeof feasible)[0], b: (typeof feasible)[0]) => number> = {
    "first-fit": (a, b) => reg(a.x, b.x),
    "best-fit": (a, b) => a.cpu - b.cpu || a.mem - b.mem || reg(a.x, b.x),
    "worst-fit": (a, b) => b.cpu - a.cpu || a.mem - b.mem || reg(a.x, b.x),
  };
  return feasible.sort(sorters[policy])[0]?.x.id;
}

interface Config {
  name: string;
  /** Clusters to generate and the largest cluster size. */
  clusters: number;
  maxNodes: number;
  /** FreeList block size: 2 forces splits and many blocks even in small clusters. */
  blockLoad?: number;
  sequences: number;
  ops: number;
}

const CONFIGS: Config[] = [
  { name: "small clusters, default blocks", clusters: 2000, maxNodes: 30, sequences: 30, ops: 400 },
  { name: "small clusters, 2-node blocks", clusters: 1000, maxNodes: 30, blockLoad: 2, sequences: 30, ops: 400 },
  // Hundreds of nodes: several blocks and a multi-level first-fit tree with the default sizes.
  { name: "large clusters, default blocks", clusters: 60, maxNodes: 600, sequences: 4, ops: 3000 },
];

describe.each(CONFIGS)("ClusterIndex.pick agrees with a filter-and-sort reference ($name)", (cfg) => {
  it(`on ${cfg.clusters} random clusters, 5 pods each, all policies`, () => {
    const rand = prng(20230901 + cfg.maxNodes + (cfg.blockLoad ?? 0));
    const g = gen(rand);
    let checked = 0;
    const mismatches: string[] = [];
    for (let c = 0; c < cfg.clusters; c++) {
      const size = g.int(cfg.maxNodes);
      // Orders drawn from a small range, so some nodes share an order and the id breaks the tie.
      const nodes = Array.from({ length: size }, (_, i) => g.node(`n${i}`, g.int(size * 2)));
      const ix = new ClusterIndex(nodes, { blockLoad: cfg.blockLoad });
      for (let p = 0; p < 5; p++) {
        const pod = g.pod();
        for (const policy of POLICY_NAMES) {
          const want = reference(nodes, pod, policy);
          const fast = ix.pick(pod, policy)?.id;
          const explained = explain(nodes, pod, policy).find((f) => f.chosen)?.nodeId;
          const count = ix.countFeasible(pod);
          const wantCount = explain(nodes, pod, policy).filter((f) => f.feasible).length;
          // One expect per check would dominate the run time; collect and compare once.
          const cheapCount = nodes.filter((x) => fitsNode(x, pod)).length;
          if (fast !== want || explained !== want || count !== wantCount || cheapCount !== wantCount) {
            mismatches.push(`cluster ${c} pod ${p} ${policy}: want ${want}, index ${fast}, explain ${explained}, count ${count}/${cheapCount}/${wantCount}`);
          }
          checked++;
        }
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(checked).toBe(cfg.clusters * 5 * 3);
  });

  it(`through ${cfg.sequences} random sequences of ${cfg.ops} upsert/remove/assume/forget/pick`, () => {
    const rand = prng(7 + cfg.maxNodes + (cfg.blockLoad ?? 0));
    const g = gen(rand);
    const mismatches: string[] = [];
    for (let s = 0; s < cfg.sequences; s++) {
      const ix = new ClusterIndex([], { blockLoad: cfg.blockLoad });
      // The model is a plain map, updated by the same rules the index promises.
      const model = new Map<string, SchedNode>();
      let nextId = 0;
      for (let op = 0; op < cfg.ops; op++) {
        const ids = [...model.keys()];
        const r = rand();
        if (r < 0.2 || ids.length === 0) {
          // New node; usually appended (larger order), sometimes in the middle.
          const id = `n${nextId++}`;
          const node = g.node(id, rand() < 0.8 ? nextId * 10 : g.int(nextId * 10));
          ix.upsert(node);
          model.set(id, node);
        } else if (r < 0.3) {
          const id = g.of(ids);
          const node = {
            ...model.get(id)!,
            status: g.of(STATUSES),
            order: rand() < 0.2 ? g.int(nextId * 10) : model.get(id)!.order,
            // Relabelled now and then: the label index must follow.
            labels: rand() < 0.3 ? g.node(id, 0).labels : model.get(id)!.labels,
          };
          ix.upsert(node);
          model.set(id, node);
        } else if (r < 0.35) {
          const id = g.of(ids);
          ix.remove(id);
          model.delete(id);
        } else if (r < 0.45) {
          const id = g.of(ids);
          const req = g.pod().request;
          ix.forget(id, req);
          const x = model.get(id)!;
          model.set(id, {
            ...x,
            allocated: {
              cpuMilli: Math.max(0, x.allocated.cpuMilli - req.cpuMilli),
              memoryMiB: Math.max(0, x.allocated.memoryMiB - req.memoryMiB),
            },
          });
        } else {
          const pod = g.pod();
          const policy = g.of(POLICY_NAMES);
          const picked = ix.pick(pod, policy);
          const want = reference([...model.values()], pod, policy);
          if (picked?.id !== want) mismatches.push(`seq ${s} op ${op} ${policy}: want ${want}, index ${picked?.id}`);
          // The counted summary (ranks in the free list, not-Ready set) agrees with one built from every node's reasons.
          const nodes = [...model.values()];
          const counted = summarizeNoFit(ix, pod);
          const listed = summarizeRejections(nodes.length, explainRejections(nodes, pod));
          if (!picked && counted !== listed) mismatches.push(`seq ${s} op ${op}: counted "${counted}", listed "${listed}"`);
          if (picked) {
            ix.assume(picked.id, pod.request);
            const x = model.get(picked.id)!;
            model.set(picked.id, {
              ...x,
              allocated: {
                cpuMilli: x.allocated.cpuMilli + pod.request.cpuMilli,
                memoryMiB: x.allocated.memoryMiB + pod.request.memoryMiB,
              },
            });
          }
        }
        if (ix.size !== model.size) mismatches.push(`seq ${s} op ${op}: size ${ix.size} != ${model.size}`);
      }
      const reg = (a: SchedNode, b: SchedNode) => a.order - b.order || (a.id < b.id ? -1 : 1);
      expect(ix.nodes()).toEqual([...model.values()].sort(reg));
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
