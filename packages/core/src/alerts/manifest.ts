// Alert rules from YAML people already have: a prometheus-operator PrometheusRule (monitoring.coreos.com/v1)
// or a bare Prometheus rule file (`groups:` at the top). Read strictly, as pod manifests are: every error is
// collected with its path, and a field Kube-9 would ignore is an error rather than a silent difference.

import { child, FieldErrors, type FieldError } from "../pods/field-errors.js";
import { DurationError, parsePromDuration } from "./duration.js";
import { builtinAlertRules, checkExpr, checkForMs, checkRuleName, readRuleAnnotations, readRuleLabels } from "./rules.js";
import type { AlertRule } from "./types.js";

/** A manifest that is not a valid rule manifest; `errors` holds every problem found, each naming its path. */
export class AlertRuleManifestError extends Error {
  override name = "AlertRuleManifestError";
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => e.message).join("\n"));
  }
}

export const PROMETHEUS_RULE_API_VERSION = "monitoring.coreos.com/v1";

const ROOT_FIELDS = ["apiVersion", "kind", "metadata", "spec"];
// The fields the API server itself fills in are accepted too, so `kubectl get prometheusrule -o yaml` reads back.
const METADATA_FIELDS = [
  "name", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
];
// Fields Prometheus (or Thanos) knows that would change what a rule does; Kube-9 refuses rather than ignores them.
const UNSUPPORTED_GROUP_FIELDS: Record<string, string> = {
  interval: "not supported by Kube-9, which evaluates every rule every second; remove it",
  query_offset: "not supported by Kube-9, which evaluates on the latest samples; remove it",
  limit: "not supported by Kube-9; remove it",
  partial_response_strategy: "a Thanos setting, not supported by Kube-9; remove it",
};
const GROUP_FIELDS = ["name", "labels", "rules", ...Object.keys(UNSUPPORTED_GROUP_FIELDS)];
const RULE_FIELDS = ["alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"];

/** Names already taken in this manifest (each with the path of its first use), and the builtins' names. */
interface Seen {
  groups: Set<string>;
  rules: Map<string, string>;
  builtins: Set<string>;
}

function readFor(errs: FieldErrors, value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  // YAML reads `for: 0` as a number; Prometheus accepts it, and 0 needs no unit.
  if (value === 0) return 0;
  if (typeof value !== "string") {
    errs.invalid(path, value, 'must be a duration string such as "30s" or "1m30s"');
    return 0;
  }
  try {
    const ms = parsePromDuration(value);
    checkForMs(errs, ms, path, value);
    return ms;
  } catch (e) {
    if (!(e instanceof DurationError)) throw e;
    errs.invalid(path, value, e.detail);
    return 0;
  }
}

function readRule(errs: FieldErrors, value: unknown, path: string, groupLabels: Record<string, string>, seen: Seen): AlertRule | undefined {
  const r = errs.object(value, path, RULE_FIELDS);
  if (!r) return undefined;
  if (r.record !== undefined) {
    errs.forbidden(child(path, "record"), "recording rules are not supported; Kube-9 evaluates alerting rules (alert:) only");
    return undefined;
  }
  if (r.keep_firing_for !== undefined) errs.forbidden(child(path, "keep_firing_for"), "not supported by Kube-9; remove it");
  const name = errs.string(r.alert, child(path, "alert"), true);
  if (name !== undefined) {
    checkRuleName(errs, name, child(path, "alert"));
    const first = seen.rules.get(name);
    if (first !== undefined) {
      errs.invalid(child(path, "alert"), name, `${first} has the same name; Kube-9 identifies a rule by its name, so ` +
        "each alert name may appear once (Prometheus allows repeats: rename one, e.g. with a severity suffix)");
    } else seen.rules.set(name, path);
  }
  const expr = errs.string(r.expr, child(path, "expr"), true);
  if (expr !== undefined) checkExpr(errs, expr, child(path, "expr"));
  const forMs = readFor(errs, r.for, child(path, "for"));
  // Rule labels override the group's, as Prometheus does.
  const labels = { ...groupLabels, ...readRuleLabels(errs, r.labels, child(path, "labels")) };
  const annotations = readRuleAnnotations(errs, r.annotations, child(path, "annotations"));
  if (name === undefined || expr === undefined) return undefined;
  // A manifest rule named like a builtin replaces that builtin (so it can be tuned, not duplicated).
  return { name, expr, forMs, labels, annotations, builtin: seen.builtins.has(name), enabled: true };
}

function readGroup(errs: FieldErrors, value: unknown, path: string, seen: Seen): AlertRule[] {
  const g = errs.object(value, path, GROUP_FIELDS);
  if (!g) return [];
  const name = errs.string(g.name, child(path, "name"), true);
  if (name !== undefined) {
    if (seen.groups.has(name)) errs.duplicate(child(path, "name"), name);
    seen.groups.add(name);
  }
  for (const [field, why] of Object.entries(UNSUPPORTED_GROUP_FIELDS)) {
    if (g[field] !== undefined) errs.forbidden(child(path, field), why);
  }
  const groupLabels = readRuleLabels(errs, g.labels, child(path, "labels"));
  const out: AlertRule[] = [];
  (errs.array(g.rules, child(path, "rules")) ?? []).forEach((item, i) => {
    const rule = readRule(errs, item, `${path}.rules[${i}]`, groupLabels, seen);
    if (rule) out.push(rule);
  });
  return out;
}

function readGroups(errs: FieldErrors, value: unknown, path: string): AlertRule[] {
  const seen: Seen = { groups: new Set(), rules: new Map(), builtins: new Set(builtinAlertRules().map((r) => r.name)) };
  return (errs.array(value, path) ?? []).flatMap((item, i) => readGroup(errs, item, `${path}[${i}]`, seen));
}

function readPrometheusRule(errs: FieldErrors, doc: unknown): AlertRule[] {
  const root = errs.object(doc, "", ROOT_FIELDS);
  if (!root) return [];
  const apiVersion = errs.string(root.apiVersion, "apiVersion", true);
  if (apiVersion !== undefined && apiVersion !== PROMETHEUS_RULE_API_VERSION) {
    errs.unsupported("apiVersion", apiVersion, [PROMETHEUS_RULE_API_VERSION]);
  }
  if (root.kind === undefined || root.kind === null || root.kind === "") {
    errs.required("kind", 'must be PrometheusRule (or give a Prometheus rule file: "groups:" at the top level)');
  } else if (root.kind !== "PrometheusRule") errs.unsupported("kind", root.kind, ["PrometheusRule"]);
  if (root.metadata === undefined || root.metadata === null) errs.required("metadata.name");
  else {
    const meta = errs.object(root.metadata, "metadata", METADATA_FIELDS);
    if (meta) errs.string(meta.name, "metadata.name", true);
  }
  if (root.spec === undefined || root.spec === null) {
    errs.required("spec.groups");
    return [];
  }
  const spec = errs.object(root.spec, "spec", ["groups"]);
  return spec ? readGroups(errs, spec.groups, "spec.groups") : [];
}

/** A bare Prometheus rule file: an object with `groups` and none of a Kubernetes object's fields. */
function isBareRuleFile(doc: unknown): doc is Record<string, unknown> {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return false;
  return "groups" in doc && !("apiVersion" in doc) && !("kind" in doc) && !("spec" in doc);
}

/**
 * Reads a PrometheusRule (or a bare Prometheus rule file) already parsed from YAML/JSON into alert rules;
 * throws AlertRuleManifestError with every error, each naming its path (`spec.groups[0].rules[2].expr: ...`).
 */
export function parseAlertRuleManifest(doc: unknown): AlertRule[] {
  const errs = new FieldErrors();
  let rules: AlertRule[];
  if (isBareRuleFile(doc)) {
    errs.object(doc, "", ["groups"]);
    if (doc.groups === undefined || doc.groups === null) errs.required("groups");
    rules = readGroups(errs, doc.groups, "groups");
  } else rules = readPrometheusRule(errs, doc);
  if (errs.list.length > 0) throw new AlertRuleManifestError(errs.list);
  return rules;
}
