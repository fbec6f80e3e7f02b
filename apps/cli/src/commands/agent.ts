import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createKube9Client } from "@kube9/client";
import { CGROUPS_MODES, createLogger, NodeAgent, type AgentExit, type CgroupsMode } from "@kube9/node-agent";
import type { Command } from "commander";
import { kube9Home, normalizeServer, readTokenFlags } from "../config.js";
import { CliError, EXIT, toCliError, trpcCode } from "../errors.js";
import { collect, parseChoice, parseCores, parseLabels, parseMemory, parseName } from "../parse.js";

interface JoinOptions {
  cpu: string;
  memory?: string;
  name: string;
  label?: string[];
  stateDir?: string;
  cgroups?: string;
  podNetwork?: string;
}

/** What a joined node keeps between runs: its own credential, so a restart needs no bootstrap token. */
interface SavedNode {
  server: string;
  nodeId: string;
  credential: string;
}

function readSaved(path: string, server: string): SavedNode | undefined {
  try {
    const saved = JSON.parse(readFileSync(path, "utf8")) as Partial<SavedNode>;
    if (saved.server === server && typeof saved.nodeId === "string" && typeof saved.credential === "string") return saved as SavedNode;
  } catch {
    // Missing or unreadable: join again.
  }
  return undefined;
}

/** The credential is a secret: a file only its owner reads, written whole. */
function writeSaved(dir: string, path: string, saved: SavedNode): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  renameSync(aside, path);
}

/** Registers `kube9 agent join`: this machine becomes a node of a cluster whose API runs elsewhere. */
export function registerAgentCommands(program: Command): void {
  const agent = program.command("agent").description("run a node agent on this machine for a cluster elsewhere");

  agent
    .command("join")
    .description(
      "join this machine as a node with a bootstrap token (kube9 token create), then run its agent in the foreground until " +
        "Ctrl-C/SIGTERM (the node leaves); run it under a supervisor (systemd, a container restart policy): the API marks a " +
        "silent node Failed and never restarts it",
    )
    .requiredOption("--cpu <cores>", "CPU the node offers, in cores")
    .option("--memory <MiB>", "memory the node offers (default: 4 GiB per core)")
    .requiredOption("--name <name>", "the node's name (a restart with the same name is the same node)")
    .option("--label <key=value>", "label the node (repeatable)", collect)
    .option("--state-dir <dir>", "where the node's own credential is kept between runs (default: $KUBE9_HOME/agent)")
    .option("--cgroups <mode>", `limit containers with cgroups: ${CGROUPS_MODES.join("|")} (default: $KUBE9_CGROUPS, else auto)`)
    .option("--pod-network <mode>", "own network namespace and IP per pod: auto|off (default: $KUBE9_POD_NETWORK, else auto)")
    .addHelpText("after", "\nThe server and bootstrap token come from --server and --token-file, --token - (stdin), --token or $KUBE9_URL and $KUBE9_TOKEN.")
    .action(async (opts: JoinOptions, cmd: Command) => {
      const cpu = parseCores(opts.cpu);
      const memoryMiB = opts.memory !== undefined ? parseMemory(opts.memory) : undefined;
      const name = parseName(opts.name);
      const labels = opts.label ? parseLabels(opts.label) : undefined;
      const cgroups = parseChoice(opts.cgroups ?? process.env.KUBE9_CGROUPS ?? "auto", CGROUPS_MODES, "--cgroups") as CgroupsMode;
      const podNetwork = parseChoice(opts.podNetwork ?? process.env.KUBE9_POD_NETWORK ?? "auto", ["auto", "off"] as const, "--pod-network");
      const globals = cmd.optsWithGlobals<{ server?: string; token?: string; tokenFile?: string }>();
      const rawServer = globals.server ?? process.env.KUBE9_URL;
      if (!rawServer) throw new CliError("--server is required: the API's URL as seen from this machine (or set KUBE9_URL)");
      const server = normalizeServer(rawServer, globals.server ? "--server" : "KUBE9_URL");
      // Not config.json: that holds the admin token of a local cluster, which must not travel to join nodes.
      const bootstrap = readTokenFlags(globals) ?? globals.token ?? process.env.KUBE9_TOKEN;
      const stateDir = opts.stateDir ?? join(kube9Home(), "agent");
      const statePath = join(stateDir, `${name}.json`);

      const join_ = async (): Promise<SavedNode> => {
        if (!bootstrap) {
          throw new CliError(`no bootstrap token: pass --token-file, --token - or --token (kube9 token create on the cluster makes one); no saved credential in ${statePath}`);
        }
        const client = createKube9Client({ url: server, token: bootstrap });
        try {
          const joined = await client.tokens.join.mutate({ name, cpu, ...(memoryMiB !== undefined ? { memoryMiB } : {}), ...(labels ? { labels } : {}) });
          const saved = { server, nodeId: joined.nodeId, credential: joined.token };
          writeSaved(stateDir, statePath, saved);
          process.stderr.write(`node ${name} ${joined.created ? "joined" : "rejoined"} ${server} (node id ${joined.nodeId}); its credential is in ${statePath}\n`);
          return saved;
        } catch (err) {
          const code = trpcCode(err);
          if (code === "UNAUTHORIZED" || code === "FORBIDDEN") {
            throw new CliError(`the API at ${server} refused the bootstrap token: ${(err as Error).message}`);
          }
          throw toCliError(err, { url: server, token: bootstrap, urlSource: "flag", tokenSource: "flag", configPath: statePath });
        }
      };

      const log = createLogger({ name, level: "info" });
      const run = async (node: SavedNode): Promise<AgentExit> => {
        const agent = new NodeAgent({ url: server, nodeId: node.nodeId, token: node.credential, name, log, kubelet: { cgroups, podNetwork } });
        // Containers run in their own sessions: nothing else ends them if this process ends abruptly.
        const onExit = () => agent.killContainersNow();
        process.once("exit", onExit);
        let signalled = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (signalled) process.exit(EXIT.interrupted);
          signalled = true;
          log.info(`${signal} received, leaving the cluster`);
          void agent.stop({ leave: true, reason: `received ${signal}` });
        };
        for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, onSignal);
        try {
          await agent.start();
          return await agent.done;
        } finally {
          for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(s, onSignal);
          process.off("exit", onExit);
        }
      };

      const saved = readSaved(statePath, server);
      let exit = await run(saved ?? (await join_()));
      // A saved credential the API no longer takes (the node was removed, or joined again elsewhere): join afresh once.
      if (exit.reason === "rejected" && saved && bootstrap) exit = await run(await join_());
      if (exit.reason === "rejected") throw new CliError(`the API refused node ${name}: ${exit.message}`);
      if (exit.reason === "failed") throw new CliError(`the agent of node ${name} failed: ${exit.message}`);
      process.exit(EXIT.ok);
    });
}
