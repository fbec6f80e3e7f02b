import { execFileSync } from "node:child_process";
import { it } from "vitest";

// Tests of pod networks make real namespaces. They use a shared namespace of their own (not
// kube9-net, which a cluster on this machine may be using) and remove it when done.

/** The shared namespace the tests of this process use in place of kube9-net. */
export const TEST_SHARED_NETNS = `k9t-net-${process.pid}`;

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Why this machine cannot make network namespaces with veth pairs, or undefined if it can. */
function netnsProblem(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  const ns = `k9t-chk-${process.pid}`;
  try {
    ip(["netns", "add", ns]);
    try {
      ip(["-n", ns, "link", "add", "k9tva", "type", "veth", "peer", "name", "k9tvb"]);
    } finally {
      ip(["netns", "del", ns]);
    }
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Undefined when namespaces work here; otherwise why not. */
export const netnsUnusable = netnsProblem();

/**
 * Registers the check that fails the suite when KUBE9_REQUIRE_NETNS=1 and namespaces cannot be made
 * (CI must run these tests, not skip them); returns whether the real-namespace tests can run.
 */
export function requireNetns(): boolean {
  if (process.env.KUBE9_REQUIRE_NETNS === "1" && netnsUnusable) {
    it("can create network namespaces (KUBE9_REQUIRE_NETNS=1)", () => {
      throw new Error(`network namespaces cannot be created here: ${netnsUnusable}`);
    });
  }
  return netnsUnusable === undefined;
}

/** The named network namespaces that exist now. */
export function netnsList(): string[] {
  return ip(["netns", "list"])
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter(Boolean);
}

/** Names of the links in a namespace. */
export function linksIn(netns: string): string[] {
  return ip(["-n", netns, "-o", "link", "show"])
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(": ")[1]!.split("@")[0]!);
}

/** Runs `ip` inside a namespace and returns its output. */
export function ipIn(netns: string, args: string[]): string {
  return ip(["-n", netns, ...args]);
}

/** Deletes the tests' shared namespace (and with it every veth peer left on its bridge). */
export function removeTestSharedNetns(): void {
  try {
    ip(["netns", "del", TEST_SHARED_NETNS]);
  } catch {
    // never made
  }
}

/** Why policies cannot be enforced in the namespaces these tests make (no nft), or undefined. */
function nftProblem(): string | undefined {
  if (netnsUnusable) return netnsUnusable;
  try {
    execFileSync("nft", ["--version"], { stdio: "ignore" });
    return undefined;
  } catch (err) {
    return `no usable nft command (${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * As requireNetns, for the tests that also put nftables rules in those namespaces: with KUBE9_REQUIRE_NETNS=1 a
 * machine without nft fails them instead of skipping.
 */
export function requireNft(): boolean {
  const problem = nftProblem();
  if (process.env.KUBE9_REQUIRE_NETNS === "1" && problem) {
    it("can enforce network policies with nftables (KUBE9_REQUIRE_NETNS=1)", () => {
      throw new Error(`nftables cannot be used in network namespaces here: ${problem}`);
    });
  }
  return problem === undefined;
}

/** The host's own nftables ruleset, to check that tests never change it. */
export function hostRuleset(): string {
  // stderr ignored: nft warns there about tables iptables-nft manages, on every listing.
  return execFileSync("nft", ["list", "ruleset"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}
