import type { Kube9Client, WatchMessage } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { describeNode, describePod } from "../output/describe.js";
import { describeNamespace, describeNetworkPolicy } from "../output/describe-netpol.js";
import { serialize } from "../output/format.js";
import { kubeList } from "../output/kube-objects.js";
import { renderTable, WatchTable } from "../output/table.js";
import { parseOutput, type OutputFormat } from "../parse.js";
import { noResources, nsInput, readScope, withScope, type Scope, type ScopeFlags } from "../scope.js";
import { listWatchPrinter, watchUntilInterrupted } from "../watch.js";
import { describeNodeGroups, getNodeGroups } from "./nodegroup.js";
import { fetchNodes, fetchPods, moreNote, onlyForNodes, pagingFlagsGiven, parseNodeListFlags, type NodeListFlags, type NodeQuery } from "../node-pages.js";
import type { NodeDTO, PodDTO } from "../types.js";
import { NODE_RESOURCE, POD_RESOURCE, parseResourceArgs, resourceOf, type Resource, type ResourceKind } from "./resources.js";

/** `get nodes` fetching a page at a time, filtered, cut at --limit (the note goes to stderr). */
function pagedNodes(q: NodeQuery): Resource<NodeDTO> {
  return {
    ...NODE_RESOURCE,
    list: async (client) => {
      const { items, more } = await fetchNodes(client, q);
      const note = moreNote(items.length, more);
      if (note) process.stderr.write(`${note}\n`);
      return items;
    },
  };
}

/** `get pods` fetching a page at a time (creation order), cut at --limit (the note goes to stderr). */
function pagedPods(q: { limit?: number; chunkSize: number }): Resource<PodDTO> {
  return {
    ...POD_RESOURCE,
    list: async (client, scope) => {
      const { items, more } = await fetchPods(client, q, scope.all ? undefined : scope.namespace);
      const note = moreNote(items.length, more, "pods");
      if (note) process.stderr.write(`${note}\n`);
      return items;
    },
  };
}

const TYPES = "pods (po), nodes (no), namespaces (ns), networkpolicies (netpol) or nodegroups (ng); or <type>/<name>";

/** Registers kubectl's reading verbs: `kube9 get` and `kube9 describe`. */
export function registerGetCommands(program: Command): void {
  withScope(
    program
      .command("get")
      .argument("<type>", TYPES)
      .argument("[name]", "only this object")
      .description("list pods, nodes, namespaces, network policies or node groups with kubectl's columns, or print them as Kubernetes objects")
      .option("-o, --output <format>", "wide|json|yaml (json/yaml print Kubernetes v1 objects; a List without a name)")
      .option("-w, --watch", "after the list, print a row for every change until Ctrl-C (pods, nodes)")
      .option("-l, --selector <selector>", "nodes: only those whose labels match (tier=web,zone in (a,b),!gpu)")
      .option("--status <statuses>", "nodes: only those in these statuses (comma-separated)")
      .option("--limit <n>", "nodes and pods: print at most n (and say how many more match)")
      .option("--chunk-size <n>", "nodes and pods: fetch n per request (0: all in one; default 500)"),
    { all: true },
  )
    .addHelpText("after", "\nExamples:\n  kube9 get pods -o wide\n  kube9 get pods -A\n  kube9 get pod web -n x -o json | jq .status.phase\n  kube9 get netpol -n x")
    .action(async (type: string, rawName: string | undefined, opts: ScopeFlags & NodeListFlags & { output?: string; watch?: boolean }, cmd: Command) => {
      const { kind, name } = parseResourceArgs(type, rawName);
      const output = parseOutput(opts.output);
      onlyForNodes(kind, opts);
      if (opts.status !== undefined && kind !== "node") throw new CliError(`--status applies to nodes only here (got ${kind}s)`);
      const nodeQuery = kind === "node" ? parseNodeListFlags(opts) : undefined;
      const podQuery = kind === "pod" ? parseNodeListFlags(opts) : undefined;
      if (podQuery && pagingFlagsGiven(opts) && (opts.watch || name !== undefined)) throw new CliError("--limit and --chunk-size list pods: not with a name or -w");
      if (nodeQuery && (pagingFlagsGiven(opts) || nodeQuery.status) && (opts.watch || name !== undefined)) {
        throw new CliError("-l/--selector, --status, --limit and --chunk-size list nodes: not with a name or -w");
      }
      const scope = readScope(opts);
      if (name !== undefined && scope.all) throw new CliError("a resource cannot be retrieved by name across all namespaces (drop -A, or use -n)");
      // Groups change by the autoscaler's passes, not by events a watch could follow.
      if (kind === "nodegroup" && opts.watch) throw new CliError("node groups cannot be watched; follow them with: kube9 autoscaler status -w");
      await withClient(cmd, ({ client }) =>
        kind === "nodegroup"
          ? getNodeGroups(client, name, output)
          : getObjects(
              client,
              nodeQuery && name === undefined && !opts.watch ? pagedNodes(nodeQuery) : podQuery && name === undefined && !opts.watch ? pagedPods(podQuery) : resourceOf(kind),
              name,
              output,
              opts.watch,
              scope,
            ),
      );
    });

  withScope(
    program
      .command("describe")
      .argument("<type>", TYPES)
      .argument("[name]", "the object's name")
      .description("show an object in detail: a pod's containers, limits, conditions, placement and events; a policy's rules, the pods it selects and whether nodes enforce it"),
    { all: true },
  ).action(async (type: string, rawName: string | undefined, opts: ScopeFlags, cmd: Command) => {
    const { kind, name } = parseResourceArgs(type, rawName);
    const scope = readScope(opts);
    await withClient(cmd, async ({ client }) => {
      if (kind === "nodegroup") return print(await describeNodeGroups(client, name));
      const res = resourceOf(kind);
      // kubectl describes every object of the type when no name is given.
      const targets = name !== undefined
        ? [{ name, namespace: scope.namespace }]
        : (await res.list(client, scope)).map((o) => ({ name: res.name(o), namespace: res.namespace(o) ?? scope.namespace }));
      const blocks: string[] = [];
      for (const t of targets) blocks.push(await describeOne(client, kind, t.name, { namespace: t.namespace, all: false }));
      print(blocks.length ? blocks.join("\n\n\n") : res.namespaced ? noResources(scope) : "No resources found");
    });
  });
}

async function describeOne(client: Kube9Client, kind: Exclude<ResourceKind, "nodegroup">, name: string, scope: Scope): Promise<string> {
  switch (kind) {
    case "pod":
      return describePod(await client.pods.get.query({ name, ...nsInput(scope) }));
    case "node":
      return describeNode(await client.nodes.get.query({ name }));
    case "namespace":
      return describeNamespace(await client.namespaces.get.query({ name }), await client.networkPolicies.list.query({ namespace: name }));
    case "networkpolicy":
      return describeNetworkPolicy(await client.networkPolicies.get.query({ name, namespace: scope.namespace }));
  }
}

/** `get <type> [name]`: a table, a Kubernetes object (or List), or a watch of either. */
async function getObjects<T>(
  client: Kube9Client,
  res: Resource<T>,
  name: string | undefined,
  output: OutputFormat,
  watch: boolean | undefined,
  scope: Scope,
): Promise<void> {
  const wide = output === "wide";
  const withNs = res.namespaced && scope.all;
  const headers = withNs ? ["NAMESPACE", ...res.headers(wide)] : res.headers(wide);
  const row = (item: T) => (withNs ? [res.namespace(item) ?? "", ...res.row(item, wide)] : res.row(item, wide));
  if (watch) {
    if (!res.watch) throw new CliError(`${res.kind} objects cannot be watched; list them again, or follow: kube9 events -w`);
    // Fail on a wrong name now, as kubectl does, instead of watching for something that will never come.
    if (name !== undefined) await res.get(client, name, scope);
    const table = new WatchTable(headers, withNs ? [9, ...res.minWidths] : res.minWidths);
    const inScope = (item: T) => !res.namespaced || scope.all || res.namespace(item) === scope.namespace;
    const keep = (item: T) => inScope(item) && (name === undefined || res.name(item) === name);
    const show = listWatchPrinter<T>(output, table, row, keep, print, res.toKube);
    const watchFn = res.watch;
    return watchUntilInterrupted<{ data: WatchMessage<T> }>((h) => watchFn(client, h), (m) => show(m.data));
  }
  const items = name !== undefined ? [await res.get(client, name, scope)] : await res.list(client, scope);
  const doc = name !== undefined ? res.toKube(items[0]!) : kubeList(items.map(res.toKube));
  const text = serialize(output, doc);
  if (text !== undefined) return print(text);
  // kubectl says this on stderr, so a script reading stdout sees an empty list, not a sentence.
  if (items.length === 0) {
    process.stderr.write(`${res.namespaced ? noResources(scope) : "No resources found"}\n`);
    return;
  }
  print(renderTable(headers, items.map(row)));
}
