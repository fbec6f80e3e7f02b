// One evaluation of the alert rules over the latest samples, with Prometheus' alerting-rule semantics
// (rules/alerting.go): a series for which the expression holds is an alert, pending until it has held for
// `for`, then firing; a pending alert that stops holding just goes away, a firing one resolves. Pure: the
// caller keeps the active alerts between evaluations and passes the time in.

import { satisfiesAlertOp, matchesAlertSelector, parseAlertExpr } from "./expr.js";
import { expandTemplate } from "./template.js";
import type { ActiveAlert, AlertExpr, AlertRule, AlertTransition, MetricSample } from "./types.js";

// Parsing is pure, so caching it changes nothing but speed (the API evaluates every second). Rules are few;
// the bound only stops a client that keeps editing expressions from growing this without end.
const CACHE_LIMIT = 512;
const exprCache = new Map<string, AlertExpr | null>();

/** The parsed expression, or null for one that does not parse (its rule then matches nothing). */
function cachedExpr(expr: string): AlertExpr | null {
  const hit = exprCache.get(expr);
  if (hit !== undefined) return hit;
  let parsed: AlertExpr | null;
  try {
    parsed = parseAlertExpr(expr);
  } catch {
    // Rules are validated on the way in; one that still fails must not stop every other rule's evaluation.
    parsed = null;
  }
  if (exprCache.size >= CACHE_LIMIT) exprCache.delete(exprCache.keys().next().value!);
  exprCache.set(expr, parsed);
  return parsed;
}

/** 64 bits of hash as 16 hex digits: cyrb53's two 32-bit lanes kept whole (Math.imul, as BigInt was 3x slower). */
function hash64(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
}

/** A stable id for a label set (the same labels in any order give the same id), 16 hex digits like Prometheus'. */
export function alertFingerprint(labels: Record<string, string>): string {
  // JSON of the sorted pairs is unambiguous whatever the values contain, so only a hash collision can merge two sets.
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return hash64(JSON.stringify(pairs));
}

/** An alert's labels: the series' labels, then the rule's (which win, as in Prometheus), then `alertname`. */
export function alertLabels(rule: AlertRule, seriesLabels: Record<string, string>): Record<string, string> {
  return { ...seriesLabels, ...rule.labels, alertname: rule.name };
}

function expandAnnotations(rule: AlertRule, labels: Record<string, string>, value: number): Record<string, string> {
  const out: Record<string, string> = {};
  // The alert's own labels (rule labels included) feed $labels: a text can then say its severity, which
  // Prometheus' series-only $labels cannot; for the series' labels the two agree.
  for (const [key, text] of Object.entries(rule.annotations)) out[key] = expandTemplate(text, labels, value);
  return out;
}

/** Groups samples by metric name once, so each rule looks only at its own metric's samples. */
function byMetric(samples: readonly MetricSample[]): Map<string, MetricSample[]> {
  const out = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const list = out.get(s.metric);
    if (list) list.push(s);
    else out.set(s.metric, [s]);
  }
  return out;
}

/** The alert for one series that holds now, moved along pending → firing from its previous state. */
function step(
  rule: AlertRule,
  sample: MetricSample,
  labels: Record<string, string>,
  fingerprint: string,
  prev: ActiveAlert | undefined,
  now: number,
  transitions: AlertTransition[],
): ActiveAlert {
  const annotations = expandAnnotations(rule, labels, sample.value);
  if (prev) {
    const alert: ActiveAlert = { ...prev, rule: rule.name, labels, annotations, value: sample.value };
    if (prev.state === "pending" && now - prev.activeAt >= rule.forMs) {
      alert.state = "firing";
      alert.firedAt = now;
      transitions.push({ to: "firing", alert, at: now });
    }
    return alert;
  }
  const alert: ActiveAlert = { rule: rule.name, fingerprint, labels, annotations, state: "pending", activeAt: now, value: sample.value };
  // With no `for`, Prometheus fires at the first evaluation and never reports the alert as pending.
  if (rule.forMs <= 0) {
    alert.state = "firing";
    alert.firedAt = now;
  }
  transitions.push({ to: alert.state, alert, at: now });
  return alert;
}

/**
 * Evaluates every enabled rule over the latest samples: returns the alerts active now (by fingerprint) and what
 * changed since `previous`. Alerts of rules now disabled or gone resolve if firing and are dropped if pending.
 */
export function evaluateAlertRules(
  rules: readonly AlertRule[],
  samples: readonly MetricSample[],
  previous: ReadonlyMap<string, ActiveAlert>,
  now: number,
): { active: Map<string, ActiveAlert>; transitions: AlertTransition[] } {
  const active = new Map<string, ActiveAlert>();
  const transitions: AlertTransition[] = [];
  const samplesByMetric = byMetric(samples);
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const expr = cachedExpr(rule.expr);
    if (!expr) continue;
    for (const sample of samplesByMetric.get(expr.metric) ?? []) {
      if (!matchesAlertSelector(expr, sample.labels) || !satisfiesAlertOp(sample.value, expr.op, expr.threshold)) continue;
      const labels = alertLabels(rule, sample.labels);
      const fingerprint = alertFingerprint(labels);
      // Two series that become one label set once the rule's labels are applied: Prometheus reports an error
      // for the rule; here the first one stands, so one alert per label set, and the same one every time.
      if (active.has(fingerprint)) continue;
      active.set(fingerprint, step(rule, sample, labels, fingerprint, previous.get(fingerprint), now, transitions));
    }
  }
  for (const [fingerprint, alert] of previous) {
    if (active.has(fingerprint) || alert.state !== "firing") continue;
    transitions.push({ to: "resolved", alert, at: now });
  }
  return { active, transitions };
}
