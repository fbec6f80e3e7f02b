import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterEach, describe, expect, it } from "vitest";
import { captureLog, FakeApi, freePort, until, type HeartbeatCall } from "../test/fake-api.js";
import { podOf, processesOfPod, startRig } from "../test/kubelet-helpers.js";
import { NodeAgent, type NodeAgentOptions } from "./agent.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fakeApi(): Promise<FakeApi> {
  const api = await new FakeApi().listen(0);
  cleanups.push(() => api.close());
  return api;
}

function agentFor(api: FakeApi, nodeId: string, extra: Partial<NodeAgentOptions> = {}) {
  const { lines, log } = captureLog();
  const node = api.nodes.get(nodeId);
  const agent = new NodeAgent({ url: api.url, nodeId, token: node?.token ?? "no-token", log, ...extra });
  cleanups.push(() => agent.stop({ leave: false }));
  return { agent, lines };
}

describe("NodeAgent", () => {
  it("registers, then heartbeats at the interval the API gives", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    api.addNode(id, { heartbeatIntervalMs: 50 });
    const { agent, lines } = agentFor(api, id);

    await agent.start();
    expect(agent.registration).toMatchObject({ nodeId: id, role: "worker", heartbeatIntervalMs: 50 });
    expect(api.registrations).toHaveLength(1);
    expect(api.registrations[0]?.agentVersion).toBeTypeOf("string");

    await until(() => api.beatsOf(id).length >= 6, 2000, "6 heartbeats");
    const beats = api.beatsOf(id);
    // Judge the cadence over several beats: a single gap jitters on a busy machine.
    const span = beats[5]!.at - beats[0]!.at;
    expect(span).toBeGreaterThanOrEqual(5 * 50 * 0.8);
    expect(span).toBeLessThan(5 * 50 * 3);

    const first = beats[0]!;
    expect(first.podIds).toEqual([]);
    expect(first.usage.cpuMilli).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(first.usage.cpuMilli)).toBe(true);
    expect(first.usage.memoryMiB).toBeGreaterThan(0);
    expect(first.components).toEqual({ kubelet: "Healthy", "container-runtime": "Healthy", "kube-proxy": "Healthy" });
    // Nothing changed, so no statuses are sent; usage goes with every beat (the API keeps a point per interval).
    expect(beats.every((b) => b.podStatuses === undefined && b.podEvents === undefined)).toBe(true);
    expect(beats.every((b) => b.usage.memoryMiB > 0 && b.agentUsage !== undefined)).toBe(true);
    expect(lines.some((l) => l.startsWith("info registered as node-1 (worker"))).toBe(true);
  });

  it("follows a new interval from a heartbeat answer", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    const node = api.addNode(id, { heartbeatIntervalMs: 200 });
    const { agent } = agentFor(api, id);
    await agent.start();
    await until(() => api.beatsOf(id).length >= 1, 1000, "first heartbeat");
    node.heartbeatIntervalMs = 20;
    await until(() => api.beatsOf(id).length >= 8, 2000, "faster heartbeats");
    const beats = api.beatsOf(id);
    // The first answer still said 200 ms; the second said 20 ms and the agent followed it
    // (five gaps at the old interval would take 1000 ms; the bound leaves room for a busy machine).
    expect(beats[1]!.at - beats[0]!.at).toBeGreaterThan(150);
    expect(beats[7]!.at - beats[2]!.at).toBeLessThan(500);
  });

  it("converges to desiredPodIds and confirms at once", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    // A long interval makes "at once" unmistakable.
    api.addNode(id, { heartbeatIntervalMs: 2000, desiredPodIds: ["pod-a", "pod-b"] });
    const { agent, lines } = agentFor(api, id);
    await agent.start();

    await until(() => api.beatsOf(id).length >= 2, 1000, "the confirming heartbeat");
    const [first, second] = api.beatsOf(id);
    expect(first!.podIds).toEqual([]);
    expect(second!.podIds.sort()).toEqual(["pod-a", "pod-b"]);
    expect(second!.at - first!.at).toBeLessThan(500);
    expect(agent.podIds.sort()).toEqual(["pod-a", "pod-b"]);
    expect(lines).toContain("info pod started pod-a");
    expect(lines).toContain("info pod started pod-b");

    // Converged: the next answer changes nothing, so no third beat before the interval.
    await new Promise((r) => setTimeout(r, 150));
    expect(api.beatsOf(id)).toHaveLength(2);
  });

  it("stops pods that are no longer desired", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    const node = api.addNode(id, { heartbeatIntervalMs: 50, desiredPodIds: ["pod-a", "pod-b"] });
    const { agent, lines } = agentFor(api, id);
    await agent.start();
    await until(() => api.beatsOf(id).some((b) => b.podIds.length === 2), 1000, "pods a and b");

    node.desiredPodIds = ["pod-b", "pod-c"];
    await until(() => api.beatsOf(id).some((b) => b.podIds.includes("pod-c")), 1000, "pod c");
    const last = api.beatsOf(id).at(-1)!;
    expect(last.podIds.sort()).toEqual(["pod-b", "pod-c"]);
    expect(lines).toContain("info pod stopped pod-a");
    expect(lines).toContain("info pod started pod-c");

    node.desiredPodIds = [];
    await until(() => agent.podIds.length === 0, 1000, "no pods");
    await until(() => api.beatsOf(id).at(-1)!.podIds.length === 0, 1000, "an empty report");
  });

  it("retries registration while the API is down, then registers when it comes up", async () => {
    const port = await freePort();
    const api = new FakeApi();
    const id = randomUUID();
    const node = api.addNode(id, { heartbeatIntervalMs: 50 });
    const { lines, log } = captureLog();
    const agent = new NodeAgent({
      url: `http://127.0.0.1:${port}`,
      nodeId: id,
      token: node.token,
      log,
      registerBackoff: { minMs: 10, maxMs: 40, jitter: 0.2 },
    });
    cleanups.push(() => agent.stop({ leave: false }));
    let registered = false;
    const started = agent.start().then(() => (registered = true));

    await new Promise((r) => setTimeout(r, 200));
    expect(registered).toBe(false);
    expect(agent.exitReason).toBeUndefined();
    // One warning for the outage; each retry is only a debug line.
    expect(lines.filter((l) => l.startsWith("warn"))).toEqual([
      "warn cannot register (ECONNREFUSED); retrying with backoff up to 40 ms",
    ]);
    expect(lines.filter((l) => l.startsWith("debug registration attempt")).length).toBeGreaterThanOrEqual(3);

    await api.listen(port);
    cleanups.push(() => api.close());
    await started;
    expect(agent.registration?.nodeId).toBe(id);
    await until(() => api.beatsOf(id).length >= 2, 1000, "heartbeats after registering");
    expect(lines.some((l) => l.startsWith("info API reachable again"))).toBe(true);
  });

  it("keeps beating through 5xx answers and API outages, warning once per outage", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    api.addNode(id, { heartbeatIntervalMs: 20 });
    const { agent, lines } = agentFor(api, id);
    await agent.start();

    let failing = 4;
    api.heartbeatFault = () =>
      failing-- > 0 ? new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "database is down" }) : undefined;
    await until(() => lines.some((l) => l.includes("API reachable again after 4 failed heartbeats")), 2000, "recovery");
    expect(lines.filter((l) => l.startsWith("warn"))).toHaveLength(1);
    expect(lines.find((l) => l.startsWith("warn"))).toContain("INTERNAL_SERVER_ERROR");

    await api.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(agent.exitReason).toBeUndefined();
    expect(lines.filter((l) => l.startsWith("warn"))).toHaveLength(2);
    const before = api.heartbeats.length;
    await api.listen();
    await until(() => api.heartbeats.length > before, 1000, "heartbeats after the outage");
    expect(agent.exitReason).toBeUndefined();
  });

  it("ends with the reason when a heartbeat is FORBIDDEN", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    api.addNode(id, { heartbeatIntervalMs: 20 });
    const { agent, lines } = agentFor(api, id);
    await agent.start();
    await until(() => api.beatsOf(id).length >= 2, 1000, "two heartbeats");

    api.heartbeatFault = () => new TRPCError({ code: "FORBIDDEN", message: "node removed" });
    const exit = await agent.done;
    expect(exit).toEqual({ reason: "rejected", code: "FORBIDDEN", message: "node removed" });
    expect(lines.some((l) => l.startsWith("error heartbeat rejected by the API (FORBIDDEN"))).toBe(true);

    const count = api.heartbeats.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(api.heartbeats.length).toBe(count);
    // Nothing to leave: the API already disowned the node.
    await agent.stop({ leave: true });
    expect(api.leaves).toHaveLength(0);
  });

  it("ends at once when registration is UNAUTHORIZED", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    api.addNode(id);
    const { agent } = agentFor(api, id, { token: "wrong" });
    await agent.start();
    expect(agent.registration).toBeUndefined();
    expect(await agent.done).toMatchObject({ reason: "rejected", code: "UNAUTHORIZED" });
    expect(api.registrations).toHaveLength(0);
  });

  it("stop({ leave: true }) calls leave and ends the loop", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    api.addNode(id, { heartbeatIntervalMs: 20 });
    const { agent } = agentFor(api, id);
    await agent.start();
    await until(() => api.beatsOf(id).length >= 1, 1000, "a heartbeat");

    await agent.stop({ leave: true, reason: "SIGTERM" });
    expect(api.leaves).toEqual([{ nodeId: id, reason: "SIGTERM" }]);
    expect(await agent.done).toEqual({ reason: "stopped", left: true });
    const count = api.heartbeats.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(api.heartbeats.length).toBe(count);
  });

  it("stop({ leave: true }) gives up quickly when the API is gone or hangs", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    api.addNode(id, { heartbeatIntervalMs: 20 });
    const { agent, lines } = agentFor(api, id, { leaveTimeoutMs: 200 });
    await agent.start();
    await api.close();
    const t0 = performance.now();
    await agent.stop({ leave: true });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await agent.done).toEqual({ reason: "stopped", left: false });
    expect(lines.some((l) => l.startsWith("warn could not leave"))).toBe(true);

    await api.listen();
    api.leaveHangs = true;
    const id2 = randomUUID();
    api.addNode(id2, { heartbeatIntervalMs: 20 });
    const second = agentFor(api, id2, { leaveTimeoutMs: 150 });
    await second.agent.start();
    const t1 = performance.now();
    await second.agent.stop({ leave: true });
    const took = performance.now() - t1;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(600);
    expect(second.lines).toContain("warn could not leave the cluster (timed out after 150 ms); exiting anyway");
  });

  it("stop() during registration retries ends without leaving", async () => {
    const port = await freePort();
    const { log } = captureLog();
    const agent = new NodeAgent({ url: `http://127.0.0.1:${port}`, nodeId: randomUUID(), token: "t", log });
    const started = agent.start();
    await new Promise((r) => setTimeout(r, 50));
    await agent.stop({ leave: true });
    await started;
    expect(await agent.done).toEqual({ reason: "stopped", left: false });
  });

  it("a master reports the 7 components", async () => {
    const api = await fakeApi();
    const id = randomUUID();
    api.addNode(id, { role: "master", heartbeatIntervalMs: 50 });
    const { agent } = agentFor(api, id);
    await agent.start();
    await until(() => api.beatsOf(id).length >= 1, 1000, "a heartbeat");
    const components = api.beatsOf(id)[0]!.components;
    expect(Object.keys(components).sort()).toEqual(
      ["api-server", "container-runtime", "controller-manager", "etcd", "kube-proxy", "kubelet", "scheduler"],
    );
    expect(Object.values(components).every((s) => s === "Healthy")).toBe(true);
  });

  it("many agents share one process", async () => {
    const api = await fakeApi();
    const ids = Array.from({ length: 10 }, () => randomUUID());
    for (const id of ids) api.addNode(id, { heartbeatIntervalMs: 30, desiredPodIds: [`pod-of-${id}`] });
    const agents = ids.map((id) => agentFor(api, id).agent);
    await Promise.all(agents.map((a) => a.start()));
    await until(() => ids.every((id) => api.beatsOf(id).some((b) => b.podIds[0] === `pod-of-${id}`)), 2000, "all pods");
  });

  it("sends its own usage, each pod's containers' and their sum with heartbeats", async () => {
    const r = await startRig();
    cleanups.push(() => r.close());
    await until(() => r.api.beatsOf(r.nodeId).length >= 1, 2000, "a heartbeat");
    const idle = r.api.beatsOf(r.nodeId)[0]!;
    // No pods: no podUsage at all, and the node's total is the agent's own use.
    expect(idle.podUsage).toBeUndefined();
    expect(idle.agentUsage?.memoryMiB).toBeGreaterThan(10);
    expect(idle.usage).toEqual(idle.agentUsage);

    const pod = podOf("beat", [
      { image: "kube9/workload", args: ["cpu", "--millicores", "300"] },
      { name: "sleep", command: ["sleep", "30"] },
    ]);
    r.api.runPod(r.nodeId, pod);
    const busy = (b: HeartbeatCall) => (b.podUsage?.[pod.id]?.main?.[0] ?? 0) > 150;
    await until(() => r.api.beatsOf(r.nodeId).some(busy), 8000, "a heartbeat with the burner's usage");
    const beat = r.api.beatsOf(r.nodeId).find(busy)!;
    const containers = beat.podUsage![pod.id]!;
    expect(Object.keys(containers).sort()).toEqual(["main", "sleep"]);
    // usage = agentUsage + every container: integer millicores, MiB to one decimal.
    const agent = beat.agentUsage!;
    const figures = Object.values(containers);
    expect(beat.usage.cpuMilli).toBe(agent.cpuMilli + figures.reduce((a, [cpu]) => a + cpu, 0));
    expect(beat.usage.memoryMiB).toBeCloseTo(agent.memoryMiB + figures.reduce((a, [, mib]) => a + mib, 0), 5);
    for (const [cpu, mib] of [...figures, [agent.cpuMilli, agent.memoryMiB] as const]) {
      expect(Number.isInteger(cpu)).toBe(true);
      expect(Math.round(mib * 10) / 10).toBe(mib);
    }

    r.api.deletePod(r.nodeId, pod.id, 0);
    await until(() => !r.agent.podIds.includes(pod.id), 5000, "the pod gone");
    // A beat built just before the pod left may still be in flight: judge the first one that no longer lists it.
    const after = r.api.beatsOf(r.nodeId).length;
    const without = () => r.api.beatsOf(r.nodeId).slice(after).find((b) => !b.podIds.includes(pod.id));
    await until(() => without() !== undefined, 2000, "a heartbeat after the pod left");
    expect(without()!.podUsage).toBeUndefined();
    expect(processesOfPod(pod.name)).toEqual([]);
  });
});
