import type { RouterInputs } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { renderAutoscalerStatus } from "../output/autoscaler.js";
import { parseChoice } from "../parse.js";
import { snapshotCommand, type Snapshot } from "../snapshot.js";
import type { AutoscalerStatusDTO } from "../types.js";

type Expander = RouterInputs["autoscaler"]["setExpander"]["expander"];

/** How each expander picks the group to grow; a Record, so an expander the API adds is a compile error here. */
export const EXPANDER_HELP: Record<Expander, string> = {
  "least-waste": "the group left with the least idle CPU and memory after placing the pods (default)",
  "most-pods": "the group whose new nodes take the most pending pods",
  random: "any group that takes some pods",
  priority: "the group with the highest --priority",
};
export const EXPANDERS = Object.keys(EXPANDER_HELP) as Expander[];

/** One `autoscaler status` snapshot; -o json prints the API's status object. */
export function autoscalerSnapshot(status: AutoscalerStatusDTO, now = Date.now()): Snapshot {
  return { doc: status, text: renderAutoscalerStatus(status, now), to: "stdout" };
}

/** What `autoscaler expander <name>` says. */
export function expanderChange(res: { expander: string; previous: string }): string {
  return res.previous === res.expander ? `expander is already ${res.expander}` : `expander changed: ${res.previous} -> ${res.expander}`;
}

/** Registers `kube9 autoscaler status|expander`. */
export function registerAutoscalerCommands(program: Command): void {
  const autoscaler = program.command("autoscaler").description("the node autoscaler: what it sees and does, and how it picks a group");

  snapshotCommand(
    autoscaler
      .command("status")
      .description("each group's min/size/ready/max, nodes starting, last activity and backoff; unneeded nodes and why they stay"),
    "table|json (json: the API's status object)",
    async (client) => autoscalerSnapshot(await client.autoscaler.status.query()),
  );

  autoscaler
    .command("expander")
    .argument("[name]", `${EXPANDERS.join("|")}; omit to show the current one`)
    .description("show or set how the autoscaler picks the group to grow when several could take the pending pods")
    .addHelpText("after", "\nExpanders:\n" + EXPANDERS.map((e) => `  ${e.padEnd(12)} ${EXPANDER_HELP[e]}`).join("\n"))
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const expander = name !== undefined ? parseChoice(name, EXPANDERS, "expander") : undefined;
      await withClient(cmd, async ({ client }) => {
        if (!expander) return print((await client.autoscaler.status.query()).expander);
        print(expanderChange(await client.autoscaler.setExpander.mutate({ expander })));
      });
    });
}
