import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerAgentCommands } from "./commands/agent.js";
import { registerAlertCommands } from "./commands/alerts.js";
import { registerApplyCommands } from "./commands/apply.js";
import { registerAutoscalerCommands } from "./commands/autoscaler.js";
import { registerClusterCommands } from "./commands/cluster.js";
import { registerEventsCommand } from "./commands/events.js";
import { registerGetCommands } from "./commands/get.js";
import { registerHollowCommand } from "./commands/hollow.js";
import { registerLogsExecCommands } from "./commands/logs-exec.js";
import { registerNamespaceCommands } from "./commands/namespace.js";
import { registerNetCommands } from "./commands/net.js";
import { registerNodeCommands } from "./commands/node.js";
import { registerNodeGroupCommands } from "./commands/nodegroup.js";
import { registerPodCommands } from "./commands/pod.js";
import { registerSimulateCommand } from "./commands/simulate.js";
import { registerTokenCommands } from "./commands/token.js";
import { registerTopCommand } from "./commands/top.js";
import { registerUpCommand } from "./commands/up.js";
import { EXIT, ReportedError, toCliError } from "./errors.js";
import { sanitizeForTerminal } from "./output/sanitize.js";

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** Builds the `kube9` command tree; commander errors are thrown (exitOverride), never exit directly. */
export function buildProgram(): Command {
  const program = new Command("kube9")
    .description("Kube-9: a small Kubernetes-like cluster. Start it with `kube9 up`.")
    .version(version(), "-V, --version")
    .option("--server <url>", "API URL (else $KUBE9_URL, else $KUBE9_HOME/config.json, else http://127.0.0.1:7070)")
    .option("--token <token>", "admin token, or - to read it from stdin (else $KUBE9_TOKEN, else $KUBE9_HOME/config.json); a token here is visible in ps")
    .option("--token-file <file>", "read the token from a file (not visible in ps, unlike --token)")
    .exitOverride()
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
    .configureOutput({
      // Commander's own errors come as "error: ...\n(Did you mean ...?)"; keep them to one line.
      // Help text (also sent to stderr when a subcommand is missing) is left untouched.
      writeErr: (str) =>
        process.stderr.write(str.startsWith("error:") ? str.trim().replace(/\s*\n\s*/g, " ") + "\n" : str),
    });
  program.addHelpText(
    "after",
    [
      "",
      "Examples:",
      "  kube9 up                                  start the control plane (another terminal)",
      "  kube9 node add --cpu 4 --name node-a      add a 4-core node and wait until Ready",
      "  kube9 pod launch --cpu 0.5 --algorithm best-fit",
      "  kube9 pod get <name>                      why the pod went where it went",
      "  kube9 node fail node-a                    break a node on purpose; watch pods move",
      "  kube9 events -w                           follow what happens",
      "",
      "kubectl habits:",
      "  kube9 apply -f pods.yaml                  create pods from Kubernetes Pod manifests",
      "  kube9 get pods -o wide                    NAME READY STATUS RESTARTS AGE IP NODE",
      "  kube9 describe pod web                    containers, limits, conditions, placement, events",
      "  kube9 logs web -f                         follow a container's log",
      "  kube9 exec web -- sh -c 'echo hi'         run a command in a container",
      "  kube9 delete pod web                      stop its containers and wait until it is gone",
      "  kube9 top pods --sort-by cpu              measured use against requests and limits",
      "  kube9 alerts -w                           pending and firing alerts, redrawn every 2 s",
      "",
      "Namespaces and network policies:",
      "  kube9 create namespace x --label team=a",
      "  kube9 apply -f deny.yaml -n x              a Kubernetes NetworkPolicy, unchanged",
      "  kube9 net probe -n x,y --port 80 --expect  real connections between pods: the reachability matrix",
      "  kube9 net explain x/b x/a --port 80        which policy allows it, or why nothing does",
      "",
      "Autoscaling:",
      "  kube9 nodegroup create web --min 0 --max 4 --cpu 2 --label tier=web",
      "  kube9 autoscaler status -w                groups, nodes starting, unneeded nodes and why they stay",
      "",
      "Nodes on other machines:",
      "  kube9 token create --ttl 24h              a bootstrap token (printed once)",
      "  kube9 agent join --server URL --token-file F --cpu 4 --name n1   on the other machine",
    ].join("\n"),
  );
  registerUpCommand(program);
  registerHollowCommand(program);
  registerNodeCommands(program);
  registerPodCommands(program);
  registerClusterCommands(program);
  registerEventsCommand(program);
  registerApplyCommands(program);
  registerGetCommands(program);
  registerLogsExecCommands(program);
  registerTopCommand(program);
  registerAlertCommands(program);
  registerNodeGroupCommands(program);
  registerAutoscalerCommands(program);
  registerSimulateCommand(program);
  registerNamespaceCommands(program);
  registerNetCommands(program);
  registerTokenCommands(program);
  registerAgentCommands(program);
  return program;
}

/** Runs the CLI on argv and returns the exit code; prints exactly one `error: ...` line on failure. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help); only the exit code is ours to decide.
      if (err.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof ReportedError) return err.exitCode;
    const cli = toCliError(err);
    process.stderr.write(`error: ${sanitizeForTerminal(cli.message)}\n`);
    if (process.env.KUBE9_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + "\n");
    return cli.exitCode;
  }
}
