/**
 * The docker runtime against a real Docker engine (issue 3). Mandatory when KUBE9_REQUIRE_DOCKER=1 (CI):
 * then an engine that does not answer is a failure, not a skip.
 *
 * Black box: the API is driven over HTTP with a typed tRPC client, the containers are inspected with
 * dockerode. Every case stands alone (`it.only` works on any of them): it adds its own uniquely named
 * nodes and pods (withNodes) and removes them, and their containers, when it ends. One control plane is
 * shared by the file; the cases that restart or stop the API, or need one whose runtime has never seen
 * the node image, start their own (withControlPlane).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import type { AppRouter } from "../src/router/_app.js";
import { dockerReachable, DockerRuntime } from "../src/runtime/docker-runtime.js";
import { RuntimeError } from "../src/runtime/runtime.js";
import { startControlPlane, type RunningControlPlane } from "../src/index.js";

// The labels every node container carries (what `docker ps --filter label=...` users rely on).
const LABEL_CLUSTER = "kube9.cluster";
const LABEL_NODE = "kube9.node";
const LABEL_NODE_ID = "kube9.node-id";

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

/** The typed client over HTTP, as @kube9/client builds it (which the API package cannot depend on). */
function httpClient(url: string, token: string) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${url}/trpc`, headers: () => ({ authorization: `Bearer ${token}` }) })],
  });
}
type Api = ReturnType<typeof httpClient>;
type NodeView = Awaited<ReturnType<Api["nodes"]["list"]["query"]>>[number];
type PodView = Awaited<ReturnType<Api["pods"]["list"]["query"]>>[number];

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

/** The tRPC error code of a failed call, for toMatchObject. */
function trpcError(code: string, message: string) {
  return { data: expect.objectContaining({ code }), message: expect.stringContaining(message) };
}

let serial = 0;
/** A name prefix no other case (and no other run on this engine) uses: container names are engine-wide. */
function uniqueTag(): string {
  serial += 1;
  return `t${Date.now().toString(36).slice(-5)}${Math.random().toString(36).slice(2, 5)}${serial}`;
}

/** Every cluster id this file started, so afterAll can remove any container left behind. */
const clusterIds = new Set<string>();
/** Containers made by hand (squatters, orphans), removed whatever happens. */
const extra = new Set<string>();

/** One control plane with the docker runtime, in its own home, driven over HTTP. */
interface Plane {
  home: string;
  port: number;
  running: RunningControlPlane | null;
  api: Api;
  clusterId: string;
  /** (Re)starts the API on the same home and port (the same cluster). */
  start(): Promise<void>;
  /** This cluster's containers, optionally narrowed by more labels; all = also the stopped ones. */
  ours(labels?: Record<string, string>, all?: boolean): Promise<Docker.ContainerInfo[]>;
  node(name: string): Promise<NodeView>;
  nodeIs(name: string, status: string, timeoutMs: number): Promise<NodeView>;
  /** Stops the API (removing its containers) and deletes its home; any container left is removed. */
  close(): Promise<void>;
}

async function createPlane(): Promise<Plane> {
  const home = mkdtempSync(join(tmpdir(), "kube9-docker-test-"));
  const port = await freePort();
  const p: Plane = {
    home,
    port,
    running: null,
    api: undefined as unknown as Api,
    clusterId: "",
    async start() {
      p.running = await startControlPlane({ port, home, runtime: "docker", logLevel: "error", log: () => {} });
      p.api = httpClient(p.running.url, p.running.token);
      p.clusterId = (await p.api.cluster.status.query()).clusterId;
      clusterIds.add(p.clusterId);
    },
    ours: async (labels = {}, all = true) =>
      docker.listContainers({
        all,
        filters: { label: [`${LABEL_CLUSTER}=${p.clusterId}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)] },
      }),
    node: async (name) => (await p.api.nodes.get.query({ name })).node,
    nodeIs: (name, status, timeoutMs) =>
      until(`node ${name} ${status}`, async () => {
        const n = await p.node(name);
        return n.status === status ? n : null;
      }, timeoutMs),
    async close() {
      await p.running?.close();
      p.running = null;
      await removeContainers(p.clusterId);
      rmSync(home, { recursive: true, force: true });
    },
  };
  await p.start();
  return p;
}

async function removeContainers(clusterId: string, labels: Record<string, string> = {}): Promise<void> {
  if (!clusterId) return;
  const label = [`${LABEL_CLUSTER}=${clusterId}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  for (const c of await docker.listContainers({ all: true, filters: { label } })) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
  }
}

/** Runs `fn` on a control plane of its own, closed (with all its containers) when `fn` ends. */
async function withControlPlane<T>(fn: (p: Plane) => Promise<T>): Promise<T> {
  const p = await createPlane();
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}

interface CaseNodes {
  tag: string;
  /** Full name of one of this case's nodes or pods: `${tag}-${short}`. */
  name(short: string): string;
  /** Nodes this case added (withNodes adds the given ones; add more with `track`). */
  names: string[];
  track(name: string): void;
  /** Labels that pin a pod to this case's nodes. */
  selector: Record<string, string>;
  /** This case's pods, as the API lists them now. */
  pods(): Promise<PodView[]>;
}

/**
 * Adds this case's own docker nodes (labelled case=<tag>) and waits until they are Ready, runs `fn`,
 * then deletes the case's pods, removes its nodes and any container of theirs that is left.
 */
async function withNodes<T>(
  p: Plane,
  specs: { short: string; cpu: number; memoryMiB?: number }[],
  fn: (c: CaseNodes) => Promise<T>,
): Promise<T> {
  const tag = uniqueTag();
  const c: CaseNodes = {
    tag,
    name: (short) => `${tag}-${short}`,
    names: [],
    track: (name) => void c.names.push(name),
    selector: { case: tag },
    pods: async () => (await p.api.pods.list.query({})).filter((pod) => pod.name.startsWith(`${tag}-`)),
  };
  try {
    for (const s of specs) {
      c.track(c.name(s.short));
      await p.api.nodes.add.mutate({ name: c.name(s.short), cpu: s.cpu, memoryMiB: s.memoryMiB, labels: { case: tag } });
    }
    for (const s of specs) await p.nodeIs(c.name(s.short), "Ready", 15_000);
    return await fn(c);
  } finally {
    if (p.running) {
      for (const pod of await c.pods().catch(() => [])) await p.api.pods.delete.mutate({ name: pod.name }).catch(() => {});
      for (const name of c.names) await p.api.nodes.remove.mutate({ name }).catch(() => {});
    }
    for (const name of c.names) await removeContainers(p.clusterId, { [LABEL_NODE]: name });
  }
}

describe.runIf(dockerAvailable)("docker runtime (real engine)", () => {
  /** The shared control plane: the cases that only need their own nodes run on it. */
  let shared: Plane;
  /** The node image, e.g. kube9/node-agent:0.1.0. */
  let imageRef = "";

  beforeAll(async () => {
    shared = await createPlane();
    // Builds the node image if it is missing, so any case can run first.
    imageRef = (await shared.api.nodes.prepareRuntime.mutate({ runtime: "docker" })).image!;
  }, 180_000);

  afterAll(async () => {
    await shared?.close();
    // Whatever happened above: no container of this suite survives it.
    for (const id of clusterIds) await removeContainers(id);
    for (const id of extra) await docker.getContainer(id).remove({ force: true }).catch(() => {});
  }, 60_000);

  // On a control plane of its own: a runtime that has seen the image remembers it is there.
  it("builds the node image when missing and adds 3 docker nodes with labels and limits", async () => {
    await withControlPlane((p) =>
      withNodes(p, [], async (c) => {
        expect(p.running!.runtime).toBe("docker");
        // Asked before the image is removed, this control plane's runtime would remember it as present.
        const image = imageRef;
        expect(image).toMatch(/^kube9\/node-agent:/);
        // Remove the image when nothing uses it, so the first docker node really builds it (offline).
        const removed = await docker
          .getImage(image)
          .remove()
          .then(() => true, () => false);
        try {
          if (removed) expect((await p.api.nodes.runtimeStatus.query({ runtime: "docker" })).imageReady).toBe(false);
          const prepared = await p.api.nodes.prepareRuntime.mutate({ runtime: "docker" });
          expect(prepared.image).toBe(image);
          if (removed) expect(prepared.built).toBe(true);
          expect((await p.api.nodes.runtimeStatus.query({ runtime: "docker" })).imageReady).toBe(true);
        } finally {
          // Whatever failed above, the image is back for the other cases (whose control plane remembers it).
          const present = await docker.getImage(image).inspect().then(() => true, () => false);
          if (!present) await p.api.nodes.prepareRuntime.mutate({ runtime: "docker" });
        }

        const [d1, d2, d3] = ["d1", "d2", "d3"].map(c.name) as [string, string, string];
        for (const name of [d1, d2, d3]) c.track(name);
        await p.api.nodes.add.mutate({ name: d1, cpu: 1, memoryMiB: 256 });
        await p.api.nodes.add.mutate({ name: d2, cpu: 1, memoryMiB: 512, runtime: "docker" });
        await p.api.nodes.add.mutate({ name: d3, cpu: 0.5 });
        for (const [name, nano, mem] of [
          [d1, 1e9, 256 * 1024 * 1024],
          [d2, 1e9, 512 * 1024 * 1024],
          [d3, 5e8, 0],
        ] as const) {
          const n = await p.node(name);
          expect(n.runtime).toBe("docker");
          const info = await docker.getContainer(`kube9-node-${name}`).inspect();
          expect(info.State.Running).toBe(true);
          expect(info.Id.startsWith(n.containerId!)).toBe(true);
          expect(info.Config.Labels[LABEL_NODE]).toBe(name);
          expect(info.Config.Labels[LABEL_NODE_ID]).toBe(n.id);
          expect(info.Config.Labels[LABEL_CLUSTER]).toBe(p.clusterId);
          expect(info.HostConfig.NanoCpus).toBe(nano);
          expect(info.HostConfig.Memory).toBe(mem);
          expect(info.HostConfig.NetworkMode).toBe("host");
          // Nothing mounted but the host's /run/netns (pod network namespaces, as root), never a Docker socket;
          // no capabilities but the two that make those namespaces (and their policy rules) and the one that lets a
          // pod serve port 80 in its own namespace.
          expect(info.Mounts.map((m) => [m.Source, m.Destination, m.Propagation])).toEqual(
            process.getuid?.() === 0 ? [["/run/netns", "/run/netns", "rshared"]] : [],
          );
          expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
          expect([...(info.HostConfig.CapAdd ?? [])].sort()).toEqual(process.getuid?.() === 0 ? ["NET_ADMIN", "NET_BIND_SERVICE", "SYS_ADMIN"] : []);
          expect(info.HostConfig.ReadonlyRootfs).toBe(true);
          const env = info.Config.Env ?? [];
          expect(env).toContain(`KUBE9_URL=${p.running!.url}`);
          expect(env).toContain(`KUBE9_NODE_ID=${n.id}`);
          expect(env.some((e) => e.startsWith("KUBE9_NODE_TOKEN=k9"))).toBe(true);
        }
        for (const name of [d1, d2, d3]) await p.nodeIs(name, "Ready", 15_000);
        expect(await p.ours()).toHaveLength(3);
      }),
    );
  }, 180_000);

  // On a control plane of its own that has already seen the image: removing it behind the API's back.
  it("an image removed while the API runs is noticed, and the next node add builds it again", async () => {
    await withControlPlane((p) =>
      withNodes(p, [], async (c) => {
        expect((await p.api.nodes.runtimeStatus.query({ runtime: "docker" })).imageReady).toBe(true);
        const removed = await docker
          .getImage(imageRef)
          .remove()
          .then(() => true, () => false);
        expect(removed, "the node image is in use by a container of another suite; cannot remove it").toBe(true);
        try {
          // No prepare: the add itself finds the image gone and builds it (before: an internal error).
          const name = c.name("rebuilt");
          c.track(name);
          await p.api.nodes.add.mutate({ name, cpu: 0.5 });
          await p.nodeIs(name, "Ready", 30_000);
          expect(await docker.getImage(imageRef).inspect().then(() => true, () => false)).toBe(true);
          // Gone again (its node removed first): the status asks the engine instead of trusting what it saw.
          await p.api.nodes.remove.mutate({ name });
          await docker.getImage(imageRef).remove();
          expect((await p.api.nodes.runtimeStatus.query({ runtime: "docker" })).imageReady).toBe(false);
        } finally {
          const present = await docker.getImage(imageRef).inspect().then(() => true, () => false);
          if (!present) await p.api.nodes.prepareRuntime.mutate({ runtime: "docker" });
        }
      }),
    );
  }, 180_000);

  it("the node image carries the built-in images: busybox and the workload, found through its env", async () => {
    const runIn = async (entrypoint: string[], cmd: string[]) => {
      const c = await docker.createContainer({
        Image: imageRef,
        Entrypoint: entrypoint,
        Cmd: cmd,
        Labels: { [LABEL_CLUSTER]: `images-${shared.clusterId}` },
        HostConfig: { NetworkMode: "none" },
      });
      extra.add(c.id);
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
    const p = shared;
    await withNodes(p, [], async (c) => {
      const [tiny, taken] = [c.name("tiny"), c.name("taken")];
      const before = (await p.ours()).map((x) => x.Id).sort();
      await expect(p.api.nodes.add.mutate({ name: tiny, cpu: 1, memoryMiB: 16, runtime: "docker" })).rejects.toMatchObject(
        trpcError("BAD_REQUEST", "too small"),
      );
      const squatter = await docker.createContainer({
        name: `kube9-node-${taken}`,
        Image: imageRef,
        Labels: { [LABEL_CLUSTER]: `other-${p.clusterId}` },
      });
      extra.add(squatter.id);
      try {
        const err = await p.api.nodes.add.mutate({ name: taken, cpu: 1, runtime: "docker" }).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(TRPCClientError);
        expect(err).toMatchObject(trpcError("CONFLICT", `docker rm -f kube9-node-${taken}`));
        const names = (await p.api.nodes.list.query()).map((n) => n.name);
        expect(names).not.toContain(tiny);
        expect(names).not.toContain(taken);
        expect((await p.ours()).map((x) => x.Id).sort()).toEqual(before);
      } finally {
        await squatter.remove({ force: true });
        extra.delete(squatter.id);
      }
    });
  });

  it("a pod's containers run inside its node's container (docker top) and die with it", async () => {
    const p = shared;
    await withNodes(p, [{ short: "a", cpu: 1 }], async (c) => {
      const node = c.name("a");
      const pod = c.name("sleeper");
      await p.api.pods.launch.mutate({
        name: pod,
        image: "busybox",
        command: ["sh", "-c", "echo started; exec sleep 3600"],
        limitCpu: 0.1,
        limitMemoryMiB: 16,
        nodeSelector: c.selector,
      });
      const running = await until("the container Running", async () => {
        const got = (await p.api.pods.get.query({ name: pod })).pod;
        return got.phase === "Running" && got.containerStatuses[0]?.ready ? got : null;
      }, 20_000);
      expect(running.nodeName).toBe(node);
      // No cgroups inside a node container (read-only /sys): the agent enforces memory itself.
      expect(running.enforcement[pod]?.memory).toBe("agent");
      const container = docker.getContainer(`kube9-node-${node}`);
      const top = (await container.top({ ps_args: "-o pid,args" })) as { Processes: string[][] };
      expect(top.Processes.some((row) => row.join(" ").includes("sleep 3600"))).toBe(true);
      const hostPids = top.Processes.filter((row) => row.join(" ").includes("sleep 3600")).map((row) => Number(row[0]));
      expect((await p.api.pods.logs.query({ name: pod })).lines).toContain("started");
      expect(await p.api.pods.exec.mutate({ name: pod, command: ["sh", "-c", "exit 4"] })).toMatchObject({ exitCode: 4 });
      // A kube9/workload container has no shell of its own and the node image no /bin/sh: `sh` in an exec is
      // busybox's, as the README's `kube9 exec web -- sh -c 'echo hello'` expects.
      const idle = c.name("idle");
      await p.api.pods.launch.mutate({ name: idle, image: "kube9/workload", args: ["idle"], limitCpu: 0.05, nodeSelector: c.selector });
      const hello = await until("exec sh in a workload container", async () => {
        const r = await p.api.pods.exec.mutate({ name: idle, command: ["sh", "-c", "echo hello"] }).catch(() => null);
        return r && r.exitCode === 0 ? r : null;
      }, 20_000);
      expect(hello.stdout).toBe("hello\n");
      // Pods on docker nodes get their own IPs too (as root): a second pod reaches the first at its IP.
      const ip = running.podIP;
      expect(ip).toMatch(/^10\.2(4[4-7])\.\d+\.\d+$/);
      const peer = c.name("peer");
      // Port 80: a pod may bind low ports in its own network namespace, as under Docker and Kubernetes.
      await p.api.pods.launch.mutate({ name: peer, image: "busybox", command: ["httpd", "-f", "-p", "80", "-h", "/etc"], limitCpu: 0.1, nodeSelector: c.selector, labels: { role: peer } });
      const peerIp = await until("the peer's IP", async () => (await p.api.pods.get.query({ name: peer })).pod.podIP, 20_000);
      expect(peerIp).not.toBe(ip);
      // `timeout`, not wget's -T (busybox 1.35's wget -T crashes with SIGSEGV in a node container): a dropped SYN never answers.
      const wget = () => p.api.pods.exec.mutate({ name: pod, command: ["timeout", "2", "wget", "-q", "-O", "-", `http://${peerIp}/passwd`] });
      const got = await until("a connection from pod to pod", async () => {
        const r = await wget();
        return r.exitCode === 0 ? r.stdout : null;
      }, 10_000);
      // The node image's /etc/passwd, served by the peer pod's httpd.
      expect(got).toContain("root:x:0:0");
      // Docker nodes enforce NetworkPolicies too (nft is in the node image): isolating the peer blocks the
      // connection within a second, and deleting the policy opens it again.
      const isolate = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: peer }, spec: { podSelector: { matchLabels: { role: peer } } } };
      await p.api.networkPolicies.applyManifest.mutate({ manifest: isolate });
      const t0 = Date.now();
      await until("the policy to block the connection", async () => (await wget()).exitCode !== 0, 5_000);
      // One blocked attempt takes the 2 s of `timeout`; the policy itself is in force within a second.
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect((await p.api.networkPolicies.get.query({ name: peer })).enforcement.enforcing).toContain(node);
      await p.api.networkPolicies.delete.mutate({ name: peer });
      await until("the connection open again", async () => (await wget()).exitCode === 0, 5_000);
      // The node dies: its container takes the pod's processes with it.
      await container.kill();
      await until("the pod's processes gone", async () => hostPids.every((pid) => !existsSync(`/proc/${pid}`)), 5_000);
      // A dead node cannot remove its pods' network namespaces; deleting the pods does.
      const netns = [running.id, (await p.api.pods.get.query({ name: peer })).pod.id].map(
        (id) => `/run/netns/k9p-${id.replace(/-/g, "").slice(0, 12)}`,
      );
      for (const name of [pod, peer]) await p.api.pods.delete.mutate({ name });
      await until("the pods' namespaces gone", async () => netns.every((f) => !existsSync(f)), 5_000);
    });
  }, 60_000);

  it("places pods; a killed container is Failed at once and its pods run elsewhere; it is restarted", async () => {
    const p = shared;
    const nodes = ["a", "b", "c"].map((short) => ({ short, cpu: 1 }));
    await withNodes(p, nodes, async (c) => {
      for (let i = 0; i < 4; i++) await p.api.pods.launch.mutate({ name: c.name(`p${i}`), cpu: 0.1, nodeSelector: c.selector });
      await until("all pods Running", async () => (await c.pods()).every((pod) => pod.status === "Running"), 10_000);
      const victim = (await c.pods()).find((pod) => pod.nodeName)!.nodeName!;
      const before = await docker.getContainer(`kube9-node-${victim}`).inspect();
      const t0 = Date.now();
      await docker.getContainer(`kube9-node-${victim}`).kill();
      await until(`${victim} Failed`, async () => {
        const n = await p.node(victim);
        return n.status === "Failed" || n.status === "Recovering" || n.recoveryAttempts > 0;
      }, 6_000);
      const failedAfter = Date.now() - t0;
      await until(`every pod Running away from ${victim}`, async () => {
        const pods = await c.pods();
        return pods.length === 4 && pods.every((pod) => pod.status === "Running" && pod.nodeName !== victim);
      }, 6_000);
      // Seen through Docker events, well before missed heartbeats (5 s) would tell.
      expect(failedAfter).toBeLessThan(2_500);
      const events = (await p.api.nodes.get.query({ name: victim })).events;
      expect(events.some((e) => e.reason === "NodeFailed" && /container .* (was killed|exited)/.test(e.message))).toBe(true);

      const ready = await p.nodeIs(victim, "Ready", 15_000);
      expect(ready.recoveryAttempts).toBe(1);
      const after = await docker.getContainer(`kube9-node-${victim}`).inspect();
      expect(after.Id).not.toBe(before.Id);
      expect(after.State.Running).toBe(true);
      expect(await p.ours({ [LABEL_NODE]: victim })).toHaveLength(1);
    });
  }, 60_000);

  it("after 3 more kills the node is PermanentlyFailed, its container removed, its pods elsewhere", async () => {
    const p = shared;
    await withNodes(p, [{ short: "victim", cpu: 1 }, { short: "spare", cpu: 1 }], async (c) => {
      const victim = c.name("victim");
      // First-fit puts them on the victim, the first registered node.
      for (let i = 0; i < 2; i++) {
        await p.api.pods.launch.mutate({ name: c.name(`p${i}`), cpu: 0.1, nodeSelector: c.selector, algorithm: "first-fit" });
      }
      await until("both pods Running on the victim", async () => {
        const pods = await c.pods();
        return pods.length === 2 && pods.every((pod) => pod.status === "Running" && pod.nodeName === victim);
      }, 10_000);
      // The first kill is restarted (the case above); then 3 more, the last beyond the recovery budget.
      for (let k = 0; k < 4; k++) {
        await p.nodeIs(victim, "Ready", 15_000);
        await until(`container of ${victim} running`, async () => {
          const list = await p.ours({ [LABEL_NODE]: victim }, false);
          return list.length === 1 ? list : null;
        }, 5_000);
        await docker.getContainer(`kube9-node-${victim}`).kill();
        await until(`${victim} noticed dead`, async () => (await p.node(victim)).status !== "Ready", 6_000);
      }
      await p.nodeIs(victim, "PermanentlyFailed", 15_000);
      await until(`container of ${victim} removed`, async () => (await p.ours({ [LABEL_NODE]: victim })).length === 0, 5_000);
      await until(`every pod Running away from ${victim}`, async () => {
        const pods = await c.pods();
        return pods.length === 2 && pods.every((pod) => pod.status === "Running" && pod.nodeName !== victim);
      }, 6_000);
      const events = (await p.api.nodes.get.query({ name: victim })).events;
      expect(events.filter((e) => e.reason === "NodeRecovering")).toHaveLength(3);
      expect(events.some((e) => e.reason === "NodePermanentlyFailed")).toBe(true);
    });
  }, 120_000);

  it("pause freezes the container: Failed after the heartbeat timeout; recover unpauses it to Ready", async () => {
    const p = shared;
    await withNodes(p, [{ short: "frozen", cpu: 1 }], async (c) => {
      const target = c.name("frozen");
      const t0 = Date.now();
      await p.api.nodes.fail.mutate({ name: target, mode: "pause" });
      expect((await docker.getContainer(`kube9-node-${target}`).inspect()).State.Paused).toBe(true);
      await p.nodeIs(target, "Failed", 9_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(4_000);
      // The recovery controller leaves a paused node to the operator.
      expect((await docker.getContainer(`kube9-node-${target}`).inspect()).State.Paused).toBe(true);
      await p.api.nodes.recover.mutate({ name: target });
      await p.nodeIs(target, "Ready", 6_000);
      expect((await docker.getContainer(`kube9-node-${target}`).inspect()).State.Paused).toBe(false);
    });
  }, 60_000);

  // On a control plane of its own: the case restarts the API.
  it("an API restart (containers kept) adopts them without duplicates and removes orphans", async () => {
    await withControlPlane((p) =>
      withNodes(p, [{ short: "k1", cpu: 1 }, { short: "k2", cpu: 1 }], async (c) => {
        for (let i = 0; i < 3; i++) await p.api.pods.launch.mutate({ name: c.name(`p${i}`), cpu: 0.1 });
        await until("pods Running", async () => (await c.pods()).every((pod) => pod.status === "Running"), 10_000);
        const before = (await p.ours({}, false)).map((x) => x.Id).sort();
        expect(before).toHaveLength(2);
        const orphan = await docker.createContainer({
          name: `kube9-node-${c.name("orphan")}`,
          Image: imageRef,
          Labels: { [LABEL_CLUSTER]: p.clusterId, [LABEL_NODE]: c.name("orphan"), [LABEL_NODE_ID]: randomUUID() },
          Env: ["KUBE9_URL=http://127.0.0.1:1", `KUBE9_NODE_ID=${randomUUID()}`, "KUBE9_NODE_TOKEN=x"],
          HostConfig: { NetworkMode: "host" },
        });
        extra.add(orphan.id);
        await orphan.start();

        await p.running!.close({ keepNodes: true });
        p.running = null;
        expect((await p.ours({}, false)).map((x) => x.Id).sort()).toEqual([...before, orphan.id].sort());
        await p.start();
        const after = (await p.ours({}, true)).map((x) => x.Id).sort();
        expect(after).toEqual(before);
        for (const n of await p.api.nodes.list.query()) {
          if (n.status !== "PermanentlyFailed") await p.nodeIs(n.name, "Ready", 10_000);
        }
        // Adopted agents keep their credentials and heartbeat; nothing was started twice.
        await new Promise((r) => setTimeout(r, 1500));
        expect((await p.ours({}, true)).map((x) => x.Id).sort()).toEqual(before);
        await until("pods Running", async () => (await c.pods()).every((pod) => pod.status === "Running"), 10_000);
      }),
    );
  }, 90_000);

  // On a control plane of its own: the case stops the API.
  it("node remove drains, then stops and removes the container; stopping the API removes the rest", async () => {
    await withControlPlane((p) =>
      withNodes(p, [{ short: "r1", cpu: 1 }, { short: "r2", cpu: 1 }], async (c) => {
        for (let i = 0; i < 3; i++) await p.api.pods.launch.mutate({ name: c.name(`p${i}`), cpu: 0.1 });
        await until("pods Running", async () => (await c.pods()).every((pod) => pod.status === "Running"), 10_000);
        const gone = (await c.pods()).find((pod) => pod.nodeName)!.nodeName!;
        const res = await p.api.nodes.remove.mutate({ name: gone });
        expect(res.node.status).toBe("Removed");
        expect(await p.ours({ [LABEL_NODE]: gone })).toHaveLength(0);
        await until(`every pod Running away from ${gone}`, async () => {
          const pods = await c.pods();
          return pods.length === 3 && pods.every((pod) => pod.status === "Running" && pod.nodeName !== gone);
        }, 6_000);
        await p.running!.close();
        p.running = null;
        expect(await p.ours()).toHaveLength(0);
      }),
    );
  }, 60_000);
});
