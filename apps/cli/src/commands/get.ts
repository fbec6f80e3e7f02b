import type { Kube9Client, WatchMessage } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { describeNode, describePod } from "../output/describe.js";
import { serialize } from "../output/format.js";
import { kubeList } from "../output/kube-objects.js";
import { renderTable, WatchTable } from "../output/table.js";
import { parseOutput, type OutputFormat } from "../parse.js";
import { listWatchPrinter, watchUntilInterrupted } from "../watch.js";
import { describeNodeGroups, getNodeGroups } from "./nodegroup.js";
import { NODE_RESOURCE, parseResourceArgs, POD_RESOURCE, type Resource } from "./resources.js";

/** Registers kubectl's reading verbs: `kube9 get` and `kube9 describe`. */
export function registerGetCommands(program: Command): void {
  program
    .command("get")
    .argument("<type>", "pods (pod, po), nodes (node, no) or nodegroups (nodegroup, ng); or <type>/<name>")
    .argument("[name]", "only this object")
    .description("list pods, nodes or node groups with kubectl's columns, or print them as Kubernetes objects")
    .option("-o, --output <format>", "wide|json|yaml (json/yaml print Kubernetes v1 objects; a List without a name)")
    .option("-w, --watch", "after the list, print a row for every change until Ctrl-C")
    .addHelpText("after", "\nExamples:\n  kube9 get pods -o wide\n  kube9 get pod web -o json | jq .status.phase\n  kube9 get no")
    .action(async (type: string, rawName: string | undefined, opts: { output?: string; watch?: boolean }, cmd: Command) => {
      const { kind, name } = parseResourceArgs(type, rawName);
      const output = parseOutput(opts.output);
      // Groups change by the autoscaler's passes, not by events a watch could follow.
      if (kind === "nodegroup" && opts.watch) throw new CliError("node groups cannot be watched; follow them with: kube9 autoscaler status -w");
      await withClient(cmd, ({ client }) =>
        kind === "nodegroup"
          ? getNodeGroups(client, name, output)
          : kind === "pod"
          ? getObjects(client, POD_RESOURCE, name, output, opts.watch)
          : getObjects(client, NODE_RESOURCE, name, output, opts.watch),
      );
    });

  program
    .command("describe")
    .argument("<type>", "pod (pods, po), node (nodes, no) or nodegroup (nodegroups, ng); or <type>/<name>")
    .argument("[name]", "the object's name")
    .description("show a pod, node or node group in detail: containers, limits and their enforcement, conditions, placement, events")
    .action(async (type: string, rawName: string | undefined, _opts: unknown, cmd: Command) => {
      const { kind, name } = parseResourceArgs(type, rawName);
      await withClient(cmd, async ({ client }) => {
        if (kind === "nodegroup") return print(await describeNodeGroups(client, name));
        // kubectl describes every object of the type when no name is given.
        const names = name !== undefined ? [name] : (await (kind === "pod" ? POD_RESOURCE : NODE_RESOURCE).list(client)).map((o) => o.name);
        const blocks: string[] = [];
        for (const n of names) {
          blocks.push(kind === "pod" ? describePod(await client.pods.get.query({ name: n })) : describeNode(await client.nodes.get.query({ name: n })));
        }
        print(blocks.length ? blocks.join("\n\n\n") : `No resources found in default namespace.`);
      });
    });
}

/** `get <type> [name]`: a table, a Kubernetes object (or List), or a watch of either. */
async function getObjects<T>(
  client: Kube9Client,
  res: Resource<T>,
  name: string | undefined,
  output: OutputFormat,
  watch: boolean | undefined,
): Promise<void> {
  const wide = output === "wide";
  if (watch) {
    // Fail on a wrong name now, as kubectl does, instead of watching for something that will never come.
    if (name !== undefined) await res.get(client, name);
    const table = new WatchTable(res.headers(wide), res.minWidths);
    const keep = (item: T) => name === undefined || res.name(item) === name;
    const show = listWatchPrinter<T>(output, table, (item) => res.row(item, wide), keep, print, res.toKube);
    return watchUntilInterrupted<{ data: WatchMessage<T> }>((h) => res.watch(client, h), (m) => show(m.data));
  }
  const items = name !== undefined ? [await res.get(client, name)] : await res.list(client);
  const doc = name !== undefined ? res.toKube(items[0]!) : kubeList(items.map(res.toKube));
  const text = serialize(output, doc);
  if (text !== undefined) return print(text);
  // kubectl says this on stderr, so a script reading stdout sees an empty list, not a sentence.
  if (items.length === 0) {
    process.stderr.write("No resources found in default namespace.\n");
    return;
  }
  print(renderTable(res.headers(wide), items.map((item) => res.row(item, wide))));
}
