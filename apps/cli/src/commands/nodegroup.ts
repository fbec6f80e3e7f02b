import { RUNTIME_KINDS, type Kube9Client, type RouterInputs } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { parseDurationFlag } from "../duration.js";
import { CliError, toCliError, trpcCode } from "../errors.js";
import { formatLabels, serialize } from "../output/format.js";
import { kubeList } from "../output/kube-objects.js";
import { formatTemplate, LOAD_METRIC_WORDS, NO_GROUPS, NODE_GROUP_LABEL, renderNodeGroupDetail, renderNodeGroups } from "../output/nodegroups.js";
import {
  collect,
  parseChoice,
  parseCores,
  parseLabels,
  parseManifestOutput,
  parseMemory,
  parseName,
  parseNodeRuntime,
  parseRatio,
  parseWhole,
  type OutputFormat,
} from "../parse.js";
import type { NodeGroupDTO } from "../types.js";

type CreateInput = RouterInputs["nodeGroups"]["create"];
type LoadMetric = NonNullable<NonNullable<CreateInput["settings"]>["loadMetric"]>;

/** The API's limit on a group's size: far beyond one machine, low enough to catch a typo. */
const MAX_GROUP_SIZE = 1000;
/** Node names are `<group>-<5 characters>` and must stay valid names. */
const MAX_GROUP_NAME_LENGTH = 40;
const LOAD_METRICS = Object.keys(LOAD_METRIC_WORDS) as LoadMetric[];
const OUTPUT = "table|json|yaml (json: the API's node group objects; yaml: NodeGroup manifests for kube9 apply -f)";

/** The flags of `nodegroup create`, as commander hands them over. */
export interface CreateFlags {
  min: string;
  max: string;
  cpu: string;
  memory?: string;
  runtime?: string;
  label?: string[];
  priority?: string;
  unneededTime?: string;
  scaleUpDelay?: string;
  lowWater?: string;
  highWater?: string;
  highDuration?: string;
  loadMetric?: string;
  nodeReadyTimeout?: string;
}

/** Reads a duration flag; the API takes the text itself, so it is passed on as given. */
function duration(raw: string, flag: string, minMs = 0): string {
  parseDurationFlag(raw, flag, minMs);
  return raw.trim();
}

/** The settings flags that were given, as API input. */
function parseSettings(f: CreateFlags): NonNullable<CreateInput["settings"]> {
  const low = f.lowWater !== undefined ? parseRatio(f.lowWater, "--low-water") : undefined;
  const high = f.highWater !== undefined ? parseRatio(f.highWater, "--high-water") : undefined;
  // Otherwise a node added for load is unneeded at once, and the group flaps between the two.
  if (low !== undefined && high !== undefined && high > 0 && high <= low) {
    throw new CliError(`--high-water must be greater than --low-water (${low}), or 0 to turn load scale-up off (got "${f.highWater}")`);
  }
  return {
    ...(f.scaleUpDelay !== undefined ? { scaleUpDelay: duration(f.scaleUpDelay, "--scale-up-delay") } : {}),
    ...(f.unneededTime !== undefined ? { unneededTime: duration(f.unneededTime, "--unneeded-time") } : {}),
    ...(low !== undefined ? { lowWaterMark: low } : {}),
    ...(high !== undefined ? { highWaterMark: high } : {}),
    ...(f.highDuration !== undefined ? { highDuration: duration(f.highDuration, "--high-duration") } : {}),
    ...(f.loadMetric !== undefined ? { loadMetric: parseChoice(f.loadMetric, LOAD_METRICS, "--load-metric") } : {}),
    // A node must get some time to come up: 0 would remove every new node at once.
    ...(f.nodeReadyTimeout !== undefined ? { nodeReadyTimeout: duration(f.nodeReadyTimeout, "--node-ready-timeout", 1000) } : {}),
  };
}

/** Reads `nodegroup create <name>` and its flags into API input; every refusal names its flag. */
export function parseCreateFlags(name: string, f: CreateFlags): CreateInput {
  parseName(name, "name");
  if (name.length > MAX_GROUP_NAME_LENGTH) {
    throw new CliError(`name must be at most ${MAX_GROUP_NAME_LENGTH} characters: node names add "-" and 5 more (got "${name}")`);
  }
  const min = parseWhole(f.min, "--min", 0, MAX_GROUP_SIZE);
  const max = parseWhole(f.max, "--max", 0, MAX_GROUP_SIZE);
  if (max < min) throw new CliError(`--max must be at least --min (${min}) (got "${f.max}")`);
  const labels = f.label ? parseLabels(f.label) : undefined;
  if (labels && NODE_GROUP_LABEL in labels) throw new CliError(`--label ${NODE_GROUP_LABEL} is set by Kube-9 to the group's name on every node of the group`);
  const settings = parseSettings(f);
  return {
    name,
    min,
    max,
    cpu: parseCores(f.cpu),
    ...(f.memory !== undefined ? { memoryMiB: parseMemory(f.memory) } : {}),
    ...(f.runtime !== undefined ? { runtime: parseNodeRuntime(f.runtime) } : {}),
    ...(labels ? { labels } : {}),
    ...(f.priority !== undefined ? { priority: parseWhole(f.priority, "--priority", -1000, 1000) } : {}),
    ...(Object.keys(settings).length ? { settings } : {}),
  };
}

// The API words a group's errors with manifest paths (one wording for flags and YAML); after flags, name the flags.
const FLAG_OF_FIELD: readonly (readonly [string, string])[] = [
  ["metadata.name", "name"],
  ["spec.minSize", "--min"],
  ["spec.maxSize", "--max"],
  ["spec.priority", "--priority"],
  ["spec.template.cpu", "--cpu"],
  ["spec.template.memory", "--memory"],
  ["spec.template.runtime", "--runtime"],
  ["spec.template.labels", "--label"],
  ["spec.scaleUp.delay", "--scale-up-delay"],
  ["spec.scaleUp.loadHighWaterMark", "--high-water"],
  ["spec.scaleUp.loadDuration", "--high-duration"],
  ["spec.scaleUp.loadMetric", "--load-metric"],
  ["spec.scaleDown.unneededTime", "--unneeded-time"],
  ["spec.scaleDown.utilizationThreshold", "--low-water"],
  ["spec.nodeReadyTimeout", "--node-ready-timeout"],
];

/** An API refusal of `nodegroup create` with the manifest paths in it replaced by the flags that set them. */
export function inFlagWords(message: string): string {
  return FLAG_OF_FIELD.reduce((text, [field, flag]) => text.split(field).join(flag), message);
}

/** An API refusal reworded by `words` (manifest paths to flags); any other error as it is. */
function flagWorded(err: unknown, words: (message: string) => string): unknown {
  return trpcCode(err) === "BAD_REQUEST" ? new CliError(words(toCliError(err).message)) : err;
}

/** What `nodegroup create` says: the group's bounds and what its nodes are. */
export function createdSummary(g: NodeGroupDTO): string {
  const labels = Object.keys(g.template.labels).length ? `, labels ${formatLabels(g.template.labels)}` : "";
  return `nodegroup/${g.name} created: min ${g.min}, max ${g.max}, nodes of ${formatTemplate(g.template)}${labels}`;
}

/** What `nodegroup scale` says; new nodes are usually still starting when it answers, so Ready is counted apart. */
export function scaledSummary(g: NodeGroupDTO): string {
  return `nodegroup/${g.name} scaled to ${g.size} node${g.size === 1 ? "" : "s"}: ${g.ready} Ready (min ${g.min}, max ${g.max})`;
}

/** What `nodegroup delete` says: the group, then each node it removed (drained first). */
export function deletedSummary(res: { name: string; removedNodes: string[] }): string {
  if (res.removedNodes.length === 0) return `nodegroup/${res.name} deleted (it had no nodes)`;
  return [`nodegroup/${res.name} deleted`, ...res.removedNodes.map((n) => `  node/${n} removed`)].join("\n");
}

/** A group as its NodeGroup manifest, which `kube9 apply -f` takes back. */
function manifest(client: Kube9Client, name: string): Promise<unknown> {
  return client.nodeGroups.manifest.query({ name });
}

/** The groups' manifests, by name, in a List (what `kubectl get -o yaml` prints; `apply -f` unpacks it). */
async function manifestList(client: Kube9Client, groups: readonly NodeGroupDTO[]): Promise<unknown> {
  return kubeList(await Promise.all(groups.map((g) => g.name).sort().map((name) => manifest(client, name))));
}

/**
 * `kube9 get nodegroups [name]`, for kubectl habits: the list table, or for -o json|yaml the NodeGroup
 * manifests (a List without a name), as `get` prints Kubernetes objects rather than the API's.
 */
export async function getNodeGroups(client: Kube9Client, name: string | undefined, output: OutputFormat): Promise<void> {
  if (output === "json" || output === "yaml") {
    const doc = name !== undefined ? await manifest(client, name) : await manifestList(client, await client.nodeGroups.list.query());
    return print(serialize(output, doc)!);
  }
  const groups = name !== undefined ? [await client.nodeGroups.get.query({ name })] : await client.nodeGroups.list.query();
  const text = renderNodeGroups(groups);
  // kubectl says this on stderr, so a script reading stdout sees an empty list, not a sentence.
  if (text === undefined) process.stderr.write("No resources found.\n");
  else print(text);
}

/** `describe nodegroup [name]`: the describe view of one group, or of every group. */
export async function describeNodeGroups(client: Kube9Client, name: string | undefined): Promise<string> {
  const groups = name !== undefined ? [await client.nodeGroups.get.query({ name })] : await client.nodeGroups.list.query();
  return groups.length ? groups.map((g) => renderNodeGroupDetail(g)).join("\n\n\n") : "No resources found.";
}

/** Registers `kube9 nodegroup create|list|get|scale|delete`. */
export function registerNodeGroupCommands(program: Command): void {
  const group = program
    .command("nodegroup")
    .alias("ng")
    .description("node groups: nodes of one template that the autoscaler keeps between min and max");

  group
    .command("create")
    .argument("<name>", "the group's name; its nodes are named <name>-<5 characters>")
    .description("create a node group; the autoscaler brings it to --min at once, then grows and shrinks it")
    .requiredOption("--min <n>", "fewest nodes (0 and up)")
    .requiredOption("--max <n>", "most nodes")
    .requiredOption("--cpu <cores>", "CPU of each node in cores (e.g. 2, 0.5, 500m)")
    .option("--memory <MiB>", "memory of each node in MiB, or 512Mi, 2Gi (default: 4Gi per core)")
    .option("--runtime <runtime>", `${RUNTIME_KINDS.join("|")} (default: the control plane's runtime)`)
    .option("--label <key=value>", "label of each node (repeatable); pods select the group with --selector", collect)
    .option("--priority <n>", "-1000..1000; higher wins under the priority expander (default 0)")
    .option("--scale-up-delay <duration>", "how long a pod is unschedulable before it adds nodes (default 2s)")
    .option("--unneeded-time <duration>", "how long a node is below --low-water before it is removed (default 30s)")
    .option("--low-water <ratio>", "utilization below which a node is unneeded, 0..1 (default 0.5)")
    .option("--high-water <ratio>", "utilization above which, for --high-duration, a node is added, 0..1; 0 turns it off (default 0.8)")
    .option("--high-duration <duration>", "how long the group must stay above --high-water (default 10s)")
    .option("--load-metric <metric>", `${LOAD_METRICS.join("|")}: what utilization means (default both)`)
    .option("--node-ready-timeout <duration>", "a new node not Ready by then is removed and the group backs off (default 30s)")
    .addHelpText(
      "after",
      "\nDurations are Prometheus durations: 30s, 1m30s, 500ms.\n\nExamples:\n" +
        "  kube9 nodegroup create web --min 0 --max 4 --cpu 2 --memory 1Gi --label tier=web --unneeded-time 3s\n" +
        "  kube9 pod launch --cpu 1 --selector tier=web      # pending until the group adds a node for it",
    )
    .action(async (name: string, flags: CreateFlags, cmd: Command) => {
      const input = parseCreateFlags(name, flags);
      await withClient(cmd, async ({ client }) => {
        const g = await client.nodeGroups.create.mutate(input).catch((err: unknown) => Promise.reject(flagWorded(err, inFlagWords)));
        print(createdSummary(g));
      });
    });

  group
    .command("list")
    .alias("ls")
    .description("list node groups: bounds, ready/size, template, what the autoscaler last did")
    .option("-o, --output <format>", OUTPUT)
    .action(async (opts: { output?: string }, cmd: Command) => {
      const output = parseManifestOutput(opts.output);
      await withClient(cmd, async ({ client }) => {
        const groups = await client.nodeGroups.list.query();
        if (output === "json") return print(serialize("json", groups)!);
        if (output === "yaml") return print(serialize("yaml", await manifestList(client, groups))!);
        print(renderNodeGroups(groups) ?? NO_GROUPS);
      });
    });

  group
    .command("get")
    .alias("describe")
    .argument("<name>", "node group name")
    .description("describe a node group: template, settings, nodes, last activity and backoff")
    .option("-o, --output <format>", OUTPUT)
    .addHelpText("after", "\nExamples:\n  kube9 nodegroup get web\n  kube9 nodegroup get web -o yaml > web.yaml   # edit, then: kube9 apply -f web.yaml")
    .action(async (name: string, opts: { output?: string }, cmd: Command) => {
      const output = parseManifestOutput(opts.output);
      await withClient(cmd, async ({ client }) => {
        if (output === "yaml") return print(serialize("yaml", await manifest(client, name))!);
        const g = await client.nodeGroups.get.query({ name });
        print(output === "json" ? serialize("json", g)! : renderNodeGroupDetail(g));
      });
    });

  group
    .command("scale")
    .argument("<name>", "node group name")
    .description("set the group's size now (within min and max): adds nodes, or drains and removes the emptiest")
    .requiredOption("--size <n>", "the number of nodes")
    .action(async (name: string, opts: { size: string }, cmd: Command) => {
      const size = parseWhole(opts.size, "--size", 0, MAX_GROUP_SIZE);
      await withClient(cmd, async ({ client }) => {
        const g = await client.nodeGroups.scale.mutate({ name, size }).catch((err: unknown) => Promise.reject(flagWorded(err, (m) => m.replace(/^size:/, "--size:"))));
        print(scaledSummary(g));
      });
    });

  group
    .command("delete")
    .alias("rm")
    .argument("<name>", "node group name")
    .description("delete a node group and its nodes (each drained: its pods are rescheduled first)")
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async ({ client }) => print(deletedSummary(await client.nodeGroups.delete.mutate({ name }))));
    });
}
