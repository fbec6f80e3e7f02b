import { evaluateNodeHealth, isTerminalNodeStatus } from "@kube9/core";
import type { AgentExit } from "../runtime/runtime.js";
import type { NodeStatusService } from "../services/node-status.js";
import { LoopController, type ControllerContext } from "./controller.js";

/** How often every node's heartbeat age is judged. */
const TICK_MS = 250;

export interface NodeLifecycleDeps extends ControllerContext {
  status: NodeStatusService;
  /** True while the process shuts down: agents ending then are not failures. */
  stopping: () => boolean;
}

/**
 * Node lifecycle: owns the Ready -> Suspect -> Failed transitions. It judges every node's heartbeat
 * age against the health rules (packages/core) four times a second, fails a node at once when its
 * agent exits unexpectedly, and evicts a failed node's pods so they are placed elsewhere (the
 * node lifecycle controller's eviction in Kubernetes).
 */
export class NodeLifecycleController extends LoopController {
  constructor(private readonly deps: NodeLifecycleDeps) {
    super("node-lifecycle", TICK_MS, deps.log);
  }

  /** An agent ended without being asked to: its node is Failed now, not after the heartbeat timeout. */
  async agentExited(exit: AgentExit): Promise<void> {
    if (this.deps.stopping()) return;
    const node = this.deps.cache.node(exit.nodeId);
    if (!node || isTerminalNodeStatus(node.status) || node.status === "Failed") return;
    await this.deps.status.fail(node, "NodeFailed", exit.description);
  }

  protected async pass(): Promise<void> {
    const { cache, status, events, now: clock } = this.deps;
    const now = clock();
    const health = cache.settings.health;
    for (const node of cache.nodes()) {
      if (this.deps.stopping()) return;
      const tr = evaluateNodeHealth(status.healthInput(node), now, health);
      if (!tr) continue;
      if (tr.status === "Failed") {
        await status.fail(node, tr.reason, tr.message);
        continue;
      }
      const updated = await status.transition(node.id, tr.status, { from: [node.status], reason: tr.message, now });
      if (updated) await events.node(tr.type, tr.reason, updated, tr.message);
    }
  }
}
