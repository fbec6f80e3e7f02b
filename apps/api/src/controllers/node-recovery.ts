import { decideRecovery, shouldResetRecoveryAttempts, type HealthConfig } from "@kube9/core";
import type { NodeRecord } from "@kube9/db";
import type { NodeAgents } from "../services/node-agents.js";
import type { NodeStatusService } from "../services/node-status.js";
import { LoopController, ScaledPasses, scaledIntervalMs, type ControllerContext } from "./controller.js";

const TICK_MS = 250;

export interface NodeRecoveryDeps extends ControllerContext {
  status: NodeStatusService;
  agents: NodeAgents;
}

/**
 * Node recovery: owns Failed -> Recovering -> (Ready | PermanentlyFailed). A Failed node's agent is
 * restarted (with a fresh credential) up to the configured number of attempts, one heartbeat period
 * after it failed so users see the failure; then the node is given up and its agent removed. A node
 * Ready for long enough has its attempts forgotten. Paused nodes are the operator's to recover.
 */
export class NodeRecoveryController extends LoopController {
  private readonly passes = new ScaledPasses(TICK_MS);

  constructor(private readonly deps: NodeRecoveryDeps) {
    super("node-recovery", TICK_MS, deps.log);
  }

  protected async pass(): Promise<void> {
    const { cache, status, now: clock } = this.deps;
    const now = clock();
    if (!this.passes.due(now, scaledIntervalMs(TICK_MS, cache.nodeCount(), 1000))) return;
    const health = cache.settings.health;
    for (const node of cache.nodes()) {
      if (this.deps.agents.stopping) return;
      if (node.status === "Failed") await this.recover(node, now, health);
      else if (node.recoveryAttempts > 0 && shouldResetRecoveryAttempts(status.healthInput(node), now, health)) {
        await status.transition(node.id, node.status, { from: [node.status], now: node.statusChangedAt, recoveryAttempts: 0 });
      }
    }
  }

  private async recover(node: NodeRecord, now: number, health: HealthConfig): Promise<void> {
    const { agents, status, events } = this.deps;
    const runtime = agents.runtime(node.runtime);
    if (!runtime || agents.isPaused(node.id)) return;
    // Leave a Failed node visible for one heartbeat period before restarting it.
    if (now - node.statusChangedAt < health.heartbeatIntervalMs) return;
    const decision = decideRecovery(node, health);
    if (!decision) return;
    if (decision.action === "give-up") {
      const reason = `gave up after ${node.recoveryAttempts} recovery attempts`;
      // With any pods still bound (evicted in the same transaction): a PermanentlyFailed node never holds pods.
      const done = await status.transitionAndEvict(node, "PermanentlyFailed", { from: ["Failed"], reason, now }, "NodeFailed", `node ${node.name} ${reason}`);
      if (!done) return;
      const dead = done.node;
      await agents.remove(dead);
      await events.node("Warning", "NodePermanentlyFailed", dead, `${reason}; agent removed`);
      return;
    }
    const recovering = await status.transition(node.id, "Recovering", {
      from: ["Failed"],
      reason: `restart attempt ${decision.attempt}/${health.maxRecoveryAttempts}`,
      now,
      recoveryAttempts: decision.attempt,
    });
    if (!recovering) return;
    const message = `restarting the agent (attempt ${decision.attempt}/${health.maxRecoveryAttempts})`;
    await events.node("Normal", "NodeRecovering", recovering, message);
    try {
      await agents.start(recovering, runtime, true);
    } catch (err) {
      // Shutting down is no failure of the node: the next start restarts its agent.
      if (agents.stopping) return;
      await status.fail(recovering, "NodeRecoveryFailed", `restart failed: ${(err as Error).message}`);
    }
  }
}
