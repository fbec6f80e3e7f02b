import {
  decideDisruption,
  evaluateNodeHealth,
  isTerminalNodeStatus,
  refillEvictions,
  type DisruptionDecision,
  type EvictionBucket,
  type HealthInput,
  type NodeStatus,
} from "@kube9/core";
import type { NodeRecord } from "@kube9/db";
import type { AgentExit } from "../runtime/runtime.js";
import type { NodeStatusService } from "../services/node-status.js";
import { LoopController, ScaledPasses, scaledIntervalMs, type ControllerContext } from "./controller.js";

/** Pod statuses that hold a reservation on their node. */
const RESERVING: ReadonlySet<string> = new Set(["Scheduled", "Running", "Terminating"]);

/** How often every node's heartbeat age is judged. */
const TICK_MS = 250;
/** At 10,000 nodes a pass runs each second (see scaledIntervalMs). */
const MAX_TICK_MS = 1000;

/** Statuses whose silence the heartbeat rules judge (and whose Failed means an eviction). */
const JUDGED: ReadonlySet<NodeStatus> = new Set(["Ready", "Cordoned", "Suspect"]);

/** Statuses of a node that can hold no pods: any still bound to it were stranded and are evicted. */
const STRANDING: NodeStatus[] = ["Failed", "Recovering", "PermanentlyFailed", "Removed"];

/** How often the database is asked for Removed nodes whose removal did not finish. */
const REMOVED_SWEEP_MS = 10_000;

/** A Removed node younger than this may still be in its remover's hands (stopping its agent); older ones were abandoned. */
const REMOVAL_GRACE_MS = 30_000;

/** A sweep that found the cache behind the database waits this long for the pod resync before trying that node again. */
const STRANDED_RETRY_MS = 5_000;

export interface NodeLifecycleDeps extends ControllerContext {
  status: NodeStatusService;
  /** True while the process shuts down: agents ending then are not failures. */
  stopping: () => boolean;
  /** The API's worst event-loop lag over the last `windowMs` (ms). */
  recentLagMs: (windowMs: number) => number;
  /** How long the database has kept a write waiting (ms; 0 when it answers). */
  databaseStallMs: () => number;
  /** Removed nodes whose rows are still there (their removal was interrupted). */
  removedNodes: () => Promise<NodeRecord[]>;
  /** Stops a Removed node's agent and deletes its row (the end of `node remove`). */
  finishRemoval: (node: NodeRecord, moved: number) => Promise<void>;
}

/**
 * Node lifecycle: owns the Ready -> Suspect -> Failed transitions. It judges every node's heartbeat
 * age against the health rules (packages/core) four times a second, fails a node at once when its
 * agent exits unexpectedly, and evicts a failed node's pods so they are placed elsewhere (the
 * node lifecycle controller's eviction in Kubernetes).
 *
 * When many nodes are late at once it suspects the control plane first (core's decideDisruption):
 * while the API's own loop or its database stalled, nobody is marked for silence; in a partial or
 * full disruption evictions are rate-limited or held. Holding and resuming are Cluster events, and
 * after a control-plane stall every node's silence counts from the moment the API recovered.
 *
 * It is level-triggered: every pass also evicts pods still bound to a node that cannot run them
 * (Failed, Recovering, PermanentlyFailed), and a new leader's first pass (then every 10 s) finishes
 * removals that were interrupted (a Removed node's leftover pods, agent and row), so a leader that
 * starts finishes what a dead one left half done.
 */
export class NodeLifecycleController extends LoopController {
  private decision: DisruptionDecision | null = null;
  private bucket: EvictionBucket = { tokens: 1, at: 0 };
  /** Silence is not counted before this (the end of the last control-plane stall). */
  private judgeFrom = 0;
  private held = 0;
  /** When the database was last asked for unfinished removals (0: at the next pass). */
  private removedSweptAt = 0;
  /** Nodes whose stranded pods the database no longer had (the cache was behind), and when to look again. */
  private readonly strandedRetry = new Map<string, number>();
  private readonly passes = new ScaledPasses(TICK_MS);

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

  /** Figures for /metrics: the API's lag, the disruption mode, and how many nodes' failures are held back. */
  metricsText(): string {
    const mode = this.decision?.mode ?? "normal";
    return [
      "# HELP kube9_apiserver_event_loop_lag_seconds The API's worst event-loop delay over the last quarter second.",
      "# TYPE kube9_apiserver_event_loop_lag_seconds gauge",
      `kube9_apiserver_event_loop_lag_seconds ${this.deps.recentLagMs(TICK_MS) / 1000}`,
      "# HELP kube9_node_evictions_held Nodes late enough to be Failed (and evicted) whose failure the disruption rules hold back now.",
      "# TYPE kube9_node_evictions_held gauge",
      `kube9_node_evictions_held ${this.held}`,
      "# HELP kube9_node_disruption The node lifecycle controller's disruption mode (1 for the current one).",
      "# TYPE kube9_node_disruption gauge",
      ...(["normal", "partial", "full", "control-plane"] as const).map((m) => `kube9_node_disruption{mode="${m}"} ${m === mode ? 1 : 0}`),
      "",
    ].join("\n");
  }

  override start(): void {
    // A new leader looks for unfinished removals at once.
    this.removedSweptAt = 0;
    super.start();
  }

  protected async pass(): Promise<void> {
    const { cache, status, now: clock } = this.deps;
    const now = clock();
    if (!this.passes.due(now, scaledIntervalMs(TICK_MS, cache.nodeCount(), MAX_TICK_MS))) return;
    await this.sweep();
    const health = cache.settings.health;
    // Each node's health input is worked out once a pass (at 10,000 nodes, four passes a second, twice
    // over was a tenth of a core); after any await the rest are worked out afresh, as beats arrived meanwhile.
    const nodes = cache.nodes().slice();
    const inputs = nodes.map((node) => status.healthInput(node));
    let judged = 0;
    let late = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (!JUDGED.has(nodes[i]!.status)) continue;
      judged++;
      const input = this.healthInput(inputs[i]!);
      if (now - (input.lastHeartbeatAt ?? input.statusChangedAt) > health.suspectAfterMs) late++;
    }
    const decision = decideDisruption(
      { judged, late, recentLagMs: this.deps.recentLagMs(health.failedAfterMs), databaseStallMs: this.deps.databaseStallMs() },
      health,
    );
    // May move judgeFrom (a control-plane stall just ended): the nodes are judged after it. A mode
    // change waits for its event, and beats may arrive meanwhile: the inputs are worked out afresh then.
    const modeBefore = this.decision?.mode ?? "normal";
    await this.announce(decision, now);
    let fresh = modeBefore === decision.mode;
    this.bucket = refillEvictions(this.bucket, now, decision.evictionsPerSecond);
    let held = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (this.deps.stopping()) return;
      const node = fresh ? nodes[i]! : (cache.node(nodes[i]!.id) ?? nodes[i]!);
      const tr = evaluateNodeHealth(this.healthInput(fresh ? inputs[i]! : status.healthInput(node)), now, health);
      if (!tr) continue;
      fresh = false;
      const forSilence = JUDGED.has(node.status);
      if (forSilence && !decision.suspectAllowed) continue;
      if (tr.status === "Failed" && forSilence && this.bucket.tokens < 1) {
        held++;
        // Held back from Failed, a late node is still shown as Suspect (it takes no new pods).
        if (node.status !== "Suspect") await this.suspect(node.id, node.status, `${tr.message}; failure held back: ${decision.message}`, now);
        continue;
      }
      if (tr.status === "Failed") {
        if (forSilence) this.bucket = { ...this.bucket, tokens: this.bucket.tokens - 1 };
        await status.fail(node, tr.reason, tr.message);
        continue;
      }
      await this.suspect(node.id, node.status, tr.message, now, tr.status, tr.type, tr.reason);
    }
    this.held = held;
  }

  /** Finishes half-done work: pods stranded on nodes that cannot run them, and interrupted removals. */
  private async sweep(): Promise<void> {
    const { cache, status } = this.deps;
    const wall = Date.now();
    for (const node of cache.nodes()) {
      if (this.deps.stopping()) return;
      if (!STRANDING.includes(node.status) || (this.strandedRetry.get(node.id) ?? 0) > wall) continue;
      if (!cache.podsOn(node.id).some((p) => RESERVING.has(p.status))) continue;
      const evicted = await status.evictStranded(node, STRANDING);
      if (evicted.length > 0) this.deps.log.warn(`evicted ${evicted.length} pod(s) left bound to ${node.status} node ${node.name}`);
      else this.strandedRetry.set(node.id, wall + STRANDED_RETRY_MS);
    }
    if (wall - this.removedSweptAt < REMOVED_SWEEP_MS) return;
    this.removedSweptAt = wall;
    for (const node of await this.deps.removedNodes()) {
      if (this.deps.stopping()) return;
      if (this.deps.now() - node.statusChangedAt < REMOVAL_GRACE_MS) continue;
      const evicted = await status.evictStranded(node, ["Removed"]);
      this.deps.log.warn(`finishing the interrupted removal of node ${node.name}`, { pods: evicted.length });
      await this.deps.finishRemoval(node, evicted.length);
    }
  }

  private async suspect(
    id: string,
    from: NodeStatus,
    message: string,
    now: number,
    to: NodeStatus = "Suspect",
    type: "Normal" | "Warning" = "Warning",
    reason = "NodeSuspect",
  ): Promise<void> {
    const updated = await this.deps.status.transition(id, to, { from: [from], reason: message, now });
    if (updated) await this.deps.events.node(type, reason, updated, message);
  }

  /** After a control-plane stall, silence counts from its end: the nodes could not be heard meanwhile. */
  private healthInput(input: HealthInput): HealthInput {
    if (this.judgeFrom === 0) return input;
    return {
      ...input,
      lastHeartbeatAt: input.lastHeartbeatAt === null ? null : Math.max(input.lastHeartbeatAt, this.judgeFrom),
      statusChangedAt: Math.max(input.statusChangedAt, this.judgeFrom),
    };
  }

  /** Cluster events when evictions are held back (and why) and when they resume. */
  private async announce(decision: DisruptionDecision, now: number): Promise<void> {
    const before = this.decision?.mode ?? "normal";
    this.decision = decision;
    if (before === decision.mode) return;
    if (before === "control-plane") this.judgeFrom = now;
    if (decision.mode === "normal") {
      await this.deps.events.cluster("NodeEvictionsResumed", `node failures and evictions resume (was ${before}): ${decision.message}`);
      return;
    }
    this.deps.log.warn("node evictions held back", { mode: decision.mode, why: decision.message });
    await this.deps.events.cluster("NodeEvictionsHeld", decision.message, "Warning");
  }
}
