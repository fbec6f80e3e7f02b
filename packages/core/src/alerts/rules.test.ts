import { describe, expect, it } from "vitest";
import { parseAlertExpr } from "./expr.js";
import { builtinAlertRules, MAX_ALERT_FOR_MS, validateAlertRule } from "./rules.js";
import { expandTemplate } from "./template.js";
import type { AlertRule } from "./types.js";

describe("builtinAlertRules", () => {
  const cases: { name: string; expr: string; forMs: number; severity: string }[] = [
    // node usage: 90% for 30 s
    { name: "NodeCPUHigh", expr: "kube9_node_cpu_usage_ratio > 0.9", forMs: 30_000, severity: "warning" },
    { name: "NodeMemoryHigh", expr: "kube9_node_memory_usage_ratio > 0.9", forMs: 30_000, severity: "warning" },
    // node allocation (requests bound): 90% for 1 min
    { name: "NodeCPUAllocationHigh", expr: "kube9_node_cpu_allocation_ratio > 0.9", forMs: 60_000, severity: "warning" },
    { name: "NodeMemoryAllocationHigh", expr: "kube9_node_memory_allocation_ratio > 0.9", forMs: 60_000, severity: "warning" },
    // 2 s so it fires before a growing container is OOMKilled; critical
    { name: "ContainerMemoryNearLimit", expr: "kube9_container_memory_limit_ratio > 0.9", forMs: 2000, severity: "critical" },
    // 150% of the request for 30 s
    { name: "ContainerCPUOverRequest", expr: "kube9_container_cpu_request_ratio > 1.5", forMs: 30_000, severity: "warning" },
    // more than 3 restarts in 5 min: at once
    { name: "ContainerRestarting", expr: "kube9_container_restarts_5m > 3", forMs: 0, severity: "warning" },
    // Pending over 60 s: at once (the wait is in the metric already)
    { name: "PodPending", expr: "kube9_pod_pending_seconds > 60", forMs: 0, severity: "warning" },
  ];

  it("has exactly these rules, in this order", () => {
    expect(builtinAlertRules().map((r) => r.name)).toEqual(cases.map((c) => c.name));
  });

  it.each(cases)("$name: $expr for $forMs ms, $severity", ({ name, expr, forMs, severity }) => {
    const rule = builtinAlertRules().find((r) => r.name === name)!;
    expect(rule).toMatchObject({ expr, forMs, labels: { severity }, builtin: true, enabled: true });
    expect(Object.keys(rule.annotations).sort()).toEqual(["description", "summary"]);
  });

  it.each(builtinAlertRules().map((r) => ({ name: r.name, rule: r })))("$name validates and parses", ({ rule }) => {
    expect(validateAlertRule(rule)).toEqual([]);
    expect(() => parseAlertExpr(rule.expr)).not.toThrow();
  });

  it.each(builtinAlertRules().map((r) => ({ name: r.name, rule: r })))("$name's texts expand fully", ({ rule }) => {
    const labels = { node: "n1", namespace: "default", pod: "web", container: "app" };
    for (const text of Object.values(rule.annotations)) {
      // every action is one the expander knows, and every label it names is one the metric has
      const out = expandTemplate(text, labels, 0.95);
      expect(out).not.toContain("{{");
      expect(out).not.toContain("<no value>");
    }
  });

  it("gives a fresh copy each call", () => {
    const a = builtinAlertRules();
    a[0]!.labels.severity = "critical";
    expect(builtinAlertRules()[0]!.labels.severity).toBe("warning");
  });

  it("reads well", () => {
    // 0.934 -> 93.4%
    const rule = builtinAlertRules().find((r) => r.name === "NodeCPUHigh")!;
    expect(expandTemplate(rule.annotations.description!, { node: "n1" }, 0.934)).toBe(
      "Node n1 uses 93.4% of its CPU.",
    );
    // 75 s -> 1m 15s
    const pending = builtinAlertRules().find((r) => r.name === "PodPending")!;
    expect(expandTemplate(pending.annotations.description!, { namespace: "default", pod: "web" }, 75)).toBe(
      "Pod default/web has waited 1m 15s to be scheduled and started.",
    );
  });
});

describe("validateAlertRule", () => {
  const good: AlertRule = {
    name: "DiskFull",
    expr: "kube9_node_memory_usage_ratio > 0.5",
    forMs: 0,
    labels: { severity: "warning" },
    annotations: { summary: "x" },
    builtin: false,
    enabled: true,
  };
  const messages = (patch: Record<string, unknown>) => validateAlertRule({ ...good, ...patch }).map((e) => e.message);

  it("accepts a good rule, and one with only the required fields", () => {
    expect(validateAlertRule(good)).toEqual([]);
    // labels, annotations, builtin and enabled may be absent
    expect(validateAlertRule({ name: "A", expr: good.expr, forMs: 1000 })).toEqual([]);
    // 24 h exactly is the limit, inclusive
    expect(messages({ forMs: MAX_ALERT_FOR_MS })).toEqual([]);
    // "_" may start a name; label values may be empty
    expect(messages({ name: "_x9", labels: { team: "" } })).toEqual([]);
  });

  const cases: { name: string; patch: Record<string, unknown>; want: string[] }[] = [
    // a digit may not start a name
    { name: "name digit", patch: { name: "9Lives" }, want: ["name: Invalid value: \"9Lives\": must match [a-zA-Z_][a-zA-Z0-9_]* (a letter or '_', then letters, digits or '_'), e.g. 'NodeCPUHigh'"] },
    // nor a dash appear in it
    { name: "name dash", patch: { name: "Disk-Full" }, want: ['name: Invalid value: "Disk-Full": must match'] },
    // 1025 characters > 1024
    { name: "name too long", patch: { name: "A".repeat(1025) }, want: ["name: Too long: may not be more than 1024 characters"] },
    { name: "name missing", patch: { name: undefined }, want: ["name: Required value"] },
    // the parser's detail is carried over
    { name: "expr", patch: { expr: "kube9_node_memory_usage_ratio > 50%" }, want: ['expr: Invalid value: "kube9_node_memory_usage_ratio > 50%": column 33: PromQL has no percent'] },
    { name: "expr missing", patch: { expr: "" }, want: ["expr: Required value"] },
    // for: -1 ms is not a duration; 24 h + 1 ms is over the limit; 1.5 ms is not whole
    { name: "for negative", patch: { forMs: -1 }, want: ["forMs: Invalid value: -1: must be a whole number of milliseconds >= 0"] },
    { name: "for over 24h", patch: { forMs: MAX_ALERT_FOR_MS + 1 }, want: ["forMs: Invalid value: 86400001: must be at most 24h"] },
    { name: "for fraction", patch: { forMs: 1.5 }, want: ["forMs: Invalid value: 1.5: must be a whole number of milliseconds >= 0"] },
    { name: "for string", patch: { forMs: "30s" }, want: ['forMs: Invalid value: "30s": must be a number of milliseconds'] },
    { name: "for missing", patch: { forMs: undefined }, want: ["forMs: Required value"] },
    // label names: Prometheus' rule, and "__" is reserved
    { name: "label dash", patch: { labels: { "team-a": "x" } }, want: ['labels: Invalid value: "team-a": a label name must match [a-zA-Z_][a-zA-Z0-9_]*'] },
    { name: "label __", patch: { labels: { __name__: "x" } }, want: ["must not start with '__'"] },
    // alertname is the rule's name and cannot be set
    { name: "alertname", patch: { labels: { alertname: "Other" } }, want: ["labels[alertname]: Forbidden: set by Kube-9 to the rule's name"] },
    // 1025 > 1024 characters, the value itself not echoed
    { name: "label too long", patch: { labels: { team: "x".repeat(1025) } }, want: ["labels[team]: Too long: may not be more than 1024 characters"] },
    { name: "label not string", patch: { labels: { team: 1 } }, want: ["labels[team]: Invalid value: 1: must be a string"] },
    // 4097 > 4096 characters for an annotation; 4096 is fine
    { name: "annotation too long", patch: { annotations: { summary: "x".repeat(4097) } }, want: ["annotations[summary]: Too long: may not be more than 4096 characters"] },
    { name: "annotation key", patch: { annotations: { "runbook-url": "x" } }, want: ['annotations: Invalid value: "runbook-url": an annotation name must match'] },
    // flags must be booleans
    { name: "enabled", patch: { enabled: "yes" }, want: ['enabled: Invalid value: "yes": must be true or false'] },
    // an unknown field is named, as kubectl's strict decoding does
    { name: "unknown field", patch: { for: "30s" }, want: ['unknown field "for"'] },
  ];
  it.each(cases)("$name", ({ patch, want }) => {
    const got = messages(patch);
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => expect(got[i]).toContain(w));
  });

  it("collects every error at once", () => {
    // four fields wrong, four errors
    const got = messages({ name: "1", expr: "up > 1", forMs: -5, labels: { alertname: "x" } }).map((m) => m.split(":")[0]);
    expect(got).toEqual(["name", "expr", "forMs", "labels[alertname]"]);
  });

  it("refuses what is not an object", () => {
    expect(validateAlertRule("rule").map((e) => e.message)).toEqual(['<root>: Invalid value: "rule": must be an object']);
  });
});
