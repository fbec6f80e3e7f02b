import { POLICY_NAMES } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { renderClusterStatus } from "../output/cluster.js";
import { serialize } from "../output/format.js";
import { OUTPUT_HELP, parseAlgorithm, parseOutput } from "../parse.js";

/** Registers `kube9 cluster status|algorithm`. */
export function registerClusterCommands(program: Command): void {
  const cluster = program.command("cluster").description("cluster-wide status and settings");

  cluster
    .command("status")
    .description("nodes and pods by status, capacity vs allocated, algorithm, health timings")
    .option("-o, --output <format>", OUTPUT_HELP)
    .action(async (opts: { output?: string }, cmd: Command) => {
      const output = parseOutput(opts.output);
      await withClient(cmd, async ({ client }) => {
        const status = await client.cluster.status.query();
        print(serialize(output, status) ?? renderClusterStatus(status));
      });
    });

  cluster
    .command("algorithm")
    .argument("[name]", `${POLICY_NAMES.join("|")}; omit to show the current one`)
    .description("show or set the default scheduling algorithm")
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const algorithm = name !== undefined ? parseAlgorithm(name, "algorithm") : undefined;
      await withClient(cmd, async ({ client }) => {
        if (!algorithm) {
          print((await client.cluster.status.query()).algorithm);
          return;
        }
        const res = await client.cluster.setAlgorithm.mutate({ algorithm });
        print(
          res.previous === res.algorithm
            ? `algorithm is already ${res.algorithm}`
            : `algorithm changed: ${res.previous} -> ${res.algorithm}`,
        );
      });
    });
}
