import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { initTRPC, TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type {
  KubeletEndpoint,
  KubeletSettings,
  NetpolAssignment,
  NetpolReport,
  PodAssignment,
  PodEventReport,
  PodStatusReport,
  PodTermination,
  PodUsageReport,
} from "@kube9/core";

/** A node as the fake API knows it. */
export interface FakeNode {
  token: string;
  name: string;
  role: "worker" | "master";
  capacity: { cpuMilli: number; memoryMiB: number };
  heartbeatIntervalMs: number;
  desiredPodIds: string[];
  /** Specs of pods that run containers, sent while the node does not report them (as the API does). */
  specs: Map<string, PodAssignment>;
  /** Pods being deleted (id -> grace seconds), sent while the node still reports them. */
  terminating: Map<string, number>;
  /** Latest status the node reported, per pod. */
  statuses: Map<string, PodStatusReport>;
  kubelet: KubeletEndpoint | undefined;
  /** Answered at registration when set, as the API answers each node's pod address range. */
  podCIDR?: string;
  /** Sent with the register and heartbeat answers as the API does (undefined: none, as an older API). */
  kubeletSettings: KubeletSettings | undefined;
  /** Events the node reported in heartbeats that succeeded, oldest first. */
  events: PodEventReport[];
  /** The pods' firewalls, answered while the node reports another revision (as the API does). */
  netpol?: NetpolAssignment;
}

/** The API's default kubelet settings (its cluster settings' defaults). */
export const API_KUBELET_SETTINGS: Readonly<KubeletSettings> = Object.freeze({ backoffInitialMs: 1000, backoffMaxMs: 60_000, backoffResetMs: 60_000 });

export interface HeartbeatCall {
  nodeId: string;
  podIds: string[];
  usage: { cpuMilli: number; memoryMiB: number };
  agentUsage?: { cpuMilli: number; memoryMiB: number };
  podUsage?: PodUsageReport;
  components: Record<string, "Healthy" | "Unhealthy">;
  podStatuses?: PodStatusReport[];
  podEvents?: PodEventReport[];
  netpol?: NetpolReport;
  at: number;
}

type Ctx = { token: string | undefined };

/**
 * A tiny real tRPC HTTP server with the agent procedures of the Kube-9 API (same paths and shapes),
 * so the agent is tested over the wire without the real API and its database.
 */
export class FakeApi {
  readonly nodes = new Map<string, FakeNode>();
  readonly registrations: Array<{ nodeId: string; agentVersion: string | undefined; at: number }> = [];
  readonly heartbeats: HeartbeatCall[] = [];
  readonly leaves: Array<{ nodeId: string; reason: string | undefined }> = [];
  /** Return an error to fail a heartbeat (after it is recorded). */
  heartbeatFault: ((call: HeartbeatCall) => TRPCError | undefined) | undefined;
  /** Leave never answers (until the server closes). */
  leaveHangs = false;
  private server: Server | undefined;
  private port = 0;

  /** Adds a node the fake will accept. */
  addNode(nodeId: string, node: Partial<FakeNode> = {}): FakeNode {
    const full: FakeNode = {
      token: `token-${nodeId}`,
      name: `node-${this.nodes.size + 1}`,
      role: "worker",
      capacity: { cpuMilli: 2000, memoryMiB: 2048 },
      heartbeatIntervalMs: 50,
      desiredPodIds: [],
      specs: new Map(),
      terminating: new Map(),
      statuses: new Map(),
      kubelet: undefined,
      kubeletSettings: { ...API_KUBELET_SETTINGS },
      events: [],
      ...node,
    };
    this.nodes.set(nodeId, full);
    return full;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Asks a node to run a pod with containers. */
  runPod(nodeId: string, assignment: PodAssignment): void {
    const node = this.nodes.get(nodeId)!;
    node.specs.set(assignment.id, assignment);
    node.desiredPodIds = [...node.desiredPodIds, assignment.id];
  }

  /** Deletes a pod: the node is told to terminate it, and it is gone once the node stops reporting it. */
  deletePod(nodeId: string, podId: string, gracePeriodSeconds: number): void {
    const node = this.nodes.get(nodeId)!;
    node.desiredPodIds = node.desiredPodIds.filter((id) => id !== podId);
    node.terminating.set(podId, gracePeriodSeconds);
  }

  /** Every status a node reported for a pod, oldest first. */
  statusesOf(nodeId: string, podId: string): PodStatusReport[] {
    return this.beatsOf(nodeId).flatMap((b) => (b.podStatuses ?? []).filter((s) => s.podId === podId));
  }

  /** Heartbeats of one node. */
  beatsOf(nodeId: string): HeartbeatCall[] {
    return this.heartbeats.filter((h) => h.nodeId === nodeId);
  }

  /** Starts serving on 127.0.0.1 (port 0 = any free port; the same port again after close()). */
  async listen(port = this.port): Promise<this> {
    const handler = createHTTPHandler({
      router: this.router(),
      basePath: "/trpc/",
      createContext: ({ req }): Ctx => ({
        token: req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1],
      }),
    });
    const server = createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Stops serving and drops open keep-alive connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private router() {
    const t = initTRPC.context<Ctx>().create({ isDev: false });
    const nodeProcedure = t.procedure.use(async ({ ctx, next, getRawInput }) => {
      const raw = (await getRawInput()) as { nodeId?: unknown } | undefined;
      const entry = [...this.nodes.entries()].find(([, n]) => n.token === ctx.token);
      if (!entry) throw new TRPCError({ code: "UNAUTHORIZED", message: "invalid node credential" });
      if (raw?.nodeId !== entry[0]) {
        throw new TRPCError({ code: "FORBIDDEN", message: "this node credential belongs to another node" });
      }
      return next({ ctx: { ...ctx, node: entry[1] } });
    });
    return t.router({
      agent: t.router({
        register: nodeProcedure
          .input((v) => v as { nodeId: string; agentVersion?: string; kubelet?: KubeletEndpoint })
          .mutation(({ ctx, input }) => {
            this.registrations.push({ nodeId: input.nodeId, agentVersion: input.agentVersion, at: performance.now() });
            const n = ctx.node;
            n.kubelet = input.kubelet;
            return {
              nodeId: input.nodeId,
              name: n.name,
              role: n.role,
              heartbeatIntervalMs: n.heartbeatIntervalMs,
              capacity: n.capacity,
              ...(n.podCIDR ? { podCIDR: n.podCIDR } : {}),
              ...(n.kubeletSettings ? { kubelet: n.kubeletSettings } : {}),
            };
          }),
        heartbeat: nodeProcedure
          .input((v) => v as Omit<HeartbeatCall, "at">)
          .mutation(({ ctx, input }) => {
            const call = { ...input, at: performance.now() };
            this.heartbeats.push(call);
            const fault = this.heartbeatFault?.(call);
            if (fault) throw fault;
            const node = ctx.node;
            for (const status of input.podStatuses ?? []) node.statuses.set(status.podId, status);
            node.events.push(...(input.podEvents ?? []));
            const reported = new Set(input.podIds);
            const terminating: PodTermination[] = [];
            for (const [id, grace] of node.terminating) {
              if (reported.has(id)) terminating.push({ id, gracePeriodSeconds: grace });
              else node.terminating.delete(id);
            }
            const assignments = node.desiredPodIds.filter((id) => !reported.has(id)).flatMap((id) => node.specs.get(id) ?? []);
            const kubelet = node.kubeletSettings ? { kubelet: node.kubeletSettings } : {};
            const netpol = node.netpol && input.netpol?.revision !== node.netpol.revision ? { netpol: node.netpol } : {};
            return { desiredPodIds: [...node.desiredPodIds], assignments, terminating, heartbeatIntervalMs: node.heartbeatIntervalMs, ...kubelet, ...netpol };
          }),
        leave: nodeProcedure
          .input((v) => v as { nodeId: string; reason?: string })
          .mutation(async ({ input }) => {
            this.leaves.push({ nodeId: input.nodeId, reason: input.reason });
            if (this.leaveHangs) await new Promise(() => {});
            return { ok: true as const };
          }),
      }),
    });
  }
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 2000, what = "condition"): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A logger that keeps lines for assertions. */
export function captureLog() {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { lines, log: { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") } };
}
