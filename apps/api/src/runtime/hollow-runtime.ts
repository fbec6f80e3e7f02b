import {
  DEFAULT_HOLLOW_USAGE,
  HollowNode,
  type HollowUsageOptions,
  type KubeletSettings,
  type NodeRole,
  type PodAssignment,
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
  }): Promise<{ desiredPodIds: string[]; assignments: PodAssignment[]; heartbeatIntervalMs: number; kubelet?: KubeletSettings }>;
  leave(input: { nodeId: string; reason?: string }): Promise<{ ok: true }>;
}

/**
 * One simulated agent: registers, beats, converges to the desired pods; no process of its own. What
 * it reports is core's HollowNode (KWOK-like statuses, crashes and made-up use); this class only
 * drives it over the in-process caller.
 */
class HollowAgent {
  private timer: NodeJS.Timeout | null = null;
  private readonly sim: HollowNode;
  paused = false;
  private stopped = false;

  constructor(
    private readonly spec: AgentSpec,
    private readonly api: AgentApi,
    usageOptions: HollowUsageOptions,
  ) {
    this.sim = new HollowNode(usageOptions);
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const reg = await this.api.register({ nodeId: this.spec.nodeId, agentVersion: "hollow" });
        this.sim.registered(reg.role, reg.heartbeatIntervalMs);
        this.schedule(this.sim.intervalMs);
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
    if (this.paused) return this.schedule(this.sim.intervalMs);
    let changed = false;
    try {
      const { report, sent } = this.sim.report(Date.now());
      const answer = await this.api.heartbeat({ nodeId: this.spec.nodeId, ...report });
      changed = this.sim.accepted(sent, answer, Date.now());
    } catch {
      // The API decides this node's fate; a hollow agent simply keeps trying like a real one.
    }
    // Confirm changes at once, as the real agent does.
    this.schedule(changed ? 0 : this.sim.intervalMs);
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
  protected override readonly stopGracefully = false;
}
