import { accessSync, constants as fsConstants, statSync } from "node:fs";
import { join } from "node:path";

// How a container process (or an exec in it) is launched: the argv that puts it into its cgroup
// and network namespace before the user's program runs, and its environment.

/** Used when the container's env has no PATH, so `sleep` finds /bin/sleep as in an image's default. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Joins the cgroups, then execs the rest: the pid is written by the process itself before it
 * runs any user code. Writing the pid from the agent after spawn() would race: the program could
 * fork (children stay behind in the parent cgroup) or allocate past its limit before the write.
 * `exec` keeps the pid, so the process the agent spawned is the one inside. Exit 125 marks a
 * failed join, so a container never runs unconfined.
 */
const JOIN_SCRIPT = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

/** Options of {@link launchArgv}. */
export interface LaunchOptions {
  /** cgroup.procs files to join before exec. */
  procsFiles?: string[];
  /** Named network namespace (as `ip netns add` creates it). */
  netns?: string;
  /** Shell for the join step; busybox sh works where /bin/sh is missing (default /bin/sh). */
  shell?: string;
}

/** The argv to spawn: [shell join wrapper] [ip netns exec <netns>] ...argv. */
export function launchArgv(argv: string[], opts: LaunchOptions): string[] {
  let out = argv;
  // Absolute, because spawn() searches the container's PATH, which need not hold /usr/sbin.
  if (opts.netns) out = [resolveExecutable("ip", process.env.PATH ?? DEFAULT_PATH) ?? "ip", "netns", "exec", opts.netns, ...out];
  const procs = opts.procsFiles ?? [];
  if (procs.length > 0) {
    const shell = opts.shell ?? "/bin/sh";
    const sh = shell.endsWith("busybox") ? [shell, "sh"] : [shell];
    out = [...sh, "-c", JOIN_SCRIPT, "kube9-join", String(procs.length), ...procs, ...out];
  }
  return out;
}

/** The container's environment with a PATH filled in; nothing is inherited from the agent. */
export function containerEnv(env: Record<string, string>): Record<string, string> {
  return env.PATH === undefined ? { PATH: DEFAULT_PATH, ...env } : { ...env };
}

/** The executable `command` resolves to through PATH, or undefined (for a StartError before spawning). */
export function resolveExecutable(command: string, path: string, cwd = "/"): string | undefined {
  const candidates = command.includes("/") ? [command.startsWith("/") ? command : join(cwd, command)] : path.split(":").filter(Boolean).map((dir) => join(dir, command));
  for (const file of candidates) {
    try {
      accessSync(file, fsConstants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
