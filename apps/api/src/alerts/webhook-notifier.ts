import type { AlertTransition } from "@kube9/core";
import type { Logger } from "../logger.js";

/** One alert as an Alertmanager webhook receiver sees it. */
export interface WebhookAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The body of an Alertmanager webhook notification (version 4), so existing receivers accept it unchanged. */
export interface WebhookPayload {
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
  status: "firing" | "resolved";
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

export interface WebhookNotifierOptions {
  /** The receiver's URL now (the user's setting); null: notifications are dropped. */
  url: () => string | null;
  /** Where the alerts can be seen (the dashboard). */
  externalUrl: () => string;
  log: Logger;
  /** First retry delay; doubles up to maxDelayMs (defaults 500 ms and 30 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts per notification before it is dropped (default 8: about a minute of retries). */
  maxAttempts?: number;
  timeoutMs?: number;
}

const ZERO_TIME = "0001-01-01T00:00:00Z";
const MAX_QUEUED = 1000;

function common(maps: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

/** Groups firing and resolved transitions by alert name and status into Alertmanager payloads (pending ones are not sent). */
export function webhookPayloads(transitions: AlertTransition[], externalURL: string): WebhookPayload[] {
  const groups = new Map<string, { status: "firing" | "resolved"; name: string; alerts: WebhookAlert[] }>();
  for (const t of transitions) {
    if (t.to === "pending") continue;
    const status = t.to;
    const name = t.alert.labels.alertname ?? t.alert.rule;
    const key = `${status}/${name}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { status, name, alerts: [] }));
    g.alerts.push({
      status,
      labels: { ...t.alert.labels },
      annotations: { ...t.alert.annotations },
      startsAt: new Date(t.alert.firedAt ?? t.alert.activeAt).toISOString(),
      endsAt: status === "resolved" ? new Date(t.at).toISOString() : ZERO_TIME,
      generatorURL: `${externalURL}/#/alerts`,
      fingerprint: t.alert.fingerprint,
    });
  }
  return [...groups.values()].map((g) => ({
    version: "4",
    groupKey: `{}:{alertname="${g.name}"}`,
    truncatedAlerts: 0,
    status: g.status,
    receiver: "kube9-webhook",
    groupLabels: { alertname: g.name },
    commonLabels: common(g.alerts.map((a) => a.labels)),
    commonAnnotations: common(g.alerts.map((a) => a.annotations)),
    externalURL,
    alerts: g.alerts,
  }));
}

/**
 * Sends notifications to the user's webhook one at a time, in order, retrying each with exponential
 * backoff (any non-2xx answer or network error), as Alertmanager's webhook integration does. Only
 * ever to the URL the user configured; clearing it drops what is queued.
 */
export class WebhookNotifier {
  private readonly queue: WebhookPayload[] = [];
  private sending: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  /** Delivered and dropped counts, for status output and tests. */
  readonly stats = { delivered: 0, dropped: 0, failedAttempts: 0 };

  constructor(private readonly opts: WebhookNotifierOptions) {}

  /** Queues notifications for these transitions (none when no webhook is set). */
  notify(transitions: AlertTransition[]): void {
    if (this.stopped || !this.opts.url()) return;
    for (const p of webhookPayloads(transitions, this.opts.externalUrl())) {
      if (this.queue.length >= MAX_QUEUED) {
        this.queue.shift();
        this.stats.dropped++;
      }
      this.queue.push(p);
    }
    this.sending ??= this.drain().finally(() => (this.sending = null));
  }

  /** Stops retrying; waits for the request in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.sending;
  }

  private async drain(): Promise<void> {
    const initial = this.opts.initialDelayMs ?? 500;
    const max = this.opts.maxDelayMs ?? 30_000;
    const attempts = this.opts.maxAttempts ?? 8;
    while (!this.stopped && this.queue.length > 0) {
      const payload = this.queue[0]!;
      let delay = initial;
      let sent = false;
      for (let i = 0; i < attempts && !this.stopped; i++) {
        const url = this.opts.url();
        if (!url) break;
        if (await this.post(url, payload)) {
          sent = true;
          break;
        }
        this.stats.failedAttempts++;
        await this.sleep(delay);
        delay = Math.min(max, delay * 2);
      }
      this.queue.shift();
      if (sent) this.stats.delivered++;
      else {
        this.stats.dropped++;
        if (!this.stopped) this.opts.log.warn(`alert webhook: gave up on a ${payload.status} notification for ${payload.groupLabels.alertname}`);
      }
    }
  }

  private async post(url: string, payload: WebhookPayload): Promise<boolean> {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "kube9-alerting" },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return true;
      this.opts.log.debug(`alert webhook answered ${res.status}; retrying`);
    } catch (err) {
      this.opts.log.debug(`alert webhook failed (${String(err)}); retrying`);
    }
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => ((this.wake = null), resolve()), ms);
      this.wake = () => (clearTimeout(timer), (this.wake = null), resolve());
    });
  }
}
