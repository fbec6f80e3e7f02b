import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ipIn, linksIn, netnsList, removeTestSharedNetns, requireNetns, TEST_SHARED_NETNS } from "../../test/netns-helpers.js";
import { runProbe } from "../containers/probes.js";
import { startContainer } from "../containers/process-container.js";
import { IpPool, parseCidr } from "./ipam.js";
import { createPodNetwork, podNetnsName } from "./pod-network.js";

const dir = mkdtempSync(join(tmpdir(), "k9-podnet-"));
afterAll(() => {
  removeTestSharedNetns();
  rmSync(dir, { recursive: true, force: true });
});

const podId = () => crypto.randomUUID();
const BUSYBOX = "/bin/busybox";

describe("pod IP allocation", () => {
  it("hands out .2 to .254 of a /24 round-robin, one per pod, and reuses freed ones last", () => {
    const pool = new IpPool(parseCidr("10.244.3.0/24")!);
    expect(pool.capacity).toBe(253);
    expect(pool.allocate("a")).toBe("10.244.3.2");
    expect(pool.allocate("a")).toBe("10.244.3.2");
    expect(pool.allocate("b")).toBe("10.244.3.3");
    pool.release("a");
    expect(pool.allocate("c")).toBe("10.244.3.4");
    for (let i = 0; i < 250; i++) expect(pool.allocate(`x${i}`)).toBeDefined();
    // Only the freed .2 is left.
    expect(pool.allocate("last")).toBe("10.244.3.2");
    expect(pool.allocate("none")).toBeUndefined();
  });

  it("parses CIDRs and names namespaces by pod id", () => {
    expect(parseCidr("10.245.7.9/24")).toEqual({ base: (10 << 24) + (245 << 16) + (7 << 8), prefix: 24 });
    expect(parseCidr("10.245.7.0/33")).toBeUndefined();
    expect(parseCidr("nonsense")).toBeUndefined();
    expect(podNetnsName("0f1e2d3c-4b5a-6978-8a9b-acbdcedf0011")).toBe("k9p-0f1e2d3c4b5a");
    expect(podNetnsName("not-hex")).toMatch(/^k9p-[0-9a-f]{12}$/);
  });
});

describe("a pod network that is not there", () => {
  it("says why, and gives pods no address", async () => {
    const off = await createPodNetwork({ podCIDR: "10.244.9.0/24", stateDir: join(dir, "off"), disabled: "KUBE9_POD_NETWORK=off" });
    expect(off).toMatchObject({ available: false, reason: "KUBE9_POD_NETWORK=off" });
    expect(off.description).toMatch(/pods share the node's network and report no pod IP/);
    expect(await off.setup(podId())).toBeUndefined();
    const noCidr = await createPodNetwork({ podCIDR: undefined, stateDir: join(dir, "off") });
    expect(noCidr.reason).toMatch(/no podCIDR/);
  });
});

describe.runIf(requireNetns())("pod network namespaces", () => {
  const options = (name: string, podCIDR = "10.244.20.0/24") => ({ podCIDR, stateDir: join(dir, name), sharedNetns: TEST_SHARED_NETNS });

  it("gives a pod eth0 with its IP on-link for the cluster range, and teardown leaves nothing behind", async () => {
    const net = await createPodNetwork(options("one"));
    expect(net.available).toBe(true);
    const id = podId();
    const address = (await net.setup(id))!;
    expect(address).toEqual({ netns: podNetnsName(id), ip: "10.244.20.2" });
    expect(await net.setup(id)).toEqual(address);
    expect(netnsList()).toContain(address.netns);
    expect(ipIn(address.netns, ["-o", "addr", "show", "dev", "eth0"])).toContain("inet 10.244.20.2/14");
    expect(ipIn(address.netns, ["-o", "link", "show", "lo"])).toMatch(/[<,]UP[,>]/);
    // The only route is the on-link cluster range: nothing leads off the bridge.
    expect(ipIn(address.netns, ["route", "show"]).trim()).toBe("10.244.0.0/14 dev eth0 proto kernel scope link src 10.244.20.2");
    const peer = `k9v${address.netns.slice(4)}`;
    expect(ipIn(TEST_SHARED_NETNS, ["-o", "link", "show", peer])).toContain("master k9br0");
    expect(readdirSync(join(dir, "one"))).toEqual([address.netns]);

    await net.teardown(id);
    expect(netnsList()).not.toContain(address.netns);
    expect(linksIn(TEST_SHARED_NETNS).filter((l) => l.startsWith("k9v"))).toEqual([]);
    expect(readdirSync(join(dir, "one"))).toEqual([]);
    // The address is free again (after the rest of the round).
    expect((await net.setup(id))!.ip).toBe("10.244.20.3");
    await net.teardown(id);
  });

  it("sweeps the namespaces this node recorded in a previous run, and only those", async () => {
    const before = await createPodNetwork(options("sweep", "10.244.21.0/24"));
    const other = await createPodNetwork(options("other-node", "10.244.22.0/24"));
    const stale = (await before.setup(podId()))!;
    const foreign = podId();
    const kept = (await other.setup(foreign))!;
    // The agent "crashed": nothing was torn down. Its next start sweeps its own leftovers.
    const after = await createPodNetwork(options("sweep", "10.244.21.0/24"));
    expect(after.available).toBe(true);
    expect(netnsList()).not.toContain(stale.netns);
    expect(netnsList()).toContain(kept.netns);
    expect(linksIn(TEST_SHARED_NETNS).filter((l) => l.startsWith("k9v"))).toEqual([`k9v${kept.netns.slice(4)}`]);
    await other.teardown(foreign);
  });

  it("takes over the dead namespace of a pod that moved here, and the old node's next start leaves it alone", async () => {
    const moved = podId();
    const oldNode = await createPodNetwork(options("old-node", "10.244.24.0/24"));
    await oldNode.setup(moved);
    // The old node died without teardown; the pod now starts on another node under the same name.
    const newNode = await createPodNetwork(options("new-node", "10.244.25.0/24"));
    const here = (await newNode.setup(moved))!;
    expect(here.ip).toBe("10.244.25.2");
    await createPodNetwork(options("old-node", "10.244.24.0/24"));
    expect(ipIn(here.netns, ["-o", "-4", "addr", "show", "dev", "eth0"])).toContain("10.244.25.2/14");
    expect(readdirSync(join(dir, "old-node"))).toEqual([]);
    // Had the old node only been cut off, its late teardown must not take the namespace from the new one either.
    await oldNode.teardown(moved);
    expect(ipIn(here.netns, ["-o", "-4", "addr", "show", "dev", "eth0"])).toContain("10.244.25.2/14");
    // A namespace in which processes still run is not taken over.
    const web = await startContainer({ id: "holder", argv: [BUSYBOX, "sleep", "30"], env: {}, logDir: dir, netns: here.netns, limits: {}, cgroups: null });
    try {
      const third = await createPodNetwork(options("third-node", "10.244.26.0/24"));
      await expect(third.setup(moved)).rejects.toThrow(/still holds processes/);
      expect(ipIn(here.netns, ["-o", "-4", "addr", "show", "dev", "eth0"])).toContain("10.244.25.2/14");
    } finally {
      await web.kill();
      await newNode.teardown(moved);
    }
  });

  it("probes a pod's port from inside its namespace (the host has no route to pod IPs)", async () => {
    const net = await createPodNetwork(options("probe", "10.244.23.0/24"));
    const id = podId();
    const { netns, ip } = (await net.setup(id))!;
    const site = join(dir, "site");
    mkdirSync(site);
    writeFileSync(join(site, "index.html"), "hi\n");
    const web = await startContainer({ id: "web", argv: [BUSYBOX, "httpd", "-f", "-p", "8080", "-h", site], env: {}, logDir: dir, netns, limits: {}, cgroups: null });
    try {
      const inPod = { timeoutSeconds: 1, podIP: ip, netns, busybox: BUSYBOX };
      const http = (path: string) => runProbe({ httpGet: { path, port: 8080 } }, inPod);
      await expect.poll(() => http("/").then((r) => r.ok), { timeout: 3_000 }).toBe(true);
      expect(await http("/missing")).toMatchObject({ ok: false, message: expect.stringMatching(/^Get "http:\/\/10\.244\.23\.2:8080\/missing": .*404/) });
      expect(await runProbe({ tcpSocket: { port: 8080 } }, inPod)).toMatchObject({ ok: true });
      expect(await runProbe({ tcpSocket: { port: 8081 } }, inPod)).toMatchObject({ ok: false, message: expect.stringMatching(/^dial tcp 10\.244\.23\.2:8081: .*refused/) });
    } finally {
      await web.kill();
      await net.teardown(id);
    }
  });

  it("lets agents starting together share one bridge", async () => {
    removeTestSharedNetns();
    const nets = await Promise.all([0, 1, 2, 3].map((i) => createPodNetwork(options(`race-${i}`, `10.244.3${i}.0/24`))));
    expect(nets.map((n) => n.reason)).toEqual([undefined, undefined, undefined, undefined]);
    expect(linksIn(TEST_SHARED_NETNS)).toEqual(["lo", "k9br0"]);
  });
});
