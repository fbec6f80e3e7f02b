import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { collect, parseLabels } from "../parse.js";
import { nsInput, readScope, withScope, type ScopeFlags } from "../scope.js";
import { parseResourceArgs } from "./resources.js";

/** Registers `kube9 create namespace` and `kube9 label pod|namespace`. */
export function registerNamespaceCommands(program: Command): void {
  const create = program.command("create").description("create an object from flags (kubectl create)");
  create
    .command("namespace")
    .alias("ns")
    .argument("<name>", "the namespace (a DNS label: lowercase letters, digits, '-')")
    .option("--label <key=value>", "namespace label (repeatable); kubernetes.io/metadata.name=<name> is always added", collect)
    .description("create a namespace")
    .addHelpText("after", "\nExamples:\n  kube9 create namespace x --label team=a\n  kube9 pod launch -n x --image busybox -- sleep 3600")
    .action(async (name: string, opts: { label?: string[] }, cmd: Command) => {
      const labels = opts.label ? parseLabels(opts.label) : undefined;
      await withClient(cmd, async ({ client }) => {
        const ns = await client.namespaces.create.mutate({ name, ...(labels ? { labels } : {}) });
        print(`namespace/${ns.name} created`);
      });
    });

  withScope(
    program
      .command("label")
      .argument("<type>", "pod (po) or namespace (ns); or <type>/<name>")
      .argument("[args...]", "the name (unless type/name), then key=value to set and key- to remove")
      .option("--overwrite", "allow changing a label that already has a value")
      .description("set or remove labels of a pod or namespace (policies that select them follow at once)"),
  )
    .addHelpText("after", "\nExamples:\n  kube9 label pod a -n x role=db\n  kube9 label ns y ns2=updated\n  kube9 label pod/a role-")
    .action(async (type: string, args: string[], opts: ScopeFlags & { overwrite?: boolean }, cmd: Command) => {
      const slashed = type.includes("/");
      const { kind, name } = parseResourceArgs(type, slashed ? undefined : args[0]);
      const changes = slashed ? args : args.slice(1);
      if (!name) throw new CliError("give the object's name: kube9 label <type> <name> key=value ...");
      if (kind !== "pod" && kind !== "namespace") throw new CliError(`kube9 label changes pods and namespaces (got ${kind})`);
      if (changes.length === 0) throw new CliError("at least one label update is required (key=value, or key- to remove)");
      const removals = changes.filter((c) => c.endsWith("-") && !c.includes("=")).map((c) => c.slice(0, -1));
      const sets = parseLabels(changes.filter((c) => !(c.endsWith("-") && !c.includes("="))), "label");
      const scope = readScope(opts);
      await withClient(cmd, async ({ client }) => {
        const current = kind === "pod"
          ? (await client.pods.get.query({ name, ...nsInput(scope) })).pod.labels
          : withoutNameLabel((await client.namespaces.get.query({ name })).labels);
        for (const [k, v] of Object.entries(sets)) {
          if (!opts.overwrite && Object.hasOwn(current, k) && current[k] !== v) {
            throw new CliError(`'${k}' already has a value (${current[k]}), and --overwrite is false`);
          }
        }
        const labels = { ...current, ...sets };
        for (const k of removals) delete labels[k];
        if (kind === "pod") await client.pods.setLabels.mutate({ name, labels, ...nsInput(scope) });
        else await client.namespaces.setLabels.mutate({ name, labels });
        print(`${kind}/${name} labeled`);
      });
    });
}

/** kubernetes.io/metadata.name is derived from the name; it is never sent back. */
function withoutNameLabel(labels: Record<string, string>): Record<string, string> {
  const { "kubernetes.io/metadata.name": _own, ...rest } = labels;
  return rest;
}
