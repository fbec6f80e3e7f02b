import { TRPCError } from "@trpc/server";
import type { Database } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, openTestDatabase, waitFor, type AgentCaller, type Harness } from "./harness.js";

// agent.heartbeatBatch: one request carries many nodes' beats (a hollow fleet's); each beat is
// judged by its own node's credential, so one bad credential costs only its own beat.

const report = { podIds: [], usage: { cpuMilli: 0, memoryMiB: 0 }, components: {} };

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return { code: err.code, message: err.message };
    throw err;
  }
  return { code: "OK", message: "" };
}

describe("batched heartbeats", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;
  let a: AgentCaller;
  let b: AgentCaller;
  let c: AgentCaller;

  beforeAll(async () => {
    shared = await openTestDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    h = await createHarness({ db: shared.db });
    for (const name of ["a", "b", "c"]) await h.admin.nodes.add({ name, cpu: 1 });
    [a, b, c] = await Promise.all(["a", "b", "c"].map((n) => h.agent(n)));
  });
  afterEach(async () => {
    await h?.close();
  });

  it("a beat with a wrong credential is refused while the others count", async () => {
    const t0 = h.clock.now;
    h.clock.now += 1000;
    const { results } = await a.agent.heartbeatBatch({
      beats: [
        { nodeId: a.nodeId, token: a.token, report },
        // c's id with b's credential: b's credential says nothing about c.
        { nodeId: c.nodeId, token: b.token, report },
        { nodeId: b.nodeId, token: b.token, report },
      ],
    });
    expect(results.map((r) => [r.nodeId, "answer" in r ? "ok" : r.error.code])).toEqual([
      [a.nodeId, "ok"],
      [c.nodeId, "UNAUTHORIZED"],
      [b.nodeId, "ok"],
    ]);
    // a and b beat (Provisioning -> Ready); c did not.
    const status = async (n: string) => (await h.admin.nodes.get({ name: n })).node.status;
    expect([await status("a"), await status("b"), await status("c")]).toEqual(["Ready", "Ready", "Provisioning"]);
    expect((await h.admin.nodes.get({ name: "a" })).node.lastHeartbeatAt).toBe(new Date(t0 + 1000).toISOString());
    expect((await h.admin.nodes.get({ name: "c" })).node.lastHeartbeatAt).toBeNull();
  });

  it("registerBatch: each node's own credential counts; the accepted ones are Ready in one go, with their events", async () => {
    const { results } = await a.agent.registerBatch({
      nodes: [
        { nodeId: a.nodeId, token: a.token },
        // c's id with b's credential: refused alone.
        { nodeId: c.nodeId, token: b.token },
        { nodeId: b.nodeId, token: b.token },
      ],
    });
    expect(results.map((r) => [r.nodeId, "answer" in r ? r.answer.name : r.error.code])).toEqual([
      [a.nodeId, "a"],
      [c.nodeId, "UNAUTHORIZED"],
      [b.nodeId, "b"],
    ]);
    const first = results[0]!;
    // The answer a single register gets: 1 core = 1000 m, 4 GiB per core by default.
    expect("answer" in first && first.answer).toMatchObject({ role: "worker", capacity: { cpuMilli: 1000, memoryMiB: 4096 }, heartbeatIntervalMs: 1000 });
    const status = async (n: string) => (await h.admin.nodes.get({ name: n })).node.status;
    expect([await status("a"), await status("b"), await status("c")]).toEqual(["Ready", "Ready", "Provisioning"]);
    await waitFor(async () => {
      const ready = (await h.admin.events.list({ limit: 100 })).filter((e) => e.reason === "NodeReady").map((e) => e.objectName);
      return ready.length === 2;
    });
    // Registering again changes nothing and records nothing new: they are Ready already.
    await a.agent.registerBatch({ nodes: [{ nodeId: a.nodeId, token: a.token }] });
    expect((await h.admin.events.list({ limit: 100 })).filter((e) => e.reason === "NodeReady")).toHaveLength(2);
    expect(await failure(h.admin.agent.registerBatch({ nodes: [{ nodeId: a.nodeId, token: a.token }] }))).toMatchObject({ code: "FORBIDDEN" });
  });

  it("unknown fields are refused, naming the field", async () => {
    const bad = await failure(a.agent.heartbeatBatch({ beats: [{ nodeId: a.nodeId, token: a.token, report: { ...report, extra: 1 } as never }] }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toMatch(/^beats\[0\]\.report\.extra: unknown field \(allowed: podIds, usage/);
    const top = await failure(a.agent.heartbeatBatch({ beats: [{ nodeId: a.nodeId, token: a.token, report }], more: true } as never));
    expect(top).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("only node credentials may send batches; the admin token may not", async () => {
    expect(await failure(h.admin.agent.heartbeatBatch({ beats: [{ nodeId: a.nodeId, token: a.token, report }] }))).toMatchObject({ code: "FORBIDDEN" });
    const anonymous = await h.as(undefined);
    expect(await failure(anonymous.agent.heartbeatBatch({ beats: [{ nodeId: a.nodeId, token: a.token, report }] }))).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("a credential replaced since it was last verified is refused at once", async () => {
    const first = await a.agent.heartbeatBatch({ beats: [{ nodeId: b.nodeId, token: b.token, report }] });
    expect("answer" in first.results[0]!).toBe(true);
    // A fresh credential for b (what a restart or a fleet's re-join does): the remembered old one no longer counts.
    await h.admin.nodes.fail({ name: "b" });
    await waitFor(async () => (await h.admin.nodes.get({ name: "b" })).node.status === "Failed");
    await h.admin.nodes.recover({ name: "b" });
    const again = await a.agent.heartbeatBatch({ beats: [{ nodeId: b.nodeId, token: b.token, report }] });
    expect(again.results[0]).toMatchObject({ error: { code: "UNAUTHORIZED" } });
  });

  it("a removed node's beat fails alone", async () => {
    await h.admin.nodes.remove({ name: "c" });
    const { results } = await a.agent.heartbeatBatch({
      beats: [
        { nodeId: c.nodeId, token: c.token, report },
        { nodeId: a.nodeId, token: a.token, report },
      ],
    });
    // c's credential died with its row: refused as unknown, and a's beat still counts.
    expect(results.map((r) => ("answer" in r ? "ok" : r.error.code))).toEqual(["UNAUTHORIZED", "ok"]);
  });
});
