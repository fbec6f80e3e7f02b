import { describe, expect, it } from "vitest";
import { pendingQueueOrder, planEviction, type BoundPod } from "./reschedule.js";
import type { PodStatus } from "./types.js";

function p(id: string, nodeId: string | null, status: PodStatus, createdAt: number): BoundPod {
  return { id, name: `pod-${id}`, nodeId, status, request: { cpuMilli: 500, memoryMiB: 256 }, createdAt };
}

describe("planEviction", () => {
  const cases: { name: string; pods: BoundPod[]; requeue: string[]; finalize: string[] }[] = [
    // r1 Running and s1 Scheduled on n1 go back; x1 on n2 is untouched
    { name: "running and scheduled are requeued", pods: [p("r1", "n1", "Running", 20), p("s1", "n1", "Scheduled", 10), p("x1", "n2", "Running", 5)], requeue: ["s1", "r1"], finalize: [] },
    // t1 was being deleted: finish it instead of moving it
    { name: "terminating pods are finalized", pods: [p("t1", "n1", "Terminating", 1), p("r1", "n1", "Running", 2)], requeue: ["r1"], finalize: ["t1"] },
    // Succeeded/Failed are finished history; a Pending pod is bound nowhere
    { name: "finished and pending pods stay", pods: [p("ok", "n1", "Succeeded", 1), p("bad", "n1", "Failed", 2), p("pe", null, "Pending", 3)], requeue: [], finalize: [] },
    // createdAt 5 = 5: id "a" < "b" keeps the requeue order deterministic
    { name: "requeue is oldest first", pods: [p("b", "n1", "Running", 5), p("a", "n1", "Running", 5), p("c", "n1", "Running", 1)], requeue: ["c", "a", "b"], finalize: [] },
    { name: "no pods", pods: [], requeue: [], finalize: [] },
  ];
  it.each(cases)("$name", ({ pods, requeue, finalize }) => {
    const plan = planEviction("n1", pods);
    expect(plan.requeue.map((x) => x.id)).toEqual(requeue);
    expect(plan.finalize.map((x) => x.id)).toEqual(finalize);
  });

  it("keeps the caller's richer pod type and objects", () => {
    const pods = [{ ...p("r1", "n1", "Running", 1), restarts: 2 }];
    const plan = planEviction("n1", pods);
    expect(plan.requeue[0]).toBe(pods[0]);
    expect(plan.requeue[0]?.restarts).toBe(2);
  });
});

describe("pendingQueueOrder", () => {
  const cases: { name: string; pods: { id: string; createdAt: number }[]; want: string[] }[] = [
    // 1 < 2 < 3
    { name: "by createdAt", pods: [{ id: "x", createdAt: 3 }, { id: "y", createdAt: 1 }, { id: "z", createdAt: 2 }], want: ["y", "z", "x"] },
    // all createdAt 7: ids by code unit, "B" (66) < "a" (97), not locale order
    { name: "ties by id, locale-free", pods: [{ id: "a", createdAt: 7 }, { id: "B", createdAt: 7 }, { id: "a2", createdAt: 7 }], want: ["B", "a", "a2"] },
    { name: "empty", pods: [], want: [] },
  ];
  it.each(cases)("$name", ({ pods, want }) => {
    const input = [...pods];
    expect(pendingQueueOrder(pods).map((x) => x.id)).toEqual(want);
    // The input is left as it was.
    expect(pods).toEqual(input);
  });
});
