import Docker from "dockerode";

// The Docker engine as the runtime and `kube9 up` see it: how to reach it and how to word its failures.

/** Connects to the engine the way the docker CLI does: $DOCKER_HOST, else /var/run/docker.sock. */
export function connectDocker(): Docker {
  return new Docker();
}

/** Where a client looks for the engine, for messages. */
export function dockerEndpoint(docker?: Docker): string {
  const modem = docker?.modem as { socketPath?: unknown; host?: string; port?: number | string } | undefined;
  if (typeof modem?.socketPath === "string") return modem.socketPath;
  if (modem?.host) return `${modem.host}:${modem.port ?? ""}`;
  return process.env.DOCKER_HOST || "/var/run/docker.sock";
}

/** The one message users see when the engine does not answer. */
export function dockerUnreachableMessage(err?: unknown, docker?: Docker): string {
  const cause = err ? ` (${describeDockerError(err)})` : "";
  return (
    `the Docker engine is not reachable at ${dockerEndpoint(docker)}${cause}. ` +
    `Start it (e.g. "sudo systemctl start docker", or "sudo dockerd &"), check that you may use the socket ` +
    `(group "docker"), or use the process runtime instead (--runtime process)`
  );
}

/** The engine's own words for a failed call, without dockerode's "(HTTP code 409) unexpected -" prefix. */
export function describeDockerError(err: unknown): string {
  const e = err as { json?: { message?: string } | null; message?: string; code?: string };
  if (e?.json?.message) return e.json.message;
  if (e?.code && ["ECONNREFUSED", "ENOENT", "EACCES", "EPERM"].includes(e.code)) return `${e.code}`;
  return e?.message ?? String(err);
}

/** Whether an error means the engine could not be reached at all. */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code !== undefined && ["ECONNREFUSED", "ENOENT", "EACCES", "EPERM", "ECONNRESET", "EPIPE"].includes(code);
}

/** The HTTP status of a failed engine call. */
export function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

/** Whether the engine answers a ping within the time limit. */
export async function dockerReachable(docker: Docker, timeoutMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
