import { CONTROL_PLANE_RUNTIMES, isTerminalNodeStatus } from "@kube9/client";
import type { Command } from "commander";
import { kube9Home } from "../config.js";
import { print } from "../context.js";
import { CliError, EXIT } from "../errors.js";
import { parseChoice, parsePort } from "../parse.js";

const DEFAULT_PORT = 7070;

interface UpOptions {
  port?: string;
  host?: string;
  runtime?: string;
  keepNodes?: boolean;
  showToken?: boolean;
  protectMetrics?: boolean;
}

/** Signals that stop `kube9 up` gracefully: Ctrl-C, a service manager's stop, and the terminal closing. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Explains a failed start in one line; a busy port is by far the most common cause. */
function startError(err: unknown, host: string, port: number): CliError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "EADDRINUSE") {
    return new CliError(
      `cannot listen on ${host}:${port}: the port is in use (is another "kube9 up" running? pick one with --port)`,
    );
  }
  if (code === "EACCES") return new CliError(`cannot listen on ${host}:${port}: permission denied (try --port above 1024)`);
  if (code === "EADDRNOTAVAIL") return new CliError(`cannot listen on ${host}:${port}: no such address on this machine`);
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(`the control plane failed to start: ${message.split("\n")[0]}`);
}

/** Registers `kube9 up`: the control plane in the foreground until Ctrl-C or SIGTERM. */
export function registerUpCommand(program: Command): void {
  program
    .command("up")
    .description("start the control plane in the foreground (Ctrl-C to stop)")
    .option("--port <port>", "port for the API (default: $KUBE9_PORT, else 7070; 0 = any free port)")
    .option("--host <host>", "address to listen on (default: $KUBE9_HOST, else 127.0.0.1)")
    .option("--runtime <runtime>", `node runtime: ${CONTROL_PLANE_RUNTIMES.join("|")} (default: $KUBE9_RUNTIME, else auto)`)
    .option("--keep-nodes", "on Ctrl-C leave docker node containers running (the next `kube9 up` adopts them)")
    .option("--show-token", "print the admin token (by default only where it is saved is printed)")
    .option("--protect-metrics", "require the admin token for /metrics and /openapi.json (default: $KUBE9_PROTECT_METRICS)")
    .addHelpText(
      "after",
      "\nEnvironment: KUBE9_HOME (data, logs, config.json; default ~/.kube9), DATABASE_URL (Postgres; " +
        "default: embedded database), KUBE9_ADMIN_TOKEN, KUBE9_LOG_LEVEL, KUBE9_PROTECT_METRICS=1.",
    )
    .action(async (opts: UpOptions) => {
      // Flags are checked before the (slow) server import so typos fail instantly.
      const flagPort = opts.port !== undefined ? parsePort(opts.port) : undefined;
      const flagRuntime = opts.runtime !== undefined ? parseChoice(opts.runtime, CONTROL_PLANE_RUNTIMES, "--runtime") : undefined;
      // Imported lazily: the server, database and runtimes are heavy, and only `up` needs them.
      const api = await import("@kube9/api");
      let env: ReturnType<typeof api.readEnv>;
      try {
        env = api.readEnv();
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err));
      }
      // Flags win over the environment, which wins over the defaults.
      const port = flagPort ?? env.KUBE9_PORT ?? DEFAULT_PORT;
      const host = opts.host ?? env.KUBE9_HOST ?? "127.0.0.1";
      const runtime = flagRuntime ?? env.KUBE9_RUNTIME ?? "auto";
      const home = kube9Home();

      // Handlers go in before starting: a Ctrl-C during start-up must still stop agents already spawned.
      let signals = 0;
      let requestStop!: () => void;
      const stopRequested = new Promise<void>((r) => (requestStop = r));
      const onSignal = (signal: NodeJS.Signals) => {
        // The terminal is gone: writing to it fails (EIO), which must not crash the stop.
        if (signal === "SIGHUP") for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
        signals++;
        if (signals > 1) {
          process.stderr.write("forced exit\n");
          process.exit(EXIT.interrupted);
        }
        requestStop();
      };
      for (const signal of STOP_SIGNALS) process.on(signal, onSignal);

      let cp: Awaited<ReturnType<typeof api.startControlPlane>>;
      try {
        cp = await api.startControlPlane({
          port,
          host,
          runtime,
          home,
          ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
          ...(env.KUBE9_ADMIN_TOKEN ? { adminToken: env.KUBE9_ADMIN_TOKEN } : {}),
          ...(env.KUBE9_LOG_LEVEL ? { logLevel: env.KUBE9_LOG_LEVEL } : {}),
          ...(env.KUBE9_AGENT_ENTRY ? { agentEntry: env.KUBE9_AGENT_ENTRY } : {}),
          protectMetrics: opts.protectMetrics === true || env.KUBE9_PROTECT_METRICS === true,
          log: (line) => process.stderr.write(line.endsWith("\n") ? line : line + "\n"),
        });
      } catch (err) {
        for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
        throw startError(err, host, port);
      }

      if (signals === 0) {
        print(
          [
            "Kube-9 control plane is running",
            `  API:       ${cp.url}`,
            // The token is a credential: terminals are recorded, logged and shared; say where it is instead.
            `  Dashboard: ${cp.url}/  (sign in with the admin token: ${opts.showToken ? cp.token : `"token" in ${cp.configPath}`})`,
            `  API docs:  ${cp.url}/docs   Metrics: ${cp.url}/metrics`,
            `  Database:  ${cp.database}`,
            `  Runtime:   ${cp.runtime}${runtime === "auto" ? (cp.runtime === "docker" ? " (auto: the Docker engine answered)" : " (auto: no Docker engine answered)") : ""}`,
            `  Policies:  NetworkPolicies ${cp.networkPolicies.detail}`,
            `  Config:    ${cp.configPath} (server URL and admin token for the CLI)`,
            "Press Ctrl-C to stop",
          ].join("\n"),
        );
      }
      await stopRequested;
      process.stderr.write("stopping...\n");
      const dockerNodes = cp.controlPlane.queries
        .listNodes()
        .filter((n) => n.runtime === "docker" && !isTerminalNodeStatus(n.status)).length;
      if (dockerNodes > 0) {
        process.stderr.write(
          opts.keepNodes
            ? `leaving ${dockerNodes} node container(s) running (--keep-nodes); the next "kube9 up" adopts them\n`
            : `stopping and removing ${dockerNodes} node container(s) (use --keep-nodes to leave them running)\n`,
        );
      }
      try {
        await cp.close({ keepNodes: opts.keepNodes === true });
      } catch (err) {
        throw new CliError(`failed to stop cleanly: ${err instanceof Error ? err.message : String(err)}`);
      }
      print("stopped");
      // Exit explicitly: a stray handle left by a library must not keep a stopped server alive.
      process.exit(EXIT.ok);
    });
}
