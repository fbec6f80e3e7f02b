import { describe, expect, it } from "vitest";
import type { Labels, NodeStatus, SchedNode } from "../types.js";
import { backoffMs, DEFAULT_QUEUE_TIMING, nodeChangeMayHelp, SchedulingQueue, type QueueState, type QueueStats } from "./scheduling-queue.js";

describe("backoffMs (1 s doubling, at most 10 s)", () => {
  it.each([
    { attempts: 0, want: 0 }, // never tried: no wait
    { attempts: 1, want: 1000 }, // 1 s
    { attempts: 2, want: 2000 }, // 1 s * 2
    { attempts: 3, want: 4000 }, // 1 s * 2^2
    { attempts: 4, want: 8000 }, // 1 s * 2^3
    { attempts: 5, want: 10_000 }, // 1 s * 2^4 = 16 s, capped at 10 s
    { attempts: 1000, want: 10_000 }, // capped, no overflow
  ])("after $attempts failed attempts: $want ms", ({ attempts, want }) => {
    expect(backoffMs(attempts)).toBe(want);
  });

  it("follows other timings", () => {
    // 250 ms, 500 ms, 1000 ms, then capped at 1500 ms
    const timing = { initialBackoffMs: 250, maxBackoffMs: 1500, maxUnschedulableMs: 5000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, timing))).toEqual([250, 500, 1000, 1500, 1500]);
  });
});

/** A node with 4000m / 4096Mi and the given free CPU (memory all free). */
function node(id: string, freeCpu: number, status: NodeStatus = "Ready", labels: Labels = {}): SchedNode {
  return {
    id,
    name: id,
    order: 0,
    status,
    capacity: { cpuMilli: 4000, memoryMiB: 4096 },
    allocated: { cpuMilli: 4000 - freeCpu, memoryMiB: 0 },
    labels,
  };
}

describe("nodeChangeMayHelp", () => {
  const memo = (freeCpu: number, ready = true, labels: Labels = {}) => ({ ready, freeCpu, freeMem: 4096, labels });
  it.each([
    { name: "a new Ready node", before: undefined, after: node("n", 0), want: true },
    { name: "a new node that is not Ready", before: undefined, after: node("n", 4000, "Provisioning"), want: false },
    { name: "became Ready", before: memo(4000, false), after: node("n", 4000), want: true },
    { name: "left Ready", before: memo(4000), after: node("n", 4000, "Failed"), want: false },
    // 1000m free before, 1500m after: a pod was deleted or finished
    { name: "more free CPU", before: memo(1000), after: node("n", 1500), want: true },
    // 1000m free before, 500m after: a pod was bound
    { name: "less free CPU", before: memo(1000), after: node("n", 500), want: false },
    { name: "nothing changed", before: memo(1000), after: node("n", 1000), want: false },
    { name: "relabelled", before: memo(1000, true, { zone: "a" }), after: node("n", 1000, "Ready", { zone: "b" }), want: true },
    { name: "a label added", before: memo(1000, true, { zone: "a" }), after: node("n", 1000, "Ready", { zone: "a", disk: "ssd" }), want: true },
    { name: "same labels, another object", before: memo(1000, true, { zone: "a" }), after: node("n", 1000, "Ready", { zone: "a" }), want: false },
  ])("$name: $want", ({ before, after, want }) => {
    expect(nodeChangeMayHelp(before, after)).toBe(want);
  });
});

type Step =
  /** A new Pending pod: 2000m / 1024Mi unless given. */
  | { add: string; order?: number; cpu?: number; selector?: Labels }
  /** pop(at) returns these pods, in this order. */
  | { pop: number; want: string[] }
  /** The pod's attempt found no node at `at` (error: it failed for another reason). */
  | { fail: string; at: number; error?: true }
  /** nodeChanged(node, at) moves this many pods. */
  | { node: SchedNode; at: number; moved: number }
  | { nodeRemoved: string }
  | { remove: string }
  | { unpop: string }
  | { moveAll: number; moved: number }
  | { endBackoffs: number }
  | { state: string; want: QueueState | undefined }
  | { stats: QueueStats };

interface Case {
  name: string;
  steps: Step[];
}

const cases: Case[] = [
  {
    name: "new pods are tried at once, oldest first, and each only once",
    steps: [
      { add: "young", order: 2 },
      { add: "old", order: 1 },
      { add: "old", order: 1 }, // already queued: no second entry
      { pop: 0, want: ["old", "young"] },
      { pop: 0, want: [] }, // both in flight
      { stats: { active: 0, inFlight: 2, backoff: 0, unschedulable: 0 } },
    ],
  },
  {
    name: "nothing changes: an unschedulable pod is tried again only after 60 s",
    steps: [
      { add: "p" },
      { pop: 0, want: ["p"] },
      { fail: "p", at: 0 }, // unschedulable since 0; backoff would end at 0 + 1000
      { pop: 1000, want: [] }, // backoff over, but no event: still waiting
      { pop: 59_999, want: [] }, // 59,999 - 0 < 60,000
      { pop: 60_000, want: ["p"] }, // 60,000 - 0 >= 60,000: flushed
    ],
  },
  {
    name: "a node that fits it, after the backoff: tried at once",
    steps: [
      { add: "p" },
      { pop: 0, want: ["p"] },
      { fail: "p", at: 0 }, // 1st failure: backoff until 0 + 1000
      { node: node("n1", 3000), at: 1500, moved: 1 }, // new node, 3000m >= 2000m; 1500 >= 1000
      { state: "p", want: "active" },
      { pop: 1500, want: ["p"] },
    ],
  },
  {
    name: "a node that fits it, within the backoff: tried when the backoff ends",
    steps: [
      { add: "p" },
      { pop: 0, want: ["p"] },
      { fail: "p", at: 0 }, // backoff until 1000
      { node: node("n1", 3000), at: 400, moved: 1 }, // 400 < 1000: to the backoff pods
      { state: "p", want: "backoff" },
      { pop: 999, want: [] },
      { pop: 1000, want: ["p"] },
    ],
  },
  {
    name: "each failure doubles the backoff",
    steps: [
      { add: "p" },
      { node: node("n1", 1000), at: 0, moved: 0 }, // 1000m < 2000m, and nothing waits yet
      { pop: 0, want: ["p"] },
      { fail: "p", at: 0 }, // 1st: until 0 + 1000
      { node: node("n1", 1500), at: 1000, moved: 0 }, // more room, still 1500m < 2000m: the pod does not fit it
      { node: node("n2", 2000), at: 1000, moved: 1 }, // fits; 1000 >= 1000: active
      { pop: 1000, want: ["p"] },
      { fail: "p", at: 1000 }, // 2nd: until 1000 + 2000 = 3000
      { node: node("n3", 4000), at: 2500, moved: 1 }, // 2500 < 3000: backoff
      { pop: 2999, want: [] },
      { pop: 3000, want: ["p"] },
      { fail: "p", at: 3000 }, // 3rd: until 3000 + 4000 = 7000
      { node: node("n4", 4000), at: 3000, moved: 1 },
      { pop: 6999, want: [] },
      { pop: 7000, want: ["p"] },
    ],
  },
  {
    name: "a node filling up or failing moves nothing; freed room or Ready again does",
    steps: [
      { add: "p" },
      { node: node("n1", 1000), at: 0, moved: 0 }, // seen with 1000m free
      { pop: 0, want: ["p"] },
      { fail: "p", at: 0 },
      { node: node("n1", 500), at: 5000, moved: 0 }, // a pod bound there: 500m < 1000m, no more room
      { node: node("n1", 2500, "Failed"), at: 5000, moved: 0 }, // room, but not Ready
      { node: node("n1", 2500), at: 5000, moved: 1 }, // Ready again with 2500m >= 2000m; 5000 >= 1000
      { pop: 5000, want: ["p"] },
    ],
  },
  {
    name: "a nodeSelector pod moves when a node gets the label, not for room elsewhere",
    steps: [
      { add: "ssd", selector: { disk: "ssd" } },
      { add: "any", order: 2, cpu: 3000 },
      { node: node("n1", 1000, "Ready", { disk: "hdd" }), at: 0, moved: 0 },
      { pop: 0, want: ["ssd", "any"] },
      { fail: "ssd", at: 0 },
      { fail: "any", at: 0 },
      { node: node("n2", 4000, "Ready", { disk: "hdd" }), at: 2000, moved: 1 }, // 4000m fits "any" (3000m), not the selector
      { state: "ssd", want: "unschedulable" },
      { state: "any", want: "active" },
      { node: node("n1", 2000, "Ready", { disk: "ssd" }), at: 2000, moved: 1 }, // relabelled and 2000m >= 2000m: "ssd" moves
      { pop: 2000, want: ["ssd", "any"] },
    ],
  },
  {
    name: "pods of one class move together",
    steps: [
      { add: "a", order: 1 },
      { add: "b", order: 2 },
      { add: "c", order: 3, cpu: 4000 },
      { pop: 0, want: ["a", "b", "c"] },
      { fail: "a", at: 0 },
      { fail: "b", at: 0 },
      { fail: "c", at: 0 },
      { node: node("n1", 2000), at: 1000, moved: 2 }, // a and b (2000m) fit, c (4000m) does not
      { pop: 1000, want: ["a", "b"] },
    ],
  },
  {
    name: "an attempt that overlapped a helpful event waits out its backoff, not 60 s",
    steps: [
      { add: "p" },
      { pop: 0, want: ["p"] }, // the attempt begins
      { node: node("n1", 4000), at: 100, moved: 0 }, // room appears while p is in flight (not unschedulable yet: nothing to move)
      { fail: "p", at: 300 }, // the attempt had read the cluster before: backoff until 300 + 1000
      { state: "p", want: "backoff" },
      { pop: 1299, want: [] },
      { pop: 1300, want: ["p"] },
    ],
  },
  {
    name: "an error waits out the backoff",
    steps: [
      { add: "p" },
      { pop: 0, want: ["p"] },
      { fail: "p", at: 0, error: true }, // until 1000
      { pop: 999, want: [] },
      { pop: 1000, want: ["p"] },
    ],
  },
  {
    name: "a removed pod is never returned, wherever it waited",
    steps: [
      { add: "active" },
      { add: "backoff", order: 2 },
      { add: "unsched", order: 3 },
      { pop: 0, want: ["active", "backoff", "unsched"] },
      { unpop: "active" },
      { fail: "backoff", at: 0, error: true },
      { fail: "unsched", at: 0 },
      { stats: { active: 1, inFlight: 0, backoff: 1, unschedulable: 1 } },
      { remove: "active" },
      { remove: "backoff" },
      { remove: "unsched" },
      { node: node("n1", 4000), at: 60_000, moved: 0 },
      { pop: 60_000, want: [] },
      { stats: { active: 0, inFlight: 0, backoff: 0, unschedulable: 0 } },
    ],
  },
  {
    name: "a pass that stops gives its untried pods back, first in line",
    steps: [
      { add: "a", order: 1 },
      { add: "b", order: 2 },
      { pop: 0, want: ["a", "b"] },
      { unpop: "b" },
      { state: "b", want: "active" },
      { pop: 0, want: ["b"] },
    ],
  },
  {
    name: "moveAll (settings changed) moves every unschedulable pod, respecting backoffs",
    steps: [
      { add: "a", order: 1 },
      { add: "b", order: 2 },
      { pop: 0, want: ["a", "b"] },
      { fail: "a", at: 0 }, // until 1000
      { fail: "b", at: 500 }, // until 1500
      { moveAll: 1200, moved: 2 }, // a: 1200 >= 1000 active; b: 1200 < 1500 backoff
      { state: "a", want: "active" },
      { state: "b", want: "backoff" },
      { pop: 1200, want: ["a"] },
      { pop: 1500, want: ["b"] },
    ],
  },
  {
    name: "endBackoffs (an explicit pass) does not wait for backoffs, nor touch unschedulable pods",
    steps: [
      { add: "a", order: 1 },
      { add: "b", order: 2 },
      { add: "ssd", order: 3, selector: { disk: "ssd" } },
      { pop: 0, want: ["a", "b", "ssd"] },
      { fail: "a", at: 0 },
      { fail: "b", at: 0 },
      { fail: "ssd", at: 0 },
      { node: node("n1", 4000), at: 10, moved: 2 }, // a and b fit (no label needed); 10 < 1000: backoff
      { endBackoffs: 2 },
      { pop: 10, want: ["a", "b"] },
      { state: "ssd", want: "unschedulable" },
    ],
  },
  {
    name: "a removed node counts as new when it returns",
    steps: [
      { add: "p" },
      { node: node("n1", 4000, "Ready"), at: 0, moved: 0 },
      { pop: 0, want: ["p"] },
      { node: node("n1", 0), at: 0, moved: 0 }, // filled while p was in flight (no room added)
      { fail: "p", at: 0 }, // no helpful event overlapped: unschedulable
      { nodeRemoved: "n1" },
      { node: node("n1", 2000), at: 2000, moved: 1 }, // unknown again: a new node with 2000m
      { pop: 2000, want: ["p"] },
    ],
  },
];

describe("SchedulingQueue", () => {
  it.each(cases)("$name", ({ steps }) => {
    const q = new SchedulingQueue(DEFAULT_QUEUE_TIMING);
    const pods = new Map<string, { id: string; order: number; request: { cpuMilli: number; memoryMiB: number }; nodeSelector: Labels }>();
    /** moveSeq when each pod's attempt began (at its pop). */
    const seen = new Map<string, number>();
    steps.forEach((step, i) => {
      const at = `step ${i}: ${JSON.stringify(step)}`;
      if ("add" in step) {
        const pod = { id: step.add, order: step.order ?? 1, request: { cpuMilli: step.cpu ?? 2000, memoryMiB: 1024 }, nodeSelector: step.selector ?? {} };
        pods.set(pod.id, pod);
        q.add(pod);
      } else if ("pop" in step) {
        const got = q.pop(step.pop).map((p) => p.id);
        for (const id of got) seen.set(id, q.moveSeq);
        expect(got, at).toEqual(step.want);
      } else if ("fail" in step) {
        q.failed(pods.get(step.fail)!, step.at, seen.get(step.fail) ?? q.moveSeq, step.error);
      } else if ("node" in step) {
        expect(q.nodeChanged(step.node, step.at), at).toBe(step.moved);
      } else if ("nodeRemoved" in step) {
        q.nodeRemoved(step.nodeRemoved);
      } else if ("remove" in step) {
        q.remove(step.remove);
      } else if ("unpop" in step) {
        q.unpop(step.unpop);
      } else if ("moveAll" in step) {
        expect(q.moveAll(step.moveAll), at).toBe(step.moved);
      } else if ("endBackoffs" in step) {
        expect(q.endBackoffs(), at).toBe(step.endBackoffs);
      } else if ("state" in step) {
        expect(q.state(step.state), at).toBe(step.want);
      } else {
        expect(q.stats(), at).toEqual(step.stats);
      }
    });
  });
});
