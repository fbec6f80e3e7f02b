import { stringify as toYaml } from "yaml";
import type { AlertDTO, AlertRuleDTO } from "../types.js";
import { dash, formatAge } from "./format.js";
import { renderTable } from "./table.js";

// Alerts and alert rules as `kube9 alerts` and `kube9 alert rules` print them, and the rules as the
// PrometheusRule manifest that `kube9 apply -f` reads back.

export const ALERT_HEADERS = ["NAME", "STATE", "SEVERITY", "AGE", "OBJECT", "VALUE", "SUMMARY"];

const STATE_ORDER: Record<AlertDTO["state"], number> = { firing: 0, pending: 1, resolved: 2 };

/** Firing first, then pending, then resolved; the oldest first within each. */
export function sortAlerts(alerts: readonly AlertDTO[]): AlertDTO[] {
  return [...alerts].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.activeAt - b.activeAt || a.name.localeCompare(b.name));
}

/** The object an alert is about, kubectl style: `pod/web` (container alerts too), `node/a`, else "-". */
export function alertObject(a: AlertDTO): string {
  if (a.labels.pod) return `pod/${a.labels.pod}`;
  if (a.labels.node) return `node/${a.labels.node}`;
  return "-";
}

/** An expression value with at most 4 significant digits (0.4688, 75.3, 4), as Prometheus' humanize keeps them. */
export function formatAlertValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

/** One alert as table cells; a resolved alert's AGE counts from when it resolved, others' from when they became active. */
export function alertRow(a: AlertDTO, now = Date.now()): string[] {
  const since = a.state === "resolved" && a.resolvedAt !== null ? a.resolvedAt : a.activeAt;
  return [
    a.name,
    a.state,
    dash(a.severity),
    formatAge(new Date(since).toISOString(), now),
    alertObject(a),
    formatAlertValue(a.value),
    dash(a.annotations.summary),
  ];
}

/** The `alerts` table (firing first); undefined when there are none. */
export function renderAlerts(alerts: readonly AlertDTO[], now = Date.now()): string | undefined {
  if (alerts.length === 0) return undefined;
  return renderTable(ALERT_HEADERS, sortAlerts(alerts).map((a) => alertRow(a, now)));
}

export const RULE_HEADERS = ["NAME", "ENABLED", "EXPR", "FOR", "SEVERITY", "MODIFIED"];

/** One rule as table cells; MODIFIED says whether a built-in rule differs from its default ("-" for the user's own). */
export function ruleRow(r: AlertRuleDTO): string[] {
  return [r.name, String(r.enabled), r.expr, r.for, dash(r.labels.severity), r.builtin ? (r.modified ? "yes" : "no") : "-"];
}

/** The `alert rules` table, in the API's order (built-in rules first). */
export function renderRules(rules: readonly AlertRuleDTO[]): string {
  return renderTable(RULE_HEADERS, rules.map(ruleRow));
}

/**
 * The enabled rules as one PrometheusRule (prometheus-operator's monitoring.coreos.com/v1), which
 * `kube9 apply -f` takes back. Disabled rules are left out: the format has no way to say "disabled",
 * and applying them would turn them back on.
 */
export function rulesManifest(rules: readonly AlertRuleDTO[]): Record<string, unknown> {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "kube9-rules" },
    spec: {
      groups: [
        {
          name: "kube9",
          rules: rules
            .filter((r) => r.enabled)
            .map((r) => ({
              alert: r.name,
              expr: r.expr,
              for: r.for,
              ...(Object.keys(r.labels).length ? { labels: r.labels } : {}),
              ...(Object.keys(r.annotations).length ? { annotations: r.annotations } : {}),
            })),
        },
      ],
    },
  };
}

/** The PrometheusRule as YAML with every text on one line (no folding), as people edit rule files. */
export function rulesManifestYaml(rules: readonly AlertRuleDTO[]): string {
  return toYaml(rulesManifest(rules), { lineWidth: 0 }).trimEnd();
}
