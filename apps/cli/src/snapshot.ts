import type { Kube9Client } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "./context.js";
import { CliError } from "./errors.js";
import { serialize } from "./output/format.js";
import { parseChoice } from "./parse.js";
import { frameWriter, refreshUntilInterrupted } from "./watch.js";

// Views that are a snapshot of something measured (`top`, `alerts`): printed once, or redrawn every 2 s
// with -w. Unlike `get -w` there is no change stream to follow: use and alert values move every second.

export const SNAPSHOT_FORMATS = ["table", "json"] as const;
export type SnapshotFormat = (typeof SNAPSHOT_FORMATS)[number];

/** Parses `-o` of a snapshot view: a table, or the API's objects as JSON. */
export function parseSnapshotOutput(raw: string | undefined): SnapshotFormat {
  return raw === undefined ? "table" : parseChoice(raw, SNAPSHOT_FORMATS, "-o/--output");
}

/**
 * One snapshot: `doc` is what -o json prints (the objects shown, in the order shown); `text` is the table,
 * or the sentence kubectl says instead of an empty one, which goes to `to` (stderr, or an error: exit 1).
 */
export interface Snapshot {
  doc: unknown;
  text: string;
  to: "stdout" | "stderr" | "error";
}

/** Prints a snapshot once or, with `watch`, redraws it every 2 s until Ctrl-C (json: one array a line). */
export async function showSnapshots(output: SnapshotFormat, watch: boolean | undefined, take: () => Promise<Snapshot>): Promise<void> {
  if (watch) {
    const show = output === "json" ? print : frameWriter();
    return refreshUntilInterrupted(async () => {
      const s = await take();
      return output === "json" ? JSON.stringify(s.doc) : s.text;
    }, show);
  }
  const s = await take();
  if (output === "json") return print(serialize("json", s.doc)!);
  if (s.to === "error") throw new CliError(s.text);
  // kubectl says "No resources found" on stderr, so a script reading stdout sees an empty table, not a sentence.
  if (s.to === "stderr") process.stderr.write(s.text + "\n");
  else print(s.text);
}

/** Gives a snapshot view's command -o table|json and -w, and runs it: `take` reads one snapshot from the API. */
export function snapshotCommand(command: Command, outputHelp: string, take: (client: Kube9Client) => Promise<Snapshot>): Command {
  return command
    .option("-o, --output <format>", outputHelp)
    .option("-w, --watch", "redraw every 2 s until Ctrl-C")
    .action(async (opts: { output?: string; watch?: boolean }, cmd: Command) => {
      const output = parseSnapshotOutput(opts.output);
      await withClient(cmd, ({ client }) => showSnapshots(output, opts.watch, () => take(client)));
    });
}
