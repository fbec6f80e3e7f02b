import type { Kube9Client } from "@kube9/client";
import { POLICY_NAMES, RESTART_POLICIES } from "@kube9/client";
import { CliError } from "../errors.js";
import { commandAfterDashDash, parseContainerFlags, type ContainerFlags } from "../parse-container.js";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { serialize } from "../output/format.js";
import { launchSummary, podHeaders, podRow, renderPodDetail, renderPodTable } from "../output/pods.js";
import {
  collect,
  parseAlgorithm,
  OUTPUT_HELP,
  parseCores,
  parseLabels,
  parseObjectFlags,
  parseOutput,
  parsePodStatuses,
  parseSeconds,
  parseWhole,
  type OutputFormat,
} from "../parse.js";
import { printList, registerNameCommand, type ListView } from "./object-commands.js";
import type { LaunchManyResult, PodDTO } from "../types.js";
import { waitForStatus } from "../wait.js";
import { nsInput, readScope, withScope, type ScopeFlags } from "../scope.js";

const POD_LIST: ListView<PodDTO> = {
  headers: podHeaders,
  minWidths: [12, 11, 12, 4, 6, 4],
  row: podRow,
  render: renderPodTable,
  empty: "No pods.",
};

interface LaunchOptions extends ContainerFlags, ScopeFlags {
  cpu?: string;
  memory?: string;
  name?: string;
  algorithm?: string;
  label?: string[];
  selector?: string[];
  wait?: boolean;
  timeout: string;
  output?: string;
  count?: string;
}

/** Most pods `pod launch --count` makes (sent as pods.launchMany calls of up to 1,000). */
const MAX_COUNT = 100_000;
const PER_CALL = 1000;

/** Registers `kube9 pod launch|list|get|delete`. */
export function registerPodCommands(program: Command): void {
  const pod = program.command("pod").description("launch, inspect and delete pods");

  withScope(pod
    .command("launch"))
    .description("launch a pod; prints the node chosen and why, or why it is Pending")
    .argument("[command...]", "with --image: the command the container runs, after --")
    .option("--cpu <cores>", "CPU request in cores (fractions ok: 0.5, 250m); needed without --image")
    .option("--memory <MiB>", "memory request in MiB (the API picks a default when omitted)")
    .option("--image <image>", "run a container of this image (busybox, kube9/workload)")
    .option("--limit-cpu <quantity>", "CPU limit, a Kubernetes quantity (500m, 1.5); the request defaults to it")
    .option("--limit-memory <quantity>", "memory limit, a Kubernetes quantity (128Mi, 1Gi); the request defaults to it")
    .option("--restart <policy>", `${RESTART_POLICIES.join("|")} (default: Always)`)
    .option("--env <NAME=value>", "environment variable of the container (repeatable)", collect)
    .option("--name <name>", "pod name (generated when omitted)")
    .option("--algorithm <name>", `${POLICY_NAMES.join("|")} (default: the cluster's algorithm)`)
    .option("--label <key=value>", "pod label (repeatable)", collect)
    .option("--selector <key=value>", "only nodes with this label (repeatable)", collect)
    .option("--count <n>", `launch n such pods in batches of ${PER_CALL} (pods.launchMany); with --name they are <name>-0 ... <name>-(n-1)`)
    .option("--wait", "wait until the pod is Running")
    .option("--timeout <seconds>", "how long --wait waits", "60")
    .option("-o, --output <format>", OUTPUT_HELP + " (json/yaml print {pod, scheduled, message})")
    .addHelpText("after", "\nExamples:\n  kube9 pod launch --cpu 0.5\n  kube9 pod launch --name web --image busybox --limit-cpu 250m --limit-memory 64Mi -- sleep 3600")
    .action(async (operands: string[], opts: LaunchOptions, cmd: Command) => {
      const output = parseOutput(opts.output);
      const command = commandAfterDashDash(cmd);
      if (command === undefined && operands.length) throw new CliError(`put the container's command after --: kube9 pod launch ... -- ${operands.join(" ")}`);
      if (opts.cpu === undefined && opts.image === undefined) {
        throw new CliError("--cpu is required for a pod without --image (with --image, requests default to the limits)");
      }
      const scope = readScope(opts);
      const input = {
        ...nsInput(scope),
        ...(opts.cpu !== undefined ? { cpu: parseCores(opts.cpu) } : {}),
        ...parseObjectFlags(opts),
        ...parseContainerFlags(opts, command ?? []),
        ...(opts.algorithm !== undefined ? { algorithm: parseAlgorithm(opts.algorithm) } : {}),
        ...(opts.selector ? { nodeSelector: parseLabels(opts.selector, "--selector") } : {}),
      };
      const timeoutMs = parseSeconds(opts.timeout);
      if (opts.count !== undefined) {
        const count = parseWhole(opts.count, "--count", 1, MAX_COUNT);
        if (opts.wait) throw new CliError("--wait cannot be used with --count");
        await withClient(cmd, ({ client }) => launchCount(input, count, output, (items) => client.pods.launchMany.mutate({ items })));
        return;
      }
      await withClient(cmd, async ({ client }) => {
        const res = await client.pods.launch.mutate(input);
        if (!opts.wait) {
          print(serialize(output, res) ?? launchSummary(res));
          return;
        }
        if (output === "table" || output === "wide") print(launchSummary(res));
        const running = await waitRunning(res.pod, timeoutMs, (name) => client.pods.get.query({ name, ...nsInput(scope) }));
        print(serialize(output, { ...res, pod: running }) ?? `pod/${running.name} Running on node/${running.nodeName}`);
      });
    });

  withScope(pod
    .command("list")
    .alias("ls")
    .description("list pods"), { all: true })
    .option("--node <name>", "only pods on this node")
    .option("--status <statuses>", "only pods in these statuses (comma-separated)")
    .option("-o, --output <format>", OUTPUT_HELP)
    .option("-w, --watch", "after the list, print a row for every change until Ctrl-C")
    .action(async (opts: ScopeFlags & { node?: string; status?: string; output?: string; watch?: boolean }, cmd: Command) => {
      const output = parseOutput(opts.output);
      const scope = readScope(opts);
      const status = opts.status !== undefined ? parsePodStatuses(opts.status) : undefined;
      await withClient(cmd, ({ client }) =>
        printList(output, opts.watch, POD_LIST, {
          list: () =>
            client.pods.list.query({
              ...(status ? { status } : {}),
              ...(opts.node !== undefined ? { nodeName: opts.node } : {}),
              ...(scope.all ? {} : { namespace: scope.namespace }),
            }),
          watch: (h) => client.pods.watch.subscribe(undefined, h),
          keep: (p) =>
            (!status || status.includes(p.status)) && (opts.node === undefined || p.nodeName === opts.node) && (scope.all || p.namespace === scope.namespace),
        }),
      );
    });

  registerNameCommand(pod, {
    command: "get",
    alias: "describe",
    kind: "pod",
    namespaced: true,
    description: "describe a pod, with the scheduling explanation for every node",
    shape: "{pod, fits, events}",
    run: (client, name, scope) => client.pods.get.query({ name, ...nsInput(scope) }),
    text: renderPodDetail,
  });

  registerNameCommand(pod, {
    command: "delete",
    alias: "rm",
    kind: "pod",
    namespaced: true,
    description: "delete a pod and free its resources",
    run: (client, name, scope) => client.pods.delete.mutate({ name, ...nsInput(scope) }),
    text: (p) => `pod/${p.name} deleted`,
  });
}

/** Waits until a pod is Running; a Failed (or finished) pod ends the wait at once with its reason. */
function waitRunning(pod: PodDTO, timeoutMs: number, get: (name: string) => Promise<{ pod: PodDTO }>): Promise<PodDTO> {
  return waitForStatus(pod, {
    kind: "pod",
    want: "Running",
    timeoutMs,
    get: async (name) => (await get(name)).pod,
    giveUp: (status) => status === "Failed" || status === "Succeeded",
    reason: (p) => p.message,
  });
}

type LaunchInput = Parameters<Kube9Client["pods"]["launch"]["mutate"]>[0];

/**
 * `pod launch --count n`: n pods like the one the flags describe, in pods.launchMany calls of up to
 * 1,000; prints a line per pod (or the answers as json/yaml) and fails when any pod was refused.
 */
async function launchCount(
  input: LaunchInput,
  count: number,
  output: OutputFormat,
  launchMany: (items: LaunchInput[]) => Promise<LaunchManyResult>,
): Promise<void> {
  const results: LaunchManyResult["results"] = [];
  for (let start = 0; start < count; start += PER_CALL) {
    const items = Array.from({ length: Math.min(PER_CALL, count - start) }, (_, i) =>
      input.name === undefined ? input : { ...input, name: `${input.name}-${start + i}` },
    );
    results.push(...(await launchMany(items)).results);
  }
  const failed = results.filter((r) => !r.ok).length;
  const scheduled = results.filter((r) => r.ok && r.scheduled).length;
  const answer = { results, scheduled, pending: count - scheduled - failed, failed };
  print(serialize(output, answer) ?? [...results.map((r) => (r.ok ? launchSummary(r) : `error: ${r.error.message}`)), launchCountSummary(answer)].join("\n"));
  if (failed > 0) throw new CliError(`${failed} of ${count} pods were not launched`);
}

/** The last line of `pod launch --count`: how many of each outcome. */
function launchCountSummary(a: { scheduled: number; pending: number; failed: number }): string {
  return `${a.scheduled + a.pending + a.failed} pods: ${a.scheduled} scheduled, ${a.pending} pending, ${a.failed} failed`;
}
