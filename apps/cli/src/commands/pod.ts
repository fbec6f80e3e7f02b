import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { serialize } from "../output/format.js";
import { launchSummary, podHeaders, podRow, renderPodDetail, renderPodTable } from "../output/pods.js";
import { listWatchPrinter, watchUntilInterrupted, WatchTable, type WatchMessage } from "../watch.js";
import {
  collect,
  parseAlgorithm,
  parseCores,
  parseLabels,
  parseMemory,
  parseName,
  parseOutput,
  parsePodStatuses,
  parseSeconds,
} from "../parse.js";
import { startSpinner } from "../spinner.js";
import type { PodDTO } from "../types.js";
import { pollUntil } from "../wait.js";

const OUTPUT_HELP = "output format: table|wide|json|yaml";

interface LaunchOptions {
  cpu: string;
  memory?: string;
  name?: string;
  algorithm?: string;
  label?: string[];
  selector?: string[];
  wait?: boolean;
  timeout: string;
  output?: string;
}

/** Registers `kube9 pod launch|list|get|delete`. */
export function registerPodCommands(program: Command): void {
  const pod = program.command("pod").description("launch, inspect and delete pods");

  pod
    .command("launch")
    .description("launch a pod; prints the node chosen and why, or why it is Pending")
    .requiredOption("--cpu <cores>", "CPU request in cores (fractions ok: 0.5, 250m)")
    .option("--memory <MiB>", "memory request in MiB (the API picks a default when omitted)")
    .option("--name <name>", "pod name (generated when omitted)")
    .option("--algorithm <name>", "first-fit|best-fit|worst-fit (default: the cluster's algorithm)")
    .option("--label <key=value>", "pod label (repeatable)", collect)
    .option("--selector <key=value>", "only nodes with this label (repeatable)", collect)
    .option("--wait", "wait until the pod is Running")
    .option("--timeout <seconds>", "how long --wait waits", "60")
    .option("-o, --output <format>", OUTPUT_HELP + " (json/yaml print {pod, scheduled, message})")
    .action(async (opts: LaunchOptions, cmd: Command) => {
      const output = parseOutput(opts.output);
      const input = {
        cpu: parseCores(opts.cpu),
        ...(opts.memory !== undefined ? { memoryMiB: parseMemory(opts.memory) } : {}),
        ...(opts.name !== undefined ? { name: parseName(opts.name) } : {}),
        ...(opts.algorithm !== undefined ? { algorithm: parseAlgorithm(opts.algorithm) } : {}),
        ...(opts.label ? { labels: parseLabels(opts.label) } : {}),
        ...(opts.selector ? { nodeSelector: parseLabels(opts.selector, "--selector") } : {}),
      };
      const timeoutMs = parseSeconds(opts.timeout);
      await withClient(cmd, async ({ client }) => {
        const res = await client.pods.launch.mutate(input);
        if (!opts.wait) {
          print(serialize(output, res) ?? launchSummary(res));
          return;
        }
        if (output === "table" || output === "wide") print(launchSummary(res));
        const running = await waitRunning(res.pod, timeoutMs, (name) => client.pods.get.query({ name }));
        print(serialize(output, { ...res, pod: running }) ?? `pod/${running.name} Running on node/${running.nodeName}`);
      });
    });

  pod
    .command("list")
    .alias("ls")
    .description("list pods")
    .option("--node <name>", "only pods on this node")
    .option("--status <statuses>", "only pods in these statuses (comma-separated)")
    .option("-o, --output <format>", OUTPUT_HELP)
    .option("-w, --watch", "after the list, print a row for every change until Ctrl-C")
    .action(async (opts: { node?: string; status?: string; output?: string; watch?: boolean }, cmd: Command) => {
      const output = parseOutput(opts.output);
      const status = opts.status !== undefined ? parsePodStatuses(opts.status) : undefined;
      await withClient(cmd, async ({ client }) => {
        if (opts.watch) {
          const wide = output === "wide";
          const show = listWatchPrinter<PodDTO>(
            output,
            new WatchTable(podHeaders(wide), [12, 11, 12, 4, 6, 4]),
            (p) => podRow(p, wide),
            (p) => (!status || status.includes(p.status)) && (opts.node === undefined || p.nodeName === opts.node),
            print,
          );
          return watchUntilInterrupted<{ id: string; data: WatchMessage<PodDTO> }>(
            (h) => client.pods.watch.subscribe(undefined, h),
            (m) => show(m.data),
          );
        }
        const pods = await client.pods.list.query({
          ...(status ? { status } : {}),
          ...(opts.node !== undefined ? { nodeName: opts.node } : {}),
        });
        if (pods.length === 0 && (output === "table" || output === "wide")) {
          print("No pods.");
          return;
        }
        print(serialize(output, pods) ?? renderPodTable(pods, output === "wide"));
      });
    });

  pod
    .command("get")
    .alias("describe")
    .argument("<name>", "pod name")
    .description("describe a pod, with the scheduling explanation for every node")
    .option("-o, --output <format>", OUTPUT_HELP + " (json/yaml print {pod, fits, events})")
    .action(async (name: string, opts: { output?: string }, cmd: Command) => {
      const output = parseOutput(opts.output);
      await withClient(cmd, async ({ client }) => {
        const detail = await client.pods.get.query({ name });
        print(serialize(output, detail) ?? renderPodDetail(detail, output === "wide"));
      });
    });

  pod
    .command("delete")
    .alias("rm")
    .argument("<name>", "pod name")
    .description("delete a pod and free its resources")
    .option("-o, --output <format>", OUTPUT_HELP)
    .action(async (name: string, opts: { output?: string }, cmd: Command) => {
      const output = parseOutput(opts.output);
      await withClient(cmd, async ({ client }) => {
        const p = await client.pods.delete.mutate({ name });
        print(serialize(output, p) ?? `pod/${p.name} deleted`);
      });
    });
}

/** Polls a pod until Running; a Failed pod ends the wait at once with its reason. */
async function waitRunning(
  pod: PodDTO,
  timeoutMs: number,
  get: (name: string) => Promise<{ pod: PodDTO }>,
): Promise<PodDTO> {
  const label = `pod/${pod.name}`;
  const spinner = startSpinner(`waiting for ${label} to be Running (${pod.status})`);
  try {
    return await pollUntil(
      async () => {
        const { pod: p } = await get(pod.name);
        if (p.status === "Running") return { done: true, value: p };
        if (p.status === "Failed" || p.status === "Succeeded") {
          throw new CliError(`${label} is ${p.status} instead of Running${p.message ? `: ${p.message}` : ""}`);
        }
        return { done: false, status: p.status };
      },
      {
        intervalMs: 100,
        timeoutMs,
        timeoutMessage: (last, s) =>
          `${label} did not become Running within ${s} s (still ${last}); see "kube9 pod get ${pod.name}"`,
        onStatus: (s) => spinner.update(`waiting for ${label} to be Running (${s})`),
      },
    );
  } finally {
    spinner.stop();
  }
}
