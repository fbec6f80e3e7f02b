// Alerting with Prometheus semantics (docs/architecture.md, "Usage and alerts"): a rule is an
// expression over kube9's metrics; a series for which it holds is pending, then firing once it has
// held for the rule's `for`; a firing alert whose condition stops holding is resolved (a pending one
// just goes away, as in Prometheus).

/** Comparison operators a rule may use (PromQL's filtering comparisons). */
export type AlertOp = ">" | ">=" | "<" | "<=" | "==" | "!=";

/** A parsed rule expression: `metric{label="v",label!="w"} > 0.9`. */
export interface AlertExpr {
  metric: string;
  /** Label matchers: equality (`=`) or inequality (`!=`). */
  matchers: { label: string; op: "=" | "!="; value: string }[];
  op: AlertOp;
  threshold: number;
}

/** An alerting rule (Prometheus field names: alert, expr, for, labels, annotations). */
export interface AlertRule {
  /** The alert name (`alertname` label), e.g. `NodeCPUHigh`. */
  name: string;
  expr: string;
  /** How long the expression must hold before the alert fires (`for:`), in ms. */
  forMs: number;
  labels: Record<string, string>;
  /** `summary` and `description`, templates with `{{ $labels.x }}` and `{{ $value }}`. */
  annotations: Record<string, string>;
  /** One of kube9's own rules (can be changed or disabled, not deleted). */
  builtin: boolean;
  enabled: boolean;
}

/** One sample of an instant vector: a metric, its labels, its value now. */
export interface MetricSample {
  metric: string;
  labels: Record<string, string>;
  value: number;
}

export type AlertState = "pending" | "firing";

/** An alert that is pending or firing for one series. */
export interface ActiveAlert {
  rule: string;
  /** Fingerprint of the labels (stable across evaluations). */
  fingerprint: string;
  /** `alertname`, the series' labels and the rule's labels. */
  labels: Record<string, string>;
  /** Templates expanded with this series' labels and value. */
  annotations: Record<string, string>;
  state: AlertState;
  /** When the expression started holding (ms). */
  activeAt: number;
  /** When it fired (ms), once firing. */
  firedAt?: number;
  /** The expression's value at the last evaluation. */
  value: number;
}

/** What changed at an evaluation: a new pending alert, one that fired, or one that resolved. */
export interface AlertTransition {
  to: "pending" | "firing" | "resolved";
  alert: ActiveAlert;
  at: number;
}
