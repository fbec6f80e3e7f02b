import { execFile } from "node:child_process";
import { existsSync } from "node:fs";

const IP_PATHS = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];

/**
 * Deletes a deleted pod's network namespace when its node could not: a node that died (a killed docker
 * node container) leaves its pods' namespaces under /run/netns. Only kube9's own name for the pod
 * (`k9p-` and the first 12 hex digits of its id, as the agent names it), only when it exists on this
 * machine, and only when no process is inside; best effort, never throws.
 */
export function removeOrphanPodNetns(podId: string): void {
  const name = `k9p-${podId.toLowerCase().replace(/-/g, "").slice(0, 12)}`;
  const ip = IP_PATHS.find((p) => existsSync(p));
  if (!/^k9p-[0-9a-f]{12}$/.test(name) || !ip || !existsSync(`/run/netns/${name}`)) return;
  execFile(ip, ["netns", "pids", name], { timeout: 5000 }, (err, stdout) => {
    if (err || String(stdout).trim() !== "") return;
    execFile(ip, ["netns", "del", name], { timeout: 5000 }, () => undefined);
  });
}
