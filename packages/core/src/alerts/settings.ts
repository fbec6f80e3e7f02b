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
