import type { NodeRuntimeKind, RuntimeKind } from "@kube9/core";
import type { Database, NodeRecord } from "@kube9/db";
import type { ClusterCache } from "../cache/cluster-cache.js";
import { precondition } from "../errors.js";
import type { AgentExit, NodeRuntime } from "../runtime/runtime.js";
import { hashToken, newNodeToken } from "../tokens.js";

export interface NodeAgentsDeps {
  db: Database;
  cache: ClusterCache;
  runtimes: Partial<Record<RuntimeKind, NodeRuntime>>;
  defaultRuntime: RuntimeKind;
  /** The URL agents use to reach this API. */
  apiUrl: () => string;
  now: () => number;
}

/**
 * The node agents this process runs, over every runtime: starting one with a fresh credential,
 * fault injection (kill, pause) and shutdown. Paused agents are remembered here so recovery leaves
 * them to the operator.
 */
export class NodeAgents {
  private readonly paused = new Set<string>();
  private closed = false;

  constructor(private readonly deps: NodeAgentsDeps) {}

  get defaultRuntime(): RuntimeKind {
    return this.deps.defaultRuntime;
  }

  /** True after stopAll(): nothing may start, and agent exits are the shutdown, not failures. */
  get stopping(): boolean {
    return this.closed;
  }

  /** The runtime of that kind, if this API has it (never for external agents, which no API runs). */
  runtime(kind: NodeRuntimeKind): NodeRuntime | undefined {
    return kind === "external" ? undefined : this.deps.runtimes[kind];
  }

  /** The runtime of that kind, or a precondition error naming the ones available. */
  require(kind: NodeRuntimeKind): NodeRuntime {
    if (kind === "external") {
      throw precondition("this node's agent runs outside the API (runtime external, e.g. kube9 hollow): start, stop or recover it where it runs");
    }
    const runtime = this.deps.runtimes[kind];
    if (!runtime) {
      const have = Object.keys(this.deps.runtimes).join(", ");
      throw precondition(`runtime "${kind}" is not available on this API (available: ${have})`);
    }
    return runtime;
  }

  /** Whether this process runs a live agent for the node. */
  has(node: NodeRecord): boolean {
    return this.runtime(node.runtime)?.has(node.id) ?? false;
  }

  /** Calls the listener when any runtime's agent ends without being asked to. */
  onUnexpectedExit(listener: (exit: AgentExit) => void): void {
    for (const rt of Object.values(this.deps.runtimes)) rt?.onUnexpectedExit(listener);
  }

  /** Gives a node a fresh credential (the old one stops working) and starts its agent; returns the runtime's handle. */
  async start(node: NodeRecord, runtime: NodeRuntime, memoryGiven: boolean): Promise<string> {
    if (this.closed) throw new Error("the control plane is stopping");
    const { db, cache, now } = this.deps;
    const token = await this.issueCredential(node);
    const credentialHash = hashToken(token);
    const handle = await runtime.start({
      nodeId: node.id,
      name: node.name,
      cpuMilli: node.capacity.cpuMilli,
      memoryMiB: node.capacity.memoryMiB,
      memoryGiven,
      apiUrl: this.deps.apiUrl(),
      token,
    });
    await db.nodes.setContainer(node.id, handle, now());
    cache.putNode({ ...(cache.node(node.id) ?? node), credentialHash, containerId: handle });
    return handle;
  }

  /** Gives a node a fresh credential (the old one stops working); returns the token, whose hash alone is stored. */
  async issueCredential(node: NodeRecord): Promise<string> {
    const { db, cache, now } = this.deps;
    const token = newNodeToken(node.id);
    const credentialHash = hashToken(token);
    await db.nodes.setCredential(node.id, credentialHash, now());
    cache.putNode({ ...(cache.node(node.id) ?? node), credentialHash }, true);
    return token;
  }

  /** Stops and removes a node's agent (graceful lets it say goodbye). */
  async stop(node: NodeRecord, graceful: boolean): Promise<void> {
    this.paused.delete(node.id);
    await this.runtime(node.runtime)?.stop(node.id, graceful);
  }

  /** Stops a given-up node's agent for good and forgets its container. */
  async remove(node: NodeRecord): Promise<void> {
    await this.stop(node, false);
    await this.deps.db.nodes.setContainer(node.id, null, this.deps.now());
    const cached = this.deps.cache.node(node.id);
    if (cached) this.deps.cache.putNode({ ...cached, containerId: null });
  }

  /** Fault injection: kills the agent abruptly. */
  async kill(node: NodeRecord): Promise<void> {
    await this.require(node.runtime).kill(node.id);
  }

  /** Fault injection: freezes the agent so its heartbeats stop. */
  async pause(node: NodeRecord): Promise<void> {
    if (this.paused.has(node.id)) throw precondition(`node "${node.name}" is already paused; use "node recover"`);
    this.paused.add(node.id);
    await this.require(node.runtime).pause(node.id);
  }

  /** Unfreezes a paused agent; false when it was not paused. */
  async resume(node: NodeRecord): Promise<boolean> {
    if (!this.paused.delete(node.id)) return false;
    await this.require(node.runtime).resume(node.id);
    return true;
  }

  /** Whether the operator froze this node's agent (recovery leaves it alone). */
  isPaused(nodeId: string): boolean {
    return this.paused.has(nodeId);
  }

  /**
   * At shutdown; nothing starts afterwards. Node agents belong to the cluster: while another API process
   * serves the database (its presence, db.peers()), the agents are let go of and keep running, served by
   * the others (runtimes that cannot, like hollow nodes inside this process, stop theirs). The last API
   * process stops every agent of the cluster it can reach, those the others let go of included.
   */
  async stopAll(): Promise<void> {
    this.closed = true;
    const peers = await this.deps.db.peers().catch(() => []);
    await Promise.all(
      Object.entries(this.deps.runtimes).map(async ([kind, rt]) => {
        if (!rt) return;
        if (peers.length > 0 && rt.release) return rt.release();
        const ids = this.deps.cache.loaded ? this.deps.cache.nodes().filter((n) => n.runtime === kind).map((n) => n.id) : [];
        return rt.stopAll(ids);
      }),
    );
  }
}
