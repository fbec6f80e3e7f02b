import { NETPOL_PROTOCOLS, type FirewallPeer, type FirewallPortRange, type FirewallRule, type PodFirewall } from "@kube9/core";
import { DEFAULT_PATH, resolveExecutable } from "../containers/launch.js";
import { findBusybox } from "../images.js";
import { findIp, runIp } from "./ip-command.js";
import { KeyedQueue } from "./keyed-queue.js";
import type { PodNetwork } from "./pod-network.js";

// NetworkPolicy enforcement as Calico and Cilium do it, in each pod's own network namespace: one nftables table
// (inet kube9) with an input chain for the pod's ingress and an output chain for its egress. Only the pod's own
// namespace is touched, never the host's ruleset. Blocked packets are dropped, not rejected: a client sees a timeout.

/** The table the agent owns in every pod namespace. */
export const NFT_TABLE = "inet kube9";

const MAX_PORT = 65535;

type Direction = "ingress" | "egress";

/** One address-matching clause of a rule: "ip saddr { ... }", or "" when the rule has no peers (any address). */
function peerClauses(peers: FirewallPeer[] | null, direction: Direction): string[] {
  if (peers === null) return [""];
  const field = direction === "ingress" ? "saddr" : "daddr";
  const clauses: string[] = [];
  for (const family of ["ip", "ip6"] as const) {
    const mine = peers.filter((p) => p.cidr.includes(":") === (family === "ip6"));
    const plain = mine.filter((p) => p.except.length === 0).map((p) => p.cidr);
    // Several plain networks share one set; a network with holes needs a line of its own ("in it and not in them").
    if (plain.length > 0) clauses.push(`${family} ${field} { ${plain.join(", ")} }`);
    for (const p of mine.filter((q) => q.except.length > 0)) clauses.push(`${family} ${field} ${p.cidr} ${family} ${field} != { ${p.except.join(", ")} }`);
  }
  return clauses;
}

/** One port-matching clause per protocol: "tcp dport { 80, 1000-2000 }", or "" when the rule has no ports (any). */
function portClauses(ports: FirewallPortRange[] | null): string[] {
  if (ports === null) return [""];
  const clauses: string[] = [];
  for (const protocol of NETPOL_PROTOCOLS) {
    const mine = ports.filter((p) => p.protocol === protocol);
    if (mine.length === 0) continue;
    const proto = protocol.toLowerCase();
    if (mine.some((p) => p.from <= 1 && p.to >= MAX_PORT)) {
      clauses.push(`meta l4proto ${proto}`);
      continue;
    }
    clauses.push(`${proto} dport { ${mine.map((p) => (p.from === p.to ? String(p.from) : `${p.from}-${p.to}`)).join(", ")} }`);
  }
  return clauses;
}

/**
 * A rule as accept lines: every address clause with every port clause. A rule's peers and ports are each a union,
 * and one nft line is a conjunction, so a rule with IPv4 and IPv6 peers, or ports of two protocols, takes several.
 */
function ruleLines(rule: FirewallRule, direction: Direction): string[] {
  const lines: string[] = [];
  for (const peer of peerClauses(rule.peers, direction)) {
    for (const port of portClauses(rule.ports)) lines.push([peer, port, "accept"].filter(Boolean).join(" "));
  }
  return lines;
}

function chain(direction: Direction, rules: FirewallRule[] | null): string[] {
  const hook = direction === "ingress" ? "input" : "output";
  if (rules === null) return [`  chain ${direction} {`, `    type filter hook ${hook} priority 0; policy accept;`, "  }"];
  const lo = direction === "ingress" ? "iif" : "oif";
  return [
    `  chain ${direction} {`,
    `    type filter hook ${hook} priority 0; policy drop;`,
    // The pod to itself, and the replies of connections that were allowed when they opened.
    `    ${lo} lo accept`,
    "    ct state established,related accept",
    // IPv6 neighbour discovery is what ARP is to IPv4 (which this table never sees): without it no IPv6 peer is reachable.
    "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept",
    ...rules.flatMap((r) => ruleLines(r, direction).map((l) => `    ${l}`)),
    "  }",
  ];
}

/**
 * The `nft -f` script that replaces the kube9 table of a pod's namespace in one transaction: it is created (so that
 * the delete cannot fail), deleted, and made again unless the firewall isolates nothing.
 */
export function renderFirewall(fw: PodFirewall): string {
  const lines = [`table ${NFT_TABLE} {}`, `delete table ${NFT_TABLE}`];
  if (fw.ingress !== null || fw.egress !== null) {
    lines.push(`table ${NFT_TABLE} {`, ...chain("ingress", fw.ingress), ...chain("egress", fw.egress), "}");
  }
  return `${lines.join("\n")}\n`;
}

const OPEN_SCRIPT = renderFirewall({ ingress: null, egress: null });

/** The absolute path of `nft`, also where PATH lacks the sbin directories. */
export function findNft(path = process.env.PATH ?? ""): string | undefined {
  return resolveExecutable("nft", `${path}:${DEFAULT_PATH}`);
}

/** Applies pod firewalls with nftables, or says why this node cannot. */
export interface PolicyEnforcer {
  readonly available: boolean;
  /** Why policies are not enforced here (set when !available). */
  readonly reason?: string;
  /** One line for the agent's log. */
  readonly description: string;
  /**
   * Puts `fw` in force in the pod's namespace (nothing to do when it already is); rejects with nft's complaint. The
   * namespace must be one the pod network made, new: a namespace made again for the pod needs forget() first.
   */
  apply(podId: string, netns: string, fw: PodFirewall): Promise<void>;
  /** Forgets what was applied for a pod whose namespace is gone (or made again), after the applies under way. */
  forget(podId: string): void;
}

/** An enforcer that enforces nothing, with the reason. */
export function unavailableEnforcer(reason: string): PolicyEnforcer {
  return {
    available: false,
    reason,
    description: `no NetworkPolicy enforcement (${reason}): every pod's traffic is allowed`,
    apply: () => Promise.reject(new Error(`NetworkPolicies are not enforced on this node: ${reason}`)),
    forget: () => undefined,
  };
}

/** Runs an nft script inside a named network namespace (`ip netns exec`, as containers and probes enter theirs). */
async function nftIn(ip: string, nft: string, netns: string, script: string): Promise<void> {
  const result = await runIp(ip, ["netns", "exec", netns, nft, "-f", "-"], script);
  if (!result.ok) throw new Error(`nft in ${netns}: ${result.error}`);
}

/**
 * The enforcer for a node: needs root, `nft`, and pod namespaces; and, tried once in a namespace of its own, a
 * kernel that takes the rules (nf_tables, conntrack).
 */
export async function createPolicyEnforcer(network: PodNetwork): Promise<PolicyEnforcer> {
  if (!network.available) return unavailableEnforcer(`pods have no network namespaces of their own (${network.reason ?? "no pod network"})`);
  if (process.getuid?.() !== 0) return unavailableEnforcer("the agent does not run as root");
  const ip = findIp();
  const nft = findNft();
  if (!ip) return unavailableEnforcer("this node has no `ip` command (iproute2)");
  if (!nft) return unavailableEnforcer("this node has no `nft` command (nftables)");
  const problem = await checkNft(nft);
  if (problem) return unavailableEnforcer(`nftables does not work in a pod namespace here (${problem})`);
  return new NftEnforcer(ip, nft);
}

/** `unshare` (util-linux), or busybox's applet (the node image has only busybox): argv before `-n`. */
function findUnshare(): string[] | undefined {
  const own = resolveExecutable("unshare", `${process.env.PATH ?? ""}:${DEFAULT_PATH}`);
  if (own) return [own];
  const busybox = findBusybox();
  return typeof busybox === "string" ? [busybox, "unshare"] : undefined;
}

/**
 * Applies a firewall that uses every kind of match the rules may use, in a network namespace of its own that
 * nothing names (`unshare -n`): it ends with the `nft` process, so an agent killed half-way leaves nothing behind,
 * and the host's own ruleset is never touched.
 */
async function checkNft(nft: string): Promise<string | undefined> {
  const unshare = findUnshare();
  if (!unshare) return "no unshare command (util-linux or busybox) to try the rules in a namespace of their own";
  const fw: PodFirewall = {
    ingress: [{ peers: [{ cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] }, { cidr: "fd00::/64", except: [] }], ports: [{ protocol: "TCP", from: 80, to: 81 }, { protocol: "SCTP", from: 1, to: MAX_PORT }] }],
    egress: [],
  };
  const [cmd, ...pre] = unshare as [string, ...string[]];
  const result = await runIp(cmd, [...pre, "-n", nft, "-f", "-"], renderFirewall(fw));
  return result.ok ? undefined : result.error;
}

class NftEnforcer implements PolicyEnforcer {
  readonly available = true;
  readonly description: string;
  /** The script last applied per pod, and where. */
  private readonly applied = new Map<string, { netns: string; script: string }>();
  /** One apply per pod at a time, in call order, so the last call's firewall is the one left in force. */
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly ip: string,
    private readonly nft: string,
  ) {
    this.description = `NetworkPolicies enforced by nftables (${nft}): table ${NFT_TABLE} in each pod's network namespace`;
  }

  apply(podId: string, netns: string, fw: PodFirewall): Promise<void> {
    const script = renderFirewall(fw);
    const run = async () => {
      const last = this.applied.get(podId);
      if (last?.netns === netns && last.script === script) return;
      // The namespaces come from this agent's pod network, new (leftovers are swept at start): one the enforcer has
      // not written to has no kube9 table, which is what an open firewall is. Saves an nft run per pod start.
      if (!last && script === OPEN_SCRIPT) return;
      this.applied.delete(podId);
      await nftIn(this.ip, this.nft, netns, script);
      this.applied.set(podId, { netns, script });
    };
    return this.queue.run(podId, run);
  }

  forget(podId: string): void {
    // Queued: an apply under way in the namespace that is gone would otherwise record itself after this.
    void this.queue.run(podId, async () => {
      this.applied.delete(podId);
    });
  }
}
