import { accessSync, constants, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Where container logs go. A docker node has a read-only root, /tmp included, but Docker still gives
// every container a writable tmpfs at /dev/shm, so that is the fallback when the default is not writable.

/** The default log directory of a node: a folder under the OS temp dir, named by node id. */
export function defaultPodLogDir(nodeId: string): string {
  return join(tmpdir(), `kube9-pods-${nodeId}`);
}

function usable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates and returns the first writable of: the configured directory (if any, else the default),
 * then /dev/shm/kube9-pods-<nodeId>. Undefined when none is writable (containers then cannot start).
 */
export function preparePodLogDir(nodeId: string, configured?: string): string | undefined {
  const candidates = [configured ?? defaultPodLogDir(nodeId), join("/dev/shm", `kube9-pods-${nodeId}`)];
  return candidates.find(usable);
}
