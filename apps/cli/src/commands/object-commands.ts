import type { Kube9Client, WatchMessage } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { serialize } from "../output/format.js";
import { WatchTable } from "../output/table.js";
import { OUTPUT_HELP, parseOutput, type OutputFormat } from "../parse.js";
import { listWatchPrinter, watchUntilInterrupted, type Handlers } from "../watch.js";
import { readScope, withScope, type Scope, type ScopeFlags } from "../scope.js";

// The parts `kube9 node` and `kube9 pod` share: both list, watch and describe objects the same way.

/** How one kind of object is shown in a list; `node list` and `pod list` differ only in this and their source. */
export interface ListView<T> {
  headers(wide: boolean): string[];
  /** Minimum column widths for a watch, whose first batch may be too small to size the columns well. */
  minWidths: readonly number[];
  row(item: T, wide: boolean): string[];
  render(items: T[], wide: boolean): string;
  /** Printed instead of an empty table. */
  empty: string;
}

/** Where the rows come from: a filtered query, or a watch whose rows `keep` filters the way the query does. */
export interface ListSource<T> {
  list(): Promise<T[]>;
  watch(handlers: Handlers<{ data: WatchMessage<T> }>): { unsubscribe(): void };
  keep(item: T): boolean;
}

/** Prints a list once or, with `watch`, the list and then a row for every change until Ctrl-C. */
export async function printList<T>(
  output: OutputFormat,
  watch: boolean | undefined,
  view: ListView<T>,
  source: ListSource<T>,
): Promise<void> {
  const wide = output === "wide";
  if (watch) {
    const table = new WatchTable(view.headers(wide), view.minWidths);
    const show = listWatchPrinter<T>(output, table, (item) => view.row(item, wide), (item) => source.keep(item), print);
    return watchUntilInterrupted<{ data: WatchMessage<T> }>((h) => source.watch(h), (m) => show(m.data));
  }
  const items = await source.list();
  if (items.length === 0 && (output === "table" || output === "wide")) return print(view.empty);
  print(serialize(output, items) ?? view.render(items, wide));
}

/** A subcommand that acts on one named object (`get`, `delete`, ...) and prints the reply. */
export interface NameCommand<R> {
  command: string;
  alias: string;
  kind: string;
  description: string;
  /** The reply's shape, named in --help for json/yaml users, e.g. "{pod, fits, events}". */
  shape?: string;
  run(client: Kube9Client, name: string, scope: Scope): Promise<R>;
  /** Takes -n (the object is namespaced). */
  namespaced?: boolean;
  /** The reply for people (-o table|wide); json/yaml print the reply itself. */
  text(reply: R, wide: boolean): string;
}

/** Registers `<kind> <command> <name> [-o format]`. */
export function registerNameCommand<R>(parent: Command, spec: NameCommand<R>): void {
  const cmd = parent
    .command(spec.command)
    .alias(spec.alias)
    .argument("<name>", `${spec.kind} name`)
    .description(spec.description)
    .option("-o, --output <format>", spec.shape ? `${OUTPUT_HELP} (json/yaml print ${spec.shape})` : OUTPUT_HELP);
  if (spec.namespaced) withScope(cmd);
  cmd.action(async (name: string, opts: ScopeFlags & { output?: string }, self: Command) => {
    const output = parseOutput(opts.output);
    const scope = readScope(opts);
    await withClient(self, async ({ client }) => {
      const reply = await spec.run(client, name, scope);
      print(serialize(output, reply) ?? spec.text(reply, output === "wide"));
    });
  });
}
