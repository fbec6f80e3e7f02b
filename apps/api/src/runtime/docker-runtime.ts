// Over 350 lines on purpose: one runtime whose container start/stop, adoption at start-up and
// Docker event watching all work on the same map of tracked containers; split, they would share it.
import { isTerminalNodeStatus, type NodeStatus, type NodeRuntimeKind } from "@kube9/core";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import Docker from "dockerode";
import type { Logger } from "../logger.js";
import { agentImageReady, agentImageRef, ensureAgentImage, type AgentImageInfo } from "./docker-image.js";
import { describeDockerError, dockerReachable, dockerUnreachableMessage, isUnreachable, statusCode } from "./docker-engine.js";
export { connectDocker, describeDockerError, dockerEndpoint, dockerReachable, dockerUnreachableMessage } from "./docker-engine.js";
import { RuntimeError, type AgentExit, type AgentSpec, type NodeRuntime } from "./runtime.js";

/** Container labels: every container the docker runtime makes carries them. */
export const LABEL_NODE = "kube9.node";
export const LABEL_NODE_ID = "kube9.node-id";
export const LABEL_CLUSTER = "kube9.cluster";
const LABEL_MEMORY_GIVEN = "kube9.memory-given";

/** The agent (node + bundle) needs this much to run; smaller limits would only make it crash-loop. */
export const MIN_DOCKER_MEMORY_MIB = 64;
/** Docker refuses CPU limits under 0.01 CPU. */
const MIN_NANO_CPUS = 10_000_000;
const STOP_GRACE_S = 5;
const EVENTS_RETRY_MS = 1000;

interface Tracked {
  containerId: string;
  name: string;
  /** Set when we stop or remove it on purpose: its death is not news. */
  expected: boolean;
}

/** A node the runtime may adopt at API start. */
export interface AdoptableNode {
  id: string;
  name: string;
  runtime: NodeRuntimeKind;
  status: NodeStatus;
}

export interface DockerRuntimeOptions {
  docker: Docker;
  clusterId: string;
  log: Logger;
  logLevel?: string;
  /** Builds the node-agent image when missing (tests may replace it). */
  ensureImage?: (docker: Docker) => Promise<AgentImageInfo>;
  /** false: node containers get no capabilities and their pods share the node's network (default: when this host allows). */
  podNetwork?: boolean;
}

/**
 * Each node is one container `kube9-node-<name>` from the node-agent image, labelled with the node
 * and the cluster, with the node's CPU/memory as limits, on the host network (docs/architecture.md, "Runtimes").
 * Deaths are seen at once through the engine's event stream.
 */
export class DockerRuntime implements NodeRuntime {
  readonly kind = "docker" as const;
  /** Leave containers running when the API stops (`kube9 up --keep-nodes`). */
  keepNodes = false;
  private readonly docker: Docker;
  private readonly tracked = new Map<string, Tracked>();
  /** Whether each node's memory was given by the user (restarts pass `true`; the first start knows). */
  private readonly memoryGiven = new Map<string, boolean>();
  private readonly listeners: Array<(exit: AgentExit) => void> = [];
  private imageReady = false;
  private preparing: Promise<AgentImageInfo> | null = null;
  private hostCpuMilli: number | null = null;
  private events: NodeJS.ReadableStream | null = null;
  private watching: Promise<void> | null = null;
  private closed = false;
  private podNetMount: Docker.MountSettings | null | undefined;

  constructor(private readonly opts: DockerRuntimeOptions) {
    this.docker = opts.docker;
  }

  get image(): string {
    return agentImageRef();
  }

  /** Fails with the one clear message when the engine does not answer. */
  async check(): Promise<void> {
    if (!(await dockerReachable(this.docker, 2000))) {
      let cause: unknown;
      await this.docker.ping().catch((err: unknown) => (cause = err));
      throw new RuntimeError("precondition", dockerUnreachableMessage(cause, this.docker));
    }
    await this.watch();
  }

  /** Engine and image state, for the CLI's progress display. */
  async status(): Promise<{ available: boolean; message?: string; image: string; imageReady: boolean }> {
    const image = this.image;
    try {
      await this.check();
    } catch (err) {
      return { available: false, message: (err as Error).message, image, imageReady: false };
    }
    // Asked every time: the image may have been removed behind this process's back.
    this.imageReady = await agentImageReady(this.docker);
    return { available: true, image, imageReady: this.imageReady };
  }

  /** Builds the node-agent image if it is missing; concurrent callers share one build. */
  async prepare(): Promise<AgentImageInfo> {
    if (this.imageReady) return { image: this.image, built: false, durationMs: 0, sizeBytes: 0 };
    this.preparing ??= (async () => {
      const started = Date.now();
      try {
        const build = this.opts.ensureImage ?? ((d: Docker) => ensureAgentImage(d, { onProgress: (l) => this.opts.log.debug(l) }));
        const info = await build(this.docker);
        if (info.built) {
          this.opts.log.info(`built node image ${info.image}`, { seconds: (Date.now() - started) / 1000, mb: Math.round(info.sizeBytes / 1e6) });
        }
        this.imageReady = true;
        return info;
      } catch (err) {
        if (isUnreachable(err)) throw new RuntimeError("precondition", dockerUnreachableMessage(err, this.docker));
        throw err;
      } finally {
        this.preparing = null;
      }
    })();
    return this.preparing;
  }

  async start(spec: AgentSpec): Promise<string> {
    this.closed = false;
    const memoryGiven = this.memoryGiven.get(spec.nodeId) ?? spec.memoryGiven;
    if (memoryGiven && spec.memoryMiB < MIN_DOCKER_MEMORY_MIB) {
      throw new RuntimeError(
        "invalid",
        `memory ${spec.memoryMiB} MiB is too small for a docker node: its agent needs at least ${MIN_DOCKER_MEMORY_MIB} MiB ` +
          `(give more, or omit --memory to run without a memory limit)`,
      );
    }
    if (!(spec.cpuMilli > 0)) throw new RuntimeError("invalid", `invalid CPU size ${spec.cpuMilli}m for a docker node`);
    try {
      await this.watch();
      await this.prepare();
      // A restart replaces the node's container: remove whatever is left of the old one first.
      await this.stop(spec.nodeId, false);
      const name = `kube9-node-${spec.name}`;
      await this.clearName(name, spec.nodeId);
      const nanoCpus = Math.max(MIN_NANO_CPUS, Math.min(spec.cpuMilli, await this.hostCpus()) * 1_000_000);
      const podNet = this.podNetworkMount();
      const container = await this.createNodeContainer({
        name,
        Image: this.image,
        Labels: {
          [LABEL_NODE]: spec.name,
          [LABEL_NODE_ID]: spec.nodeId,
          [LABEL_CLUSTER]: this.opts.clusterId,
          [LABEL_MEMORY_GIVEN]: String(memoryGiven),
        },
        Env: [
          `KUBE9_URL=${spec.apiUrl}`,
          `KUBE9_NODE_ID=${spec.nodeId}`,
          `KUBE9_NODE_TOKEN=${spec.token}`,
          `KUBE9_NODE_NAME=${spec.name}`,
          `KUBE9_LOG_LEVEL=${this.opts.logLevel ?? "info"}`,
        ],
        ...(podNet ? { User: "0:0" } : {}),
        HostConfig: {
          // Host networking: the agent reaches the API on 127.0.0.1 like a process agent would.
          NetworkMode: "host",
          NanoCpus: nanoCpus,
          ...(memoryGiven ? { Memory: spec.memoryMiB * 1024 * 1024, MemorySwap: spec.memoryMiB * 1024 * 1024 } : {}),
          RestartPolicy: { Name: "no" },
          // Read-only root and no capabilities but those a pod network needs (when this host allows one):
          // NET_ADMIN and SYS_ADMIN to make pods' network namespaces under the host's /run/netns, where the
          // shared kube9-net namespace lives, and put their NetworkPolicy rules in them (see docs/architecture.md,
          // "Pods that run containers"); NET_BIND_SERVICE so a pod serves port 80 in its own namespace, as
          // a container may under Docker and Kubernetes.
          CapDrop: ["ALL"],
          ...(podNet ? { CapAdd: ["NET_ADMIN", "SYS_ADMIN", "NET_BIND_SERVICE"], Mounts: [podNet] } : {}),
          SecurityOpt: ["no-new-privileges"],
          ReadonlyRootfs: true,
          // Never mount the Docker socket (or anything but /run/netns) into a node container.
          Binds: [],
        },
      });
      this.memoryGiven.set(spec.nodeId, memoryGiven);
      try {
        await container.start();
      } catch (err) {
        // No half-created node: a container that cannot start does not stay behind.
        await container.remove({ force: true }).catch(() => {});
        throw err;
      }
      this.tracked.set(spec.nodeId, { containerId: container.id, name, expected: false });
      return container.id.slice(0, 12);
    } catch (err) {
      if (err instanceof RuntimeError) throw err;
      if (isUnreachable(err)) throw new RuntimeError("precondition", dockerUnreachableMessage(err, this.docker));
      throw new Error(`docker: ${describeDockerError(err)}`, { cause: err });
    }
  }

  /**
   * The /run/netns mount that lets a node's agent give each pod its own network namespace, or null when this
   * host cannot (not root, no iproute2, or the runtime was told not to): then pods share the node's network.
   * `ip netns add` on the host makes /run/netns a shared mount, which the rshared bind needs.
   */
  private podNetworkMount(): Docker.MountSettings | null {
    if (this.podNetMount !== undefined) return this.podNetMount;
    this.podNetMount = null;
    const ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => existsSync(p));
    if (this.opts.podNetwork === false || process.getuid?.() !== 0 || !ip) return null;
    try {
      if (!existsSync("/run/netns/kube9-net")) execFileSync(ip, ["netns", "add", "kube9-net"], { stdio: "ignore", timeout: 5000 });
      this.podNetMount = { Type: "bind", Source: "/run/netns", Target: "/run/netns", BindOptions: { Propagation: "rshared" } };
    } catch (err) {
      this.opts.log.warn("docker nodes get no pod network: cannot prepare /run/netns", { err: String(err) });
    }
    return this.podNetMount;
  }

  /** Creates a node container; an image removed since it was built is built again once. */
  private async createNodeContainer(options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      if (statusCode(err) !== 404 || !/no such image/i.test(describeDockerError(err))) throw err;
      this.imageReady = false;
      await this.prepare();
      return this.docker.createContainer(options);
    }
  }

  async stop(nodeId: string, graceful: boolean): Promise<void> {
    const t = this.tracked.get(nodeId);
    if (t) t.expected = true;
    const ids = new Set<string>();
    if (t) ids.add(t.containerId);
    for (const c of await this.listOwn({ [LABEL_NODE_ID]: nodeId })) ids.add(c.Id);
    await Promise.all([...ids].map((id) => this.removeContainer(id, graceful)));
    if (this.tracked.get(nodeId) === t) this.tracked.delete(nodeId);
  }

  async kill(nodeId: string): Promise<void> {
    const t = await this.find(nodeId);
    if (!t) throw new Error("the node has no running container");
    const container = this.docker.getContainer(t.containerId);
    try {
      await container.kill();
    } catch (err) {
      throw new Error(`docker kill ${t.name} failed: ${describeDockerError(err)}`, { cause: err });
    }
    // The event stream usually reports the death first; waiting here makes kill() complete either way.
    const res = (await container.wait().catch(() => ({ StatusCode: 137 }))) as { StatusCode: number };
    this.onDied(t.containerId, String(res.StatusCode));
  }

  async pause(nodeId: string): Promise<void> {
    const t = await this.find(nodeId);
    if (!t) throw new Error("the node has no running container");
    await this.docker.getContainer(t.containerId).pause();
  }

  async resume(nodeId: string): Promise<void> {
    const t = await this.find(nodeId);
    if (!t) return;
    try {
      await this.docker.getContainer(t.containerId).unpause();
    } catch (err) {
      // Not paused (any more): nothing to do.
      if (statusCode(err) !== 409 && statusCode(err) !== 500) throw err;
    }
  }

  has(nodeId: string): boolean {
    return this.tracked.has(nodeId);
  }

  /** The container of a node this runtime tracks (tests and `node get` use it). */
  containerOf(nodeId: string): string | undefined {
    return this.tracked.get(nodeId)?.containerId;
  }

  onUnexpectedExit(listener: (exit: AgentExit) => void): void {
    this.listeners.push(listener);
  }

  /** Lets go of every container, leaving it running: another API process serves the cluster (see NodeRuntime.release). */
  async release(): Promise<void> {
    this.closed = true;
    this.events?.removeAllListeners();
    (this.events as { destroy?: () => void } | null)?.destroy?.();
    this.events = null;
    if (this.tracked.size > 0) this.opts.log.info(`leaving ${this.tracked.size} node container(s) running for the other API processes`);
    this.tracked.clear();
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    this.events?.removeAllListeners();
    (this.events as { destroy?: () => void } | null)?.destroy?.();
    this.events = null;
    if (this.keepNodes) {
      if (this.tracked.size > 0) this.opts.log.info(`leaving ${this.tracked.size} node container(s) running (--keep-nodes)`);
      this.tracked.clear();
      return;
    }
    for (const t of this.tracked.values()) t.expected = true;
    let all: Docker.ContainerInfo[] = [];
    try {
      all = await this.listOwn({});
    } catch {
      // The engine is gone: nothing left to stop.
    }
    await Promise.all(all.map((c) => this.removeContainer(c.Id, true)));
    this.tracked.clear();
  }

  /**
   * At API start: takes over the running containers of this cluster's live docker nodes made for this API's
   * address, and removes the containers no node can use (node gone, node terminal, container exited). A
   * container made for other API addresses is left alone: node agents belong to the cluster, and another API
   * process may serve it (if none does, its node falls silent and recovery replaces it). Nodes left without
   * an agent are started again by the control plane.
   */
  async adopt(nodes: AdoptableNode[], apiUrl: string): Promise<{ adopted: string[]; removed: string[] }> {
    this.closed = false;
    await this.watch();
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const adopted: string[] = [];
    const removed: string[] = [];
    for (const c of await this.listOwn({})) {
      const nodeId = c.Labels[LABEL_NODE_ID] ?? "";
      const node = byId.get(nodeId);
      let why = "";
      if (!node) why = "its node no longer exists";
      else if (node.runtime !== "docker") why = `its node uses the ${node.runtime} runtime`;
      else if (isTerminalNodeStatus(node.status)) why = `its node is ${node.status}`;
      else if (c.State !== "running" && c.State !== "paused") why = `it is ${c.State}`;
      else if (this.tracked.has(nodeId)) why = "the node already has a container";
      if (!why) {
        const info = await this.docker.getContainer(c.Id).inspect();
        const url = (info.Config.Env ?? []).find((e) => e.startsWith("KUBE9_URL="))?.slice("KUBE9_URL=".length) ?? "";
        const ownUrl = apiUrl.split(",")[0] ?? apiUrl;
        if (!url.split(",").includes(ownUrl)) {
          this.opts.log.info(`left container ${c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12)} alone: it was made for the API at ${url || "?"}`);
          continue;
        }
        if (info.State.Paused) await this.docker.getContainer(c.Id).unpause();
      }
      const name = c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12);
      if (why) {
        await this.removeContainer(c.Id, false);
        removed.push(name);
        this.opts.log.info(`removed container ${name}: ${why}`);
        continue;
      }
      this.tracked.set(nodeId, { containerId: c.Id, name, expected: false });
      this.memoryGiven.set(nodeId, c.Labels[LABEL_MEMORY_GIVEN] !== "false");
      adopted.push(name);
    }
    if (adopted.length > 0) this.opts.log.info(`adopted ${adopted.length} running node container(s)`, { containers: adopted });
    return { adopted, removed };
  }

  // ---------------------------------------------------------------- internals

  /** The node's container: the tracked one, else a running one of this cluster another API process made (then tracked). */
  private async find(nodeId: string): Promise<Tracked | undefined> {
    const known = this.tracked.get(nodeId);
    if (known) return known;
    const c = (await this.listOwn({ [LABEL_NODE_ID]: nodeId })).find((x) => x.State === "running" || x.State === "paused");
    if (!c) return undefined;
    await this.watch();
    const t: Tracked = { containerId: c.Id, name: c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12), expected: false };
    this.tracked.set(nodeId, t);
    return t;
  }

  /** Containers of this cluster (any state), optionally narrowed by more labels. */
  private async listOwn(labels: Record<string, string>): Promise<Docker.ContainerInfo[]> {
    const label = [`${LABEL_CLUSTER}=${this.opts.clusterId}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
    return this.docker.listContainers({ all: true, filters: { label } });
  }

  /** Stops (gracefully: SIGTERM, then SIGKILL after a grace period) and removes one container; gone is fine. */
  private async removeContainer(id: string, graceful: boolean): Promise<void> {
    for (const t of this.tracked.values()) if (t.containerId === id) t.expected = true;
    const c = this.docker.getContainer(id);
    try {
      if (graceful) {
        const info = await c.inspect();
        if (info.State.Paused) await c.unpause();
        if (info.State.Running) await c.stop({ t: STOP_GRACE_S });
      }
      await c.remove({ force: true });
    } catch (err) {
      const code = statusCode(err);
      // 404: already gone; 409: removal already in progress; 304: already stopped.
      if (code === 404 || code === 409 || code === 304) {
        if (code === 304) await c.remove({ force: true }).catch(() => {});
        return;
      }
      throw new Error(`docker: cannot remove container ${id.slice(0, 12)}: ${describeDockerError(err)}`, { cause: err });
    }
  }

  /** Frees the container name for a node: stale containers of this cluster go; anything else is a conflict. */
  private async clearName(name: string, nodeId: string): Promise<void> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(name).inspect();
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw err;
    }
    const labels = info.Config.Labels ?? {};
    if (labels[LABEL_CLUSTER] === this.opts.clusterId && labels[LABEL_NODE_ID] !== nodeId && !this.isTrackedContainer(info.Id)) {
      // A leftover of a deleted node of this cluster with the same name: an orphan, remove it.
      await this.removeContainer(info.Id, false);
      return;
    }
    const owner = labels[LABEL_CLUSTER] ? `it belongs to Kube-9 cluster ${labels[LABEL_CLUSTER]}` : "it is not a Kube-9 node container";
    throw new RuntimeError(
      "conflict",
      `a Docker container named "${name}" already exists (${owner}); remove it with "docker rm -f ${name}" or choose another --name`,
    );
  }

  private isTrackedContainer(id: string): boolean {
    for (const t of this.tracked.values()) if (t.containerId === id) return true;
    return false;
  }

  private async hostCpus(): Promise<number> {
    if (this.hostCpuMilli === null) {
      // A node may be bigger than this machine (its size is what the scheduler sees); the limit cannot.
      const info = (await this.docker.info()) as { NCPU?: number };
      this.hostCpuMilli = Math.max(1, info.NCPU ?? 1) * 1000;
    }
    return this.hostCpuMilli;
  }

  /** A container of ours died: report it unless we stopped it on purpose. */
  private onDied(containerId: string, exitCode: string | undefined): void {
    for (const [nodeId, t] of this.tracked) {
      if (t.containerId !== containerId) continue;
      this.tracked.delete(nodeId);
      if (t.expected || this.closed) return;
      const description =
        exitCode === "137" ? `container ${t.name} was killed (exit code 137)` : `container ${t.name} exited with code ${exitCode ?? "?"}`;
      for (const l of this.listeners) l({ nodeId, description });
      return;
    }
  }

  /** Follows the engine's container events for this cluster; reconnects when the stream ends. */
  private watch(): Promise<void> {
    if (this.events || this.closed) return Promise.resolve();
    this.watching ??= (async () => {
      const since = Math.floor(Date.now() / 1000) - 1;
      try {
        const stream = await this.docker.getEvents({
          since,
          filters: { type: ["container"], event: ["die"], label: [`${LABEL_CLUSTER}=${this.opts.clusterId}`] },
        } as Docker.GetEventsOptions);
        this.events = stream;
        let buffer = "";
        stream.on("data", (chunk: Buffer) => {
          buffer += chunk.toString("utf8");
          let nl: number;
          while ((nl = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            try {
              const e = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; id?: string };
              if (e.Action === "die") this.onDied(e.Actor?.ID ?? e.id ?? "", e.Actor?.Attributes?.exitCode);
            } catch {
              // Not an event line: ignore.
            }
          }
        });
        const lost = () => {
          if (this.events !== stream) return;
          this.events = null;
          if (this.closed) return;
          this.opts.log.warn("lost the Docker event stream; reconnecting");
          const reconnect = () =>
            setTimeout(() => {
              if (this.closed || this.events) return;
              this.watch().then(() => this.resync(), reconnect);
            }, EVENTS_RETRY_MS).unref();
          reconnect();
        };
        stream.on("end", lost);
        stream.on("error", lost);
        stream.on("close", lost);
      } finally {
        this.watching = null;
      }
    })();
    return this.watching;
  }

  /** After a gap in the event stream: any tracked container that is no longer running died meanwhile. */
  private async resync(): Promise<void> {
    try {
      const running = new Set((await this.listOwn({})).filter((c) => c.State === "running" || c.State === "paused").map((c) => c.Id));
      for (const t of [...this.tracked.values()]) if (!running.has(t.containerId)) this.onDied(t.containerId, undefined);
    } catch (err) {
      this.opts.log.warn("cannot list node containers", { err: describeDockerError(err) });
    }
  }
}
