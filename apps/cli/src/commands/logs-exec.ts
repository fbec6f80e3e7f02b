import type { Command } from "commander";
import { nsInput, readScope, withScope, type ScopeFlags } from "../scope.js";
import { withClient } from "../context.js";
import { CliError, EXIT, ReportedError } from "../errors.js";
import { commandAfterDashDash } from "../parse-container.js";
import { onceInterrupted } from "../watch.js";

// `kube9 logs` and `kube9 exec`: the API reaches the pod's node's kubelet; these print what comes back.

/** A pod argument as kubectl takes it: "web" or "pod/web" (po/, pods/ too). */
export function podArg(raw: string): string {
  const m = /^(pods?|po)\/(.+)$/i.exec(raw);
  if (m) return m[2]!;
  if (raw.includes("/")) throw new CliError(`only pods have logs and run commands (got "${raw}")`);
  return raw;
}

/** Reads --tail: a line count, or kubectl's -1 for all of them. */
export function parseTail(raw: string): number | undefined {
  const text = raw.trim();
  if (!/^-?\d+$/.test(text) || Number(text) < -1 || Number(text) > 100_000) {
    throw new CliError(`--tail must be a whole number of lines from 0 to 100000, or -1 for all (got "${raw}")`);
  }
  const n = Number(text);
  return n < 0 ? undefined : n;
}

/** A command's exit code as this process can pass it on; anything outside 0-255 becomes 1. */
export function passableExitCode(code: number): number {
  return Number.isInteger(code) && code >= 0 && code <= 255 ? code : EXIT.error;
}

interface LogsOptions extends ScopeFlags {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tail: string;
  timestamps?: boolean;
}

/** Registers `kube9 logs` and `kube9 exec`. */
export function registerLogsExecCommands(program: Command): void {
  withScope(program
    .command("logs")
    .argument("<pod>", "pod name (or pod/<name>)"))
    .description("print a container's log")
    .option("-c, --container <name>", "the container (needed when the pod has several)")
    .option("-f, --follow", "keep printing new lines until Ctrl-C or the container stops")
    .option("-p, --previous", "the log of the container's previous run (after a restart)")
    .option("--tail <lines>", "only the last lines (-1: all)", "-1")
    .option("--timestamps", "start each line with its RFC3339 time")
    .action(async (raw: string, opts: LogsOptions, cmd: Command) => {
      const name = podArg(raw);
      const tail = parseTail(opts.tail);
      if (opts.follow && opts.previous) throw new CliError("--follow and --previous cannot be used together: a previous run has ended");
      const input = {
        name,
        ...nsInput(readScope(opts)),
        ...(opts.container !== undefined ? { container: opts.container } : {}),
        ...(tail !== undefined ? { tail } : {}),
        ...(opts.timestamps ? { timestamps: true } : {}),
      };
      await withClient(cmd, async ({ client }) => {
        if (!opts.follow) {
          const res = await client.pods.logs.query({ ...input, ...(opts.previous ? { previous: true } : {}) });
          if (res.lines.length) process.stdout.write(res.lines.join("\n") + "\n");
          return;
        }
        await followLines((handlers) => client.pods.logsFollow.subscribe(input, handlers), (line) => process.stdout.write(line + "\n"));
      });
    });

  withScope(program
    .command("exec")
    .argument("<pod>", "pod name (or pod/<name>)"))
    .argument("[command...]", "the command and its arguments, after --")
    .description("run a command in a container; prints its output and exits with its exit code")
    .option("-c, --container <name>", "the container (needed when the pod has several)")
    .option("-i, --stdin", "not supported: kube9 exec runs a command to completion")
    .option("-t, --tty", "not supported: kube9 exec runs a command to completion")
    .addHelpText("after", "\nExamples:\n  kube9 exec web -- ls /\n  kube9 exec web -c sidecar -- sh -c 'echo $HOSTNAME'")
    .action(async (raw: string, operands: string[], opts: ScopeFlags & { container?: string; stdin?: boolean; tty?: boolean }, cmd: Command) => {
      const name = podArg(raw);
      if (opts.stdin || opts.tty) {
        throw new CliError("-i/-t are not supported: kube9 exec runs a command to completion without a terminal");
      }
      const command = commandAfterDashDash(cmd);
      // Without `--`, options meant for the command (sh -c ...) would be read as kube9's own.
      if (command === undefined) {
        throw new CliError(
          operands.length
            ? `put the command after --: kube9 exec ${raw} -- ${operands.join(" ")}`
            : `you must specify a command to run: kube9 exec ${raw} -- <command> [args...]`,
        );
      }
      if (command.length === 0) throw new CliError(`you must specify a command to run: kube9 exec ${raw} -- <command> [args...]`);
      await withClient(cmd, async ({ client }) => {
        const res = await client.pods.exec.mutate({ name, command, ...nsInput(readScope(opts)), ...(opts.container !== undefined ? { container: opts.container } : {}) });
        if (res.stdout) process.stdout.write(res.stdout);
        if (res.stderr) process.stderr.write(res.stderr);
        const code = passableExitCode(res.exitCode);
        if (code !== 0) throw new ReportedError(code);
      });
    });
}

/** Subscription callbacks that also hear when the stream ends or the link starts reconnecting. */
export interface StreamHandlers<T> {
  onData(value: T): void;
  onError(err: unknown): void;
  onComplete(): void;
  onConnectionStateChange(state: { state: string; error: unknown }): void;
}

/** Prints a log stream until the server ends it (the container stopped), Ctrl-C, or an error. */
export async function followLines(
  subscribe: (handlers: StreamHandlers<{ line: string }>) => { unsubscribe(): void },
  write: (line: string) => void,
): Promise<void> {
  const stop = onceInterrupted();
  let settle!: (err?: unknown) => void;
  const ended = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
  const sub = subscribe({
    onData: (d) => write(d.line),
    onError: (err) => settle(err ?? new Error("log stream failed")),
    onComplete: () => settle(),
    // The link would reconnect and print the log again from its start; kubectl logs -f ends instead.
    onConnectionStateChange: (s) => {
      if (s.state === "connecting" && s.error) settle(s.error);
    },
  });
  try {
    await Promise.race([stop.promise, ended]);
  } finally {
    sub.unsubscribe();
    stop.dispose();
  }
}
