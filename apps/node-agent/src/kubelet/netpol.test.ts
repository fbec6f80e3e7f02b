import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetpolAssignment, NetpolReport, PodStatusReport } from "@kube9/core";
import { afterAll, describe, expect, it } from "vitest";
import { until } from "../../test/fake-api.js";
import { podOf, startRig, type KubeletRig } from "../../test/kubelet-helpers.js";
import { netnsList, removeTestSharedNetns, requireNft, TEST_SHARED_NETNS } from "../../test/netns-helpers.js";
import type { ConnectResult } from "../network/connect-probe.js";
import { podNetnsName } from "../network/pod-network.js";

// NetworkPolicies through the agent against a fake API: firewalls arrive in heartbeat answers, go into the pods'
// namespaces (a new pod's before its containers start), the node reports the revision in force, and POST /probe
// tries real connections from inside a pod.

const sites = mkdtempSync(join(tmpdir(), "k9-netpol-"));
afterAll(() => {
  removeTestSharedNetns();
  rmSync(sites, { recursive: true, force: true });
});

const running = (s: PodStatusReport) => s.phase === "Running" && s.podIP !== undefined;
const lastReport = (r: KubeletRig): NetpolReport | undefined => r.api.beatsOf(r.nodeId).at(-1)?.netpol;

async function probe(r: KubeletRig, podId: string, targets: { ip: string; port: number }[], timeoutMs = 400): Promise<Response> {
  return r.kubelet("/probe", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ podId, targets: targets.map((t) => ({ ...t, protocol: "TCP" })), timeoutMs }),
  });
}

async function probeResults(r: KubeletRig, podId: string, targets: { ip: string; port: number }[]): Promise<ConnectResult[]> {
  const res = await probe(r, podId, targets);
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: ConnectResult[] }).results;
}

describe("NetworkPolicy on a node that cannot enforce it", () => {
  it("says so once at start, echoes the revision it was sent with the reason, and refuses probes", async () => {
    const r = await startRig({ kubelet: { podNetwork: "off" } }, { podCIDR: "10.244.46.0/24" });
    try {
      const node = r.api.nodes.get(r.nodeId)!;
      node.netpol = { revision: "r1", firewalls: { "some-pod": { ingress: [], egress: null } } };
      await until(() => lastReport(r)?.revision === "r1", 5_000, "the revision echoed");
      expect(lastReport(r)).toEqual({ revision: "r1", enforcement: "none", reason: expect.stringContaining("KUBE9_POD_NETWORK=off") });
      expect(r.lines.filter((l) => l.includes("NetworkPolicy"))).toEqual([
        "info no NetworkPolicy enforcement (pods have no network namespaces of their own (KUBE9_POD_NETWORK=off)): every pod's traffic is allowed",
      ]);
      // once echoed, the API has no reason to send it again
      const beats = r.api.beatsOf(r.nodeId).length;
      await until(() => r.api.beatsOf(r.nodeId).length >= beats + 3, 5_000, "three more beats");
      expect(r.api.beatsOf(r.nodeId).slice(beats).every((b) => b.netpol?.revision === "r1")).toBe(true);
      const res = await probe(r, "some-pod", [{ ip: "10.244.46.2", port: 80 }]);
      expect([res.status, await res.text()]).toEqual([409, "cannot probe from pods on this node: KUBE9_POD_NETWORK=off\n"]);
    } finally {
      await r.close();
    }
  });
});

describe.runIf(requireNft())("NetworkPolicy enforced by the agent", () => {
  it("applies each revision to the pods' namespaces, reports it, and a new pod is isolated before its containers start", async () => {
    const r = await startRig({ kubelet: { sharedNetns: TEST_SHARED_NETNS } }, { podCIDR: "10.244.45.0/24", heartbeatIntervalMs: 1_000 });
    const site = join(sites, "web");
    mkdirSync(site);
    writeFileSync(join(site, "index.html"), "hi\n");
    const web = podOf("web", [{ command: ["httpd", "-f", "-p", "80", "-h", site] }]);
    const client = podOf("client", [{ command: ["sleep", "60"] }]);
    const node = r.api.nodes.get(r.nodeId)!;
    /** Hands the node a revision as the API would (answer + POST /sync) and waits until the node reports it in force. */
    const assign = async (netpol: NetpolAssignment) => {
      const t0 = performance.now();
      node.netpol = netpol;
      expect((await r.kubelet("/sync", { method: "POST" })).status).toBe(204);
      await until(() => lastReport(r)?.revision === netpol.revision, 5_000, `revision ${netpol.revision} in force`);
      return performance.now() - t0;
    };
    try {
      expect(r.lines).toContainEqual(expect.stringMatching(/^info NetworkPolicies enforced by nftables \(\/\S+\/nft\): table inet kube9 in each pod's network namespace$/));
      r.api.runPod(r.nodeId, web);
      r.api.runPod(r.nodeId, client);
      const [w, c] = await Promise.all([r.waitFor(web.id, running, "web running"), r.waitFor(client.id, running, "client running")]);
      const webIp = w.podIP!;
      const to80 = [{ ip: webIp, port: 80 }];
      expect(lastReport(r)).toEqual({ revision: "", enforcement: "nftables" });
      let results = await probeResults(r, client.id, [...to80, { ip: webIp, port: 81 }]);
      expect(results).toMatchObject([{ ok: true }, { ok: false, error: "connection refused" }]);

      // default deny into web
      const denyMs = await assign({ revision: "r1", firewalls: { [web.id]: { ingress: [], egress: null } } });
      results = await probeResults(r, client.id, to80);
      expect(results).toEqual([{ ok: false, ms: expect.any(Number), error: "timed out after 400 ms" }]);

      // the client's address may in
      const allowMs = await assign({ revision: "r2", firewalls: { [web.id]: { ingress: [{ peers: [{ cidr: `${c.podIP}/32`, except: [] }], ports: null }], egress: null } } });
      expect((await probeResults(r, client.id, to80))[0]).toMatchObject({ ok: true });
      console.log(`revision handed over with POST /sync to in force and reported: ${denyMs.toFixed(0)} ms (deny), ${allowMs.toFixed(0)} ms (allow)`);

      // A pod whose firewall arrives before it does: no egress at all. Its container tries web first thing.
      const late = podOf("late", [{ command: ["sh", "-c", `if nc -w 1 ${webIp} 80 </dev/null; then echo CONNECTED; else echo BLOCKED; fi; exec sleep 60`] }]);
      await assign({
        revision: "r3",
        firewalls: { [web.id]: { ingress: null, egress: null }, [late.id]: { ingress: null, egress: [] } },
      });
      r.api.runPod(r.nodeId, late);
      await r.waitFor(late.id, running, "late running");
      let log = "";
      for (const deadline = Date.now() + 10_000; !/BLOCKED|CONNECTED/.test(log) && Date.now() < deadline; await new Promise((f) => setTimeout(f, 100))) {
        log = await (await r.kubelet(`/pods/${late.id}/containers/main/logs`)).text();
      }
      expect(log).toBe("nc: timed out\nBLOCKED\n");
      expect((await probeResults(r, late.id, to80))[0]).toMatchObject({ ok: false, error: "timed out after 400 ms" });
      // ... and a pod missing from the assignment is open: web lets the client in again
      expect((await probeResults(r, client.id, to80))[0]).toMatchObject({ ok: true });

      // the pod goes, its namespace with it
      r.api.deletePod(r.nodeId, late.id, 0);
      await until(() => !r.agent.podIds.includes(late.id), 10_000, "late gone");
      expect(netnsList()).not.toContain(podNetnsName(late.id));
      const gone = await probe(r, late.id, to80);
      expect(gone.status).toBe(404);
    } finally {
      await r.close();
    }
  });
});
