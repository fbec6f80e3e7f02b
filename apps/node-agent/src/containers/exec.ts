import { containerEnv, DEFAULT_PATH, launchArgv, resolveExecutable } from "./launch.js";
import { drained, spawnDetached, type ExecContext } from "./process-container.js";
import { containerPids, exitCodeOf, signalAll } from "./proc.js";

// A command run "in" a container: same environment, network namespace and cgroup (so its memory
// counts against the container's limit), but its own session, so a timeout or abort can kill
// exactly what it started. Whatever it leaves running is killed when it ends, so probes cannot
// leak processes.

/** Options of {@link execInContainer}. */
export interface ExecOptions {
  argv: string[];
  /** The container (or its env/netns/cgroup) to run in. */
  container: ExecContext;
  /** Added to (and overriding) the container's environment. */
  env?: Record<string, string>;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Written to the command's stdin, which is then closed. */
  stdin?: string | Buffer;
  /** Kill the command (SIGKILL to its group) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** How an exec ended. */
export interface ExecResult {
  exitCode: number;
  signal?: string;
  /** Killed because timeoutMs passed. */
  timedOut: boolean;
  /** Set when the command could not be started at all (exit code 126/127 then). */
  error?: string;
}

/** Runs a command in a container's context and resolves with its exit code; never rejects. */
export async function execInContainer(opts: ExecOptions): Promise<ExecResult> {
  const ctx = opts.container;
  const env = containerEnv({ ...ctx.env, ...opts.env });
  const cwd = ctx.cwd ?? "/";
  const [command] = opts.argv;
  if (!command || !resolveExecutable(command, env.PATH ?? DEFAULT_PATH, cwd)) {
    return { exitCode: 127, timedOut: false, error: `exec: "${command ?? ""}": executable file not found in $PATH` };
  }
  const argv = launchArgv(opts.argv, { procsFiles: [...ctx.procsFiles], netns: ctx.netns, shell: ctx.shell });
  let child;
  try {
    child = await spawnDetached(argv, env, cwd, opts.stdin !== undefined);
  } catch (err) {
    return { exitCode: 126, timedOut: false, error: err instanceof Error ? err.message : String(err) };
  }
  const pid = child.pid!;
  const killAll = () => signalAll(pid, containerPids(pid), "SIGKILL");
  let timedOut = false;
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          killAll();
        }, opts.timeoutMs);
  opts.signal?.addEventListener("abort", killAll);
  if (opts.signal?.aborted) killAll();
  child.stdout?.on("data", (c: Buffer) => opts.onStdout?.(c));
  child.stderr?.on("data", (c: Buffer) => opts.onStderr?.(c));
  child.stdin?.on("error", () => undefined);
  child.stdin?.end(opts.stdin);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("exit", (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  opts.signal?.removeEventListener("abort", killAll);
  killAll();
  await Promise.all([drained(child.stdout, 1_000), drained(child.stderr, 1_000)]);
  return { exitCode: exitCodeOf(code, signal), ...(signal ? { signal } : {}), timedOut };
}
