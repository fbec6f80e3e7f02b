import type { Command } from "commander";
import { withClient } from "../context.js";
import { CliError } from "../errors.js";
import { noTopPods, renderTopNodes, renderTopPods, selectTopPods, TOP_SORT_KEYS, type TopPodsOptions } from "../output/top.js";
import { parseChoice } from "../parse.js";
import { parseSnapshotOutput, showSnapshots, snapshotCommand, type Snapshot } from "../snapshot.js";
import type { NodeUsageDTO, PodUsageDTO } from "../types.js";

const OUTPUT = "table|json (json: the API's usage objects, as shown)";
const WATCH = "redraw every 2 s until Ctrl-C";

interface TopPodsFlags {
  containers?: boolean;
  sortBy?: string;
  allNamespaces?: boolean;
  namespace: string;
  output?: string;
  watch?: boolean;
}

/** Reads the flags of `top pods` into what the view needs. */
export function parseTopPodsFlags(flags: TopPodsFlags): TopPodsOptions {
  const namespace = flags.namespace.trim();
  if (!namespace) throw new CliError('-n/--namespace must not be empty (all pods are in "default")');
  return {
    allNamespaces: !!flags.allNamespaces,
    namespace,
    containers: !!flags.containers,
    ...(flags.sortBy !== undefined ? { sortBy: parseChoice(flags.sortBy, TOP_SORT_KEYS, "--sort-by") } : {}),
  };
}

/** One `top nodes` snapshot. */
export function nodesSnapshot(nodes: NodeUsageDTO[]): Snapshot {
  const doc = [...nodes].sort((a, b) => a.name.localeCompare(b.name));
  const text = renderTopNodes(doc);
  return text !== undefined ? { doc, text, to: "stdout" } : { doc, text: "No resources found", to: "stderr" };
}

/** One `top pods` snapshot: the pods with metrics, or kubectl's words when there are none. */
export function podsSnapshot(pods: PodUsageDTO[], opts: TopPodsOptions): Snapshot {
  const doc = selectTopPods(pods, opts);
  const text = renderTopPods(pods, opts);
  if (text !== undefined) return { doc, text, to: "stdout" };
  const none = noTopPods(pods, opts);
  return { doc, text: none.message, to: none.error ? "error" : "stderr" };
}

/** Registers `kube9 top nodes|pods`. */
export function registerTopCommand(program: Command): void {
  const top = program.command("top").description("measured CPU and memory use of nodes and pods, against capacity, requests and limits");

  snapshotCommand(
    top.command("nodes").aliases(["node", "no"]).description("each node's CPU and memory use (% of capacity) and its pods' requests (% of capacity)"),
    OUTPUT,
    async (client) => nodesSnapshot(await client.usage.nodes.query()),
  );

  top
    .command("pods")
    .aliases(["pod", "po"])
    .description("each pod's CPU and memory use, as % of its requests (over 100%: under-requested), with requests and limits")
    .option("--containers", "one row per container")
    .option("--sort-by <field>", `${TOP_SORT_KEYS.join("|")}, highest first`)
    .option("-A, --all-namespaces", "pods of every namespace (adds NAMESPACE)")
    .option("-n, --namespace <name>", "only pods of this namespace", "default")
    .option("-o, --output <format>", OUTPUT)
    .option("-w, --watch", WATCH)
    .addHelpText("after", "\nPods not measured yet are left out, as kubectl does.\n\nExamples:\n  kube9 top pods --sort-by cpu\n  kube9 top pods --containers -w")
    .action(async (flags: TopPodsFlags, cmd: Command) => {
      const output = parseSnapshotOutput(flags.output);
      const opts = parseTopPodsFlags(flags);
      await withClient(cmd, ({ client }) => showSnapshots(output, flags.watch, async () => podsSnapshot(await client.usage.pods.query(), opts)));
    });
}
