import { NODE_ROLES, RUNTIME_KINDS, type Kube9Client, type NodeStatus, type RuntimeKind } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { serialize } from "../output/format.js";
import { nodeHeaders, nodeRow, nodeSummary, renderNodeDetail, renderNodeTable } from "../output/nodes.js";
import {
  collect,
  OUTPUT_HELP,
  parseChoice,
  parseNewObject,
  parseNodeRuntime,
  parseNodeStatuses,
  parseOutput,
  parseRole,
  parseSeconds,
} from "../parse.js";
import { CliError } from "../errors.js";
import { fetchNodes, moreNote, parseNodeListFlags, type NodeListFlags } from "../node-pages.js";
import { startSpinner } from "../spinner.js";
import type { NodeDTO } from "../types.js";
import { waitForStatus } from "../wait.js";
import { printList, registerNameCommand, type ListView } from "./object-commands.js";

const NODE_LIST: ListView<NodeDTO> = {
  headers: nodeHeaders,
  minWidths: [12, 17, 6, 9, 11, 4, 4],
  row: nodeRow,
  render: renderNodeTable,
  empty: "No nodes. Add one with: kube9 node add --cpu 4",
};
// Terminal states a waiting `node add` should stop at instead of spinning until the timeout.
const GIVE_UP: ReadonlySet<NodeStatus> = new Set(["Failed", "PermanentlyFailed", "Removed"]);
/** A recovering node starts out Failed (or paused and Failed), so only these end the wait. */
const GIVE_UP_RECOVERING: ReadonlySet<NodeStatus> = new Set(["PermanentlyFailed", "Removed"]);
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
    .option("--role <role>", `${NODE_ROLES.join("|")} (default: worker)`)
    .option("--label <key=value>", "node label (repeatable)", collect)
    .option("--runtime <runtime>", `${RUNTIME_KINDS.join("|")} (default: the control plane's runtime)`)
    .option("--no-wait", "return as soon as the node is created (status Provisioning)")
    .option("--timeout <seconds>", "how long to wait for Ready", "60")
    .option("-o, --output <format>", OUTPUT_HELP)
    .action(async (opts: AddOptions, cmd: Command) => {
      const output = parseOutput(opts.output);
      const input = {
        ...parseNewObject(opts),
        ...(opts.role !== undefined ? { role: parseRole(opts.role) } : {}),
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
    .option("-l, --selector <selector>", "only nodes whose labels match, kubectl style: tier=web,zone in (a,b),!gpu")
    .option("--limit <n>", "print at most n nodes (and say how many more match)")
    .option("--chunk-size <n>", "fetch nodes n per request (0: all in one)", "500")
    .option("-o, --output <format>", OUTPUT_HELP)
    .option("-w, --watch", "after the list, print a row for every change until Ctrl-C")
    .action(async (opts: NodeListFlags & { output?: string; watch?: boolean }, cmd: Command) => {
      const output = parseOutput(opts.output);
      const q = parseNodeListFlags(opts);
      if (opts.watch && (q.selector !== undefined || q.limit !== undefined)) throw new CliError("-w cannot be combined with -l/--selector or --limit");
      await withClient(cmd, ({ client }) =>
        printList(output, opts.watch, NODE_LIST, {
          list: async () => {
            const { items, more } = await fetchNodes(client, q);
            const note = moreNote(items.length, more);
            if (note) process.stderr.write(`${note}\n`);
            return items;
          },
          watch: (h) => client.nodes.watch.subscribe(undefined, h),
          keep: (n) => !q.status || q.status.includes(n.status),
        }),
      );
    });

  registerNameCommand(node, {
    command: "get",
    alias: "describe",
    kind: "node",
    description: "describe a node: fields, components, hosted pods, recent events",
    shape: "{node, pods, events}",
    run: (client, name) => client.nodes.get.query({ name }),
    text: renderNodeDetail,
  });

  registerNameCommand(node, {
    command: "remove",
    alias: "rm",
    kind: "node",
    description: "drain a node (its pods are rescheduled first) and remove it",
    run: (client, name) => client.nodes.remove.mutate({ name }),
    text: (res) =>
      [
        `node/${res.node.name} removed`,
        ...res.movedPods.map((p) =>
          p.nodeName
            ? `  pod/${p.name} moved to node/${p.nodeName} (${p.status})`
            : `  pod/${p.name} is ${p.status}${p.message ? `: ${p.message}` : ""}`,
        ),
      ].join("\n"),
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

/** Waits until a node is Ready; stops early on a give-up status so failures surface fast. */
function waitReady(
  created: NodeDTO,
  timeoutMs: number,
  get: (name: string) => Promise<{ node: NodeDTO }>,
  giveUp: ReadonlySet<NodeStatus> = GIVE_UP,
): Promise<NodeDTO> {
  return waitForStatus(created, {
    kind: "node",
    want: "Ready",
    timeoutMs,
    get: async (name) => (await get(name)).node,
    giveUp: (status) => giveUp.has(status),
    reason: (n) => n.reason,
    errorName: `node/${created.name} (${created.id})`,
  });
}
