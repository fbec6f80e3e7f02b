import { execFile, execFileSync } from "node:child_process";
import { DEFAULT_PATH, resolveExecutable } from "../containers/launch.js";

// The iproute2 `ip` command, run as a child process: the agent never links a netlink library, and
// every change it makes happens inside a named network namespace given with `-n`.

/** How one `ip` call ended. */
export interface IpResult {
  ok: boolean;
  stdout: string;
  /** The command's complaint, trimmed (empty on success). */
  error: string;
}

/** A call that hangs (e.g. a wedged namespace mount) must not hold a pod forever. */
const IP_TIMEOUT_MS = 10_000;

/** The absolute path of `ip`, also where PATH lacks the sbin directories (a non-login shell). */
export function findIp(path = process.env.PATH ?? ""): string | undefined {
  return resolveExecutable("ip", `${path}:${DEFAULT_PATH}`);
}

/** Runs `ip <args>` (with `input` as its stdin, for -batch); never rejects. */
export function runIp(ip: string, args: string[], input?: string): Promise<IpResult> {
  return new Promise((resolve) => {
    const child = execFile(ip, args, { timeout: IP_TIMEOUT_MS, env: { PATH: DEFAULT_PATH, LC_ALL: "C" } }, (err, stdout, stderr) => {
      const error = err ? (String(stderr).trim() || err.message) : "";
      resolve({ ok: !err, stdout: String(stdout), error });
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input);
  });
}

/** Runs `ip <args>` synchronously, ignoring failure: only for an agent process that is about to exit. */
export function runIpSync(ip: string, args: string[]): void {
  try {
    execFileSync(ip, args, { timeout: 2_000, stdio: "ignore" });
  } catch {
    // exiting anyway; the next start sweeps what is left
  }
}
