import {
  componentsForRole,
  DEFAULT_HOLLOW_USAGE,
  hollowPodStatus,
  hollowPodUsage,
  podUsageTotal,
  type HollowUsageOptions,
  type NodeRole,
  type PodAssignment,
  type PodSpec,
  type PodStatusReport,
  type PodUsageReport,
  type Resources,
} from "@kube9/core";
import { LocalAgents } from "./local-agents.js";
import type { AgentSpec, NodeRuntime } from "./runtime.js";

/** The agent procedures a hollow node calls: the same tRPC procedures a real agent calls over HTTP. */
export interface AgentApi {
  register(input: { nodeId: string; agentVersion?: string }): Promise<{ role: NodeRole; heartbeatIntervalMs: number }>;
  heartbeat(input: {
    nodeId: string;
    podIds: string[];
    usage: Resources;
    podUsage?: PodUsageReport;
    components: Record<string, "Healthy" | "Unhealthy">;
    podStatuses?: PodStatusReport[];
  }): Promise<{ desiredPodIds: string[]; assignments: PodAssignment[]; heartbeatIntervalMs: number }>;
  leave(input: { nodeId: string; reason?: string }): Promise<{ ok: true }>;
}

/** The heartbeat schema takes at most this many pods' usage. */
const MAX_REPORTED_PODS = 1000;

/**
 * One simulated agent: registers, beats, converges to the desired pods; no process of its own. Pods
 * with containers get the status a node would report (built-in images run at once, others wait with
 * ErrImagePull), like KWOK's simulated kubelet, and made-up use (core's hollowPodUsage).
 */
class HollowAgent {
  private timer: NodeJS.Timeout | null = null;
  private readonly pods = new Set<string>();
  /**
   * Specs of the pods with containers, as their assignments brought them. Placeholders come as bare
   * ids (an answer carries no request for them), so they report no use.
   */
  private readonly specs = new Map<string, PodSpec>();
  /** Statuses not yet accepted by the API (sent again if a heartbeat fails). */
  private unsent: PodStatusReport[] = [];
  private interval = 1000;
  private components: Record<string, "Healthy"> = {};
  paused = false;
  private stopped = false;

  constructor(
    private readonly spec: AgentSpec,
    private readonly api: AgentApi,
    private readonly usageOptions: HollowUsageOptions,
  ) {}

  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const reg = await this.api.register({ nodeId: this.spec.nodeId, agentVersion: "hollow" });
        this.interval = reg.heartbeatIntervalMs;
        this.components = Object.fromEntries(componentsForRole(reg.role).map((c) => [c, "Healthy" as const]));
        this.schedule(this.interval);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), ms);
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    if (this.paused) return this.schedule(this.interval);
    let changed = false;
    try {
      const sending = this.unsent;
      const podUsage = this.podUsage(Date.now());
      const answer = await this.api.heartbeat({
        nodeId: this.spec.nodeId,
        podIds: [...this.pods],
        // No agent process: the node's total is its pods'.
        usage: podUsage ? podUsageTotal(podUsage) : { cpuMilli: 0, memoryMiB: 0 },
        ...(podUsage ? { podUsage } : {}),
        components: this.components,
        ...(sending.length > 0 ? { podStatuses: sending } : {}),
      });
      this.unsent = this.unsent.filter((s) => !sending.includes(s));
      this.interval = answer.heartbeatIntervalMs;
      const now = Date.now();
      const desired = new Set(answer.desiredPodIds);
      for (const a of answer.assignments) {
        this.unsent.push(hollowPodStatus(a.id, a.spec, now, now));
        if (desired.has(a.id)) this.specs.set(a.id, a.spec);
      }
      for (const id of desired) if (!this.pods.has(id)) (this.pods.add(id), (changed = true));
      for (const id of this.pods) if (!desired.has(id)) (this.pods.delete(id), this.specs.delete(id), (changed = true));
    } catch {
      // The API decides this node's fate; a hollow agent simply keeps trying like a real one.
    }
    // Confirm changes at once, as the real agent does.
    this.schedule(changed ? 0 : this.interval);
  }

  /** The made-up use of the pods it runs (those it reports and has a spec for), or undefined when there is none. */
  private podUsage(now: number): PodUsageReport | undefined {
    if (this.specs.size === 0 || this.usageOptions.report === false) return undefined;
    const report: PodUsageReport = {};
    let count = 0;
    for (const [id, spec] of this.specs) {
      if (!this.pods.has(id)) continue;
      const containers = hollowPodUsage(id, spec.containers, now, this.usageOptions);
      if (Object.keys(containers).length === 0) continue;
      report[id] = containers;
      if (++count >= MAX_REPORTED_PODS) break;
    }
    return count > 0 ? report : undefined;
  }

  async stop(leave: boolean): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (leave) await this.api.leave({ nodeId: this.spec.nodeId, reason: "hollow node stopped" }).catch(() => undefined);
  }
}

/** Many simulated nodes inside the API process, for scale tests and benchmarks. */
export class HollowRuntime extends LocalAgents<HollowAgent> implements NodeRuntime {
  readonly kind = "hollow" as const;
  private seq = 0;

  constructor(
    private readonly connect: (token: string) => Promise<AgentApi>,
    private readonly usage: HollowUsageOptions = DEFAULT_HOLLOW_USAGE,
  ) {
    super();
  }

  async start(spec: AgentSpec): Promise<string> {
    this.refuseAfterShutdown("hollow");
    await this.stop(spec.nodeId, false);
    const agent = new HollowAgent(spec, await this.connect(spec.token), this.usage);
    this.agents.set(spec.nodeId, agent);
    void agent.run();
    return `hollow-${++this.seq}`;
  }

  async stop(nodeId: string, graceful: boolean): Promise<void> {
    const agent = this.agents.get(nodeId);
    if (!agent) return;
    this.agents.delete(nodeId);
    await agent.stop(graceful);
  }

  async kill(nodeId: string): Promise<void> {
    const agent = this.live(nodeId);
    this.agents.delete(nodeId);
    await agent.stop(false);
    this.exited(nodeId, "hollow agent killed");
  }

  async pause(nodeId: string): Promise<void> {
    this.live(nodeId).paused = true;
  }

  async resume(nodeId: string): Promise<void> {
    const agent = this.agents.get(nodeId);
    if (agent) agent.paused = false;
  }

  /** Hollow agents have nobody to say goodbye to on shutdown. */
  override stopAll(): Promise<void> {
    return super.stopAll(false);
  }
}
