import { describe, expect, it } from "vitest";
import { MAX_EVENTS_PER_BEAT, PodEventQueue } from "./pod-events.js";

const warn = (message: string) => ({ type: "Warning" as const, reason: "Unhealthy", message });

describe("PodEventQueue", () => {
  it("hands out at most one beat's worth, oldest first, until acknowledged", () => {
    const q = new PodEventQueue();
    for (let i = 0; i < 250; i++) q.record("p", "main", warn(`failure ${i}`));
    const first = q.take();
    expect(first).toHaveLength(MAX_EVENTS_PER_BEAT);
    expect(first[0]).toEqual({ podId: "p", type: "Warning", reason: "Unhealthy", message: "failure 0" });
    // The beat failed (no ack): the same events go out again.
    expect(q.take()).toEqual(first);
    q.record("p", "main", warn("late"));
    q.ack();
    const rest = q.take();
    expect(rest.map((e) => e.message)).toEqual([...Array.from({ length: 50 }, (_, i) => `failure ${200 + i}`), "late"]);
    expect(q.hasUntaken).toBe(false);
    q.ack();
    expect(q.size).toBe(0);
    expect(q.take()).toEqual([]);
  });

  it("keeps the newest 1,000 when the API does not take them", () => {
    const q = new PodEventQueue();
    for (let i = 0; i < 1_200; i++) q.record("p", "main", warn(`failure ${i}`));
    expect(q.size).toBe(1_000);
    expect(q.take(1)[0]!.message).toBe("failure 200");
    expect(q.takeDropped()).toBe(200);
    expect(q.takeDropped()).toBe(0);
  });

  it("an ack after the taken events were dropped removes only what was sent", () => {
    const q = new PodEventQueue({ capacity: 3 });
    q.record("p", "main", warn("a"));
    q.record("p", "main", warn("b"));
    expect(q.take().map((e) => e.message)).toEqual(["a", "b"]);
    for (const m of ["c", "d", "e"]) q.record("p", "main", warn(m));
    q.ack();
    expect(q.take().map((e) => e.message)).toEqual(["c", "d", "e"]);
  });

  it("collapses an event identical to its container's previous one within 10 s", () => {
    let now = 0;
    const q = new PodEventQueue({ now: () => now });
    q.record("p", "main", warn("Liveness probe failed: exit 1"));
    now = 9_000;
    q.record("p", "main", warn("Liveness probe failed: exit 1"));
    // Another container, or another pod, is not a repeat.
    q.record("p", "side", warn("Liveness probe failed: exit 1"));
    q.record("q", "main", warn("Liveness probe failed: exit 1"));
    now = 10_500;
    q.record("p", "main", warn("Liveness probe failed: exit 1"));
    q.record("p", "main", warn("Readiness probe failed: exit 1"));
    q.record("p", "main", warn("Liveness probe failed: exit 1"));
    expect(q.take().map((e) => `${e.podId} ${e.message}`)).toEqual([
      "p Liveness probe failed: exit 1",
      "p Liveness probe failed: exit 1",
      "q Liveness probe failed: exit 1",
      "p Liveness probe failed: exit 1",
      "p Readiness probe failed: exit 1",
      "p Liveness probe failed: exit 1",
    ]);
    q.forgetPod("p");
    q.record("p", "main", warn("Liveness probe failed: exit 1"));
    expect(q.size).toBe(7);
  });
});
