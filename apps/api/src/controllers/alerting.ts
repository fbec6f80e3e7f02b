import { effectiveAlertRules, evaluateAlertRules, humanizeDuration, type ActiveAlert, type AlertTransition, type MetricSample } from "@kube9/core";
import type { WebhookNotifier } from "../alerts/webhook-notifier.js";
import { buildMetricSamples, RestartTracker } from "../usage/metric-samples.js";
import type { UsageStore } from "../usage/usage-store.js";
import { LoopController, ScaledPasses, scaledIntervalMs, type ControllerContext } from "./controller.js";

const EVALUATE_MS = 1000;
/** Resolved alerts shown (by `kube9 alerts`) for this long, as Alertmanager keeps them around. */
const RESOLVED_KEPT_MS = 15 * 60 * 1000;
const RESOLVED_MAX = 200;

/** A resolved alert as it was when its condition stopped holding. */
export interface ResolvedAlert extends ActiveAlert {
  resolvedAt: number;
}

export interface AlertingDeps extends ControllerContext {
  usage: UsageStore;
  notifier: WebhookNotifier;
  staleAfterMs: () => number;
}

/**
 * Alerting: every second builds the instant vector of kube9's metrics (usage, allocation, restarts,
 * pending time) and evaluates the rules with Prometheus semantics (core `evaluateAlertRules`). Firing
 * and resolved alerts become events and webhook notifications. Runs only in the leading process, so
 * an alert fires once; its state is memory (a new leader starts every `for:` afresh, as Prometheus does
 * without its state restoration).
 */
export class AlertingController extends LoopController {
  private active = new Map<string, ActiveAlert>();
  private resolved: ResolvedAlert[] = [];
  private readonly restarts = new RestartTracker();
  private readonly passes = new ScaledPasses(EVALUATE_MS);

  constructor(private readonly deps: AlertingDeps) {
    super("alerting", EVALUATE_MS, deps.log);
  }

  /** Pending and firing alerts now. */
  alerts(): ActiveAlert[] {
    return [...this.active.values()];
  }

  /** Alerts resolved within the last 15 minutes, newest first. */
  recentlyResolved(now: number): ResolvedAlert[] {
    return this.resolved.filter((a) => now - a.resolvedAt <= RESOLVED_KEPT_MS);
  }

  /** Stops evaluating and forgets the alerts (a deposed leader is no longer the one that tells). */
  override async stop(): Promise<void> {
    await super.stop();
    this.active.clear();
  }

  /** The metric samples now (for /metrics on any process). */
  samples(): MetricSample[] {
    const { cache, usage, now, staleAfterMs } = this.deps;
    return buildMetricSamples({ nodes: () => cache.nodes(), pods: () => cache.pods(), usage, now: now(), staleAfterMs: staleAfterMs() }, this.restarts);
  }

  protected async pass(): Promise<void> {
    const now = this.deps.now();
    // Alert rules hold for tens of seconds before firing; at 10,000 nodes a round every 4 s is plenty.
    if (!this.passes.due(now, scaledIntervalMs(EVALUATE_MS, this.deps.cache.nodeCount(), 4000))) return;
    const rules = effectiveAlertRules(this.deps.cache.settings.alerting);
    const { active, transitions } = evaluateAlertRules(rules, this.samples(), this.active, now);
    this.active = active;
    if (transitions.length === 0) return;
    for (const t of transitions) if (t.to === "resolved") this.resolved.unshift({ ...t.alert, resolvedAt: t.at });
    this.resolved = this.resolved.filter((a) => now - a.resolvedAt <= RESOLVED_KEPT_MS).slice(0, RESOLVED_MAX);
    this.deps.notifier.notify(transitions);
    await Promise.all(transitions.map((t) => this.record(t)));
  }

  /** Firing and resolved alerts become events of the object they are about (pod, node, else the cluster). */
  private async record(t: AlertTransition): Promise<void> {
    if (t.to === "pending") return;
    const { cache, events } = this.deps;
    const a = t.alert;
    const summary = a.annotations.summary ?? a.annotations.description ?? `${a.rule} ${a.labels.alertname ?? ""}`;
    // A resolved alert's annotations still hold the last value that breached; say it is over and for how long it fired.
    const message =
      t.to === "firing"
        ? `${a.rule} firing: ${summary}`
        : `${a.rule} resolved after ${humanizeDuration(Math.round((t.at - (a.firedAt ?? a.activeAt)) / 1000))} firing (last: ${summary})`;
    const type = t.to === "firing" ? "Warning" : "Normal";
    const reason = t.to === "firing" ? "AlertFiring" : "AlertResolved";
    const pod = a.labels.pod ? cache.pods().find((p) => p.name === a.labels.pod) : undefined;
    if (pod) return events.pod(type, reason, pod, message);
    const node = a.labels.node ? cache.nodes().find((n) => n.name === a.labels.node) : undefined;
    if (node) return events.node(type, reason, node, message);
    return events.cluster(reason, message, type);
  }
}
