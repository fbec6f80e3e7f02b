import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PodStatusReport, ProbeSpec } from "@kube9/core";
import { afterAll, describe, expect, it } from "vitest";
import { podNetnsName } from "../network/pod-network.js";
import { linksIn, netnsList, removeTestSharedNetns, requireNetns, TEST_SHARED_NETNS } from "../../test/netns-helpers.js";
import { podOf, processesOfPod, startRig, type KubeletRig } from "../../test/kubelet-helpers.js";

// Pods with their own IPs, end to end through agents against a fake API: two web servers on port 80
// in one node, clients in the same node and in another node (another podCIDR) on the same machine.

const sites = mkdtempSync(join(tmpdir(), "k9-sites-"));
afterAll(() => {
  removeTestSharedNetns();
  rmSync(sites, { recursive: true, force: true });
});

const probe = (handler: Pick<ProbeSpec, "httpGet" | "tcpSocket">): ProbeSpec => ({
  ...handler,
  initialDelaySeconds: 0,
  periodSeconds: 1,
  timeoutSeconds: 1,
  failureThreshold: 1,
  successThreshold: 1,
});

/** A busybox httpd on port 80 serving `index`, ready once an HTTP probe (from inside its netns) answers. */
function webPod(name: string, index: string) {
  const dir = join(sites, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "index.html"), index);
  return podOf(name, [
    {
      command: ["httpd", "-f", "-p", "80", "-h", dir],
      ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
      readinessProbe: probe({ httpGet: { path: "/", port: "http", scheme: "HTTP" } }),
      livenessProbe: probe({ tcpSocket: { port: 80 } }),
    },
  ]);
}

async function exec(r: KubeletRig, podId: string, command: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const res = await r.kubelet(`/pods/${podId}/containers/main/exec`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ command }),
  });
  return (await res.json()) as { exitCode: number; stdout: string; stderr: string };
}

const readyWithIp = (s: PodStatusReport) => s.phase === "Running" && s.containerStatuses.every((c) => c.ready) && s.podIP !== undefined;
const podLinks = () => linksIn(TEST_SHARED_NETNS).filter((l) => l.startsWith("k9v"));

describe.runIf(requireNetns())("pod IPs", () => {
  it("two pods both serve port 80 at their own IPs, reachable from a pod of the same node and of another node", async () => {
    const kubelet = { sharedNetns: TEST_SHARED_NETNS };
    const [a, b] = await Promise.all([
      startRig({ kubelet }, { podCIDR: "10.244.40.0/24" }),
      startRig({ kubelet }, { podCIDR: "10.244.41.0/24" }),
    ]);
    const pods = [webPod("web-one", "one\n"), webPod("web-two", "two\n"), podOf("client", [{ command: ["sleep", "30"] }])];
    const remote = podOf("remote", [{ command: ["sleep", "30"] }]);
    try {
      for (const p of pods) a.api.runPod(a.nodeId, p);
      b.api.runPod(b.nodeId, remote);
      const [one, two, client] = await Promise.all(pods.map((p) => a.waitFor(p.id, readyWithIp, `${p.name} ready with an IP`)));
      const far = await b.waitFor(remote.id, readyWithIp, "the remote pod with an IP");
      expect(one!.podIP).toMatch(/^10\.244\.40\.\d+$/);
      expect(far.podIP).toMatch(/^10\.244\.41\.\d+$/);
      expect(new Set([one!.podIP, two!.podIP, client!.podIP, far.podIP]).size).toBe(4);
      expect(a.lines.some((l) => l.includes("pod network: IPs from 10.244.40.0/24"))).toBe(true);

      for (const [from, r, clientId] of [["same node", a, client!.podId], ["other node", b, far.podId]] as const) {
        const got1 = await exec(r, clientId, ["wget", "-q", "-O-", `http://${one!.podIP}/`]);
        const got2 = await exec(r, clientId, ["wget", "-q", "-O-", `http://${two!.podIP}/`]);
        expect({ from, one: got1.stdout, two: got2.stdout }).toEqual({ from, one: "one\n", two: "two\n" });
      }
      // Each pod sees only itself on loopback: nothing listens on port 80 of the client's own network.
      expect((await exec(a, client!.podId, ["wget", "-q", "-O-", "http://127.0.0.1/"])).exitCode).not.toBe(0);

      // A deleted pod takes its namespace and its link on the bridge with it.
      a.api.deletePod(a.nodeId, pods[0]!.id, 1);
      await a.waitFor(pods[1]!.id, () => !a.agent.podIds.includes(pods[0]!.id), "web-one gone");
      expect(netnsList()).not.toContain(podNetnsName(pods[0]!.id));
      expect(netnsList()).toContain(podNetnsName(pods[1]!.id));
      expect(podLinks()).toHaveLength(3);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    // Stopping the agents removes every pod namespace and link.
    for (const p of [...pods, remote]) {
      expect(netnsList()).not.toContain(podNetnsName(p.id));
      expect(processesOfPod(p.name)).toEqual([]);
    }
    expect(podLinks()).toEqual([]);
  });
});

describe("pods without a pod network", () => {
  it("run in the agent's network and report no pod IP", async () => {
    const r = await startRig({ kubelet: { podNetwork: "off" } }, { podCIDR: "10.244.42.0/24" });
    try {
      const pod = podOf("hostnet", [{ command: ["sleep", "30"] }]);
      r.api.runPod(r.nodeId, pod);
      const s = await r.waitFor(pod.id, (s) => s.phase === "Running", "a running pod");
      expect(s.podIP).toBeUndefined();
      expect(r.lines).toContain("info no pod network (KUBE9_POD_NETWORK=off): pods share the node's network and report no pod IP");
      const ns = await exec(r, pod.id, ["readlink", "/proc/self/ns/net"]);
      expect(ns.stdout.trim()).toBe(readlinkSync("/proc/self/ns/net"));
    } finally {
      await r.close();
    }
  });
});
