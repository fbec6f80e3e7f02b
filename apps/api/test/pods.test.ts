import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKube9Client } from "@kube9/client";
import { TRPCError } from "@trpc/server";
import type { Database } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { createHarness, openTestDatabase, waitFor, type AgentCaller, type Harness } from "./harness.js";

// Pods that run containers, as the API sees them: specs in, statuses back from the node's agent,
// graceful deletion. The agent is played by the test through its own credential.

const beat = { usage: { cpuMilli: 0, memoryMiB: 0 }, components: {} };

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return { code: err.code, message: err.message };
    throw err;
  }
  return { code: "OK", message: "" };
}

const WEB = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", labels: { app: "web" } },
  spec: {
    containers: [
      {
        name: "http",
        image: "kube9/workload",
        args: ["http", "--port", "8080"],
        ports: [{ containerPort: 8080, name: "http" }],
        resources: { requests: { cpu: "250m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
        readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1 },
      },
    ],
  },
};

describe("pods with containers (PGlite)", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;
  let agent: AgentCaller;

  beforeAll(async () => {
    shared = await openTestDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    h = await createHarness({ db: shared.db });
    await h.admin.nodes.add({ name: "n1", cpu: 2, memoryMiB: 1024 });
    agent = await h.agent("n1");
    await agent.agent.register({ kubelet: { url: "http://127.0.0.1:1", token: "kubelet-token-0123456789" } });
  });
  afterEach(async () => {
    await h.close();
  });

  it("applies a Kubernetes manifest: created, then unchanged; a different spec is a conflict", async () => {
    const first = await h.admin.pods.applyManifest({ manifest: WEB });
    expect(first).toMatchObject({ action: "created", scheduled: true });
    // Requests are what the scheduler places: 250m and 64Mi, not the limits.
    expect(first.pod).toMatchObject({ name: "web", namespace: "default", nodeName: "n1", request: { cpuMilli: 250, memoryMiB: 64 } });
    expect(first.pod.spec?.containers[0]).toMatchObject({ name: "http", image: "kube9/workload", limits: { cpuMilli: 500, memoryMiB: 128 } });
    expect((await h.admin.pods.applyManifest({ manifest: WEB })).action).toBe("unchanged");
    const changed = structuredClone(WEB);
    changed.spec.containers[0]!.image = "busybox";
    expect(await failure(h.admin.pods.applyManifest({ manifest: changed }))).toMatchObject({ code: "CONFLICT" });
  });

  it("rejects a bad manifest with every field path, and creates nothing", async () => {
    const bad = { ...WEB, spec: { containers: [{ name: "Bad_Name", foo: 1 }], restartPolicy: "Sometimes" } };
    const { code, message } = await failure(h.admin.pods.applyManifest({ manifest: bad }));
    expect(code).toBe("BAD_REQUEST");
    expect(message).toContain('unknown field "spec.containers[0].foo"');
    expect(message).toContain("spec.containers[0].image: Required value");
    expect(message).toContain('spec.restartPolicy: Unsupported value: "Sometimes"');
    expect(await h.admin.pods.list()).toEqual([]);
  });

  it("launch with an image makes a one-container spec; requests default to limits", async () => {
    const r = await h.admin.pods.launch({ name: "burn", image: "kube9/workload", args: ["cpu", "--millicores", "500"], limitCpu: 0.5, limitMemoryMiB: 64 });
    // No requests given: requests = limits (500m, 64Mi), as in Kubernetes.
    expect(r.pod.request).toEqual({ cpuMilli: 500, memoryMiB: 64 });
    expect(r.pod.spec).toMatchObject({ restartPolicy: "Always", containers: [{ name: "burn", args: ["cpu", "--millicores", "500"] }] });
    expect(await failure(h.admin.pods.launch({ name: "x", limitCpu: 1 }))).toMatchObject({ code: "BAD_REQUEST" });
    // Kubernetes quantity strings work in the API too: 250m = 0.25 cores, 96Mi = 96 MiB.
    const q = await h.admin.pods.launch({ name: "quantities", image: "busybox", cpu: "250m", memoryMiB: "96Mi", limitCpu: "500m", limitMemoryMiB: "128Mi" });
    expect(q.pod.request).toEqual({ cpuMilli: 250, memoryMiB: 96 });
    expect(q.pod.spec?.containers[0]?.limits).toEqual({ cpuMilli: 500, memoryMiB: 128 });
    expect(await failure(h.admin.pods.launch({ name: "bad", image: "busybox", cpu: "lots" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^cpu: must be a number of cores or a Kubernetes quantity/),
    });
  });

  it("sends a new pod's spec once, stores the statuses the node reports, and frees a Succeeded pod's room", async () => {
    const job = await h.admin.pods.launch({ name: "job", image: "busybox", command: ["true"], restartPolicy: "Never", cpu: 1 });
    const first = await agent.agent.heartbeat({ podIds: [], ...beat });
    expect(first.assignments.map((a) => a.name)).toEqual(["job"]);
    // Reported back: no spec again.
    const second = await agent.agent.heartbeat({ podIds: [job.pod.id], ...beat });
    expect(second.assignments).toEqual([]);
    expect((await h.admin.pods.get({ name: "job" })).pod.status).toBe("Running");
    const terminated = { terminated: { exitCode: 0, reason: "Completed", finishedAt: new Date().toISOString() } };
    await agent.agent.heartbeat({
      podIds: [job.pod.id],
      ...beat,
      podStatuses: [
        {
          podId: job.pod.id,
          phase: "Succeeded",
          containerStatuses: [{ name: "job", image: "busybox", state: terminated, lastState: {}, ready: false, started: false, restartCount: 0 }],
          conditions: [],
          podIP: "10.244.0.9",
        },
      ],
    });
    const done = (await h.admin.pods.get({ name: "job" })).pod;
    expect(done).toMatchObject({ status: "Succeeded", phase: "Succeeded", podIP: "10.244.0.9" });
    expect(done.containerStatuses[0]?.state).toEqual(terminated);
    // 2 cores - 1 (job) + 1 (finished) = 2 free again.
    expect((await h.admin.nodes.get({ name: "n1" })).node.allocated.cpuMilli).toBe(0);
  });

  it("deleting a running pod: Terminating with its grace period until the node stops reporting it", async () => {
    const web = (await h.admin.pods.applyManifest({ manifest: WEB })).pod;
    await agent.agent.heartbeat({ podIds: [web.id], ...beat });
    const deleting = await h.admin.pods.delete({ name: "web" });
    expect(deleting.status).toBe("Terminating");
    // The reservation stays while the node stops the containers.
    expect((await h.admin.nodes.get({ name: "n1" })).node.allocated.cpuMilli).toBe(250);
    const answer = await agent.agent.heartbeat({ podIds: [web.id], ...beat });
    expect(answer.desiredPodIds).toEqual([]);
    expect(answer.terminating).toEqual([{ id: web.id, gracePeriodSeconds: 30 }]);
    // Stopped: no longer reported, so the deletion completes and the room is free.
    await agent.agent.heartbeat({ podIds: [], ...beat });
    expect(await failure(h.admin.pods.get({ name: "web" }))).toMatchObject({ code: "NOT_FOUND" });
    expect((await h.admin.nodes.get({ name: "n1" })).node.allocated.cpuMilli).toBe(0);
    const reasons = (await h.admin.events.list({})).filter((e) => e.objectName === "web").map((e) => e.reason);
    expect(reasons).toEqual(["Scheduled", "Started", "Killing", "PodDeleted"]);
  });

  it("grace period 0, and pods without containers, are deleted at once", async () => {
    await h.admin.pods.applyManifest({ manifest: WEB });
    expect((await h.admin.pods.delete({ name: "web", gracePeriodSeconds: 0 })).name).toBe("web");
    expect(await failure(h.admin.pods.get({ name: "web" }))).toMatchObject({ code: "NOT_FOUND" });
    await h.admin.pods.launch({ name: "plain", cpu: 1 });
    await h.admin.pods.delete({ name: "plain" });
    expect(await h.admin.pods.list()).toEqual([]);
  });

  it("logs and exec name the container and need the node's kubelet", async () => {
    await h.admin.pods.launch({ name: "plain", cpu: 0.1 });
    expect(await failure(h.admin.pods.logs({ name: "plain" }))).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining("no containers") });
    await h.admin.pods.applyManifest({ manifest: WEB });
    expect(await failure(h.admin.pods.logs({ name: "web", container: "nope" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: 'container "nope" is not valid for pod "web"',
    });
    // The registered kubelet (port 1) does not answer: a clear "unavailable", not an internal error.
    expect(await failure(h.admin.pods.exec({ name: "web", command: ["true"] }))).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });

  it("records what the kubelet saw (Unhealthy, Killing) as the pod's events, and hands it the back-off settings", async () => {
    const web = (await h.admin.pods.applyManifest({ manifest: WEB })).pod;
    await h.admin.cluster.setHealth({ crashLoopBackoffInitialMs: 500, crashLoopBackoffMaxMs: 8000 });
    const answer = await agent.agent.heartbeat({
      podIds: [web.id],
      ...beat,
      podEvents: [
        { podId: web.id, type: "Warning", reason: "Unhealthy", message: "Liveness probe failed: HTTP probe failed with statuscode: 500" },
        { podId: web.id, type: "Normal", reason: "Killing", message: "Container http failed liveness probe, will be restarted" },
        // Not a pod of this node: ignored.
        { podId: "00000000-0000-4000-8000-000000000000", type: "Warning", reason: "Unhealthy", message: "x" },
      ],
    });
    expect(answer.kubelet).toEqual({ backoffInitialMs: 500, backoffMaxMs: 8000, backoffResetMs: 60_000 });
    const reasons = (await h.admin.events.list({ objectName: "web" })).map((e) => e.reason);
    expect(reasons).toEqual(["Scheduled", "Started", "Unhealthy", "Killing"]);
    expect(await failure(h.admin.cluster.setHealth({ crashLoopBackoffMaxMs: 100 }))).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("a kubelet endpoint off this machine's loopback is refused", async () => {
    expect(await failure(agent.agent.register({ kubelet: { url: "http://10.0.0.1:10250", token: "kubelet-token-0123456789" } }))).toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});

describe("pods on hollow nodes (simulated kubelet, real HTTP API)", () => {
  let home: string;
  let api: RunningControlPlane;
  let c: ReturnType<typeof createKube9Client>;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-hollow-pods-"));
    api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {} });
    c = createKube9Client({ url: api.url, token: api.token });
    await c.nodes.add.mutate({ name: "h1", cpu: 4, runtime: "hollow" });
    await waitFor(async () => (await c.nodes.get.query({ name: "h1" })).node.status === "Ready");
  });
  afterAll(async () => {
    await api?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("reports built-in images Running and Ready, and an unknown image as ErrImagePull", async () => {
    await c.pods.applyManifest.mutate({ manifest: WEB });
    await c.pods.launch.mutate({ name: "nginx", image: "nginx:1.27", limitCpu: 0.1 });
    await waitFor(async () => (await c.pods.get.query({ name: "web" })).pod.phase === "Running");
    const web = (await c.pods.get.query({ name: "web" })).pod;
    expect(web.containerStatuses[0]).toMatchObject({ name: "http", ready: true, restartCount: 0 });
    expect(web.conditions.find((x) => x.type === "Ready")?.status).toBe("True");
    await waitFor(async () => (await c.pods.get.query({ name: "nginx" })).pod.phase === "Pending" && (await c.pods.get.query({ name: "nginx" })).pod.containerStatuses.length > 0);
    const nginx = (await c.pods.get.query({ name: "nginx" })).pod;
    expect(nginx.containerStatuses[0]?.state).toMatchObject({ waiting: { reason: "ErrImagePull" } });
    // Deleting: Terminating until the hollow node drops it, then gone.
    await c.pods.delete.mutate({ name: "web" });
    await waitFor(async () => !(await c.pods.list.query()).some((p) => p.name === "web"));
  });
});
