import type { AgentLogger } from "../log.js";
import { DEFAULT_BACKOFF, DEFAULT_BACKOFF_RESET, type BackoffOptions, type KubeletSettings } from "@kube9/core";

// The kubelet's part of the cluster settings (CrashLoopBackOff timing). The API sends them at
// registration and with every heartbeat answer; until then, and from an older API that sends
// none, the node's own options (or core's defaults) hold.

/** Core's defaults, as the API's settings default to them too. */
export const DEFAULT_KUBELET_SETTINGS: Readonly<KubeletSettings> = Object.freeze({
  backoffInitialMs: DEFAULT_BACKOFF.initialMs,
  backoffMaxMs: DEFAULT_BACKOFF.maxMs,
  backoffResetMs: DEFAULT_BACKOFF_RESET.resetAfterMs,
});

/** Settings from the node's own back-off options, filling the rest with the defaults. */
export function localKubeletSettings(backoff?: BackoffOptions, reset?: { resetAfterMs: number }): KubeletSettings {
  return {
    backoffInitialMs: backoff?.initialMs ?? DEFAULT_KUBELET_SETTINGS.backoffInitialMs,
    backoffMaxMs: backoff?.maxMs ?? DEFAULT_KUBELET_SETTINGS.backoffMaxMs,
    backoffResetMs: reset?.resetAfterMs ?? DEFAULT_KUBELET_SETTINGS.backoffResetMs,
  };
}

/** The settings to use after an answer carried `incoming` (none, from an older API: the current ones stay); logs a change. */
export function settingsAfter(current: KubeletSettings, incoming: KubeletSettings | undefined, log: AgentLogger): KubeletSettings {
  if (incoming === undefined) return current;
  if (!usableKubeletSettings(incoming)) {
    log.warn(`ignoring unusable kubelet settings from the API: ${JSON.stringify(incoming)}`);
    return current;
  }
  const next = { backoffInitialMs: incoming.backoffInitialMs, backoffMaxMs: incoming.backoffMaxMs, backoffResetMs: incoming.backoffResetMs };
  if (JSON.stringify(next) === JSON.stringify(current)) return current;
  log.info(describeKubeletSettings(next));
  return next;
}

/** Whether settings from the API can be used (the API validates them; a garbled answer must not make a 0 ms crash loop). */
export function usableKubeletSettings(s: unknown): s is KubeletSettings {
  if (typeof s !== "object" || s === null) return false;
  const { backoffInitialMs, backoffMaxMs, backoffResetMs } = s as Record<string, unknown>;
  const positive = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;
  return positive(backoffInitialMs) && positive(backoffMaxMs) && positive(backoffResetMs) && backoffMaxMs >= backoffInitialMs;
}

/** The settings as a log line. */
export function describeKubeletSettings(s: KubeletSettings): string {
  return `CrashLoopBackOff ${s.backoffInitialMs} ms doubling to ${s.backoffMaxMs} ms, reset after ${s.backoffResetMs} ms of running`;
}
