// `kube9 alerts` and `kube9 alert rules`: the tables, the PrometheusRule manifest of the rules, and the flags.
import { describe, expect, it } from "vitest";
import { alertsSnapshot, parseForDuration, parseRuleChange, parseRulesOutput, parseThreshold, parseWebhookUrl, ruleSummary } from "../src/commands/alerts.js";
import { alertObject, formatAlertValue, renderAlerts, renderRules, rulesManifestYaml } from "../src/output/alerts.js";
import type { AlertDTO, AlertRuleDTO } from "../src/types.js";

const NOW = Date.parse("2025-01-01T12:00:00Z");

function alert(over: Partial<AlertDTO> = {}): AlertDTO {
  return {
    name: "ContainerMemoryNearLimit",
    state: "firing",
    severity: "critical",
    labels: { alertname: "ContainerMemoryNearLimit", namespace: "default", pod: "mem", container: "main", node: "n1", severity: "critical" },
    annotations: { summary: "Container main of pod default/mem is at 49.57% of its memory limit" },
    value: 0.495703125,
    activeAt: NOW - 12_000,
    firedAt: NOW - 11_000,
    resolvedAt: null,
    ...over,
  };
}

function rule(over: Partial<AlertRuleDTO> = {}): AlertRuleDTO {
  return {
    name: "NodeCPUHigh",
    expr: "kube9_node_cpu_usage_ratio > 0.9",
    forMs: 30_000,
    for: "30s",
    threshold: 0.9,
    labels: { severity: "warning" },
    annotations: { summary: "Node {{ $labels.node }} is using {{ $value | humanizePercentage }} of its CPU" },
    builtin: true,
    enabled: true,
    modified: false,
    ...over,
  };
}

describe("alerts table", () => {
  it("firing first, then pending, then resolved; AGE of a resolved alert counts from its resolution", () => {
    const alerts = [
      alert({ name: "PodPending", state: "resolved", severity: "warning", labels: { pod: "p" }, annotations: { summary: "Pod default/p has been Pending for 1m 5s" }, value: 65, activeAt: NOW - 600_000, resolvedAt: NOW - 30_000 }),
      alert({ name: "NodeCPUAllocationHigh", state: "pending", severity: "warning", labels: { node: "n1" }, annotations: { summary: "Pods on node n1 request 100% of its CPU" }, value: 1, activeAt: NOW - 20_000, firedAt: null }),
      alert(),
    ];
    expect(renderAlerts(alerts, NOW)!.split("\n")).toEqual([
      "NAME                       STATE      SEVERITY   AGE   OBJECT    VALUE    SUMMARY",
      "ContainerMemoryNearLimit   firing     critical   12s   pod/mem   0.4957   Container main of pod default/mem is at 49.57% of its memory limit",
      "NodeCPUAllocationHigh      pending    warning    20s   node/n1   1        Pods on node n1 request 100% of its CPU",
      "PodPending                 resolved   warning    30s   pod/p     65       Pod default/p has been Pending for 1m 5s",
    ]);
  });

  it("an alert without severity, object or summary shows '-'", () => {
    const bare = alert({ name: "Mine", severity: null, labels: { alertname: "Mine" }, annotations: {}, value: 3 });
    expect(renderAlerts([bare], NOW)!.split("\n")[1]).toBe("Mine   firing   -          12s   -        3       -");
  });

  const objects: [Record<string, string>, string][] = [
    [{ pod: "web", node: "n1", container: "http" }, "pod/web"],
    [{ node: "n1" }, "node/n1"],
    [{ job: "x" }, "-"],
  ];
  it.each(objects)("labels %j are about %s", (labels, want) => expect(alertObject(alert({ labels }))).toBe(want));

  const values: [number, string][] = [
    [0.495703125, "0.4957"],
    [1, "1"],
    [75.25, "75.25"],
    [1234.56, "1235"],
  ];
  it.each(values)("value %d -> %s (4 significant digits)", (v, want) => expect(formatAlertValue(v)).toBe(want));

  it("no alerts: a sentence, not an empty table", () => {
    expect(alertsSnapshot([], NOW)).toEqual({ doc: [], text: "No alerts.", to: "stdout" });
  });
});

describe("alert rules", () => {
  const mine = rule({
    name: "BurnerHot",
    expr: 'kube9_pod_cpu_usage_millicores{pod="burn"} > 100',
    forMs: 2000,
    for: "2s",
    threshold: 100,
    labels: {},
    annotations: {},
    builtin: false,
  });

  it("table: built-in rules say whether they were changed, the user's own say '-'", () => {
    const changed = rule({ name: "ContainerMemoryNearLimit", expr: "kube9_container_memory_limit_ratio > 0.3", forMs: 1000, for: "1s", labels: { severity: "critical" }, modified: true });
    const off = rule({ name: "PodPending", expr: "kube9_pod_pending_seconds > 60", forMs: 0, for: "0s", enabled: false, modified: true });
    expect(renderRules([rule(), changed, off, mine]).split("\n")).toEqual([
      "NAME                       ENABLED   EXPR                                               FOR   SEVERITY   MODIFIED",
      "NodeCPUHigh                true      kube9_node_cpu_usage_ratio > 0.9                   30s   warning    no",
      "ContainerMemoryNearLimit   true      kube9_container_memory_limit_ratio > 0.3           1s    critical   yes",
      "PodPending                 false     kube9_pod_pending_seconds > 60                     0s    warning    yes",
      'BurnerHot                  true      kube9_pod_cpu_usage_millicores{pod="burn"} > 100   2s    -          -',
    ]);
  });

  it("-o yaml is a PrometheusRule of the enabled rules, fields named as Prometheus names them", () => {
    const off = rule({ name: "PodPending", enabled: false });
    // Empty labels and annotations are left out, as people write rules.
    expect(rulesManifestYaml([rule(), off, mine]).split("\n")).toEqual([
      "apiVersion: monitoring.coreos.com/v1",
      "kind: PrometheusRule",
      "metadata:",
      "  name: kube9-rules",
      "spec:",
      "  groups:",
      "    - name: kube9",
      "      rules:",
      "        - alert: NodeCPUHigh",
      "          expr: kube9_node_cpu_usage_ratio > 0.9",
      "          for: 30s",
      "          labels:",
      "            severity: warning",
      "          annotations:",
      "            summary: Node {{ $labels.node }} is using {{ $value | humanizePercentage }} of its CPU",
      "        - alert: BurnerHot",
      "          expr: kube9_pod_cpu_usage_millicores{pod=\"burn\"} > 100",
      "          for: 2s",
    ]);
  });

  it("a changed rule in one line", () => {
    expect(ruleSummary(rule({ expr: "kube9_node_cpu_usage_ratio > 0.8", for: "1m", enabled: false }))).toBe(
      "alert rule NodeCPUHigh configured: kube9_node_cpu_usage_ratio > 0.8, for 1m, disabled",
    );
  });
});

describe("alert flags", () => {
  const thresholds: [string, number | string][] = [
    ["0.3", 0.3],
    ["60", 60],
    ["-1.5", -1.5],
    [".5", 0.5],
    ["abc", '--threshold must be a number, e.g. 0.9 or 60 (got "abc")'],
    ["1e3", "--threshold must be a number"],
    ["", "--threshold must be a number"],
  ];
  it.each(thresholds)("--threshold %j", (raw, want) => {
    if (typeof want === "number") expect(parseThreshold(raw)).toBe(want);
    else expect(() => parseThreshold(raw)).toThrow(want);
  });

  const durations: [string, string][] = [
    ["3s", "3s"],
    ["1m30s", "1m30s"],
    ["500ms", "500ms"],
    ["0", "0"],
    ["24h", "24h"],
    ["1d", "1d"],
  ];
  it.each(durations)("--for %s is a Prometheus duration", (raw, want) => expect(parseForDuration(raw)).toBe(want));

  const badDurations: [string, string][] = [
    ["3", "--for must be a Prometheus duration"],
    ["1.5m", "--for must be a Prometheus duration"],
    ["30s1m", "--for must be a Prometheus duration"],
    ["-1s", "--for must be a Prometheus duration"],
    ["", "--for must be a Prometheus duration"],
    ["25h", '--for must be at most 24h (got "25h")'],
    ["1d1ms", "--for must be at most 24h"],
  ];
  it.each(badDurations)("--for %j is refused", (raw, message) => expect(() => parseForDuration(raw)).toThrow(message));

  it("set takes at least one change, and not --enable with --disable", () => {
    expect(parseRuleChange({ threshold: "0.3", for: "1s" })).toEqual({ threshold: 0.3, for: "1s" });
    expect(parseRuleChange({ enable: true })).toEqual({ enabled: true });
    expect(parseRuleChange({ disable: true })).toEqual({ enabled: false });
    expect(() => parseRuleChange({})).toThrow("nothing to change: give --threshold, --for, --enable or --disable");
    expect(() => parseRuleChange({ enable: true, disable: true })).toThrow("--enable and --disable cannot be used together");
  });

  it("-o of alert rules: table, json or yaml (yml too)", () => {
    expect(parseRulesOutput(undefined)).toBe("table");
    expect(parseRulesOutput("yml")).toBe("yaml");
    expect(() => parseRulesOutput("wide")).toThrow('-o/--output must be one of table, json, yaml (got "wide")');
  });

  it("the webhook is an http(s) URL", () => {
    expect(parseWebhookUrl("http://127.0.0.1:9093/hook")).toBe("http://127.0.0.1:9093/hook");
    expect(() => parseWebhookUrl("ftp://x")).toThrow('url must be an http:// or https:// URL (got "ftp://x")');
  });
});
