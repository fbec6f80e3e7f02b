import { describe, expect, it } from "vitest";
import * as core from "../index.js";

describe("@kube9/core exports the alert engine", () => {
  // `export *` silently drops a name two modules both export, so check the names reach the package root
  const names = [
    "ALERT_METRICS", "alertMetric",
    "parseAlertExpr", "formatAlertExpr", "withThreshold", "matchesAlertSelector", "satisfiesAlertOp", "AlertExprError", "ALERT_OPS",
    "parsePromDuration", "formatPromDuration", "DurationError",
    "expandTemplate", "humanize", "humanizePercentage", "humanizeDuration", "formatGoFloat",
    "builtinAlertRules", "validateAlertRule", "MAX_ALERT_FOR_MS", "MAX_ALERT_LABEL_VALUE_LENGTH", "MAX_ALERT_ANNOTATION_LENGTH",
    "parseAlertRuleManifest", "AlertRuleManifestError", "PROMETHEUS_RULE_API_VERSION",
    "evaluateAlertRules", "alertFingerprint", "alertLabels",
  ];
  it.each(names)("%s", (name) => {
    expect((core as Record<string, unknown>)[name]).toBeDefined();
  });
});
