/**
 * The docker runtime against a real Docker engine (issue 3). Mandatory when KUBE9_REQUIRE_DOCKER=1 (CI):
 * then an engine that does not answer is a failure, not a skip.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { appRouter } from "../src/router/_app.js";
import { dockerReachable, DockerRuntime, LABEL_CLUSTER, LABEL_NODE, LABEL_NODE_ID } from "../src/runtime/docker-runtime.js";
import { agentImageRef } from "../src/runtime/docker-image.js";
import { RuntimeError } from "../src/runtime/runtime.js";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { createCallerFactory, createContext } from "../src/trpc.js";

const required = process.env.KUBE9_REQUIRE_DOCKER === "1";
const docker = new Docker();
const dockerAvailable = await dockerReachable(docker, 2000);

describe("docker engine", () => {
  it.runIf(required)("answers on /var/run/docker.sock (KUBE9_REQUIRE_DOCKER=1)", () => {
    expect(dockerAvailable, "KUBE9_REQUIRE_DOCKER=1 but the Docker engine does not answer at /var/run/docker.sock").toBe(true);
  });

  it("an unreachable engine gives one clear PRECONDITION_FAILED message", async () => {
    const rt = new DockerRuntime({
      docker: new Docker({ socketPath: "/nonexistent/kube9-test-docker.sock" }),
      clusterId: "none",
      log: createLogger({ level: "error" }),
    });
    const err = await rt.check().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).kind).toBe("precondition");
    expect((err as Error).message).toContain("/nonexistent/kube9-test-docker.sock");
    expect((err as Error).message).toContain("--runtime process");
  });
});

const createCaller = createCallerFactory(appRouter);
type Api = ReturnType<typeof createCaller>;
type NodeView = Awaited<ReturnType<Api["nodes"]["list"]>>[number];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(dockerAvailable)("docker runtime (real engine)", () => {
  const home = mkdtempSync(join(tmpdir(), "kube9-docker-test-"));
  let port = 0;
  let running: RunningControlPlane | null = null;
  let api: Api;
  let clusterId = "";
  const extra: string[] = [];

  const start = async () => {
    running = await startControlPlane({ port, home, runtime: "docker", logLevel: "error", log: () => {} });
    clusterId = running.controlPlane.clusterId;
    api = createCaller(await createContext(running.controlPlane, `Bearer ${running.token}`));
  };
  const ours = async (labels: Record<string, string> = {}, all = true) =>
    docker.listContainers({
      all,
      filters: { label: [`${LABEL_CLUSTER}=${clusterId}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)] },
    });
  const node = async (name: string) => (await api.nodes.get({ name })).node;
  const nodeIs = (name: string, status: string, timeoutMs: number) =>
    until(`node ${name} ${status}`, async () => {
      const n = await node(name);
      return n.status === status ? n : null;
    }, timeoutMs);
  const podsRunningOffNode = (nodeName: string, timeoutMs: number) =>
    until(`every pod Running away from ${nodeName}`, async () => {
      const pods = await api.pods.list({});
      return pods.every((p) => p.status === "Running" && p.nodeName !== nodeName) ? pods : null;
    }, timeoutMs);

  beforeAll(async () => {
    port = await freePort();
    await start();
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    // Whatever happened above: no container of this suite survives it.
    if (clusterId) {
      for (const c of await ours()) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    }
    for (const id of extra) await docker.getContainer(id).remove({ force: true }).catch(() => {});
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it("builds the node image when missing and adds 3 docker nodes with labels and limits", async () => {
    expect(running!.runtime).toBe("docker");
    // Remove the image when nothing uses it, so the first docker node really builds it (offline).
    const removed = await docker
      .getImage(agentImageRef())
      .remove()
      .then(() => true, () => false);
    if (removed) expect((await api.nodes.runtimeStatus({ runtime: "docker" })).imageReady).toBe(false);
    const prepared = await api.nodes.prepareRuntime({ runtime: "docker" });
    expect(prepared.image).toBe(agentImageRef());
    if (removed) expect(prepared.built).toBe(true);
    expect((await api.nodes.runtimeStatus({ runtime: "docker" })).imageReady).toBe(true);

    await api.nodes.add({ name: "d1", cpu: 1, memoryMiB: 256 });
    await api.nodes.add({ name: "d2", cpu: 1, memoryMiB: 512, runtime: "docker" });
    await api.nodes.add({ name: "d3", cpu: 0.5 });
    for (const [name, nano, mem] of [
      ["d1", 1e9, 256 * 1024 * 1024],
      ["d2", 1e9, 512 * 1024 * 1024],
      ["d3", 5e8, 0],
    ] as const) {
      const n = await node(name);
      expect(n.runtime).toBe("docker");
      const info = await docker.getContainer(`kube9-node-${name}`).inspect();
      expect(info.State.Running).toBe(true);
      expect(info.Id.startsWith(n.containerId!)).toBe(true);
      expect(info.Config.Labels[LABEL_NODE]).toBe(name);
      expect(info.Config.Labels[LABEL_NODE_ID]).toBe(n.id);
      expect(info.Config.Labels[LABEL_CLUSTER]).toBe(clusterId);
      expect(info.HostConfig.NanoCpus).toBe(nano);
      expect(info.HostConfig.Memory).toBe(mem);
      expect(info.HostConfig.NetworkMode).toBe("host");
      expect(info.Mounts).toEqual([]);
      const env = info.Config.Env ?? [];
      expect(env).toContain(`KUBE9_URL=${running!.url}`);
      expect(env).toContain(`KUBE9_NODE_ID=${n.id}`);
      expect(env.some((e) => e.startsWith("KUBE9_NODE_TOKEN=k9"))).toBe(true);
    }
    for (const name of ["d1", "d2", "d3"]) await nodeIs(name, "Ready", 15_000);
    expect(await ours()).toHaveLength(3);
  }, 90_000);

  it("the node image carries the built-in images: busybox and the workload, found through its env", async () => {
    const runIn = async (entrypoint: string[], cmd: string[]) => {
      const c = await docker.createContainer({
        Image: agentImageRef(),
        Entrypoint: entrypoint,
        Cmd: cmd,
        Labels: { [LABEL_CLUSTER]: `images-${clusterId}` },
        HostConfig: { NetworkMode: "none" },
      });
      extra.push(c.id);
      await c.start();
      const { StatusCode } = (await c.wait()) as { StatusCode: number };
      const logs = (await c.logs({ stdout: true, stderr: true })).toString();
      await c.remove({ force: true });
      return { code: StatusCode, logs };
    };
    const busybox = await runIn(["/bin/busybox"], ["sh", "-c", 'echo "ok $KUBE9_BUSYBOX $KUBE9_WORKLOAD"']);
    expect(busybox).toMatchObject({ code: 0, logs: expect.stringContaining("ok /bin/busybox /workload.cjs") });
    const workload = await runIn(["/node", "/workload.cjs"], ["exit", "--code", "3"]);
    expect(workload).toMatchObject({ code: 3, logs: expect.stringContaining("exiting with code 3") });
  }, 60_000);

  it("rejects bad requests without leaving a node or a container behind", async () => {
    await expect(api.nodes.add({ name: "tiny", cpu: 1, memoryMiB: 16, runtime: "docker" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("too small"),
    });
    const squatter = await docker.createContainer({
      name: "kube9-node-taken",
      Image: agentImageRef(),
      Labels: { [LABEL_CLUSTER]: `other-${clusterId}` },
    });
    extra.push(squatter.id);
    await expect(api.nodes.add({ name: "taken", cpu: 1, runtime: "docker" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("docker rm -f kube9-node-taken"),
    });
    const names = (await api.nodes.list()).map((n) => n.name);
    expect(names).not.toContain("tiny");
    expect(names).not.toContain("taken");
    expect(await ours()).toHaveLength(3);
    await squatter.remove({ force: true });
  });

  let victim = "";
  it("places pods; a killed container is Failed at once and its pods run elsewhere; it is restarted", async () => {
    for (let i = 0; i < 4; i++) await api.pods.launch({ name: `p${i}`, cpu: 0.1 });
    await until("all pods Running", async () => (await api.pods.list({})).every((p) => p.status === "Running"), 10_000);
    victim = (await api.pods.list({})).find((p) => p.nodeName)!.nodeName!;
    const before = await docker.getContainer(`kube9-node-${victim}`).inspect();
    const t0 = Date.now();
    await docker.getContainer(`kube9-node-${victim}`).kill();
    await until(`${victim} Failed`, async () => {
      const n = await node(victim);
      return n.status === "Failed" || n.status === "Recovering" || n.recoveryAttempts > 0;
    }, 6_000);
    const failedAfter = Date.now() - t0;
    await podsRunningOffNode(victim, 6_000);
    // Seen through Docker events, well before missed heartbeats (5 s) would tell.
    expect(failedAfter).toBeLessThan(2_500);
    const events = (await api.nodes.get({ name: victim })).events;
    expect(events.some((e) => e.reason === "NodeFailed" && /container .* (was killed|exited)/.test(e.message))).toBe(true);

    const ready = await nodeIs(victim, "Ready", 15_000);
    expect(ready.recoveryAttempts).toBe(1);
    const after = await docker.getContainer(`kube9-node-${victim}`).inspect();
    expect(after.Id).not.toBe(before.Id);
    expect(after.State.Running).toBe(true);
    expect(await ours({ [LABEL_NODE]: victim })).toHaveLength(1);
  }, 60_000);

  it("after 3 more kills the node is PermanentlyFailed, its container removed, its pods elsewhere", async () => {
    for (let k = 0; k < 3; k++) {
      await nodeIs(victim, "Ready", 15_000);
      await until(`container of ${victim} running`, async () => {
        const list = await ours({ [LABEL_NODE]: victim }, false);
        return list.length === 1 ? list : null;
      }, 5_000);
      await docker.getContainer(`kube9-node-${victim}`).kill();
      await until(`${victim} noticed dead`, async () => (await node(victim)).status !== "Ready", 6_000);
    }
    await nodeIs(victim, "PermanentlyFailed", 15_000);
    await until(`container of ${victim} removed`, async () => (await ours({ [LABEL_NODE]: victim })).length === 0, 5_000);
    await podsRunningOffNode(victim, 6_000);
    const events = (await api.nodes.get({ name: victim })).events;
    expect(events.filter((e) => e.reason === "NodeRecovering")).toHaveLength(3);
    expect(events.some((e) => e.reason === "NodePermanentlyFailed")).toBe(true);
  }, 90_000);

  it("pause freezes the container: Failed after the heartbeat timeout; recover unpauses it to Ready", async () => {
    const target = (await api.nodes.list()).find((n) => n.status === "Ready")!.name;
    const t0 = Date.now();
    await api.nodes.fail({ name: target, mode: "pause" });
    expect((await docker.getContainer(`kube9-node-${target}`).inspect()).State.Paused).toBe(true);
    await nodeIs(target, "Failed", 9_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4_000);
    // The recovery controller leaves a paused node to the operator.
    expect((await docker.getContainer(`kube9-node-${target}`).inspect()).State.Paused).toBe(true);
    await api.nodes.recover({ name: target });
    await nodeIs(target, "Ready", 6_000);
    expect((await docker.getContainer(`kube9-node-${target}`).inspect()).State.Paused).toBe(false);
  }, 30_000);

  it("an API restart (containers kept) adopts them without duplicates and removes orphans", async () => {
    const before = (await ours({}, false)).map((c) => c.Id).sort();
    expect(before).toHaveLength(2);
    const orphan = await docker.createContainer({
      name: `kube9-node-orphan-${Date.now()}`,
      Image: agentImageRef(),
      Labels: { [LABEL_CLUSTER]: clusterId, [LABEL_NODE]: "orphan", [LABEL_NODE_ID]: randomUUID() },
      Env: ["KUBE9_URL=http://127.0.0.1:1", `KUBE9_NODE_ID=${randomUUID()}`, "KUBE9_NODE_TOKEN=x"],
      HostConfig: { NetworkMode: "host" },
    });
    extra.push(orphan.id);
    await orphan.start();

    await running!.close({ keepNodes: true });
    running = null;
    expect((await ours({}, false)).map((c) => c.Id).sort()).toEqual([...before, orphan.id].sort());
    await start();
    const after = (await ours({}, true)).map((c) => c.Id).sort();
    expect(after).toEqual(before);
    for (const n of await api.nodes.list()) {
      if (n.status !== "PermanentlyFailed") await nodeIs(n.name, "Ready", 10_000);
    }
    // Adopted agents keep their credentials and heartbeat; nothing was started twice.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await ours({}, true)).map((c) => c.Id).sort()).toEqual(before);
    await until("pods Running", async () => (await api.pods.list({})).every((p) => p.status === "Running"), 10_000);
  }, 60_000);

  it("node remove drains, then stops and removes the container; stopping the API removes the rest", async () => {
    const live = (await api.nodes.list()).filter((n) => n.status === "Ready");
    const gone = live[0]!.name;
    const res = await api.nodes.remove({ name: gone });
    expect(res.node.status).toBe("Removed");
    expect(await ours({ [LABEL_NODE]: gone })).toHaveLength(0);
    await podsRunningOffNode(gone, 6_000);
    await running!.close();
    running = null;
    expect(await ours()).toHaveLength(0);
  }, 30_000);
});
