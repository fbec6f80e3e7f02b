import { readdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKube9Client } from "@kube9/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { waitFor } from "./harness.js";

// Pods running real containers on process nodes, end to end through the HTTP API: the node agent's
// kubelet starts them, reports their status, serves logs and exec, and takes them down with it.

/** Pids of processes whose environment says they belong to this pod (POD_NAME is set by the kubelet). */
function processesOfPod(pod: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, "utf8").split("\0");
      if (env.includes(`POD_NAME=${pod}`)) out.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}

describe("pods with containers on process nodes (real agents, real processes)", () => {
  let home: string;
  let api: RunningControlPlane;
  let c: ReturnType<typeof createKube9Client>;
  const pod = async (name: string) => (await c.pods.get.query({ name })).pod;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-process-pods-"));
    api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {} });
    c = createKube9Client({ url: api.url, token: api.token });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("runs a container, serves its logs and exec, and a killed node takes it down; it runs again elsewhere", async () => {
    await c.nodes.add.mutate({ name: "pa", cpu: 1, labels: { case: "pods-process" } });
    await waitFor(async () => (await c.nodes.get.query({ name: "pa" })).node.status === "Ready", 15_000);
    const manifest = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "talker" },
      spec: {
        nodeSelector: { case: "pods-process" },
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: "main",
            image: "busybox",
            command: ["sh", "-c", "echo hello from $POD_NAME; while true; do sleep 1; done"],
            resources: { limits: { cpu: "200m", memory: "32Mi" } },
            readinessProbe: { exec: { command: ["true"] }, periodSeconds: 1 },
          },
        ],
      },
    };
    expect((await c.pods.applyManifest.mutate({ manifest })).pod.nodeName).toBe("pa");
    await waitFor(async () => (await pod("talker")).conditions.some((x) => x.type === "Ready" && x.status === "True"), 15_000);
    const running = await pod("talker");
    expect(running).toMatchObject({ phase: "Running", status: "Running" });
    expect(Object.keys(running.containerStatuses[0]!.state)).toEqual(["running"]);
    expect(running.enforcement.main?.memory).toMatch(/^(cgroup-v1|cgroup-v2|agent)$/);
    expect(processesOfPod("talker").length).toBeGreaterThan(0);

    await waitFor(async () => (await c.pods.logs.query({ name: "talker" })).lines.length > 0, 5_000);
    expect((await c.pods.logs.query({ name: "talker" })).lines).toContain("hello from talker");
    expect(await c.pods.exec.mutate({ name: "talker", command: ["sh", "-c", "echo out; exit 3"] })).toMatchObject({ exitCode: 3, stdout: "out\n" });

    // A second node, then the first one is killed: its containers die with it, the pod runs on pb.
    await c.nodes.add.mutate({ name: "pb", cpu: 1, labels: { case: "pods-process" } });
    await waitFor(async () => (await c.nodes.get.query({ name: "pb" })).node.status === "Ready", 15_000);
    const before = processesOfPod("talker");
    await c.nodes.fail.mutate({ name: "pa", mode: "kill" });
    await waitFor(async () => before.every((p) => !readdirSync("/proc").includes(String(p))), 5_000);
    await waitFor(async () => {
      const p = await pod("talker");
      return p.nodeName === "pb" && p.phase === "Running";
    }, 15_000);
    expect((await pod("talker")).restarts).toBe(1);

    // Deleting waits for the grace period at most, then the pod and its processes are gone.
    await c.pods.delete.mutate({ name: "talker" });
    await waitFor(async () => !(await c.pods.list.query()).some((p) => p.name === "talker"), 10_000);
    await waitFor(async () => processesOfPod("talker").length === 0, 5_000);
  }, 90_000);

  it("a container over its memory limit is OOMKilled, and the pod Failed under restartPolicy Never", async () => {
    await c.nodes.add.mutate({ name: "pm", cpu: 1, labels: { case: "pods-oom" } });
    await waitFor(async () => (await c.nodes.get.query({ name: "pm" })).node.status === "Ready", 15_000);
    // The workload (node) idles at ~40 MiB; 128 MiB more is far over the 64Mi limit.
    await c.pods.launch.mutate({
      name: "hog",
      image: "kube9/workload",
      args: ["memory", "--mib", "128"],
      limitCpu: 0.2,
      limitMemoryMiB: 64,
      restartPolicy: "Never",
      nodeSelector: { case: "pods-oom" },
    });
    await waitFor(async () => (await pod("hog")).phase === "Failed", 20_000);
    const hog = await pod("hog");
    expect(hog.containerStatuses[0]?.state).toMatchObject({ terminated: { reason: "OOMKilled", exitCode: 137 } });
    expect(hog.status).toBe("Failed");
    const reasons = (await c.events.list.query({ objectName: "hog" })).map((e) => e.reason);
    expect(reasons).toContain("OOMKilling");
    await c.pods.delete.mutate({ name: "hog" });
  }, 60_000);
});
