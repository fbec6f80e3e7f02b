import type { Database } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, waitFor, type Harness } from "../harness.js";
import { beat, code, dbNode, readyNode, reasons, openMemoryDatabase } from "./support.js";

// Default health timings: heartbeat interval 1 s (a Failed node stays visible that long), 3 recovery attempts.
describe("node-recovery controller", () => {
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

  /** Kills the node's agent (the scripted runtime reports the exit) and waits until the node is Failed, in the cache too. */
  async function kill(name: string): Promise<void> {
    const node = await h.admin.nodes.fail({ name });
    await waitFor(async () => h.cp.cache.node(node.id)?.status === "Failed" && (await dbNode(h, name)).status === "Failed");
  }

  async function recoverAt(t: number): Promise<void> {
    h.clock.now = t;
    await h.cp.recovery.tick();
  }

  it("waits one heartbeat interval after the failure, then restarts the agent with a fresh credential", async () => {
    const x = await readyNode(h, "x", 1);
    const t1 = h.clock.now + 100;
    h.clock.now = t1;
    await kill("x"); // Failed at t1
    expect(h.runtime.has(x.nodeId)).toBe(false);

    await recoverAt(t1 + 999); // 0.999 s < 1 s interval: left Failed
    expect((await dbNode(h, "x")).status).toBe("Failed");
    expect(h.runtime.has(x.nodeId)).toBe(false);

    await recoverAt(t1 + 1000); // 1.000 s: restart attempt 1 of 3
    expect(await dbNode(h, "x")).toMatchObject({ status: "Recovering", recoveryAttempts: 1, statusReason: "restart attempt 1/3" });
    const spec = h.runtime.specs.get(x.nodeId);
    expect(spec).toBeDefined();
    expect(spec!.token).not.toBe(x.token);
    // The old credential is dead; the restarted agent's works and brings the node back.
    expect(await code((await h.as(x.token)).agent.register({ nodeId: x.nodeId }))).toBe("UNAUTHORIZED");
    const again = await h.agent("x");
    await again.agent.register({ nodeId: again.nodeId });
    expect(await dbNode(h, "x")).toMatchObject({ status: "Ready", recoveryAttempts: 1 });
    expect(await reasons(h, "x")).toEqual(["NodeAdded", "NodeReady", "NodeFaultInjected", "NodeFailed", "NodeRecovering", "NodeReady"]);
  });

  it("restarts up to maxRecoveryAttempts (2 here), then PermanentlyFailed with the agent removed and container cleared", async () => {
    await h.admin.cluster.setHealth({ maxRecoveryAttempts: 2 });
    const x = await readyNode(h, "x", 1);
    expect((await dbNode(h, "x")).containerId).toBe("fake-x");
    const tokens = new Set([x.token]);
    let t = h.clock.now;
    for (let attempt = 1; attempt <= 2; attempt++) {
      await kill("x"); // the restarted agent dies again before registering (Recovering -> Failed)
      t += 1000; // one interval after the failure
      await recoverAt(t);
      expect(await dbNode(h, "x")).toMatchObject({ status: "Recovering", recoveryAttempts: attempt });
      tokens.add(h.runtime.specs.get(x.nodeId)!.token);
      expect(tokens.size).toBe(attempt + 1); // a fresh credential on every restart
    }
    await kill("x"); // third failure, 2 of 2 attempts used
    await recoverAt(t + 999); // still within the interval: left Failed
    expect((await dbNode(h, "x")).status).toBe("Failed");
    await recoverAt(t + 1000);
    expect(await dbNode(h, "x")).toMatchObject({
      status: "PermanentlyFailed",
      statusReason: "gave up after 2 recovery attempts",
      recoveryAttempts: 2,
      containerId: null,
    });
    expect(h.runtime.has(x.nodeId)).toBe(false);
    expect(h.runtime.stopped).toContain(x.nodeId);
    const events = await h.admin.events.list({ objectName: "x" });
    expect(events.filter((e) => e.reason === "NodeRecovering")).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ reason: "NodePermanentlyFailed", message: "gave up after 2 recovery attempts; agent removed" });
    // Final: later passes leave it alone.
    await recoverAt(t + 60_000);
    expect((await dbNode(h, "x")).status).toBe("PermanentlyFailed");
    expect(h.runtime.has(x.nodeId)).toBe(false);
  });

  it("leaves paused nodes to the operator; after `node recover` resumes them, it restarts them", async () => {
    const t0 = h.clock.now;
    await readyNode(h, "paused", 1);
    await readyNode(h, "killed", 1);
    await h.admin.nodes.fail({ name: "paused", mode: "pause" }); // frozen: beats stop, agent stays
    await kill("killed"); // Failed at t0
    h.clock.now = t0 + 5001;
    await h.cp.lifecycle.tick(); // paused: silent 5.001 s > 5 s -> Failed at t0 + 5.001 s
    expect((await dbNode(h, "paused")).status).toBe("Failed");

    // t0 + 6.001 s: both have been Failed for >= 1 s (6.001 and 1.000); only the unpaused one is restarted.
    await recoverAt(t0 + 6001);
    expect((await dbNode(h, "killed")).status).toBe("Recovering");
    expect(await dbNode(h, "paused")).toMatchObject({ status: "Failed", recoveryAttempts: 0 });

    await h.admin.nodes.recover({ name: "paused" }); // resumes the frozen agent
    expect((await reasons(h, "paused")).at(-1)).toBe("NodeResumed");
    await recoverAt(t0 + 6002);
    expect(await dbNode(h, "paused")).toMatchObject({ status: "Recovering", recoveryAttempts: 1 });
  });

  it("forgets recovery attempts after recoveryResetAfterMs (20 s here) of stable Ready", async () => {
    await h.admin.cluster.setHealth({ recoveryResetAfterMs: 20_000 });
    await readyNode(h, "steady", 1);
    await readyNode(h, "quiet", 1);
    const t0 = h.clock.now;
    await kill("steady");
    await kill("quiet");
    const t1 = t0 + 1000;
    await recoverAt(t1); // both Recovering, attempt 1
    const steady = await h.agent("steady");
    const quiet = await h.agent("quiet");
    await steady.agent.register({ nodeId: steady.nodeId }); // Ready since t1
    await quiet.agent.register({ nodeId: quiet.nodeId }); // Ready since t1, never beats again
    h.clock.now = t1 + 18_000;
    await beat(steady);

    await recoverAt(t1 + 19_999); // Ready 19.999 s < 20 s: kept
    expect((await dbNode(h, "steady")).recoveryAttempts).toBe(1);
    await recoverAt(t1 + 20_000); // Ready 20 s, last beat 2 s ago (<= 3 s): forgotten
    expect(await dbNode(h, "steady")).toMatchObject({ status: "Ready", recoveryAttempts: 0, statusChangedAt: t1 });
    // quiet is Ready for 20 s too, but silent for 20 s > 3 s: not stable, attempts kept.
    expect(await dbNode(h, "quiet")).toMatchObject({ status: "Ready", recoveryAttempts: 1 });
  });
});
