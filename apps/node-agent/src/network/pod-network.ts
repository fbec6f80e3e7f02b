import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findIp, runIp, runIpSync } from "./ip-command.js";
import { formatIp, IpPool, maskOf, parseCidr } from "./ipam.js";
import { KeyedQueue } from "./keyed-queue.js";

// Pod IPs, laid out like the CNI bridge plugin but entirely inside network namespaces kube9 makes:
// one shared namespace (kube9-net) holds a bridge with no address and no link to the host; each pod
// gets a namespace k9p-<id> whose eth0 is a veth whose peer sits on that bridge. Pod addresses are
// on-link for the whole cluster range (10.244.0.0/14), so pods of every node on this machine reach
// each other over the one bridge without a router, and nothing can reach or leave the machine: the
// host's own interfaces, routes, sysctls and firewall are never touched.

/** Where one pod's network lives. */
export interface PodAddress {
  netns: string;
  ip: string;
}

/** A node's pod network, or the reason pods share the agent's network instead. */
export interface PodNetwork {
  readonly available: boolean;
  /** Why there is no pod network (set when !available). */
  readonly reason?: string;
  /** One line for the agent's log. */
  readonly description: string;
  /** Makes the pod's namespace and address (idempotent); undefined when the network is not available. */
  setup(podId: string): Promise<PodAddress | undefined>;
  /** Deletes the pod's namespace and link and frees its address; a no-op for unknown pods. */
  teardown(podId: string): Promise<void>;
  /** Deletes every pod namespace at once, for an agent process about to exit. */
  teardownAllSync(): void;
}

/** Options of {@link createPodNetwork}. */
export interface PodNetworkOptions {
  /** The node's range, as the API answered at registration. */
  podCIDR: string | undefined;
  /** Directory of this node's records of the namespaces it made (one file per pod). */
  stateDir: string;
  /** Set to a reason to turn the network off (KUBE9_POD_NETWORK=off, tests). */
  disabled?: string;
  /** The shared namespace (default kube9-net; tests use their own). */
  sharedNetns?: string;
  /** Prefix length under which every pod of the cluster is on-link (default 14: 10.244.0.0/14). */
  clusterPrefix?: number;
}

/** The default shared namespace and its bridge. */
export const SHARED_NETNS = "kube9-net";
export const BRIDGE = "k9br0";
const DEFAULT_CLUSTER_PREFIX = 14;
/** Errors that waiting will not cure (as opposed to another agent's half-made namespace). */
const REFUSED = /not permitted|permission denied|not supported|unknown/i;

/** A pod's namespace name: k9p- and the first 12 hex digits of its id (a hash for ids that are not hex). */
export function podNetnsName(podId: string): string {
  const hex = podId.toLowerCase().replace(/-/g, "");
  const id = /^[0-9a-f]{12}/.test(hex) ? hex.slice(0, 12) : createHash("sha256").update(podId).digest("hex").slice(0, 12);
  return `k9p-${id}`;
}

/** The pod's link on the bridge: at most 15 characters, as Linux allows. */
function peerName(netns: string): string {
  return `k9v${netns.slice(4)}`;
}

/** A network that is not there, with the reason (pods then share the agent's network). */
export function unavailablePodNetwork(reason: string): PodNetwork {
  return {
    available: false,
    reason,
    description: `no pod network (${reason}): pods share the node's network and report no pod IP`,
    setup: () => Promise.resolve(undefined),
    teardown: () => Promise.resolve(),
    teardownAllSync: () => undefined,
  };
}

/** Checks what the machine allows, sweeps this node's leftovers, and returns the network or why there is none. */
export async function createPodNetwork(opts: PodNetworkOptions): Promise<PodNetwork> {
  if (opts.disabled) return unavailablePodNetwork(opts.disabled);
  if (!opts.podCIDR) return unavailablePodNetwork("the API gave this node no podCIDR");
  const cidr = parseCidr(opts.podCIDR);
  if (!cidr || cidr.prefix > 30) return unavailablePodNetwork(`podCIDR "${opts.podCIDR}" is not an IPv4 range with room for pods`);
  if (process.getuid?.() !== 0) return unavailablePodNetwork("the agent does not run as root, and network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN");
  const ip = findIp();
  if (!ip) return unavailablePodNetwork("this node has no `ip` command (iproute2)");
  const net = new BridgePodNetwork(ip, cidr.prefix, opts, new IpPool(cidr));
  const problem = await net.check();
  if (problem) return unavailablePodNetwork(problem);
  return net;
}

/** What a record file says about a namespace this node made. */
interface NetnsRecord {
  podId: string;
  netns: string;
  shared: string;
  ip: string;
}

/**
 * Deletes the namespaces this node recorded in `stateDir` (pods of a previous run that ended
 * abruptly) and their records; returns the names deleted. Records are per node, so another
 * node's namespaces on the same machine are never touched.
 */
export async function sweepStaleNetns(ip: string, stateDir: string): Promise<string[]> {
  let files: string[];
  try {
    files = readdirSync(stateDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const file of files) {
    const path = join(stateDir, file);
    let record: NetnsRecord | undefined;
    try {
      record = JSON.parse(readFileSync(path, "utf8")) as NetnsRecord;
    } catch {
      // half-written by a process that died before it made anything
    }
    // A pod that moved to another node may have its namespace (same name) made again there: only one
    // whose eth0 still has the address this node gave it is ours to delete.
    if (record && /^k9p-[0-9a-f]{12}$/.test(record.netns) && (await addressIn(ip, record.netns)) === record.ip) {
      await runIp(ip, ["-n", record.shared, "link", "del", peerName(record.netns)]);
      if ((await runIp(ip, ["netns", "del", record.netns])).ok) removed.push(record.netns);
    }
    rmSync(path, { force: true });
  }
  return removed;
}

/** The IPv4 address of eth0 in a namespace, or undefined (no such namespace, no eth0). */
async function addressIn(ip: string, netns: string): Promise<string | undefined> {
  const shown = await runIp(ip, ["-n", netns, "-o", "-4", "addr", "show", "dev", "eth0"]);
  return shown.ok ? /inet (\d+\.\d+\.\d+\.\d+)\//.exec(shown.stdout)?.[1] : undefined;
}

class BridgePodNetwork implements PodNetwork {
  readonly available = true;
  readonly description: string;
  private readonly shared: string;
  private readonly onLink: number;
  /** One setup or teardown of a pod at a time, in call order. */
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly ip: string,
    podPrefix: number,
    private readonly opts: PodNetworkOptions,
    private readonly pool: IpPool,
  ) {
    this.shared = opts.sharedNetns ?? SHARED_NETNS;
    this.onLink = Math.min(opts.clusterPrefix ?? DEFAULT_CLUSTER_PREFIX, podPrefix);
    const range = `${formatIp(maskOf(pool.cidr.base, this.onLink))}/${this.onLink}`;
    this.description = `pod network: IPs from ${opts.podCIDR}, on-link ${range} over bridge ${BRIDGE} in network namespace ${this.shared}`;
  }

  /** Sweeps leftovers, makes sure the shared bridge exists and that veth pairs can be made; a reason if not. */
  async check(): Promise<string | undefined> {
    await sweepStaleNetns(this.ip, this.opts.stateDir);
    const shared = await this.ensureShared();
    if (shared) return `cannot create network namespaces here (${shared})`;
    // A bridge does not prove veths work (a missing module, a seccomp profile): try one, inside kube9-net.
    const a = `k9chk${randomBytes(3).toString("hex")}`;
    const made = await this.ipIn(this.shared, ["link", "add", a, "type", "veth", "peer", "name", `${a}p`]);
    if (!made.ok) return `cannot create veth pairs here (${made.error})`;
    await this.ipIn(this.shared, ["link", "del", a]);
    return undefined;
  }

  setup(podId: string): Promise<PodAddress | undefined> {
    return this.queue.run(podId, () => this.create(podId));
  }

  teardown(podId: string): Promise<void> {
    return this.queue.run(podId, () => this.destroy(podId));
  }

  teardownAllSync(): void {
    for (const podId of this.pool.holders()) {
      const netns = podNetnsName(podId);
      runIpSync(this.ip, ["-n", this.shared, "link", "del", peerName(netns)]);
      runIpSync(this.ip, ["netns", "del", netns]);
      rmSync(this.recordPath(netns), { force: true });
      this.pool.release(podId);
    }
  }

  private async create(podId: string): Promise<PodAddress> {
    const netns = podNetnsName(podId);
    const ip = this.pool.allocate(podId);
    if (!ip) throw new Error(`no free pod IP left in ${this.opts.podCIDR}`);
    try {
      await this.removeLeftover(netns);
    } catch (err) {
      this.pool.release(podId);
      throw err;
    }
    // Recorded before anything exists, so a crash half-way still leaves a trace for the next start.
    this.record({ podId, netns, shared: this.shared, ip });
    try {
      const shared = await this.ensureShared();
      if (shared) throw new Error(`network namespace ${this.shared}: ${shared}`);
      await this.must(["netns", "add", netns]);
      const peer = peerName(netns);
      await this.must(["-n", netns, "-batch", "-"], [
        "link set lo up",
        `link add eth0 type veth peer name ${peer} netns ${this.shared}`,
        `addr add ${ip}/${this.onLink} dev eth0`,
        "link set eth0 up",
      ].join("\n"));
      await this.must(["-n", this.shared, "link", "set", peer, "master", BRIDGE, "up"]);
      return { netns, ip };
    } catch (err) {
      await this.destroy(podId);
      throw err;
    }
  }

  private async destroy(podId: string): Promise<void> {
    const netns = podNetnsName(podId);
    const mine = this.pool.ipOf(podId);
    const found = await addressIn(this.ip, netns);
    // Another node may have taken the name over already (this pod moved there while we were cut off).
    if (found === undefined || found === mine) await this.removeLinks(netns);
    rmSync(this.recordPath(netns), { force: true });
    this.pool.release(podId);
  }

  /**
   * A namespace of this name left by an earlier attempt, or by the node this pod ran on before it was
   * moved here, would make every step of a setup fail with EEXIST. It is deleted only when nothing
   * runs in it any more: the old node may still be stopping the pod's containers.
   */
  private async removeLeftover(netns: string): Promise<void> {
    const pids = await runIp(this.ip, ["netns", "pids", netns]);
    if (!pids.ok) return;
    if (pids.stdout.trim() !== "") throw new Error(`network namespace ${netns} still holds processes of this pod on another node`);
    await this.removeLinks(netns);
  }

  /** Deleting the peer takes eth0 with it at once; deleting the namespace alone would leave that to the kernel's pace. */
  private async removeLinks(netns: string): Promise<void> {
    await this.ipIn(this.shared, ["link", "del", peerName(netns)]);
    await runIp(this.ip, ["netns", "del", netns]);
  }

  /**
   * Makes the shared namespace and its bridge unless they exist. Agents starting together race here:
   * "File exists" from the loser is fine, and a namespace another agent is still mounting fails for a
   * moment, so the state is read again until the bridge is up. Returns the last error, if it never is.
   */
  private async ensureShared(): Promise<string | undefined> {
    let error = "";
    for (let attempt = 0; attempt < 20; attempt++) {
      const link = await this.ipIn(this.shared, ["-o", "link", "show", BRIDGE]);
      if (link.ok && /[<,]UP[,>]/.test(link.stdout)) return undefined;
      if (!link.ok) {
        const added = await runIp(this.ip, ["netns", "add", this.shared]);
        // Not a race but a refusal (no permission, no /run/netns): no point in trying again.
        if (!added.ok && !/exists/i.test(added.error)) return added.error;
        const bridge = await this.ipIn(this.shared, ["link", "add", BRIDGE, "type", "bridge"]);
        if (!bridge.ok && REFUSED.test(bridge.error)) return bridge.error;
      }
      const up = await this.ipIn(this.shared, ["link", "set", BRIDGE, "up"]);
      if (up.ok) continue;
      error = up.error;
      await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
    }
    return error || `bridge ${BRIDGE} did not come up`;
  }

  private ipIn(netns: string, args: string[]) {
    return runIp(this.ip, ["-n", netns, ...args]);
  }

  private async must(args: string[], input?: string): Promise<void> {
    const result = await runIp(this.ip, args, input);
    if (!result.ok) throw new Error(`ip ${args.join(" ")}: ${result.error}`);
  }

  private recordPath(netns: string): string {
    return join(this.opts.stateDir, netns);
  }

  private record(record: NetnsRecord): void {
    mkdirSync(this.opts.stateDir, { recursive: true });
    writeFileSync(this.recordPath(record.netns), JSON.stringify(record));
  }
}
