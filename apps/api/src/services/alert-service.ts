import {
  builtinAlertRules,
  effectiveAlertRules,
  formatPromDuration,
  parseAlertRuleManifest,
  validateAlertRule,
  withThreshold,
  parseAlertExpr,
  type ActiveAlert,
  type AlertRule,
  type AlertingSettings,
} from "@kube9/core";
import { canonicalJson } from "../canonical-json.js";
import type { AlertingController } from "../controllers/alerting.js";
import { DomainError, invalid } from "../errors.js";
import type { ServiceContext } from "./service-context.js";

/** A rule as users see it: its fields, `for` in Prometheus syntax, its threshold, and whether it differs from the built-in default. */
export interface AlertRuleDTO extends AlertRule {
  for: string;
  threshold: number;
  /** A built-in rule the user changed. */
  modified: boolean;
}

/** An alert as `kube9 alerts` and the dashboard show it. */
export interface AlertDTO {
  name: string;
  state: "pending" | "firing" | "resolved";
  severity: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number;
  activeAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
}

/** A change to one rule (built-in or the user's); absent fields stay. */
export interface AlertRulePatch {
  threshold?: number;
  forMs?: number;
  enabled?: boolean;
  expr?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const MAX_RULES = 200;

export interface AlertServiceDeps extends ServiceContext {
  alerting: AlertingController;
}

/** Alert rules (built-in ones changed or disabled, the user's own), the webhook, and the alerts now. */
export class AlertService {
  constructor(private readonly deps: AlertServiceDeps) {}

  /** Every rule in effect, built-in ones first. */
  rules(): AlertRuleDTO[] {
    const defaults = new Map(builtinAlertRules().map((r) => [r.name, r]));
    return effectiveAlertRules(this.settings).map((r) => toRuleDTO(r, defaults.get(r.name)));
  }

  /** Pending and firing alerts, then the ones resolved in the last 15 minutes. */
  alerts(): AlertDTO[] {
    const now = this.deps.now();
    const live = this.deps.alerting.alerts().map((a) => toAlertDTO(a, a.state, null));
    const order = { firing: 0, pending: 1, resolved: 2 };
    live.sort((a, b) => order[a.state] - order[b.state] || a.activeAt - b.activeAt);
    return [...live, ...this.deps.alerting.recentlyResolved(now).map((a) => toAlertDTO(a, "resolved", a.resolvedAt))];
  }

  /** Changes one rule; a built-in rule changed back to its defaults is simply the default again. */
  async setRule(name: string, patch: AlertRulePatch): Promise<AlertRuleDTO> {
    const current = effectiveAlertRules(this.settings).find((r) => r.name === name);
    if (!current) throw new DomainError("not-found", `alert rule "${name}" not found; list them with: kube9 alert rules`);
    let expr = patch.expr ?? current.expr;
    if (patch.threshold !== undefined) {
      try {
        expr = withThreshold(expr, patch.threshold);
      } catch (err) {
        throw invalid(`expr: ${(err as Error).message}`);
      }
    }
    const next: AlertRule = {
      ...current,
      expr,
      forMs: patch.forMs ?? current.forMs,
      enabled: patch.enabled ?? current.enabled,
      labels: patch.labels ?? current.labels,
      annotations: patch.annotations ?? current.annotations,
    };
    await this.save([next], `alert rule ${name} changed`);
    return this.rules().find((r) => r.name === name)!;
  }

  /** Creates or replaces the rules of a PrometheusRule manifest (or a bare rule file); answers like kubectl apply. */
  async apply(manifest: unknown): Promise<Array<{ name: string; action: "created" | "configured" | "unchanged" }>> {
    let parsed: AlertRule[];
    try {
      parsed = parseAlertRuleManifest(manifest);
    } catch (err) {
      throw invalid((err as Error).message);
    }
    const before = new Map(effectiveAlertRules(this.settings).map((r) => [r.name, r]));
    const result = parsed.map((r) => {
      const old = before.get(r.name);
      const action: "created" | "configured" | "unchanged" = !old ? "created" : sameRule(old, r) ? "unchanged" : "configured";
      return { name: r.name, action };
    });
    await this.save(parsed, `alert rules applied: ${result.map((r) => `${r.name} ${r.action}`).join(", ")}`);
    return result;
  }

  /** Deletes a user rule, or puts a built-in rule back to its defaults (built-in rules can be disabled, not deleted). */
  async deleteRule(name: string): Promise<{ name: string; action: "deleted" | "reset" }> {
    const stored = this.settings.rules;
    const builtin = builtinAlertRules().some((r) => r.name === name);
    if (!builtin && !stored.some((r) => r.name === name)) throw new DomainError("not-found", `alert rule "${name}" not found; list them with: kube9 alert rules`);
    await this.store({ ...this.settings, rules: stored.filter((r) => r.name !== name) }, `alert rule ${name} ${builtin ? "reset to its defaults" : "deleted"}`);
    return { name, action: builtin ? "reset" : "deleted" };
  }

  /** Sets or clears the Alertmanager-style webhook that firing and resolved alerts are POSTed to. */
  async setWebhook(url: string | null): Promise<{ webhookUrl: string | null }> {
    await this.store({ ...this.settings, webhookUrl: url }, url ? `alert webhook set to ${url}` : "alert webhook cleared");
    return { webhookUrl: url };
  }

  /** The webhook now. */
  webhook(): { webhookUrl: string | null } {
    return { webhookUrl: this.settings.webhookUrl };
  }

  private get settings(): AlertingSettings {
    return this.deps.cache.settings.alerting;
  }

  /** Validates and stores changed rules (built-in defaults are not stored). */
  private async save(changed: AlertRule[], message: string): Promise<void> {
    const defaults = new Map(builtinAlertRules().map((r) => [r.name, r]));
    const errors: string[] = [];
    for (const r of changed) for (const e of validateAlertRule(r)) errors.push(`rule ${r.name}: ${e.message}`);
    if (errors.length > 0) throw invalid(errors.join("; "));
    const rules = new Map(this.settings.rules.map((r) => [r.name, r]));
    for (const r of changed) {
      const d = defaults.get(r.name);
      const rule = { ...r, builtin: !!d };
      if (d && sameRule(d, rule)) rules.delete(r.name);
      else rules.set(r.name, rule);
    }
    if (rules.size > MAX_RULES) throw invalid(`rules: at most ${MAX_RULES} rules (built-in changes included); this would make ${rules.size}`);
    await this.store({ ...this.settings, rules: [...rules.values()] }, message);
  }

  private async store(alerting: AlertingSettings, message: string): Promise<void> {
    const { db, cache, events } = this.deps;
    cache.setSettings(await db.cluster.update({ alerting }));
    await events.cluster("AlertingChanged", message);
  }
}

function toRuleDTO(r: AlertRule, d: AlertRule | undefined): AlertRuleDTO {
  return { ...r, for: formatPromDuration(r.forMs), threshold: parseAlertExpr(r.expr).threshold, modified: !!d && !sameRule(d, r) };
}

/** Whether two rules say the same (whatever order their fields were stored in). */
function sameRule(a: AlertRule, b: AlertRule): boolean {
  return canonicalJson({ ...a, builtin: undefined }) === canonicalJson({ ...b, builtin: undefined });
}

function toAlertDTO(a: ActiveAlert, state: AlertDTO["state"], resolvedAt: number | null): AlertDTO {
  return {
    name: a.rule,
    state,
    severity: a.labels.severity ?? null,
    labels: { ...a.labels },
    annotations: { ...a.annotations },
    value: a.value,
    activeAt: a.activeAt,
    firedAt: a.firedAt ?? null,
    resolvedAt,
  };
}
