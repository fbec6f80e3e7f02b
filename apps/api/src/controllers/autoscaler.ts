// Over 350 lines on purpose: one pass of the autoscaler (minimum sizes, provisioning timeouts, scale-up
// for pending pods, load scale-up, scale-down) reads best as one story in one file.
import {
  ClusterIndex,
  EMPTY_GROUP_STATUS,
  groupNodeLabels,
  matchesSelector,
  planLoadScaleUp,
  planScaleDown,
  planScaleUp,
  trackUnneeded,
  type NodeGroupStatus,
  type PendingPod,
  type Resources,
  type SchedNode,
  type ScaleDownNode,
} from "@kube9/core";
import type { Database, NodeGroupRecord, NodeRecord } from "@kube9/db";
import type { NodeGroupService } from "../services/node-group-service.js";
import type { NodeService } from "../services/node-service.js";
import type { UsageStore } from "../usage/usage-store.js";
import { canonicalJson } from "../canonical-json.js";
import { LoopController, type ControllerContext } from "./controller.js";

const PASS_MS = 1000;
/** The longest backoff after failed scale-ups. */
const MAX_BACKOFF_MS = 5 * 60_000;
/** A pod that fits no group is told so at most this often. */
const NO_FIT_EVENT_MS = 60_000;
/** Per-pod TriggeredScaleUp events only for bursts up to this size (the group's event says the rest). */
const MAX_POD_EVENTS = 50;

/** One group in `kube9 autoscaler status`. */
export interface AutoscalerGroupStatus {
  name: string;
  min: number;
  size: number;
  ready: number;
  max: number;
  /** Nodes added and not Ready yet. */
  upcoming: number;
  /** Nodes below the low-water mark, for how long (ms), and why one that is due stays (empty while it waits). */
  unneeded: Array<{ node: string; forMs: number; reason: string }>;
  status: NodeGroupStatus;
}

/** What `kube9 autoscaler status` shows. */
export interface AutoscalerStatusDTO {
  expander: string;
  unschedulablePods: number;
  groups: AutoscalerGroupStatus[];
  lastPlan: string | null;
}

export interface AutoscalerDeps extends ControllerContext {
  db: Database;
  groups: NodeGroupService;
  nodes: NodeService;
  usage: UsageStore;
  staleAfterMs: () => number;
}

/** Counters for /metrics. */
interface Counts {
  scaleUps: Map<string, number>;
  scaleDowns: Map<string, number>;
  failed: Map<string, number>;
}

/**
 * Autoscaler (cluster-autoscaler semantics; docs/architecture.md, "Autoscaling"), leader only, every
 * second: keeps each group at or above its minimum, removes nodes that never became Ready, adds nodes
 * for pods unschedulable longer than the group's delay (simulated on the template, expander picks the
 * group), adds a node when a group's load stays high, and removes unneeded nodes whose pods fit
 * elsewhere. Decisions are core's (packages/core/src/autoscale); every one, and every blocked one a
 * user would wonder about, is an event. Group status is stored with the group, so a restart carries on.
 */
export class AutoscalerController extends LoopController {
  private readonly unschedulableSince = new Map<string, number>();
  private unneededSince = new Map<string, number>();
  private readonly aboveSince = new Map<string, number | null>();
  private readonly blockedTold = new Map<string, string>();
  private readonly blockedReason = new Map<string, string>();
  private readonly noFitTold = new Map<string, number>();
  private lastPlan: string | null = null;
  private wake: NodeJS.Timeout | null = null;
  /** The groups as of the last pass (for /metrics, which must not wait on the database). */
  private lastGroups: NodeGroupRecord[] = [];
  readonly counts: Counts = { scaleUps: new Map(), scaleDowns: new Map(), failed: new Map() };

  constructor(private readonly deps: AutoscalerDeps) {
    super("autoscaler", PASS_MS, deps.log);
  }

  /** Asks for a pass soon (a group was created or changed). */
  kick(): void {
    this.trigger();
  }

  /** The autoscaler's view for `kube9 autoscaler status` (groups and nodes as they are now). */
  async status(): Promise<AutoscalerStatusDTO> {
    const now = this.deps.now();
    const groups = await this.deps.db.nodeGroups.list();
    return {
      expander: this.deps.cache.settings.autoscaler.expander,
      unschedulablePods: this.unschedulableSince.size,
      groups: groups.map((g) => this.groupView(g, g.status, now)),
      lastPlan: this.lastPlan,
    };
  }

  /** `kube9_autoscaler_*` in Prometheus text: group sizes and bounds (as of the last pass), unschedulable pods, scale-ups and -downs. */
  metricsText(): string {
    const lines: string[] = [];
    const family = (name: string, type: "gauge" | "counter", help: string, rows: Array<[Record<string, string>, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of rows) {
        const l = Object.entries(labels).map(([k, x]) => `${k}="${x}"`).join(",");
        lines.push(`${name}${l ? `{${l}}` : ""} ${v}`);
      }
    };
    const groups = this.lastGroups;
    family("kube9_autoscaler_unschedulable_pods", "gauge", "Pods Pending that the autoscaler considers for a scale-up.", [[{}, this.unschedulableSince.size]]);
    family("kube9_autoscaler_node_group_size", "gauge", "Nodes in each group (any status but Removed).", groups.map((g) => [{ group: g.name }, this.deps.groups.nodesOf(g.name).length]));
    family("kube9_autoscaler_node_group_min_size", "gauge", "Each group's minimum size.", groups.map((g) => [{ group: g.name }, g.min]));
    family("kube9_autoscaler_node_group_max_size", "gauge", "Each group's maximum size.", groups.map((g) => [{ group: g.name }, g.max]));
    const counter = (m: Map<string, number>) => groups.map((g): [Record<string, string>, number] => [{ group: g.name }, m.get(g.name) ?? 0]);
    family("kube9_autoscaler_scaled_up_nodes_total", "counter", "Nodes the autoscaler added, per group.", counter(this.counts.scaleUps));
    family("kube9_autoscaler_scaled_down_nodes_total", "counter", "Nodes the autoscaler removed, per group.", counter(this.counts.scaleDowns));
    family("kube9_autoscaler_failed_scale_ups_total", "counter", "Nodes the autoscaler could not add, per group.", counter(this.counts.failed));
    return `${lines.join("\n")}\n`;
  }

  protected async pass(): Promise<void> {
    const now = this.deps.now();
    const groups = await this.deps.db.nodeGroups.list();
    this.lastGroups = groups;
    this.trackPending(now);
    if (groups.length === 0) return;
    const statuses = new Map(groups.map((g) => [g.name, { ...g.status }]));
    for (const g of groups) await this.keepBounds(g, statuses.get(g.name)!, now);
    await this.scaleUpForPending(groups, statuses, now);
    for (const g of groups) await this.scaleUpForLoad(g, statuses.get(g.name)!, now);
    await this.scaleDown(groups, statuses, now);
    for (const g of groups) {
      const st = statuses.get(g.name)!;
      if (canonicalJson(st) !== canonicalJson(g.status)) await this.deps.db.nodeGroups.setStatus(g.name, st, now);
    }
    this.wakeForNextDelay(groups, now);
  }

  /** A pass right when the oldest pending pod's scale-up delay runs out, not up to a period later. */
  private wakeForNextDelay(groups: NodeGroupRecord[], now: number): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    if (this.unschedulableSince.size === 0) return;
    const delay = Math.min(...groups.map((g) => g.settings.scaleUpDelayMs));
    const due = Math.min(...this.unschedulableSince.values()) + delay;
    // Only a wait shorter than the period is worth a timer; a due time already past waits for the next tick.
    if (due > now && due - now < PASS_MS) this.wake = setTimeout(() => ((this.wake = null), this.trigger()), due - now);
  }

  /** Stops the loop and any pending wake-up. */
  override async stop(): Promise<void> {
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    await super.stop();
  }

  private trackPending(now: number): void {
    const pending = new Set<string>();
    for (const p of this.deps.cache.pendingPods()) {
      pending.add(p.id);
      // A pod never placed has waited since it was made; one sent back (its node failed) since now.
      if (!this.unschedulableSince.has(p.id)) this.unschedulableSince.set(p.id, p.scheduledAt === null ? Math.min(p.createdAt, now) : now);
    }
    for (const id of this.unschedulableSince.keys()) if (!pending.has(id)) this.unschedulableSince.delete(id);
    for (const id of this.noFitTold.keys()) if (!pending.has(id)) this.noFitTold.delete(id);
  }

  /** Below min: add nodes; above max (max lowered): remove the emptiest; nodes never Ready in time: remove and back off. */
  private async keepBounds(g: NodeGroupRecord, st: NodeGroupStatus, now: number): Promise<void> {
    const { events } = this.deps;
    const timeoutS = g.settings.nodeReadyTimeoutMs / 1000;
    const late = this.deps.groups
      .nodesOf(g.name)
      .filter((n) => (n.status === "Provisioning" || n.status === "Recovering") && now - n.createdAt >= g.settings.nodeReadyTimeoutMs);
    for (const n of late) await this.deps.nodes.remove(n.name, `not Ready within ${timeoutS}s of being added to group ${g.name}`);
    if (late.length > 0) {
      // One backoff per failed round, however many of its nodes failed.
      this.backoff(g, st, now, `${late.length} node(s) not Ready within ${timeoutS}s; removed`);
      const names = late.map((n) => n.name).join(", ");
      await events.cluster("ScaleUpTimedOut", `group ${g.name}: node(s) ${names} not Ready within ${timeoutS}s; removed, group backs off for ${st.backoffMs! / 1000}s`, "Warning");
    } else if (st.backoffMs !== null && (st.backoffUntil ?? 0) <= now && this.deps.groups.nodesOf(g.name).every((n) => n.status === "Ready")) {
      // Its nodes came up: the group is healthy again.
      st.backoffMs = null;
      st.backoffUntil = null;
    }
    const size = this.deps.groups.nodesOf(g.name).length;
    if (size < g.min) await this.grow(g, st, g.min - size, now, `group ${g.name} is below its minimum size ${g.min}: added {n}`);
    if (size > g.max) {
      const extra = [...this.deps.groups.nodesOf(g.name)].sort((a, b) => a.allocated.cpuMilli - b.allocated.cpuMilli).slice(0, size - g.max);
      for (const n of extra) await this.deps.nodes.remove(n.name, `group ${g.name} is above its maximum size ${g.max}`);
      this.note(st, now, `removed ${extra.length} node(s): above the maximum size ${g.max}`);
    }
  }

  private async scaleUpForPending(groups: NodeGroupRecord[], statuses: Map<string, NodeGroupStatus>, now: number): Promise<void> {
    if (this.unschedulableSince.size === 0) return;
    // Pods that fit on a Ready node's free room now are the scheduler's, not a reason to grow (as the
    // cluster-autoscaler filters out schedulable pods): nodes that just became Ready take them next pass.
    const room = new ClusterIndex(this.deps.cache.nodes().filter((n) => n.status === "Ready").map(toSchedNode));
    const pending: PendingPod[] = [];
    for (const p of this.deps.cache.pendingPods()) {
      const since = this.unschedulableSince.get(p.id);
      if (since === undefined) continue;
      const fits = room.pick(p, "first-fit");
      if (fits && room.assume(fits.id, p.request)) continue;
      pending.push({ id: p.id, name: p.name, request: p.request, nodeSelector: p.nodeSelector, unschedulableSince: since });
    }
    if (pending.length === 0) return;
    // The delay decides when to act, not which pods count: once the oldest has waited long enough, every
    // pod the scheduler could not place goes into the same estimate, so a burst gets its nodes in one step.
    const oldest = Math.min(...pending.map((p) => p.unschedulableSince));
    for (const p of pending) p.unschedulableSince = oldest;
    const plan = planScaleUp({
      pending,
      groups: groups.map((g) => {
        const nodes = this.deps.groups.nodesOf(g.name);
        const upcoming = nodes.filter((n) => n.status !== "Ready").map((n) => free(n));
        return { spec: g, size: nodes.length, upcoming, backoffUntil: statuses.get(g.name)!.backoffUntil };
      }),
      expander: this.deps.cache.settings.autoscaler.expander,
      now,
      random: Math.random,
    });
    for (const nf of plan.noFit) {
      const told = this.noFitTold.get(nf.podId);
      if (told !== undefined && now - told < NO_FIT_EVENT_MS) continue;
      this.noFitTold.set(nf.podId, now);
      const pod = this.deps.cache.pod(nf.podId);
      if (pod) await this.deps.events.pod("Normal", "NotTriggerScaleUp", pod, `pod didn't trigger scale-up: ${nf.reasons.join("; ")}`);
    }
    if (!plan.choice || plan.choice.nodes === 0) return;
    this.lastPlan = plan.message;
    const g = groups.find((x) => x.name === plan.choice!.group)!;
    await this.grow(g, statuses.get(g.name)!, plan.choice.nodes, now, plan.message);
    if (plan.choice.podIds.length <= MAX_POD_EVENTS) {
      for (const id of plan.choice.podIds) {
        const pod = this.deps.cache.pod(id);
        if (pod) await this.deps.events.pod("Normal", "TriggeredScaleUp", pod, `pod triggered scale-up: group ${g.name} +${plan.choice.nodes} node(s)`);
      }
    }
  }

  private async scaleUpForLoad(g: NodeGroupRecord, st: NodeGroupStatus, now: number): Promise<void> {
    const ready = this.deps.groups.nodesOf(g.name).filter((n) => n.status === "Ready");
    const decision = planLoadScaleUp({
      spec: g,
      size: this.deps.groups.nodesOf(g.name).length,
      nodes: ready.map((n) => this.scaleDownNode(n, g.name, now)),
      aboveSince: this.aboveSince.get(g.name) ?? null,
      lastLoadScaleUpAt: st.lastLoadScaleUpAt,
      now,
    });
    this.aboveSince.set(g.name, decision.aboveSince);
    if (decision.add <= 0) return;
    st.lastLoadScaleUpAt = now;
    this.aboveSince.set(g.name, null);
    await this.grow(g, st, decision.add, now, decision.reason);
  }

  private async scaleDown(groups: NodeGroupRecord[], statuses: Map<string, NodeGroupStatus>, now: number): Promise<void> {
    const byName = new Map(groups.map((g) => [g.name, g]));
    const candidates: ScaleDownNode[] = [];
    for (const g of groups) for (const n of this.deps.groups.nodesOf(g.name)) if (n.status === "Ready") candidates.push(this.scaleDownNode(n, g.name, now));
    this.unneededSince = trackUnneeded(candidates, (group) => byName.get(group)!.settings, now, this.unneededSince);
    for (const c of candidates) c.unneededSince = this.unneededSince.get(c.id) ?? null;
    const candidateIds = new Set(candidates.map((c) => c.id));
    // A group that pending pods could use keeps its nodes: they are empty only because the scheduler
    // has not reached them yet (a burst of thousands), not because nobody needs them.
    const wanted = new Set<string>();
    for (const p of this.deps.cache.pendingPods()) {
      for (const g of groups) {
        const cap = g.template.capacity;
        if (p.request.cpuMilli <= cap.cpuMilli && p.request.memoryMiB <= cap.memoryMiB && matchesSelector(groupNodeLabels(g), p.nodeSelector)) wanted.add(g.name);
      }
      if (wanted.size === groups.length) break;
    }
    const podCount = (nodeId: string) => this.deps.cache.podsOn(nodeId).filter((p) => p.status === "Scheduled" || p.status === "Running").length;
    const plannedPods = new Map(candidates.map((c) => [c.id, podCount(c.id)]));
    const verdicts = planScaleDown({
      groups: groups.map((g) => ({ spec: g, size: this.deps.groups.nodesOf(g.name).length, lastScaleUpAt: statuses.get(g.name)!.lastScaleUpAt })),
      candidates,
      others: this.deps.cache.nodes().filter((n) => n.status === "Ready" && !candidateIds.has(n.id)).map(toSchedNode),
      podsOn: (nodeId) =>
        this.deps.cache
          .podsOn(nodeId)
          .filter((p) => p.status === "Scheduled" || p.status === "Running")
          .map((p) => ({ id: p.id, name: p.name, request: p.request, nodeSelector: p.nodeSelector, labels: p.labels })),
      now,
    });
    for (let v of verdicts) {
      const c = candidates.find((x) => x.id === v.node)!;
      const g = byName.get(c.group)!;
      const st = statuses.get(g.name)!;
      if (v.removable && wanted.has(g.name)) {
        v = { node: v.node, removable: false, reason: `pods are Pending that could run on group ${g.name}'s nodes; no scale-down until they are placed` };
      } else if (v.removable && podCount(c.id) !== plannedPods.get(c.id)) {
        continue; // the scheduler placed pods there during this pass: judge it again next pass
      }
      if (v.removable) {
        await this.deps.events.cluster("ScaleDown", `group ${g.name}: removing node ${c.name}: ${v.reason}`);
        await this.deps.nodes.remove(c.name, `scaled down by the autoscaler (${v.reason})`);
        st.lastScaleDownAt = now;
        this.note(st, now, `removed node ${c.name}: ${v.reason}`);
        this.counts.scaleDowns.set(g.name, (this.counts.scaleDowns.get(g.name) ?? 0) + 1);
        this.unneededSince.delete(c.id);
        this.blockedTold.delete(c.id);
        this.blockedReason.delete(c.id);
        continue;
      }
      // A node that is unneeded but must stay is the question users ask: say why once per reason.
      if (c.unneededSince === null || now - c.unneededSince < g.settings.unneededTimeMs) continue;
      // Once per kind of reason: "scaled up 7s ago" and "8s ago" are the same news.
      const kind = v.reason.replace(/\d+(\.\d+)?/g, "#");
      if (this.blockedTold.get(c.id) === kind) continue;
      this.blockedTold.set(c.id, kind);
      this.blockedReason.set(c.id, v.reason);
      const node = this.deps.cache.node(c.id);
      if (node) await this.deps.events.node("Normal", "ScaleDownBlocked", node, v.reason);
    }
  }

  /** Adds nodes to a group, recording the scale-up (or the failure and a backoff). */
  private async grow(g: NodeGroupRecord, st: NodeGroupStatus, count: number, now: number, message: string): Promise<void> {
    const { added, failed } = await this.deps.groups.addNodes(g, count);
    if (added.length > 0) {
      st.lastScaleUpAt = now;
      const text = message.replace("{n}", `${added.length} node(s)`);
      this.note(st, now, text);
      this.counts.scaleUps.set(g.name, (this.counts.scaleUps.get(g.name) ?? 0) + added.length);
      await this.deps.events.cluster("ScaledUpGroup", text);
    }
    if (failed.length > 0) {
      this.backoff(g, st, now, `could not add ${failed.length} node(s): ${failed[0]}`);
      this.counts.failed.set(g.name, (this.counts.failed.get(g.name) ?? 0) + failed.length);
      await this.deps.events.cluster("FailedToScaleUpGroup", `group ${g.name}: could not add ${failed.length} node(s) (${failed[0]}); backing off ${st.backoffMs! / 1000}s`, "Warning");
    }
  }

  private backoff(g: NodeGroupRecord, st: NodeGroupStatus, now: number, why: string): void {
    st.backoffMs = Math.min(MAX_BACKOFF_MS, st.backoffMs ? st.backoffMs * 2 : g.settings.backoffMs);
    st.backoffUntil = now + st.backoffMs;
    this.note(st, now, why);
  }

  private note(st: NodeGroupStatus, now: number, activity: string): void {
    st.lastActivity = activity;
    st.lastActivityAt = now;
  }

  private scaleDownNode(n: NodeRecord, group: string, now: number): ScaleDownNode {
    const u = this.deps.usage.node(n.id, now, this.deps.staleAfterMs());
    return {
      id: n.id,
      name: n.name,
      group,
      capacity: n.capacity,
      allocated: n.allocated,
      usage: u ? u.usage : null,
      ready: n.status === "Ready",
      unneededSince: this.unneededSince.get(n.id) ?? null,
    };
  }

  private groupView(g: NodeGroupRecord, st: NodeGroupStatus, now: number): AutoscalerGroupStatus {
    const nodes = this.deps.groups.nodesOf(g.name);
    return {
      name: g.name,
      min: g.min,
      size: nodes.length,
      ready: nodes.filter((n) => n.status === "Ready").length,
      max: g.max,
      upcoming: nodes.filter((n) => n.status !== "Ready").length,
      unneeded: nodes
        .filter((n) => this.unneededSince.has(n.id))
        .map((n) => ({ node: n.name, forMs: now - this.unneededSince.get(n.id)!, reason: this.blockedReason.get(n.id) ?? "" })),
      status: { ...EMPTY_GROUP_STATUS, ...st },
    };
  }
}

function free(n: NodeRecord): Resources {
  return { cpuMilli: n.capacity.cpuMilli - n.allocated.cpuMilli, memoryMiB: n.capacity.memoryMiB - n.allocated.memoryMiB };
}

function toSchedNode(n: NodeRecord): SchedNode {
  return { id: n.id, name: n.name, order: n.seq, status: n.status, capacity: n.capacity, allocated: n.allocated, labels: n.labels };
}
