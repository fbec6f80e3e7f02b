import type { Command } from "commander";
import { CliError } from "./errors.js";

// kubectl's -n/--namespace and -A/--all-namespaces, the same on every command that reads or writes namespaced
// objects (pods, network policies).

/** Which namespace a command works in, or all of them. */
export interface Scope {
  namespace: string;
  all: boolean;
}

/** The flags as commander gives them. */
export interface ScopeFlags {
  namespace?: string;
  allNamespaces?: boolean;
}

/** Adds -n (and, for reading commands, -A) to a command. */
export function withScope(cmd: Command, opts: { all?: boolean } = {}): Command {
  cmd.option("-n, --namespace <name>", 'the namespace (default "default")');
  if (opts.all) cmd.option("-A, --all-namespaces", "every namespace (adds a NAMESPACE column)");
  return cmd;
}

/** Reads -n/-A; -A with -n is refused, as kubectl would ignore one of them silently. */
export function readScope(flags: ScopeFlags): Scope {
  const namespace = flags.namespace?.trim();
  if (flags.namespace !== undefined && !namespace) throw new CliError('-n/--namespace must not be empty');
  if (flags.allNamespaces && namespace) throw new CliError("give either -n <namespace> or -A (--all-namespaces), not both");
  return { namespace: namespace ?? "default", all: !!flags.allNamespaces };
}

/** The namespace to send: undefined for "default" keeps requests as they were before namespaces. */
export function nsInput(scope: Scope): { namespace?: string } {
  return scope.namespace === "default" ? {} : { namespace: scope.namespace };
}

/** kubectl's "No resources found in <ns> namespace." (or without a namespace for -A and cluster-scoped kinds). */
export function noResources(scope: Scope | undefined): string {
  return !scope || scope.all ? "No resources found" : `No resources found in ${scope.namespace} namespace.`;
}
