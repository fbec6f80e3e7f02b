import { builtinAlertRules } from "./rules.js";
import type { AlertRule } from "./types.js";

/** Alerting settings kept with the cluster: user rules and changes to built-in ones, and where to send notifications. */
export interface AlertingSettings {
  /** User rules, and built-in rules as changed by the user (same name; the built-in default otherwise). */
  rules: AlertRule[];
  /** An Alertmanager-style webhook receiver (JSON POST), only ever a URL the user configured. */
  webhookUrl: string | null;
}

/** No user rules, no webhook. */
export const DEFAULT_ALERTING_SETTINGS: Readonly<AlertingSettings> = Object.freeze({ rules: [], webhookUrl: null });

/** The rules in effect: built-in ones (as the user changed them, if so), then the user's own, in the order stored. */
export function effectiveAlertRules(settings: AlertingSettings): AlertRule[] {
  const stored = new Map(settings.rules.map((r) => [r.name, r]));
  const builtins = builtinAlertRules().map((r) => {
    const changed = stored.get(r.name);
    return changed ? { ...changed, builtin: true } : r;
  });
  const names = new Set(builtins.map((r) => r.name));
  return [...builtins, ...settings.rules.filter((r) => !names.has(r.name)).map((r) => ({ ...r, builtin: false }))];
}
