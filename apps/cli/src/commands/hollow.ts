import { parseHollowUsage, type HollowUsageOptions } from "@kube9/client";
import { HollowFleet, type FleetStats } from "@kube9/node-agent";
import { Option, type Command } from "commander";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { collect, parseCores, parseLabels, parseMemory, parseName, parseWhole } from "../parse.js";
import { onceInterrupted } from "../watch.js";

interface HollowOptions {
  nodes: string;
  cpu: string;
  memory?: string;
  namePrefix: string;
  label?: string[];
  podUsage?: string;
  podsPerNodeUsage?: string;
  batch: boolean;
  batchSize: string;
  connections: string;
  statsEvery: string;
}

/** Parses a --pod-usage spec (core's rules) into options, or a CliError naming the flag. */
function parseUsage(raw: string | undefined, flag: string): HollowUsageOptions | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseHollowUsage(raw);
  if (!parsed.ok) throw new CliError(`${flag}: ${parsed.error}`);
  return parsed.options;
}

/** One status line: how many nodes beat, how fast, how slow at worst. */
export function fleetLine(s: FleetStats, seconds: number): string {
  const rate = seconds > 0 ? Math.round(s.windowBeats / seconds) : 0;
  return `${s.registered}/${s.nodes} nodes registered, ${s.gone} gone; ${rate} heartbeats/s, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms; ${s.beatsFailed} refused or failed so far`;
}

/** Registers `kube9 hollow`: a fleet of simulated nodes in this process, speaking the agent protocol to the API. */
export function registerHollowCommand(program: Command): void {
  program
    .command("hollow")
    .description("run N simulated (hollow) nodes in this process against the API, like KWOK; Ctrl-C makes them leave")
    .requiredOption("--nodes <n>", "how many nodes (1..20000)")
    .option("--cpu <cores>", "CPU per node in cores", "4")
    .option("--memory <MiB>", "memory per node (default: 4 GiB per core)")
    .option("--name-prefix <prefix>", "nodes are named <prefix>-0, <prefix>-1, ...", "hollow")
    .option("--label <key=value>", "label every node (repeatable)", collect)
    .option("--pod-usage <spec>", "how pods' use is made up: cpu=0.5,memory=0.5,noise=0.1 (shares of each request) or off")
    .addOption(new Option("--pods-per-node-usage <spec>", "same as --pod-usage").hideHelp())
    .option("--no-batch", "one request per heartbeat instead of batches (agent.heartbeatBatch)")
    .option("--batch-size <n>", "heartbeats per batch (1..1000)", "250")
    .option("--connections <n>", "kept-alive connections to the API (1..512)", "32")
    .option("--stats-every <seconds>", "print a status line this often (0: never)", "10")
    .action(async (opts: HollowOptions, cmd: Command) => {
      const nodes = parseWhole(opts.nodes, "--nodes", 1, 20_000);
      const cpu = parseCores(opts.cpu);
      const memoryMiB = opts.memory !== undefined ? parseMemory(opts.memory) : undefined;
      const namePrefix = parseName(opts.namePrefix, "--name-prefix");
      const labels = opts.label ? parseLabels(opts.label) : undefined;
      const usage = parseUsage(opts.podUsage, "--pod-usage") ?? parseUsage(opts.podsPerNodeUsage, "--pods-per-node-usage");
      const batchSize = parseWhole(opts.batchSize, "--batch-size", 1, 1000);
      const connections = parseWhole(opts.connections, "--connections", 1, 512);
      const statsEvery = parseWhole(opts.statsEvery, "--stats-every", 0, 3600);
      await withClient(cmd, async ({ conn }) => {
        if (!conn.token) throw new CliError("kube9 hollow joins nodes with the admin token: pass --token, set KUBE9_TOKEN, or run kube9 up first");
        const fleet = new HollowFleet({
          url: conn.url,
          adminToken: conn.token,
          nodes,
          cpu,
          ...(memoryMiB !== undefined ? { memoryMiB } : {}),
          namePrefix,
          ...(labels ? { labels } : {}),
          ...(usage ? { usage } : {}),
          batch: opts.batch,
          batchSize,
          connections,
          log: print,
        });
        const interrupted = onceInterrupted();
        let ticker: NodeJS.Timeout | undefined;
        try {
          await Promise.race([fleet.start(), interrupted.promise]);
          let last = Date.now();
          if (statsEvery > 0) {
            ticker = setInterval(() => {
              const now = Date.now();
              print(fleetLine(fleet.window(), (now - last) / 1000));
              last = now;
            }, statsEvery * 1000);
          }
          await interrupted.promise;
          print("stopping: nodes leave");
        } finally {
          if (ticker) clearInterval(ticker);
          await fleet.stop();
          interrupted.dispose();
        }
      });
    });
}
