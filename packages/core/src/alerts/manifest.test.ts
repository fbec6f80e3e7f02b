import { describe, expect, it } from "vitest";
import { AlertRuleManifestError, parseAlertRuleManifest } from "./manifest.js";
import type { AlertRule } from "./types.js";

const EXPR = "kube9_node_memory_usage_ratio > 0.5";

/** A valid PrometheusRule with one group of the given rules (default: one good rule). */
function prometheusRule(rules: unknown[] = [{ alert: "MemHalf", expr: EXPR }], patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "kube9-rules", namespace: "monitoring", labels: { prometheus: "k8s", role: "alert-rules" } },
    spec: { groups: [{ name: "kube9", rules }] },
    ...patch,
  };
}

/** Every message of a manifest that must fail. */
function errorsOf(doc: unknown): string[] {
  try {
    parseAlertRuleManifest(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(AlertRuleManifestError);
    return (e as AlertRuleManifestError).errors.map((x) => x.message);
  }
  throw new Error("expected the manifest to be refused");
}

const rule = (patch: Partial<AlertRule>): AlertRule => ({
  name: "MemHalf", expr: EXPR, forMs: 0, labels: {}, annotations: {}, builtin: false, enabled: true, ...patch,
});

describe("parseAlertRuleManifest reads", () => {
  const cases: { name: string; doc: unknown; want: AlertRule[] }[] = [
    // the smallest rule: no for (0), labels or annotations
    { name: "minimal PrometheusRule", doc: prometheusRule(), want: [rule({})] },
    // every rule field; for: 1m30s = 90 000 ms
    {
      name: "every field",
      doc: prometheusRule([{ alert: "MemHalf", expr: EXPR, for: "1m30s", labels: { severity: "critical" }, annotations: { summary: "{{ $value }}" } }]),
      want: [rule({ forMs: 90_000, labels: { severity: "critical" }, annotations: { summary: "{{ $value }}" } })],
    },
    // YAML reads "for: 0" as a number; it means no wait
    { name: "for: 0", doc: prometheusRule([{ alert: "MemHalf", expr: EXPR, for: 0 }]), want: [rule({})] },
    // a bare Prometheus rule file, two groups, rules in order
    {
      name: "bare rule file",
      doc: { groups: [{ name: "a", rules: [{ alert: "A", expr: EXPR }] }, { name: "b", rules: [{ alert: "B", expr: EXPR, for: "5s" }] }] },
      want: [rule({ name: "A" }), rule({ name: "B", forMs: 5000 })],
    },
    // group labels go on every rule; a rule's own label wins (team: b over a)
    {
      name: "group labels",
      doc: { groups: [{ name: "g", labels: { team: "a", env: "prod" }, rules: [{ alert: "A", expr: EXPR, labels: { team: "b" } }] }] },
      want: [rule({ name: "A", labels: { team: "b", env: "prod" } })],
    },
    // named like a builtin: an override of it, so builtin: true
    {
      name: "builtin override",
      doc: prometheusRule([{ alert: "NodeCPUHigh", expr: "kube9_node_cpu_usage_ratio > 0.8", for: "1m" }]),
      want: [rule({ name: "NodeCPUHigh", expr: "kube9_node_cpu_usage_ratio > 0.8", forMs: 60_000, builtin: true })],
    },
    // no groups, or an empty one: no rules (the CRD allows both)
    { name: "no groups", doc: prometheusRule([], { spec: {} }), want: [] },
    { name: "empty group", doc: { groups: [{ name: "g" }] }, want: [] },
    // the fields the API server adds (kubectl get -o yaml) are accepted
    {
      name: "server-set metadata",
      doc: prometheusRule(undefined, { metadata: { name: "r", uid: "1", resourceVersion: "2", generation: 1, creationTimestamp: "x", managedFields: [] } }),
      want: [rule({})],
    },
  ];
  it.each(cases)("$name", ({ doc, want }) => {
    expect(parseAlertRuleManifest(doc)).toEqual(want);
  });
});

describe("parseAlertRuleManifest refuses, naming the path", () => {
  const R = "spec.groups[0].rules";
  const cases: { name: string; doc: unknown; want: string[] }[] = [
    // a recording rule: record instead of alert
    {
      name: "recording rule",
      doc: prometheusRule([{ alert: "A", expr: EXPR }, { record: "job:up:sum", expr: "sum(up)" }]),
      want: [`${R}[1].record: Forbidden: recording rules are not supported; Kube-9 evaluates alerting rules (alert:) only`],
    },
    // a typo is an unknown field, with its whole path
    { name: "unknown rule field", doc: prometheusRule([{ alert: "A", expr: EXPR }, { alert: "B", exprr: EXPR }]), want: [`unknown field "${R}[1].exprr"`, `${R}[1].expr: Required value`] },
    // the expression error carries the parser's detail, at the rule's path
    {
      name: "bad expr",
      doc: prometheusRule([{ alert: "A", expr: EXPR }, { alert: "B", expr: EXPR }, { alert: "C", expr: "up == 0" }]),
      want: [`${R}[2].expr: Invalid value: "up == 0": column 1: unknown metric "up"; known metrics: kube9_node_cpu_usage_millicores,`],
    },
    // each wrong field of a rule, all reported
    {
      name: "all errors collected",
      doc: prometheusRule([{ alert: "bad-name", expr: "kube9_node_cpu_usage_ratio > 90%", for: "1.5m", labels: { alertname: "x" }, annotations: { "a-b": "y" } }]),
      want: [
        `${R}[0].alert: Invalid value: "bad-name": must match [a-zA-Z_][a-zA-Z0-9_]*`,
        `${R}[0].expr: Invalid value: "kube9_node_cpu_usage_ratio > 90%": column 30: PromQL has no percent`,
        `${R}[0].for: Invalid value: "1.5m": has a fraction`,
        `${R}[0].labels[alertname]: Forbidden: set by Kube-9 to the rule's name`,
        `${R}[0].annotations: Invalid value: "a-b": an annotation name must match`,
      ],
    },
    // for: a bare number other than 0 has no unit; over 24 h is refused (25h)
    { name: "for number", doc: prometheusRule([{ alert: "A", expr: EXPR, for: 30 }]), want: [`${R}[0].for: Invalid value: 30: must be a duration string such as "30s"`] },
    { name: "for too long", doc: prometheusRule([{ alert: "A", expr: EXPR, for: "25h" }]), want: [`${R}[0].for: Invalid value: "25h": must be at most 24h`] },
    // a rule without alert or expr
    { name: "required", doc: prometheusRule([{}]), want: [`${R}[0].alert: Required value`, `${R}[0].expr: Required value`] },
    // keep_firing_for is Prometheus, but not Kube-9
    { name: "keep_firing_for", doc: prometheusRule([{ alert: "A", expr: EXPR, keep_firing_for: "5m" }]), want: [`${R}[0].keep_firing_for: Forbidden: not supported by Kube-9`] },
    // the same alert name twice (Prometheus allows it; Kube-9 names rules by it)
    {
      name: "duplicate alert",
      doc: { groups: [{ name: "a", rules: [{ alert: "A", expr: EXPR }] }, { name: "b", rules: [{ alert: "A", expr: EXPR }] }] },
      want: ['groups[1].rules[0].alert: Invalid value: "A": groups[0].rules[0] has the same name; Kube-9 identifies a rule by its name'],
    },
    // group names must be unique, as Prometheus requires
    { name: "duplicate group", doc: { groups: [{ name: "a" }, { name: "a" }] }, want: ['groups[1].name: Duplicate value: "a"'] },
    { name: "group name missing", doc: { groups: [{ rules: [] }] }, want: ["groups[0].name: Required value"] },
    // group settings Kube-9 does not honour are refused, not ignored
    {
      name: "group interval",
      doc: prometheusRule(undefined, { spec: { groups: [{ name: "g", interval: "30s", limit: 5, rules: [] }] } }),
      want: [
        "spec.groups[0].interval: Forbidden: not supported by Kube-9, which evaluates every rule every second; remove it",
        "spec.groups[0].limit: Forbidden: not supported by Kube-9; remove it",
      ],
    },
    { name: "unknown group field", doc: { groups: [{ name: "g", rulez: [] }] }, want: ['unknown field "groups[0].rulez"'] },
    // rules must be a list
    { name: "rules not a list", doc: { groups: [{ name: "g", rules: { alert: "A" } }] }, want: ['groups[0].rules: Invalid value: {"alert":"A"}: must be a list'] },
    // the Kubernetes envelope: right apiVersion and kind, a name, a spec
    {
      name: "wrong apiVersion and kind",
      doc: prometheusRule(undefined, { apiVersion: "v1", kind: "ConfigMap" }),
      want: [
        'apiVersion: Unsupported value: "v1": supported values: "monitoring.coreos.com/v1"',
        'kind: Unsupported value: "ConfigMap": supported values: "PrometheusRule"',
      ],
    },
    { name: "no metadata", doc: prometheusRule(undefined, { metadata: undefined }), want: ["metadata.name: Required value"] },
    { name: "no spec", doc: prometheusRule(undefined, { spec: undefined }), want: ["spec.groups: Required value"] },
    { name: "unknown root field", doc: prometheusRule(undefined, { status: {} }), want: ['unknown field "status"'] },
    // neither shape: say both
    {
      name: "empty object",
      doc: {},
      want: [
        "apiVersion: Required value",
        'kind: Required value: must be PrometheusRule (or give a Prometheus rule file: "groups:" at the top level)',
        "metadata.name: Required value",
        "spec.groups: Required value",
      ],
    },
    // a bare file takes only groups
    { name: "bare extra field", doc: { groups: [], rules: [] }, want: ['unknown field "rules"'] },
    { name: "bare groups null", doc: { groups: null }, want: ["groups: Required value"] },
    { name: "not an object", doc: "groups: []", want: ['<root>: Invalid value: "groups: []": must be an object'] },
  ];
  it.each(cases)("$name", ({ doc, want }) => {
    const got = errorsOf(doc);
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => expect(got[i]).toContain(w));
  });

  it("puts every message in the error's own message, one a line", () => {
    // two broken rules -> two lines
    expect(() => parseAlertRuleManifest(prometheusRule([{ alert: "A" }, { alert: "B" }]))).toThrow(
      `${R}[0].expr: Required value\n${R}[1].expr: Required value`,
    );
  });
});
