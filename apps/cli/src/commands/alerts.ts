import type { Kube9Client } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { parseDurationFlag } from "../duration.js";
import { CliError } from "../errors.js";
import { renderAlerts, renderRules, rulesManifestYaml, sortAlerts } from "../output/alerts.js";
import { serialize } from "../output/format.js";
import { parseManifestOutput } from "../parse.js";
import { snapshotCommand, type Snapshot } from "../snapshot.js";
import type { AlertDTO, AlertRuleDTO } from "../types.js";

// Plain decimals, optionally negative: Number() would also take "0x10", "1e3", " " and "Infinity".
const THRESHOLD = /^-?(\d+(\.\d*)?|\.\d+)$/;
const HTTP_URL = /^https?:\/\/\S+$/i;

/** Reads --threshold: the number the rule's expression compares against. */
export function parseThreshold(raw: string): number {
  const text = raw.trim();
  if (!THRESHOLD.test(text)) throw new CliError(`--threshold must be a number, e.g. 0.9 or 60 (got "${raw}")`);
  return Number(text);
}

/** Reads --for: a Prometheus duration up to 24h, as rules write `for:`. */
export function parseForDuration(raw: string): string {
  parseDurationFlag(raw, "--for");
  return raw.trim();
}

interface SetFlags {
  threshold?: string;
  for?: string;
  enable?: boolean;
  disable?: boolean;
}

/** The change `alert rules set` asks for; at least one flag, and not --enable with --disable. */
export function parseRuleChange(flags: SetFlags): { threshold?: number; for?: string; enabled?: boolean } {
  if (flags.enable && flags.disable) throw new CliError("--enable and --disable cannot be used together");
  const change = {
    ...(flags.threshold !== undefined ? { threshold: parseThreshold(flags.threshold) } : {}),
    ...(flags.for !== undefined ? { for: parseForDuration(flags.for) } : {}),
    ...(flags.enable ? { enabled: true } : flags.disable ? { enabled: false } : {}),
  };
  if (Object.keys(change).length === 0) throw new CliError("nothing to change: give --threshold, --for, --enable or --disable");
  return change;
}

/** Reads `-o` of `alert rules`: table, json, or yaml (the PrometheusRule). */
export const parseRulesOutput = parseManifestOutput;

/** Reads the webhook argument: an http(s) URL. */
export function parseWebhookUrl(raw: string): string {
  if (!HTTP_URL.test(raw.trim())) throw new CliError(`url must be an http:// or https:// URL (got "${raw}")`);
  return raw.trim();
}

/** One `alerts` snapshot, firing first. */
export function alertsSnapshot(alerts: AlertDTO[], now = Date.now()): Snapshot {
  const doc = sortAlerts(alerts);
  return { doc, text: renderAlerts(doc, now) ?? "No alerts.", to: "stdout" };
}

/** What a changed rule now is, in one line. */
export function ruleSummary(r: AlertRuleDTO): string {
  return `alert rule ${r.name} configured: ${r.expr}, for ${r.for}, ${r.enabled ? "enabled" : "disabled"}`;
}

/** Deletes a user rule or resets a built-in one, and says which happened. */
async function deleteRule(client: Kube9Client, name: string): Promise<string> {
  const res = await client.alerts.deleteRule.mutate({ name });
  if (res.action === "deleted") return `alert rule ${res.name} deleted`;
  return `alert rule ${res.name} reset to its built-in defaults (built-in rules are not deleted; turn one off with: kube9 alert rules set ${res.name} --disable)`;
}

/** Registers `kube9 alerts` and `kube9 alert rules|webhook`. */
export function registerAlertCommands(program: Command): void {
  snapshotCommand(
    program.command("alerts").description("pending, firing and recently resolved alerts (firing first)"),
    "table|json (json: the API's alert objects)",
    async (client) => alertsSnapshot(await client.alerts.list.query()),
  );

  const alert = program.command("alert").description("alert rules (Prometheus alerting rules) and the webhook alerts are sent to");

  const rules = alert
    .command("rules")
    .description("list the alert rules: built-in ones first, then yours")
    .option("-o, --output <format>", "table|json|yaml (yaml: a PrometheusRule manifest of the enabled rules, for kube9 apply -f)")
    .addHelpText("after", "\nExamples:\n  kube9 alert rules\n  kube9 alert rules -o yaml > rules.yaml   # edit, then: kube9 apply -f rules.yaml")
    .action(async (opts: { output?: string }, cmd: Command) => {
      const output = parseRulesOutput(opts.output);
      await withClient(cmd, async ({ client }) => {
        const list = await client.alerts.rules.query();
        if (output === "table") return print(renderRules(list));
        print(output === "yaml" ? rulesManifestYaml(list) : serialize("json", list)!);
      });
    });

  rules
    .command("set")
    .argument("<name>", "the rule's name (alert:), e.g. NodeCPUHigh")
    .description("change a rule: its threshold, its for: duration, or whether it is evaluated")
    .option("--threshold <number>", "the number its expression compares against (e.g. 0.9)")
    .option("--for <duration>", "how long the expression must hold before the alert fires (e.g. 30s, 1m30s, 0)")
    .option("--enable", "evaluate the rule")
    .option("--disable", "stop evaluating the rule (its alerts go away)")
    .addHelpText("after", "\nExamples:\n  kube9 alert rules set NodeCPUHigh --threshold 0.8 --for 1m\n  kube9 alert rules set PodPending --disable")
    .action(async (name: string, flags: SetFlags, cmd: Command) => {
      const change = parseRuleChange(flags);
      await withClient(cmd, async ({ client }) => print(ruleSummary(await client.alerts.setRule.mutate({ name, ...change }))));
    });

  for (const [verb, description] of [
    ["reset", "put a built-in rule back to its defaults (a rule of yours is deleted)"],
    ["delete", "delete a rule of yours (a built-in rule is put back to its defaults)"],
  ] as const) {
    rules
      .command(verb)
      .argument("<name>", "the rule's name")
      .description(description)
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        await withClient(cmd, async ({ client }) => print(await deleteRule(client, name)));
      });
  }

  alert
    .command("webhook")
    .argument("[url]", "http(s) URL that firing and resolved alerts are POSTed to (Alertmanager's webhook format)")
    .description("show or set the alert webhook")
    .option("--clear", "stop sending alerts")
    .action(async (url: string | undefined, opts: { clear?: boolean }, cmd: Command) => {
      if (url !== undefined && opts.clear) throw new CliError("give a URL or --clear, not both");
      const next = opts.clear ? null : url !== undefined ? parseWebhookUrl(url) : undefined;
      await withClient(cmd, async ({ client }) => {
        if (next === undefined) {
          const { webhookUrl } = await client.alerts.webhook.query();
          return print(webhookUrl ?? "no webhook set (set one with: kube9 alert webhook <url>)");
        }
        const { webhookUrl } = await client.alerts.setWebhook.mutate({ url: next });
        print(webhookUrl ? `alert webhook set to ${webhookUrl}` : "alert webhook cleared");
      });
    });
}
