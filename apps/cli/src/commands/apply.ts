import type { Kube9Client } from "@kube9/client";
import type { Command } from "commander";
import type { Connection } from "../config.js";
import { print, withClient } from "../context.js";
import { CliError, isNetworkError, ReportedError, toCliError, trpcCode } from "../errors.js";
import {
  identify,
  isNodeGroupManifest,
  isRuleManifest,
  loadManifests,
  NODE_GROUP_RESOURCE,
  PROMETHEUS_RULE_RESOURCE,
  ruleNames,
  unsupportedKind,
  where,
  type ManifestDoc,
} from "../manifests.js";
import { collect, parseSeconds } from "../parse.js";
import { nsInput, readScope, withScope, type Scope, type ScopeFlags } from "../scope.js";
import { pollUntil } from "../wait.js";
import { parseResourceArgs } from "./resources.js";

// kubectl's writing verbs: `apply -f` and `delete`. Both go on past a failed document or name, as kubectl
// does, print one `error: ...` line for each, and exit 1 at the end if anything failed.

/** Runs `step` for each target; prints its failure and goes on, unless the API cannot be reached at all. */
async function eachReported<T>(targets: readonly T[], conn: Connection, step: (t: T) => Promise<void>, label: (t: T) => string): Promise<boolean> {
  let failed = false;
  for (const t of targets) {
    try {
      await step(t);
    } catch (err) {
      if (isNetworkError(err)) throw err;
      failed = true;
      const msg = toCliError(err, conn).message;
      process.stderr.write(`error: ${label(t)}${msg}\n`);
    }
  }
  return failed;
}

/** The files of -f, or kubectl's complaint when there are none. */
function requireFiles(files: string[] | undefined): string[] {
  if (!files?.length) throw new CliError("must specify -f <file> (a Pod manifest, YAML or JSON; - for stdin)");
  return files;
}

/** Every document of every -f file, each with its file. */
async function documents(files: string[]): Promise<{ file: string; doc: ManifestDoc }[]> {
  return (await loadManifests(files)).flatMap(({ file, docs }) => docs.map((doc) => ({ file, doc })));
}

/** What a failed document's error line starts with: where it is, and its object when it has a name. */
function docLabel({ file, doc }: { file: string; doc: ManifestDoc }): string {
  const { name } = identify(doc.value);
  const kind = isRuleManifest(doc.value) ? "prometheusrule" : isNodeGroupManifest(doc.value) ? "nodegroup" : (identify(doc.value).kind ?? "pod").toLowerCase();
  return `${where(doc, file)}: ${name ? `${kind} "${name}": ` : ""}`;
}

/** Registers `kube9 apply -f` and `kube9 delete`. */
export function registerApplyCommands(program: Command): void {
  withScope(
    program
      .command("apply")
      .description("create pods, namespaces and network policies from Kubernetes manifests, alert rules from PrometheusRule manifests or Prometheus rule files, and node groups from NodeGroup manifests")
      .option("-f, --filename <file>", "manifest file, or - for stdin (repeatable)", collect),
  )
    .addHelpText("after", "\nExamples:\n  kube9 apply -f pods.yaml\n  kube9 apply -f policy.yaml -n x           # a NetworkPolicy (networking.k8s.io/v1), unchanged\n  cat pod.json | kube9 apply -f -\n  kube9 apply -f rules.yaml                 # kind: PrometheusRule, or a file with groups: at the top")
    .action(async (opts: ScopeFlags & { filename?: string[] }, cmd: Command) => {
      const docs = await documents(requireFiles(opts.filename));
      const ns = opts.namespace !== undefined ? { namespace: readScope(opts).namespace } : {};
      await withClient(cmd, async ({ client, conn }) => {
        const failed = await eachReported(docs, conn, async ({ file, doc }) => {
          const wrongKind = unsupportedKind(doc, file);
          if (wrongKind) throw new CliError(wrongKind);
          if (isRuleManifest(doc.value)) {
            const applied = await client.alerts.applyRules.mutate({ manifest: doc.value });
            for (const r of applied) print(`${PROMETHEUS_RULE_RESOURCE}/${r.name} ${r.action}`);
            return;
          }
          if (isNodeGroupManifest(doc.value)) {
            const res = await client.nodeGroups.applyManifest.mutate({ manifest: doc.value });
            return print(`${NODE_GROUP_RESOURCE}/${res.group.name} ${res.action}`);
          }
          const { kind } = identify(doc.value);
          if (kind === "Namespace") {
            const res = await client.namespaces.applyManifest.mutate({ manifest: doc.value });
            return print(`namespace/${res.namespace.name} ${res.action}`);
          }
          if (kind === "NetworkPolicy") {
            const res = await client.networkPolicies.applyManifest.mutate({ manifest: doc.value, ...ns });
            return print(`${NETPOL_RESOURCE_NAME}/${res.policy.name} ${res.action}`);
          }
          const res = await client.pods.applyManifest.mutate({ manifest: doc.value, ...ns });
          print(`pod/${res.pod.name} ${res.action}`);
        }, (t) => (unsupportedKind(t.doc, t.file) ? "" : docLabel(t)));
        if (failed) throw new ReportedError();
      });
    });

  withScope(program
    .command("delete")
    .argument("[type]", "pod (po), node (no), namespace (ns), networkpolicy (netpol) or nodegroup (ng); or <type>/<name>")
    .argument("[names...]", "the objects to delete")
    .description("delete pods (waiting until their containers stopped and they are gone), namespaces (with their pods and policies), network policies, nodes or node groups"))
    .option("-f, --filename <file>", "delete the pods (or alert rules, node groups) a manifest describes; - for stdin (repeatable)", collect)
    .option("--grace-period <seconds>", "seconds a pod's containers get to stop (0: at once); default: the pod's own")
    .option("--wait [bool]", "wait until the objects are gone (--wait=false returns at once)", "true")
    .option("--timeout <seconds>", "how long to wait until they are gone", "120")
    .option("--ignore-not-found", "a missing object is not an error")
    .addHelpText("after", "\nExamples:\n  kube9 delete pod web\n  kube9 delete po/web --grace-period 0\n  kube9 delete -f pods.yaml --wait=false")
    .action(async (type: string | undefined, names: string[], opts: DeleteOptions, cmd: Command) => {
      const scope = readScope(opts);
      const plan = await deletePlan(type, names, opts.filename, scope);
      const grace = opts.gracePeriod !== undefined ? parseGrace(opts.gracePeriod) : undefined;
      const wait = parseBool(opts.wait, "--wait");
      const timeoutMs = parseSeconds(opts.timeout);
      await withClient(cmd, async ({ client, conn }) => {
        const gone: GoneTarget[] = [];
        const failed = await eachReported(plan, conn, async (t) => {
          if ("error" in t) throw new CliError(t.error);
          let deleted: { id: string; said: string };
          try {
            deleted = await deleteOne(client, t, grace);
          } catch (err) {
            if (opts.ignoreNotFound && trpcCode(err) === "NOT_FOUND") return;
            throw err;
          }
          print(deleted.said);
          if (t.kind === "pod" || t.kind === "namespace") gone.push({ kind: t.kind, name: t.name, namespace: t.namespace, id: deleted.id });
        }, () => "");
        if (wait) await waitGone(client, gone, timeoutMs);
        if (failed) throw new ReportedError();
      });
    });
}

interface DeleteOptions extends ScopeFlags {
  filename?: string[];
  gracePeriod?: string;
  wait: string | boolean;
  timeout: string;
  ignoreNotFound?: boolean;
}

type DeleteKind = "pod" | "node" | "nodegroup" | "rule" | "namespace" | "networkpolicy";
type DeleteTarget = { kind: DeleteKind; name: string; namespace: string } | { error: string };
type GoneTarget = { kind: "pod" | "namespace"; name: string; namespace: string; id: string };

/** How kubectl names the NetworkPolicy resource in what it prints. */
const NETPOL_RESOURCE_NAME = "networkpolicy.networking.k8s.io";

const KIND_OF_MANIFEST: Record<string, DeleteKind> = { Pod: "pod", NodeGroup: "nodegroup", Namespace: "namespace", NetworkPolicy: "networkpolicy" };

/** What to delete: `<type> <names...>`, `<type>/<name>...`, or the named pods, alert rules and node groups of -f manifests (not both). */
async function deletePlan(type: string | undefined, names: string[], files: string[] | undefined, scope: Scope): Promise<DeleteTarget[]> {
  if (files?.length) {
    if (type !== undefined) throw new CliError("give either -f or a type and names, not both");
    return (await documents(files)).flatMap(({ file, doc }): DeleteTarget[] => {
      const wrongKind = unsupportedKind(doc, file);
      if (wrongKind) return [{ error: wrongKind }];
      if (isRuleManifest(doc.value)) {
        const rules = ruleNames(doc.value);
        if (rules.length === 0) return [{ error: `${where(doc, file)}: no alert rules to delete (no groups[].rules[].alert)` }];
        return rules.map((name) => ({ kind: "rule", name, namespace: scope.namespace }));
      }
      const { name, kind } = identify(doc.value);
      if (!name) return [{ error: `${where(doc, file)}: metadata.name: Required value` }];
      const own = (doc.value as { metadata?: { namespace?: unknown } }).metadata?.namespace;
      return [{ kind: KIND_OF_MANIFEST[kind ?? "Pod"] ?? "pod", name, namespace: typeof own === "string" ? own : scope.namespace }];
    });
  }
  if (type === undefined) throw new CliError("you must provide one or more resources by argument or filename (kube9 delete pod <name>, or -f <file>)");
  // kubectl also takes several type/name arguments: `delete pod/a pod/b`.
  if (type.includes("/")) {
    return [type, ...names].map((arg) => {
      const { kind, name } = parseResourceArgs(arg, undefined);
      return { kind, name: name ?? "", namespace: scope.namespace };
    });
  }
  const { kind } = parseResourceArgs(type, undefined);
  if (names.length === 0) throw new CliError(`resource(s) were provided, but no name was specified (kube9 delete ${kind} <name>)`);
  return names.map((name) => ({ kind, name, namespace: scope.namespace }));
}

/** Deletes one object; returns its id (a new pod may take the name while we wait) and what to print. */
async function deleteOne(
  client: Kube9Client,
  { kind, name, namespace }: { kind: DeleteKind; name: string; namespace: string },
  grace: number | undefined,
): Promise<{ id: string; said: string }> {
  const said = `${kind} "${name}" deleted`;
  const scope = { namespace, all: false };
  if (kind === "namespace") return { id: (await client.namespaces.delete.mutate({ name })).name, said };
  if (kind === "networkpolicy") {
    await client.networkPolicies.delete.mutate({ name, namespace });
    return { id: name, said: `${NETPOL_RESOURCE_NAME} "${name}" deleted` };
  }
  // A Kube-9 node is removed by draining it, so deleting one reschedules its pods first.
  if (kind === "node") return { id: (await client.nodes.remove.mutate({ name })).node.id, said };
  // A group's nodes go with it, each drained as `node remove` drains it.
  if (kind === "nodegroup") return { id: (await client.nodeGroups.delete.mutate({ name })).name, said: `${NODE_GROUP_RESOURCE} "${name}" deleted` };
  if (kind === "rule") {
    // A built-in rule cannot go away: deleting it puts it back to its defaults, and the line says so.
    const { action } = await client.alerts.deleteRule.mutate({ name });
    return { id: name, said: `${PROMETHEUS_RULE_RESOURCE} "${name}" ${action === "reset" ? "reset to its built-in defaults" : "deleted"}` };
  }
  const pod = await client.pods.delete.mutate({ name, ...nsInput(scope), ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) });
  return { id: pod.id, said };
}

/**
 * Polls until none of the pods (or namespaces) exists any more: a Terminating pod waits for its node to stop its
 * containers, a namespace for its pods.
 */
async function waitGone(client: Kube9Client, targets: GoneTarget[], timeoutMs: number): Promise<void> {
  for (const { kind, name, namespace, id } of targets) {
    await pollUntil(
      async () => {
        try {
          if (kind === "namespace") return { done: false, status: (await client.namespaces.get.query({ name })).status };
          const { pod } = await client.pods.get.query({ name, ...nsInput({ namespace, all: false }) });
          if (pod.id !== id) return { done: true, value: undefined };
          return { done: false, status: pod.status };
        } catch (err) {
          if (trpcCode(err) === "NOT_FOUND") return { done: true, value: undefined };
          throw err;
        }
      },
      {
        intervalMs: 250,
        timeoutMs,
        timeoutMessage: (last, s) => `timed out after ${s} s waiting for ${kind} "${name}" to be deleted (still ${last})`,
      },
    );
  }
}

/** Reads --grace-period: whole seconds; kubectl's -1 (and any negative) means the pod's own. */
export function parseGrace(raw: string): number | undefined {
  const text = raw.trim();
  if (!/^-?\d+$/.test(text) || Number(text) > 3600) {
    throw new CliError(`--grace-period must be a whole number of seconds up to 3600 (got "${raw}")`);
  }
  const n = Number(text);
  return n < 0 ? undefined : n;
}

/** Reads a kubectl boolean flag value (`--wait=false`); commander gives `true` for a bare `--wait`. */
export function parseBool(raw: string | boolean, flag: string): boolean {
  if (typeof raw === "boolean") return raw;
  const text = raw.trim().toLowerCase();
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  throw new CliError(`${flag} must be true or false (got "${raw}")`);
}
