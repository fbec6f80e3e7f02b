import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FirewallRule, PodFirewall } from "@kube9/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostRuleset, netnsList, removeTestSharedNetns, requireNft, TEST_SHARED_NETNS } from "../../test/netns-helpers.js";
import { probeConnections, type ConnectResult } from "./connect-probe.js";
import { findIp } from "./ip-command.js";
import { createPolicyEnforcer, renderFirewall, type PolicyEnforcer } from "./nftables.js";
import { createPodNetwork, unavailablePodNetwork, type PodAddress, type PodNetwork } from "./pod-network.js";

const HEAD = "table inet kube9 {}\ndelete table inet kube9\n";
/** The lines every isolated chain starts with. */
const isolated = (hook: "input" | "output", lo: "iif" | "oif") => [
  `    type filter hook ${hook} priority 0; policy drop;`,
  `    ${lo} lo accept`,
  "    ct state established,related accept",
  "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept",
];
const OPEN_EGRESS = ["  chain egress {", "    type filter hook output priority 0; policy accept;", "  }"];
const OPEN_INGRESS = ["  chain ingress {", "    type filter hook input priority 0; policy accept;", "  }"];
const script = (...lines: string[]) => `${HEAD}table inet kube9 {\n${lines.join("\n")}\n}\n`;
const ingressOnly = (...rules: string[]) => script("  chain ingress {", ...isolated("input", "iif"), ...rules.map((r) => `    ${r}`), "  }", ...OPEN_EGRESS);
const ingress = (...rules: FirewallRule[]): PodFirewall => ({ ingress: rules, egress: null });

describe("renderFirewall", () => {
  const cases: { name: string; fw: PodFirewall; want: string }[] = [
    // nothing isolated: the table goes, so the pod's packets meet no kube9 hook at all
    { name: "open", fw: { ingress: null, egress: null }, want: HEAD },
    // default deny ingress: only loopback and replies, egress untouched
    { name: "ingress default deny", fw: ingress(), want: ingressOnly() },
    // default deny egress: the output chain drops, matched on oif lo
    {
      name: "egress default deny",
      fw: { ingress: null, egress: [] },
      want: script(...OPEN_INGRESS, "  chain egress {", ...isolated("output", "oif"), "  }"),
    },
    // any peer, any port
    { name: "allow-all rule", fw: ingress({ peers: null, ports: null }), want: ingressOnly("accept") },
    // several plain peers share one set
    {
      name: "plain peers",
      fw: ingress({ peers: [{ cidr: "10.0.1.1/32", except: [] }, { cidr: "10.0.2.0/24", except: [] }], ports: null }),
      want: ingressOnly("ip saddr { 10.0.1.1/32, 10.0.2.0/24 } accept"),
    },
    // except: in the block and not in any hole, on one line of its own
    {
      name: "ipBlock with except",
      fw: ingress({ peers: [{ cidr: "10.0.0.0/8", except: ["10.1.0.0/16", "10.2.0.0/16"] }], ports: null }),
      want: ingressOnly("ip saddr 10.0.0.0/8 ip saddr != { 10.1.0.0/16, 10.2.0.0/16 } accept"),
    },
    // IPv4 and IPv6 peers: one line per family (one line is an AND, a packet is never both)
    {
      name: "both families",
      fw: ingress({ peers: [{ cidr: "10.0.1.1/32", except: [] }, { cidr: "fd00::/64", except: ["fd00::1/128"] }], ports: null }),
      want: ingressOnly("ip saddr { 10.0.1.1/32 } accept", "ip6 saddr fd00::/64 ip6 saddr != { fd00::1/128 } accept"),
    },
    // ports of two protocols, ranges and single ports; the whole range of a protocol is just that protocol
    {
      name: "ports of several protocols",
      fw: ingress({ peers: null, ports: [{ protocol: "TCP", from: 80, to: 80 }, { protocol: "TCP", from: 1000, to: 2000 }, { protocol: "UDP", from: 1, to: 65535 }] }),
      want: ingressOnly("tcp dport { 80, 1000-2000 } accept", "meta l4proto udp accept"),
    },
    // peers x ports: every address clause with every port clause
    {
      name: "peers and ports cross",
      fw: ingress({ peers: [{ cidr: "10.0.1.1/32", except: [] }, { cidr: "fd00::1/128", except: [] }], ports: [{ protocol: "TCP", from: 80, to: 80 }, { protocol: "SCTP", from: 9, to: 9 }] }),
      want: ingressOnly(
        "ip saddr { 10.0.1.1/32 } tcp dport { 80 } accept",
        "ip saddr { 10.0.1.1/32 } sctp dport { 9 } accept",
        "ip6 saddr { fd00::1/128 } tcp dport { 80 } accept",
        "ip6 saddr { fd00::1/128 } sctp dport { 9 } accept",
      ),
    },
    // egress matches the destination address, and still the destination port
    {
      name: "egress rule",
      fw: { ingress: null, egress: [{ peers: [{ cidr: "10.0.2.1/32", except: [] }], ports: [{ protocol: "TCP", from: 8080, to: 8080 }] }] },
      want: script(...OPEN_INGRESS, "  chain egress {", ...isolated("output", "oif"), "    ip daddr { 10.0.2.1/32 } tcp dport { 8080 } accept", "  }"),
    },
  ];
  it.each(cases)("$name", ({ fw, want }) => {
    expect(renderFirewall(fw)).toBe(want);
  });
});

describe("createPolicyEnforcer without pod namespaces", () => {
  it("says why it cannot enforce, and refuses to apply", async () => {
    const enforcer = await createPolicyEnforcer(unavailablePodNetwork("KUBE9_POD_NETWORK=off"));
    expect(enforcer).toMatchObject({ available: false, reason: expect.stringContaining("KUBE9_POD_NETWORK=off") });
    expect(enforcer.description).toMatch(/^no NetworkPolicy enforcement/);
    await expect(enforcer.apply("p", "k9p-000000000000", { ingress: [], egress: null })).rejects.toThrow(/not enforced/);
  });
});

// ---------------------------------------------------------------- real namespaces, real connections

/** The server's ports: two in a range, one outside it. */
const SERVED = [80, 81, 90];
const TIMEOUT_MS = 400;

describe.runIf(requireNft())("nftables in real pod namespaces", () => {
  const dir = mkdtempSync(join(tmpdir(), "k9-nft-"));
  const ip = findIp()!;
  let net: PodNetwork;
  let enforcer: PolicyEnforcer;
  const pods: Record<"a" | "b" | "server", PodAddress & { id: string }> = {} as never;
  let server: ChildProcess | undefined;
  const rulesetBefore = hostRuleset();
  let trialLeftovers: string[] = [];

  beforeAll(async () => {
    net = await createPodNetwork({ podCIDR: "10.244.44.0/24", stateDir: join(dir, "state"), sharedNetns: TEST_SHARED_NETNS });
    expect(net.available).toBe(true);
    const namesBefore = new Set(netnsList());
    enforcer = await createPolicyEnforcer(net);
    // The trial runs in a namespace nothing names (unshare -n): none is left, even by an agent killed half-way.
    trialLeftovers = netnsList().filter((n) => !namesBefore.has(n) && !n.startsWith("k9p-"));
    expect(enforcer).toMatchObject({ available: true });
    for (const name of ["a", "b", "server"] as const) {
      const id = crypto.randomUUID();
      pods[name] = { id, ...(await net.setup(id))! };
    }
    // One process listening on every served port, inside the server pod's namespace.
    const listen = `for (const p of ${JSON.stringify(SERVED)}) require("node:net").createServer((s) => s.end()).listen(p, () => { if (p === 90) console.log("ready"); });`;
    server = spawn(ip, ["netns", "exec", pods.server.netns, process.execPath, "-e", listen], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.once("data", () => resolve());
      server!.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    });
  });

  afterAll(async () => {
    server?.kill("SIGKILL");
    for (const p of Object.values(pods)) await net?.teardown(p.id);
    removeTestSharedNetns();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Connects from `from` to the server on each port: true (connected), false (dropped), or the error otherwise. */
  async function reach(from: "a" | "b" | "server", ports = [80], to = pods.server.ip): Promise<(boolean | string)[]> {
    const results = await probeConnections({ ip, netns: pods[from].netns, targets: ports.map((port) => ({ ip: to, port, protocol: "TCP" as const })), timeoutMs: TIMEOUT_MS });
    return results.map((r: ConnectResult) => (r.ok ? true : r.error === `timed out after ${TIMEOUT_MS} ms` ? false : r.error!));
  }
  const applyTo = (name: "a" | "b" | "server", fw: PodFirewall) => enforcer.apply(pods[name].id, pods[name].netns, fw);
  const host = (name: "a" | "b") => ({ cidr: `${pods[name].ip}/32`, except: [] });
  const OPEN: PodFirewall = { ingress: null, egress: null };

  it("tries nftables once without naming a namespace (nothing to leave behind)", () => {
    expect(enforcer.available).toBe(true);
    expect(trialLeftovers).toEqual([]);
  });

  it("enforces ingress, egress, ports and ipBlock except on new connections", async () => {
    // open: everything connects; a port nobody serves is refused, not dropped
    expect(await reach("a", [80, 91])).toEqual([true, "connection refused"]);

    // ingress default deny on the server: SYNs are dropped (a timeout, not a refusal)
    await applyTo("server", { ingress: [], egress: null });
    expect(await reach("a", [80, 91])).toEqual([false, false]);
    // ... but the server still reaches itself, over loopback and at its own address
    expect(await reach("server", [80], "127.0.0.1")).toEqual([true]);
    expect(await reach("server", [80])).toEqual([true]);

    // ingress from one peer IP: a yes, b no
    await applyTo("server", { ingress: [{ peers: [host("a")], ports: null }], egress: null });
    expect(await reach("a")).toEqual([true]);
    expect(await reach("b")).toEqual([false]);

    // a port range: 80-81 in, 90 out
    await applyTo("server", { ingress: [{ peers: null, ports: [{ protocol: "TCP", from: 80, to: 81 }] }], egress: null });
    expect(await reach("b", SERVED)).toEqual([true, true, false]);

    // ipBlock except: the cluster range but a's address
    await applyTo("server", { ingress: [{ peers: [{ cidr: "10.244.0.0/14", except: [`${pods.a.ip}/32`] }], ports: null }], egress: null });
    expect(await reach("a")).toEqual([false]);
    expect(await reach("b")).toEqual([true]);

    // egress deny on a: a sends nothing, b is untouched; the server's egress deny does not stop replies
    await applyTo("server", { ingress: null, egress: [] });
    await applyTo("a", { ingress: null, egress: [] });
    expect(await reach("a")).toEqual([false]);
    expect(await reach("b")).toEqual([true]);
    // egress allowed to the server on port 81 only
    await applyTo("a", { ingress: null, egress: [{ peers: [{ cidr: `${pods.server.ip}/32`, except: [] }], ports: [{ protocol: "TCP", from: 81, to: 81 }] }] });
    expect(await reach("a", SERVED)).toEqual([false, true, false]);

    await applyTo("a", OPEN);
    await applyTo("server", OPEN);
    expect(await reach("a", SERVED)).toEqual([true, true, true]);
    // the host's own ruleset never changed
    expect(hostRuleset()).toBe(rulesetBefore);
  });

  it("puts a rule change in force for the next connection, and skips a firewall already in force", async () => {
    await applyTo("server", { ingress: [], egress: null });
    expect(await reach("a")).toEqual([false]);
    const t0 = performance.now();
    await applyTo("server", { ingress: [{ peers: [host("a")], ports: null }], egress: null });
    const appliedMs = performance.now() - t0;
    expect(await reach("a")).toEqual([true]);
    const effectMs = performance.now() - t0;
    const probe = await timed(() => reach("a"));
    const dropped = await timed(() => reach("b"));
    console.log(
      `rule change: nft applied in ${appliedMs.toFixed(1)} ms, a new connection got through ${effectMs.toFixed(1)} ms after the change began; ` +
        `a probe batch of one costs ${probe.ms.toFixed(1)} ms when allowed, ${dropped.ms.toFixed(1)} ms when dropped (timeout ${TIMEOUT_MS} ms)`,
    );
    expect(appliedMs).toBeLessThan(2_000);

    // The same firewall again is not re-run: the table someone removed by hand stays removed...
    execFileSync(ip, ["netns", "exec", pods.server.netns, "nft", "delete", "table", "inet", "kube9"]);
    await applyTo("server", { ingress: [{ peers: [host("a")], ports: null }], egress: null });
    expect(await reach("b")).toEqual([true]);
    // ...until the enforcer forgets the pod (its namespace was made again) and applies it in full.
    enforcer.forget(pods.server.id);
    await applyTo("server", { ingress: [{ peers: [host("a")], ports: null }], egress: null });
    expect(await reach("b")).toEqual([false]);
    await applyTo("server", OPEN);
  });

  it("probes many targets in parallel from one process", async () => {
    const targets = Array.from({ length: 200 }, (_, i) => ({ ip: pods.server.ip, port: SERVED[i % 3]!, protocol: "TCP" as const }));
    const t0 = performance.now();
    const results = await probeConnections({ ip, netns: pods.a.netns, targets, timeoutMs: 1_000 });
    const ms = performance.now() - t0;
    console.log(`200 allowed connections probed in ${ms.toFixed(0)} ms (${(ms / 200).toFixed(2)} ms each)`);
    expect(results.every((r) => r.ok && r.ms >= 0)).toBe(true);
    await expect(probeConnections({ ip, netns: "k9p-nonexistent0", targets: targets.slice(0, 1), timeoutMs: 100 })).rejects.toThrow(/k9p-nonexistent0/);
  });
});

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}
