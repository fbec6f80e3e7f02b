// Kube-9's own alert rules (texts say the measured value, never the threshold or `for`, which users may change), and the checks every rule passes (built in, from a manifest, or edited through the
// API) so that the engine, which runs every second, only ever meets rules it can evaluate.

import { FieldErrors, type FieldError } from "../pods/field-errors.js";
import { AlertExprError, parseAlertExpr } from "./expr.js";
import type { AlertRule } from "./types.js";

/** The longest `for:` a rule may have: beyond a day the API no longer keeps the history to reason about it. */
export const MAX_ALERT_FOR_MS = 24 * 3600 * 1000;
/** Limits on a rule's label values (the alert name is one) and annotation texts. */
export const MAX_ALERT_LABEL_VALUE_LENGTH = 1024;
export const MAX_ALERT_ANNOTATION_LENGTH = 4096;

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NAME_RULE = "must match [a-zA-Z_][a-zA-Z0-9_]* (a letter or '_', then letters, digits or '_'), e.g. 'NodeCPUHigh'";
const LABEL_KEY_RULE =
  "a label name must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__' (reserved for Prometheus' own use)";
const ANNOTATION_KEY_RULE = "an annotation name must match [a-zA-Z_][a-zA-Z0-9_]*";

type Severity = "warning" | "critical";

function rule(name: string, expr: string, forMs: number, severity: Severity, summary: string, description: string): AlertRule {
  return { name, expr, forMs, labels: { severity }, annotations: { summary, description }, builtin: true, enabled: true };
}

const used = (resource: string) =>
  `Node {{ $labels.node }} uses {{ $value | humanizePercentage }} of its ${resource}.`;
const requested = (resource: string) =>
  `Pods bound to node {{ $labels.node }} request {{ $value | humanizePercentage }} of its ${resource}; ` +
  `new pods needing ${resource} may not fit.`;
const container = "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }}";

/** Kube-9's built-in rules, a fresh copy each call (callers may change or disable them). */
export function builtinAlertRules(): AlertRule[] {
  return [
    rule("NodeCPUHigh", "kube9_node_cpu_usage_ratio > 0.9", 30_000, "warning",
      "Node {{ $labels.node }} is using {{ $value | humanizePercentage }} of its CPU", used("CPU")),
    rule("NodeMemoryHigh", "kube9_node_memory_usage_ratio > 0.9", 30_000, "warning",
      "Node {{ $labels.node }} is using {{ $value | humanizePercentage }} of its memory", used("memory")),
    rule("NodeCPUAllocationHigh", "kube9_node_cpu_allocation_ratio > 0.9", 60_000, "warning",
      "Pods on node {{ $labels.node }} request {{ $value | humanizePercentage }} of its CPU",
      requested("CPU")),
    rule("NodeMemoryAllocationHigh", "kube9_node_memory_allocation_ratio > 0.9", 60_000, "warning",
      "Pods on node {{ $labels.node }} request {{ $value | humanizePercentage }} of its memory",
      requested("memory")),
    // 2s, not the usual 30s: a container growing toward its limit is OOMKilled within seconds, and an alert
    // that would only have fired after the kill tells nobody anything.
    rule("ContainerMemoryNearLimit", "kube9_container_memory_limit_ratio > 0.9", 2_000, "critical",
      `${container} is at {{ $value | humanizePercentage }} of its memory limit`,
      `${container} on node {{ $labels.node }} uses {{ $value | humanizePercentage }} of its memory limit; ` +
        "it will be OOMKilled if it reaches it."),
    rule("ContainerCPUOverRequest", "kube9_container_cpu_request_ratio > 1.5", 30_000, "warning",
      `${container} uses {{ $value | humanizePercentage }} of its CPU request`,
      `${container} on node {{ $labels.node }} uses {{ $value | humanizePercentage }} of its CPU request; ` +
        "raise the request so the scheduler accounts for it."),
    rule("ContainerRestarting", "kube9_container_restarts_5m > 3", 0, "warning",
      `${container} restarted {{ $value }} times in 5 minutes`,
      `${container} on node {{ $labels.node }} restarted {{ $value }} times in the last 5 minutes.`),
    rule("PodPending", "kube9_pod_pending_seconds > 60", 0, "warning",
      "Pod {{ $labels.namespace }}/{{ $labels.pod }} has been Pending for {{ $value | humanizeDuration }}",
      "Pod {{ $labels.namespace }}/{{ $labels.pod }} has waited {{ $value | humanizeDuration }} to be scheduled and started."),
  ];
}

/** Reports a string over `max` characters without echoing it (it may be kilobytes long), as Kubernetes' TooLong. */
function tooLong(errs: FieldErrors, field: string, max: number): void {
  errs.list.push({ field, message: `${field}: Too long: may not be more than ${max} characters` });
}

/** Checks an alert name (it becomes the `alertname` label). */
export function checkRuleName(errs: FieldErrors, name: string, path: string): void {
  if (name.length > MAX_ALERT_LABEL_VALUE_LENGTH) tooLong(errs, path, MAX_ALERT_LABEL_VALUE_LENGTH);
  else if (!NAME.test(name)) errs.invalid(path, name, NAME_RULE);
}

/** Checks that an expression parses, reporting the parser's what/where/allowed detail. */
export function checkExpr(errs: FieldErrors, expr: string, path: string): void {
  try {
    parseAlertExpr(expr);
  } catch (e) {
    if (!(e instanceof AlertExprError)) throw e;
    errs.invalid(path, expr, e.detail);
  }
}

/** Checks a `for:` in ms; `shown` is the value as the user wrote it, for the message. */
export function checkForMs(errs: FieldErrors, ms: number, path: string, shown: unknown = ms): void {
  if (!Number.isSafeInteger(ms) || ms < 0) errs.invalid(path, shown, "must be a whole number of milliseconds >= 0");
  else if (ms > MAX_ALERT_FOR_MS) errs.invalid(path, shown, "must be at most 24h");
}

/** Reads and checks a rule's labels (absent = {}): Prometheus label names, no `alertname`, values ≤ 1024. */
export function readRuleLabels(errs: FieldErrors, value: unknown, path: string): Record<string, string> {
  const keyProblem = (k: string) => (NAME.test(k) && !k.startsWith("__") ? undefined : LABEL_KEY_RULE);
  const labels = errs.stringMap(value, path, keyProblem);
  for (const [key, v] of Object.entries(labels)) {
    if (key === "alertname") errs.forbidden(`${path}[alertname]`, "set by Kube-9 to the rule's name");
    else if (v.length > MAX_ALERT_LABEL_VALUE_LENGTH) tooLong(errs, `${path}[${key}]`, MAX_ALERT_LABEL_VALUE_LENGTH);
  }
  return labels;
}

/** Reads and checks a rule's annotations (absent = {}): Prometheus label names as keys, texts ≤ 4096. */
export function readRuleAnnotations(errs: FieldErrors, value: unknown, path: string): Record<string, string> {
  const annotations = errs.stringMap(value, path, (k) => (NAME.test(k) ? undefined : ANNOTATION_KEY_RULE));
  for (const [key, v] of Object.entries(annotations)) {
    if (v.length > MAX_ALERT_ANNOTATION_LENGTH) tooLong(errs, `${path}[${key}]`, MAX_ALERT_ANNOTATION_LENGTH);
  }
  return annotations;
}

const RULE_FIELDS = ["name", "expr", "forMs", "labels", "annotations", "builtin", "enabled"];

/** Checks a rule as the API receives it (AlertRule's fields); every error names its field, [] when valid. */
export function validateAlertRule(input: unknown): FieldError[] {
  const errs = new FieldErrors();
  const rule = errs.object(input, "", RULE_FIELDS);
  if (!rule) return errs.list;
  const name = errs.string(rule.name, "name", true);
  if (name !== undefined) checkRuleName(errs, name, "name");
  const expr = errs.string(rule.expr, "expr", true);
  if (expr !== undefined) checkExpr(errs, expr, "expr");
  if (rule.forMs === undefined || rule.forMs === null) errs.required("forMs");
  else if (typeof rule.forMs !== "number") errs.invalid("forMs", rule.forMs, "must be a number of milliseconds");
  else checkForMs(errs, rule.forMs, "forMs");
  readRuleLabels(errs, rule.labels, "labels");
  readRuleAnnotations(errs, rule.annotations, "annotations");
  for (const flag of ["builtin", "enabled"] as const) {
    if (rule[flag] !== undefined && typeof rule[flag] !== "boolean") errs.invalid(flag, rule[flag], "must be true or false");
  }
  return errs.list;
}
