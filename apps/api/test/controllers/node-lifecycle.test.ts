import type { Database } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../harness.js";
import { attachControlPlane, beat, dbNode, dbPod, readyNode, reasons, openMemoryDatabase } from "./support.js";

// Default health timings: heartbeat 1 s, Suspect after 3 s of silence, Failed after 5 s (strictly more than).
describe("node-lifecycle controller", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;

  beforeAll(async () => {
    shared = await openMemoryDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    h = await createHarness({ db: shared.db });
  });
  afterEach(async () => {
    await h.close();
  });

  /** Sets the clock and runs one lifecycle pass; returns the node's status in the database. */
  async function tickAt(t: number, name: string): Promise<string> {
    h.clock.now = t;
    await h.cp.lifecycle.tick();
    return (await dbNode(h, name)).status;
  }

  it("Ready -> Suspect after more than 3 s of silence -> Failed after more than 5 s", async () => {
    const t0 = h.clock.now;
    await readyNode(h, "a", 1); // registers (beats) at t0
    expect(await tickAt(t0 + 3000, "a")).toBe("Ready"); // silent 3.000 s, not > 3 s
    expect(await tickAt(t0 + 3001, "a")).toBe("Suspect"); // silent 3.001 s > 3 s
    expect(await tickAt(t0 + 5000, "a")).toBe("Suspect"); // silent 5.000 s, not > 5 s
    expect(await tickAt(t0 + 5001, "a")).toBe("Failed"); // silent 5.001 s > 5 s
    expect(await reasons(h, "a")).toEqual(["NodeAdded", "NodeReady", "NodeSuspect", "NodeFailed"]);
    expect((await dbNode(h, "a")).statusReason).toBe("no heartbeat for 5.001s (failed after 5s)");
  });

  it("a Cordoned node that goes silent also becomes Suspect, then Failed", async () => {
    const t0 = h.clock.now;
    const c = await readyNode(h, "c", 1);
    await h.db.nodes.transition(c.nodeId, "Cordoned", { from: ["Ready"], reason: "cordoned", now: t0 });
    await h.cp.cache.reloadNode(c.nodeId);
    h.clock.now = t0 + 2000;
    await beat(c); // a beat keeps a Cordoned node Cordoned (last beat now t0 + 2 s)
    expect(await tickAt(t0 + 4000, "c")).toBe("Cordoned"); // silent 2.0 s
    expect(await tickAt(t0 + 5000, "c")).toBe("Cordoned"); // silent 3.0 s, not > 3 s
    expect(await tickAt(t0 + 5001, "c")).toBe("Suspect"); // silent 3.001 s
    expect(await tickAt(t0 + 7001, "c")).toBe("Failed"); // silent 5.001 s
  });

  it("a heartbeat resets the silence, and brings a Suspect node back to Ready at once", async () => {
    const t0 = h.clock.now;
    const a = await readyNode(h, "a", 1);
    h.clock.now = t0 + 2500;
    await beat(a);
    // 5.1 s after registering, but only 2.6 s after the last beat: Ready (without the beat: Failed).
    expect(await tickAt(t0 + 5100, "a")).toBe("Ready");
    expect(await tickAt(t0 + 5600, "a")).toBe("Suspect"); // 3.1 s after the beat
    h.clock.now = t0 + 5700;
    await beat(a); // the gateway moves Suspect -> Ready with the beat
    expect((await dbNode(h, "a")).status).toBe("Ready");
    expect(await tickAt(t0 + 8600, "a")).toBe("Ready"); // 2.9 s after the beat
    expect(await tickAt(t0 + 10_701, "a")).toBe("Failed"); // 5.001 s after the beat, straight from Ready
    expect(await reasons(h, "a")).toEqual(["NodeAdded", "NodeReady", "NodeSuspect", "NodeReady", "NodeFailed"]);
  });

  it("agentExited fails the node at once and evicts: pods requeued (restarts + 1), the oldest placed elsewhere", async () => {
    const t0 = h.clock.now;
    const a = await readyNode(h, "a", 2);
    await readyNode(h, "b", 1);
    await h.admin.pods.launch({ name: "p", cpu: 1, algorithm: "first-fit" }); // a (registered first)
    await h.admin.pods.launch({ name: "q", cpu: 1, algorithm: "first-fit" }); // a again: 2 - 1 = 1 core left
    expect((await dbNode(h, "a")).allocated.cpuMilli).toBe(2000);

    h.clock.now = t0 + 100; // 0.1 s: far from any heartbeat threshold
    await h.cp.lifecycle.agentExited({ nodeId: a.nodeId, description: "agent process exited with code 137" });
    expect(await dbNode(h, "a")).toMatchObject({ status: "Failed", statusReason: "agent process exited with code 137", allocated: { cpuMilli: 0 } });
    // Both requeued; b has 1 core: p (older) takes it, q (1 core) waits: 1 - 1 = 0 left.
    expect(await dbPod(h, "p")).toMatchObject({ status: "Scheduled", nodeName: "b", restarts: 1 });
    expect(await dbPod(h, "q")).toMatchObject({ status: "Pending", nodeId: null, restarts: 1 });
    expect((await dbNode(h, "b")).allocated.cpuMilli).toBe(1000);
    expect(await reasons(h, "p")).toEqual(["Scheduled", "PodEvicted", "Scheduled"]);
    expect(await reasons(h, "a")).toEqual(["NodeAdded", "NodeReady", "NodeFailed"]);

    // A second exit report for the already Failed node changes nothing.
    await h.cp.lifecycle.agentExited({ nodeId: a.nodeId, description: "again" });
    expect(await reasons(h, "a")).toEqual(["NodeAdded", "NodeReady", "NodeFailed"]);
  });

  it("ignores agent exits and heartbeat ages while the control plane shuts down", async () => {
    const t0 = h.clock.now;
    const a = await readyNode(h, "a", 1);
    await h.cp.stop(); // agents end with the API: that is no failure
    await h.cp.lifecycle.agentExited({ nodeId: a.nodeId, description: "agent stopped" });
    expect((await dbNode(h, "a")).status).toBe("Ready");
    // 60 s of silence would fail it (60 s > 5 s), but a pass during shutdown judges nothing.
    expect(await tickAt(t0 + 60_000, "a")).toBe("Ready");
  });

  it("a new leader gives every node a full period before judging it (leaderSince)", async () => {
    const t0 = h.clock.now;
    const a = await readyNode(h, "a", 1); // last beat t0
    await h.cp.stop(); // the old leader goes away; its lease writer stores the beat
    expect((await h.db.nodes.get(a.nodeId))!.lastHeartbeatAt).toBe(t0);

    // 60 s later another API process starts and leads from t0 + 60 s.
    const clock = { now: t0 + 60_000 };
    const next = await attachControlPlane(h.db, clock);
    try {
      const at = async (t: number) => {
        clock.now = t;
        await next.cp.lifecycle.tick();
        return (await dbNode(next, "a")).status;
      };
      // Silence counts from max(last beat t0, leader since t0 + 60 s): 0 s here, not 60 s.
      expect(await at(t0 + 60_000)).toBe("Ready");
      expect(await at(t0 + 63_000)).toBe("Ready"); // 3.000 s since the election
      expect(await at(t0 + 63_001)).toBe("Suspect"); // 3.001 s
      expect(await at(t0 + 65_001)).toBe("Failed"); // 5.001 s
    } finally {
      await next.close();
    }
  });
});
