import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { serialize } from "../output/format.js";
import { nodeHeaders, nodeRow, nodeSummary, renderNodeDetail, renderNodeTable } from "../output/nodes.js";
import { listWatchPrinter, watchUntilInterrupted, WatchTable, type WatchMessage } from "../watch.js";
import {
  collect,
  parseChoice,
  parseCores,
  parseLabels,
  parseMemory,
  parseName,
  parseNodeRuntime,
  parseNodeStatuses,
  parseOutput,
  parseRole,
  parseSeconds,
} from "../parse.js";
import { startSpinner } from "../spinner.js";
import type { NodeDTO } from "../types.js";
import type { Kube9Client } from "@kube9/client";
import type { RuntimeKind } from "@kube9/client";
import { pollUntil } from "../wait.js";

const OUTPUT_HELP = "output format: table|wide|json|yaml";
// Terminal states a waiting `node add` should stop at instead of spinning until the timeout.
const GIVE_UP = new Set(["Failed", "PermanentlyFailed", "Removed"]);
/** A recovering node starts out Failed (or paused and Failed), so only these end the wait. */
const GIVE_UP_RECOVERING = new Set(["PermanentlyFailed", "Removed"]);
const FAIL_MODES = ["kill", "pause"] as const;

interface AddOptions {
  cpu: string;
  memory?: string;
  name?: string;
  role?: string;
  label?: string[];
  runtime?: string;
  wait: boolean;
  timeout: string;
  output?: string;
}

/** Registers `kube9 node add|list|get|remove|fail|recover`. */
export function registerNodeCommands(program: Command): void {
  const node = program.command("node").description("add, inspect, break, recover and remove nodes");

  node
    .command("add")
    .description("add a node of the given size and wait until its agent reports Ready")
    .requiredOption("--cpu <cores>", "CPU size in cores (e.g. 4, 0.5)")
    .option("--memory <MiB>", "memory in MiB (the API picks a default when omitted)")
    .option("--name <name>", "node name (generated when omitted)")
    .option("--role <role>", "worker|master (default: worker)")
    .option("--label <key=value>", "node label (repeatable)", collect)
    .option("--runtime <runtime>", "docker|process|hollow (default: the control plane's runtime)")
    .option("--no-wait", "return as soon as the node is created (status Provisioning)")
    .option("--timeout <seconds>", "how long to wait for Ready", "60")
    .option("-o, --output <format>", OUTPUT_HELP)
    .action(async (opts: AddOptions, cmd: Command) => {
      const output = parseOutput(opts.output);
      const input = {
        cpu: parseCores(opts.cpu),
        ...(opts.memory !== undefined ? { memoryMiB: parseMemory(opts.memory) } : {}),
        ...(opts.name !== undefined ? { name: parseName(opts.name) } : {}),
        ...(opts.role !== undefined ? { role: parseRole(opts.role) } : {}),
        ...(opts.label ? { labels: parseLabels(opts.label) } : {}),
        ...(opts.runtime !== undefined ? { runtime: parseNodeRuntime(opts.runtime) } : {}),
      };
      const timeoutMs = parseSeconds(opts.timeout);
      await withClient(cmd, async ({ client }) => {
        await prepareRuntime(client, input.runtime);
        const created = await client.nodes.add.mutate(input);
        const final = opts.wait ? await waitReady(created, timeoutMs, (name) => client.nodes.get.query({ name })) : created;
        print(serialize(output, final) ?? nodeSummary(final));
      });
    });

  node
    .command("list")
    .alias("ls")
    .description("list nodes")
    .option("--status <statuses>", "only nodes in these statuses (comma-separated)")
    .option("-o, --output <format>", OUTPUT_HELP)
    .option("-w, --watch", "after the list, print a row for every change until Ctrl-C")
    .action(async (opts: { status?: string; output?: string; watch?: boolean }, cmd: Command) => {
      const output = parseOutput(opts.output);
      const status = opts.status !== undefined ? parseNodeStatuses(opts.status) : undefined;
      await withClient(cmd, async ({ client }) => {
        if (opts.watch) {
          const wide = output === "wide";
          const show = listWatchPrinter<NodeDTO>(
            output,
            new WatchTable(nodeHeaders(wide), [12, 17, 6, 9, 11, 4, 4]),
            (n) => nodeRow(n, wide),
            (n) => !status || status.includes(n.status),
            print,
          );
          return watchUntilInterrupted<{ id: string; data: WatchMessage<NodeDTO> }>(
            (h) => client.nodes.watch.subscribe(undefined, h),
            (m) => show(m.data),
          );
        }
        const nodes = await client.nodes.list.query(status ? { status } : {});
        if (nodes.length === 0 && (output === "table" || output === "wide")) {
          print("No nodes. Add one with: kube9 node add --cpu 4");
          return;
        }
        print(serialize(output, nodes) ?? renderNodeTable(nodes, output === "wide"));
      });
    });

  node
    .command("get")
    .alias("describe")
    .argument("<name>", "node name")
    .description("describe a node: fields, components, hosted pods, recent events")
    .option("-o, --output <format>", OUTPUT_HELP + " (json/yaml print {node, pods, events})")
    .action(async (name: string, opts: { output?: string }, cmd: Command) => {
      const output = parseOutput(opts.output);
      await withClient(cmd, async ({ client }) => {
        const detail = await client.nodes.get.query({ name });
        print(serialize(output, detail) ?? renderNodeDetail(detail, output === "wide"));
      });
    });

  node
    .command("remove")
    .alias("rm")
    .argument("<name>", "node name")
    .description("drain a node (its pods are rescheduled first) and remove it")
    .option("-o, --output <format>", OUTPUT_HELP)
    .action(async (name: string, opts: { output?: string }, cmd: Command) => {
      const output = parseOutput(opts.output);
      await withClient(cmd, async ({ client }) => {
        const res = await client.nodes.remove.mutate({ name });
        const serialized = serialize(output, res);
        if (serialized !== undefined) return print(serialized);
        const lines = [`node/${res.node.name} removed`];
        for (const p of res.movedPods) {
          lines.push(
            p.nodeName
              ? `  pod/${p.name} moved to node/${p.nodeName} (${p.status})`
              : `  pod/${p.name} is ${p.status}${p.message ? `: ${p.message}` : ""}`,
          );
        }
        print(lines.join("\n"));
      });
    });

  node
    .command("fail")
    .argument("<name>", "node name")
    .description("fault injection: kill the node's agent abruptly, as if the machine died")
    .option("--mode <mode>", "kill (the agent dies) or pause (it stops answering)", "kill")
    .option("-o, --output <format>", OUTPUT_HELP)
    .action(async (name: string, opts: { mode: string; output?: string }, cmd: Command) => {
      const output = parseOutput(opts.output);
      const mode = parseChoice(opts.mode, FAIL_MODES, "--mode");
      await withClient(cmd, async ({ client }) => {
        const n = await client.nodes.fail.mutate({ name, mode });
        // The reply is the node as it was when the fault hit (usually still Ready), so the text says what comes next.
        print(
          serialize(output, n) ??
            `node/${n.name}: agent ${mode === "kill" ? "killed" : "paused"} (fault injected). ` +
              `The health monitor will mark it Failed and reschedule its pods; follow with: kube9 events -w --for ${n.name}`,
        );
      });
    });

  node
    .command("recover")
    .argument("<name>", "node name")
    .description("restart a Failed node's agent, or unpause one frozen by `node fail --mode pause`")
    .option("--no-wait", "return at once instead of waiting until the node is Ready again")
    .option("--timeout <seconds>", "how long to wait for Ready", "60")
    .option("-o, --output <format>", OUTPUT_HELP)
    .action(async (name: string, opts: { wait: boolean; timeout: string; output?: string }, cmd: Command) => {
      const output = parseOutput(opts.output);
      const timeoutMs = parseSeconds(opts.timeout);
      await withClient(cmd, async ({ client }) => {
        const n = await client.nodes.recover.mutate({ name });
        const final = opts.wait
          ? await waitReady(n, timeoutMs, (nodeName) => client.nodes.get.query({ name: nodeName }), GIVE_UP_RECOVERING)
          : n;
        print(serialize(output, final) ?? (final.status === "Ready" ? `node/${final.name} recovered: Ready` : `node/${final.name} ${final.status}`));
      });
    });
}

/**
 * The first docker node needs the node image, which the API builds when missing (several seconds): build it
 * first under a spinner instead of letting `add` hang silently. Errors are left to `add`, which words them.
 */
async function prepareRuntime(client: Kube9Client, runtime: RuntimeKind | undefined): Promise<void> {
  const which = runtime ? { runtime } : {};
  let status: Awaited<ReturnType<Kube9Client["nodes"]["runtimeStatus"]["query"]>>;
  try {
    status = await client.nodes.runtimeStatus.query(which);
  } catch {
    return;
  }
  if (!status.available || status.imageReady !== false) return;
  const text = `building node image ${status.image ?? ""} (first docker node)...`;
  if (!process.stderr.isTTY) process.stderr.write(`${text}\n`);
  const spinner = startSpinner(text);
  try {
    const built = await client.nodes.prepareRuntime.mutate(which);
    if (built.built) {
      spinner.stop();
      process.stderr.write(`built ${built.image} in ${(built.durationMs / 1000).toFixed(1)} s (${Math.round(built.sizeBytes / 1e6)} MB)\n`);
    }
  } finally {
    spinner.stop();
  }
}

/** Polls a new node every 100 ms until Ready; stops early on a terminal status so failures surface fast. */
async function waitReady(
  created: NodeDTO,
  timeoutMs: number,
  get: (name: string) => Promise<{ node: NodeDTO }>,
  giveUp: ReadonlySet<string> = GIVE_UP,
): Promise<NodeDTO> {
  const label = `node/${created.name}`;
  const spinner = startSpinner(`waiting for ${label} to be Ready (${created.status})`);
  try {
    return await pollUntil(
      async () => {
        const { node } = await get(created.name);
        if (node.status === "Ready") return { done: true, value: node };
        if (giveUp.has(node.status)) {
          throw new CliError(
            `${label} (${node.id}) is ${node.status} instead of Ready${node.reason ? `: ${node.reason}` : ""}`,
          );
        }
        return { done: false, status: node.status };
      },
      {
        intervalMs: 100,
        timeoutMs,
        timeoutMessage: (last, s) =>
          `${label} (${created.id}) did not become Ready within ${s} s (still ${last}); ` +
          `see "kube9 node get ${created.name}"`,
        onStatus: (s) => spinner.update(`waiting for ${label} to be Ready (${s})`),
      },
    );
  } finally {
    spinner.stop();
  }
}
