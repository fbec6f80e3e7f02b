import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { EventPrinter } from "../output/events.js";
import { serialize } from "../output/format.js";
import { OUTPUT_HELP, parseOutput, type OutputFormat } from "../parse.js";
import { streamPrinter, watchUntilInterrupted } from "../watch.js";
import type { EventDTO } from "../types.js";

/** Registers `kube9 events [-w] [--for <name>]`. */
export function registerEventsCommand(program: Command): void {
  program
    .command("events")
    .description("list cluster events (oldest first); -w keeps printing new ones until Ctrl-C")
    .option("-w, --watch", "keep printing new events")
    .option("--for <name>", "only events about this node or pod")
    .option("-n, --namespace <name>", "the namespace of the pod named by --for (default \"default\")")
    .option("--limit <n>", "how many events to list first (1..1000)", "100")
    .option("-o, --output <format>", `${OUTPUT_HELP} (with -w, json is one object per line)`)
    .action(async (opts: { watch?: boolean; for?: string; namespace?: string; limit: string; output?: string }, cmd: Command) => {
      const output = parseOutput(opts.output);
      const limit = /^\d+$/.test(opts.limit) ? Number(opts.limit) : NaN;
      if (!(limit >= 1 && limit <= 1000)) {
        throw new CliError(`--limit must be a whole number from 1 to 1000 (got "${opts.limit}")`);
      }
      if (opts.namespace !== undefined && opts.for === undefined) throw new CliError("-n goes with --for <pod>: events are cluster-wide");
      const filter = opts.for !== undefined ? { objectName: opts.for } : {};
      await withClient(cmd, async ({ client }) => {
        const first = await client.events.list.query({ limit, ...filter, ...(opts.namespace ? { namespace: opts.namespace } : {}) });
        if (!opts.watch) {
          if (first.length === 0 && (output === "table" || output === "wide")) return print("No events.");
          return print(serialize(output, first) ?? new EventPrinter(output === "wide").lines(first).join("\n"));
        }
        const emit = streamer(output);
        emit(first);
        // Live through the events.watch subscription: resume after the last listed event, so nothing is missed.
        // (With nothing listed, resume from 0: the events that happened between the list and the subscription.)
        const lastEventId = String(first.at(-1)?.id ?? 0);
        await watchUntilInterrupted<{ id: string; data: EventDTO }>(
          (h) => client.events.watch.subscribe({ lastEventId, ...filter }, h),
          (m) => emit([m.data]),
        );
      });
    });
}

/** Printer for a watch: a table that stays aligned, NDJSON, or YAML documents. */
function streamer(output: OutputFormat): (events: readonly EventDTO[]) => void {
  const table = new EventPrinter(output === "wide");
  return streamPrinter<EventDTO>(output, (evs) => table.lines(evs), print);
}
