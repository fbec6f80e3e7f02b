import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RuntimeKind } from "@kube9/core";

// Whether nodes started by this API can enforce NetworkPolicies, said up front (`kube9 up`), so nothing claims an
// isolation that is not there. The agents decide for themselves (and report it with every heartbeat: `describe
// networkpolicy` shows that); this is what the API can tell before any node exists: the same requirements.

const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"];

function onPath(cmd: string): boolean {
  const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), ...SBIN];
  return dirs.some((d) => existsSync(join(d, cmd)));
}

/** One line on policy enforcement for a runtime: enforced (how), or not, and why. */
export function policySupport(runtime: RuntimeKind, env: NodeJS.ProcessEnv = process.env): { enforced: boolean; detail: string } {
  if (runtime === "hollow") return { enforced: false, detail: "hollow nodes run no processes: there are no connections to filter" };
  if (env.KUBE9_POD_NETWORK?.toLowerCase() === "off") return { enforced: false, detail: "NOT enforced: KUBE9_POD_NETWORK=off gives pods no network of their own" };
  if (process.getuid?.() !== 0) {
    return { enforced: false, detail: "NOT enforced: kube9 does not run as root, so pods share the node's network and policies cannot be applied (run as root to enforce them)" };
  }
  const missing = ["ip", "nft"].filter((c) => !onPath(c));
  if (missing.length > 0) {
    const pkgs = missing.map((c) => (c === "ip" ? "iproute2" : "nftables")).join(" and ");
    return { enforced: false, detail: `NOT enforced: ${missing.join(" and ")} not found (install ${pkgs})` };
  }
  return { enforced: true, detail: "enforced with nftables in each pod's network namespace" };
}
