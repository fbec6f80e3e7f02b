import type { Database } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, type AgentCaller, type Harness } from "../harness.js";
import { beat, openMemoryDatabase, readyNode } from "./support.js";

// Many nodes late at once: the node lifecycle controller suspects the control plane first and holds
// evictions back (core's decideDisruption). Default timings: Suspect after 3 s of silence, Failed after 5 s.
describe("node-lifecycle controller in a disruption", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;
  const lag = { ms: 0 };
  let agents: AgentCaller[];

  beforeAll(async () => {
    shared = await openMemoryDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    lag.ms = 0;
    h = await createHarness({ db: shared.db, eventLoopLag: { recentMs: () => lag.ms } });
    agents = [];
    for (let i = 0; i < 10; i++) agents.push(await readyNode(h, `n${i}`, 1));
    await h.admin.pods.launch({ name: "p", cpu: 0.5 });
  });
  afterEach(async () => {
    await h.close();
  });

  const statuses = async () => {
    const count: Record<string, number> = {};
    for (const n of await h.admin.nodes.list()) count[n.status] = (count[n.status] ?? 0) + 1;
    return count;
  };
  const clusterEvents = async () =>
    (await h.admin.events.list({ limit: 1000 })).filter((e) => e.objectKind === "Cluster").map((e) => [e.reason, e.message]);

  it("the API's clock jumps (every node looks 6 s late): full disruption, Suspect but no eviction, then resumed", async () => {
    const t0 = h.clock.now;
    h.clock.now = t0 + 6000; // 6 s > failed after 5 s for all 10 nodes
    await h.cp.lifecycle.tick();
    expect(await statuses()).toEqual({ Suspect: 10 });
    // Its pod stays where it is: nothing was evicted.
    expect((await h.admin.pods.get({ name: "p" })).pod.status).toBe("Scheduled");
    expect(await clusterEvents()).toEqual([["NodeEvictionsHeld", "all 10 nodes late (full disruption): no evictions"]]);
    expect(h.cp.metricsText()).toMatch(/^kube9_node_evictions_held 10$/m);
    expect(h.cp.metricsText()).toMatch(/^kube9_node_disruption\{mode="full"\} 1$/m);
    // The nodes are heard again: Ready, and the next pass says evictions resume.
    for (const a of agents) await beat(a);
    await h.cp.lifecycle.tick();
    expect(await statuses()).toEqual({ Ready: 10 });
    expect((await clusterEvents()).map(([r]) => r)).toEqual(["NodeEvictionsHeld", "NodeEvictionsResumed"]);
    expect(h.cp.metricsText()).toMatch(/^kube9_node_evictions_held 0$/m);
  });

  it("the API's event loop lagged 2 s: no node is marked Suspect or Failed, and silence counts from the recovery", async () => {
    const t0 = h.clock.now;
    lag.ms = 2000;
    h.clock.now = t0 + 6000;
    await h.cp.lifecycle.tick();
    expect(await statuses()).toEqual({ Ready: 10 });
    const [[reason, message]] = (await clusterEvents()) as [[string, string]];
    expect(reason).toBe("NodeEvictionsHeld");
    expect(message).toBe("10 of 10 nodes late while the API's event loop lagged 2s: the control plane is the suspect; no node is marked Suspect or Failed");
    // The lag is over; 9 nodes are heard again, n9 is not. Silence counts from t0 + 7 s, when the API recovered.
    lag.ms = 0;
    h.clock.now = t0 + 7000;
    for (const a of agents.slice(0, 9)) await beat(a);
    await h.cp.lifecycle.tick();
    expect(await statuses()).toEqual({ Ready: 10 });
    h.clock.now = t0 + 10_001; // n9: 3.001 s since the recovery (the 9 others: also 3.001 s since their beat)
    for (const a of agents.slice(0, 9)) await beat(a);
    await h.cp.lifecycle.tick();
    expect(await statuses()).toEqual({ Ready: 9, Suspect: 1 });
    h.clock.now = t0 + 12_001; // n9: 5.001 s since the recovery: one late node is judged as usual
    for (const a of agents.slice(0, 9)) await beat(a);
    await h.cp.lifecycle.tick();
    expect(await statuses()).toEqual({ Ready: 9, Failed: 1 });
  });

  it("6 of 10 nodes late (60% >= 55%) in a small cluster: Suspect, none Failed; 1 of 10 late is Failed as usual", async () => {
    const t0 = h.clock.now;
    h.clock.now = t0 + 6000;
    for (const a of agents.slice(0, 4)) await beat(a);
    await h.cp.lifecycle.tick();
    expect(await statuses()).toEqual({ Ready: 4, Suspect: 6 });
    expect((await clusterEvents())[0]).toEqual(["NodeEvictionsHeld", "6 of 10 nodes late (60% >= 55%, partial disruption): no evictions in a cluster of 50 nodes or fewer"]);
    // Five of them come back: 1 late of 10 is no disruption, and that one is Failed.
    h.clock.now = t0 + 6500;
    for (const a of agents.slice(0, 9)) await beat(a);
    await h.cp.lifecycle.tick();
    expect(await statuses()).toEqual({ Ready: 9, Failed: 1 });
  });
});
